"""Erase a customer from the item view (GDPR): a page naming the person and what goes, then the erasure."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.models import Conversation, Customer, Draft
from bot.pipeline import retention
from bot.schemas import RowId
from bot.web import openapi
from bot.web.deps import AdminDep, CsrfUserDep, NowDep, SessionDep, require_role, templates

router = APIRouter(responses=openapi.PAGE)


def _customer_of(session: Session, draft_id: int) -> Customer:
    """The customer an item is about (404 when the item or its customer is gone)."""
    draft = session.get(Draft, draft_id)
    conversation = session.get(Conversation, draft.conversation_id) if draft else None
    customer = session.get(Customer, conversation.customer_id) if conversation else None
    if customer is None or customer.id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such draft or customer")
    return customer


@router.get(
    "/queue/{draft_id}/erase", response_class=HTMLResponse, responses=openapi.refusals(403, 404, page=True)
)
def erase_page(request: Request, draft_id: RowId, who: AdminDep, session: SessionDep) -> Response:
    """The confirmation: who the customer is and how much of theirs will be erased."""
    customer = _customer_of(session, draft_id)
    assert customer.id is not None
    context = {
        "who": who,
        "draft_id": draft_id,
        "customer": customer,
        "person": retention.describe_customer(customer),
        "counts": retention.erasure_counts(session, customer.id),
    }
    return templates.TemplateResponse(request, "erase.html", context)


@router.post("/queue/{draft_id}/erase", responses=openapi.FORM)
def erase(draft_id: RowId, who: CsrfUserDep, session: SessionDep, now: NowDep) -> Response:
    """Erase the item's customer and everything about them; the audit log keeps that it happened."""
    require_role(who, "admin")
    customer = _customer_of(session, draft_id)
    assert customer.id is not None
    person = retention.describe_customer(customer)
    retention.erase_customer(session, customer.id, actor=who.actor, now=now)
    notice = f"Erased: {person} and all their data. · Gewist: {person} en al hun gegevens."
    return RedirectResponse(f"/queue?{urlencode({'notice': notice})}", status_code=status.HTTP_303_SEE_OTHER)
