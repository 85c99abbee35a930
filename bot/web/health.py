"""/healthz for load balancers and /metrics for Prometheus."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from sqlalchemy import func, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from bot.models import Draft, Outbox
from bot.web.deps import ApiActorDep, ServicesDep, SessionDep

log = logging.getLogger(__name__)
router = APIRouter()


@router.get("/healthz")
def healthz(services: ServicesDep) -> JSONResponse:
    """200 when the database answers, 503 otherwise; also says whether content has errors."""
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.error("health check: database unavailable", extra={"error": type(exc).__name__})
        return JSONResponse(
            {"status": "error", "database": "unavailable"}, status.HTTP_503_SERVICE_UNAVAILABLE
        )
    content = "errors" if services.registry.errors else "ok"
    return JSONResponse({"status": "ok", "database": "ok", "content": content})


@router.get("/metrics")
def metrics(actor: ApiActorDep, session: SessionDep) -> Response:
    """Queue depth and delivery state in the Prometheus text format."""
    registry = CollectorRegistry()
    drafts = Gauge("webcare_drafts", "Drafts by status", ["status"], registry=registry)
    for draft_status, count in session.exec(select(Draft.status, func.count()).group_by(Draft.status)):
        drafts.labels(draft_status).set(count)
    outbox = Gauge("webcare_outbox", "Outbox rows by status", ["status"], registry=registry)
    for outbox_status, count in session.exec(select(Outbox.status, func.count()).group_by(Outbox.status)):
        outbox.labels(outbox_status).set(count)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
