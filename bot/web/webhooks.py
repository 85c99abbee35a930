"""Incoming webhooks: Telegram updates (secret token header) and signed JSON from any source."""

from __future__ import annotations

import hmac
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from bot import pipeline
from bot.adapters import webhook
from bot.adapters.sources import source_of
from bot.adapters.telegram import TelegramAdapter, UpdateReader
from bot.pipeline.batch_intake import load_cursors, take_in_batch
from bot.services import Services
from bot.web import openapi
from bot.web.deps import NowDep, ServicesDep

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
MAX_BODY = 1_000_000


async def _json_body(request: Request) -> tuple[bytes, Any]:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "the body is larger than 1 MB")
    try:
        return body, json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"the body is not JSON: {exc}") from exc
    except RecursionError as exc:  # Telegram's body is not seen by the guard (bot/web/guard.py)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the JSON is nested too deeply") from exc


_UPDATE = {
    "type": "object",
    "description": "a Telegram Update object: https://core.telegram.org/bots/api#update",
    "properties": {"update_id": {"type": "integer"}},
    "required": ["update_id"],
    "additionalProperties": True,
}
_SECRET = {"name": TELEGRAM_SECRET_HEADER, "in": "header", "required": True, "schema": {"type": "string"}}
_EVENT = {
    "type": "object",
    "description": "a JSON object; the `mapping` of the source in its guideline says where its fields are",
    "additionalProperties": True,
}


@router.post(
    "/telegram",
    openapi_extra=openapi.json_body(_UPDATE, "an update Telegram pushes") | {"parameters": [_SECRET]},
    responses=openapi.refusals(401, 404, 413, 422),
)
async def telegram_update(request: Request, services: ServicesDep, now: NowDep) -> dict[str, bool]:
    """One update pushed by Telegram; only Telegram knows the secret token."""
    secret = services.settings.telegram_webhook_secret
    adapter = services.senders.get("telegram")
    if secret is None or not isinstance(adapter, TelegramAdapter):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Telegram webhook mode is not configured")
    given = request.headers.get(TELEGRAM_SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong or missing secret token")
    _, data = await _json_body(request)
    if not isinstance(data, dict):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "an update is a JSON object")
    # DB writes and replies to commands block: keep them off the event loop
    await run_in_threadpool(_process_telegram, services, adapter, data, now)
    return {"ok": True}


def _process_telegram(
    services: Services, adapter: TelegramAdapter, data: dict[str, Any], now: datetime
) -> None:
    # without its id it is no update; with one, an update that cannot be read is set aside and
    # answered 200, as Telegram would otherwise send it again and hold back every later one
    if type(data.get("update_id")) is not int:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "not a Telegram update: no update_id")
    with Session(services.engine, expire_on_commit=False) as session:
        reader = UpdateReader(adapter, services.registry, load_cursors(session, platform=adapter.platform))
        session.rollback()  # no read transaction held open while Telegram is asked who the bot is
        reader.read(data)
        take_in_batch(session, services.registry, reader.batch(), now=now)


@router.post(
    "/{source}",
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=openapi.json_body(_EVENT, "the source's event") | openapi.signature_headers(required=True),
    responses=openapi.refusals(401, 404, 413, 422),
)
async def signed_webhook(source: str, request: Request, services: ServicesDep, now: NowDep) -> dict[str, Any]:
    """A JSON event from a forum, shop or CRM, signed with the source's HMAC-SHA256 secret."""
    secret = services.settings.webhook_secrets.get(source)
    config = source_of(services.registry, "webhook", source)
    if secret is None or config is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no webhook source {source!r} is configured")
    body = await request.body()
    try:
        webhook.verify(
            secret.get_secret_value(),
            body,
            signature=request.headers.get(webhook.SIGNATURE_HEADER, ""),
            timestamp=request.headers.get(webhook.TIMESTAMP_HEADER, ""),
            now=now,
            tolerance=timedelta(seconds=services.settings.webhook_tolerance_seconds),
        )
    except webhook.SignatureInvalid as exc:
        log.warning("webhook refused", extra={"source": source, "reason": str(exc)})
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from exc
    _, payload = await _json_body(request)
    try:
        mention = webhook.to_mention(source, payload, config.mapping, now=now)
    except webhook.PayloadInvalid as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"payload does not map: {exc}") from exc
    result = await run_in_threadpool(_receive, services, mention, body, now)
    if result is None:  # kept for an admin: a retry would change nothing
        return {"mention_id": None, "draft_id": None, "duplicate": False, "set_aside": True}
    return {"mention_id": result.mention_id, "draft_id": result.draft_id, "duplicate": result.duplicate}


def _receive(services: Services, mention: Any, body: bytes, now: datetime) -> Any:
    """Take the mention in; None when its community cannot take messages in and it was set aside."""
    with Session(services.engine, expire_on_commit=False) as session:
        try:
            result = pipeline.take_in(session, services.registry, mention, now=now)
        except pipeline.CommunityUnavailable as exc:
            payload = body.decode("utf-8", "replace")
            source = f"webhook {mention.channel}"
            pipeline.set_aside_or_raise(
                session, exc, platform="webhook", source=source, payload=payload, now=now
            )
            return None
    if result is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no community listens to this source")
    return result
