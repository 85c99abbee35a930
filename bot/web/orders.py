"""POST /api/v1/orders: purchases that start post-purchase follow-ups (bearer token or HMAC)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, select

from bot import accounts
from bot.adapters import webhook
from bot.models import CustomerOrder, Job
from bot.pipeline import UnknownChannel
from bot.pipeline.followups import OrderEvent, record_order
from bot.schemas import Moment
from bot.services import Services
from bot.web import openapi
from bot.web.deps import ApiActorDep, NowDep, ServicesDep, SessionDep
from responders.domain import Author

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["orders"])
MAX_BODY = 200_000


class OrderCustomer(BaseModel):
    """Who bought, as the platform knows them."""

    model_config = ConfigDict(extra="forbid")
    platform: Literal["telegram", "reddit", "rss", "webhook", "console"]
    id: str = Field(min_length=1, max_length=128)
    handle: str = Field(default="", max_length=200)
    name: str = Field(default="", max_length=200)
    # the language of the shop the customer bought in ("nl", "en"): the follow-ups are written in it
    # while webcare has not seen the customer write yet
    language: str = Field(default="", pattern=r"^([a-z]{2})?$")


Label = Annotated[str, Field(max_length=64)]


class OrderItem(BaseModel):
    """One bought item; its category and tags choose the follow-up texts (e.g. a tip for sparkling wine)."""

    # shops send more (price, vintage, ...): kept with the order, not used by follow-ups
    model_config = ConfigDict(extra="allow")
    sku: str = Field(default="", max_length=200)
    name: str = Field(default="", max_length=300)
    quantity: int = Field(default=1, ge=1, le=100_000)
    category: Label = ""
    tags: list[Label] = Field(default_factory=list, max_length=30)


class OrderIn(BaseModel):
    """A purchase event from a shop."""

    model_config = ConfigDict(extra="forbid")
    order_id: str = Field(min_length=1, max_length=200)
    customer: OrderCustomer
    items: list[OrderItem] = Field(default_factory=list, max_length=500)
    purchased_at: Moment
    community: str | None = Field(default=None, max_length=64)


class FollowUpOut(BaseModel):
    """One step of the follow-up plan: pending, done, skipped (with why) or cancelled."""

    step: str
    due_at: datetime
    status: str
    outcome: str


class OrderOut(BaseModel):
    """An order and its follow-up plan."""

    order_id: str
    community: str | None
    created: bool
    items: list[dict[str, Any]]
    follow_ups_cancelled: bool
    satisfaction: str
    follow_ups: list[FollowUpOut]


def _authenticated(request: Request, body: bytes, services: Services, session: Session, now: datetime) -> str:
    """The caller: a valid bearer token, or a valid HMAC signature of the body; else 401."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        configured = services.settings.api_token.get_secret_value() if services.settings.api_token else None
        name = accounts.api_token_name(session, token=header[7:].strip(), configured=configured, now=now)
        if name is not None:
            return f"api:{name}"
    secret = services.settings.orders_secret
    if secret is not None and request.headers.get(webhook.SIGNATURE_HEADER):
        try:
            webhook.verify(
                secret.get_secret_value(),
                body,
                signature=request.headers.get(webhook.SIGNATURE_HEADER, ""),
                timestamp=request.headers.get(webhook.TIMESTAMP_HEADER, ""),
                now=now,
                tolerance=timedelta(seconds=300),
            )
            return "shop:signed"
        except webhook.SignatureInvalid as exc:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from exc
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "a valid bearer token or an X-Webcare-Signature is required",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _out(session: Session, order: CustomerOrder, *, created: bool) -> OrderOut:
    jobs = session.exec(select(Job).where(Job.order_id == order.id).order_by(col(Job.due_at))).all()
    return OrderOut(
        order_id=order.order_ref,
        community=order.community_id,
        created=created,
        items=order.items,
        follow_ups_cancelled=order.follow_ups_cancelled_at is not None,
        satisfaction=order.satisfaction,
        follow_ups=[
            FollowUpOut(step=j.payload.get("step", ""), due_at=j.due_at, status=j.status, outcome=j.outcome)
            for j in jobs
        ],
    )


# the body is read by hand, to check a signature over its bytes before it is parsed: described here
_ORDER_DOC = openapi.json_body(openapi.inline_schema(OrderIn), "the order") | openapi.signature_headers(
    required=False
)


_POSTED_AGAIN: dict[int | str, dict[str, Any]] = {
    200: {"model": OrderOut, "description": "posted before: the order as it was, nothing new"}
}


@router.post(
    "/orders",
    response_model=OrderOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_ORDER_DOC,
    responses={**_POSTED_AGAIN, **openapi.refusals(401, 413, 422)},
)
async def post_order(
    request: Request, response: Response, services: ServicesDep, session: SessionDep, now: NowDep
) -> OrderOut:
    """Record a purchase once and plan its follow-ups; 200 with the same order when posted again."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "the body is larger than 200 kB")
    # database work blocks: keep it off the event loop
    out = await run_in_threadpool(_record, request, body, services, session, now)
    if not out.created:
        response.status_code = status.HTTP_200_OK
    return out


def _record(request: Request, body: bytes, services: Services, session: Session, now: datetime) -> OrderOut:
    actor = _authenticated(request, body, services, session, now)
    try:
        data = OrderIn.model_validate_json(body)
    except ValidationError as exc:
        errors = [{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, errors) from exc
    c = data.customer
    event = OrderEvent(
        order_ref=data.order_id,
        platform=c.platform,
        customer=Author(c.id, c.handle, c.name),
        purchased_at=data.purchased_at,
        items=[item.model_dump() for item in data.items],
        community_id=data.community,
        language=c.language,
    )
    try:
        order, created = record_order(session, event, services.registry, now=now)
    except UnknownChannel as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"loc": ["body", "community"], "msg": str(exc), "type": "unknown_community"}],
        ) from exc
    log.info("order recorded", extra={"order_id": data.order_id, "new_order": created, "actor": actor})
    return _out(session, order, created=created)


@router.get("/orders/{order_id}", response_model=OrderOut, responses=openapi.refusals(401, 404, 422))
def get_order(order_id: str, actor: ApiActorDep, session: SessionDep) -> OrderOut:
    """An order with its follow-up plan and the customer's satisfaction answer."""
    order = session.exec(select(CustomerOrder).where(CustomerOrder.order_ref == order_id)).first()
    if order is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no order {order_id!r}")
    return _out(session, order, created=False)
