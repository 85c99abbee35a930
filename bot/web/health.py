"""/healthz for load balancers and /metrics for Prometheus."""

from __future__ import annotations

import logging
from datetime import datetime

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from sqlalchemy import func, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from bot.encoder_tuning import TunedMiniLM
from bot.models import Draft, Job, Outbox, SetAside, SlaEvent
from bot.pipeline import inbox
from bot.web import openapi
from bot.web.deps import ApiActorDep, NowDep, ServicesDep, SessionDep

log = logging.getLogger(__name__)
router = APIRouter()
# the classic text format every Prometheus reads (the library's newest, 1.0.0, needs Prometheus 3)
METRICS_TYPE = CONTENT_TYPE_PLAIN_0_0_4


@router.get("/healthz", responses={503: {"description": "the database does not answer"}})
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


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "the Prometheus text format",
            "content": {METRICS_TYPE: {"schema": {"type": "string"}}},
        },
        **openapi.refusals(401),
    },
)
def metrics(actor: ApiActorDep, session: SessionDep, services: ServicesDep, now: NowDep) -> Response:
    """Queue depth and delivery state in the Prometheus text format."""
    registry = CollectorRegistry()
    encoder = services.registry.encoder
    if isinstance(encoder, TunedMiniLM):
        Gauge(
            "webcare_faq_scopes_awaiting_tuning",
            "FAQ scopes served by the stock encoder until their tuned copy is ready",
            registry=registry,
        ).set(encoder.waiting())
    drafts = Gauge("webcare_drafts", "Drafts by status", ["status"], registry=registry)
    for draft_status, count in session.exec(select(Draft.status, func.count()).group_by(Draft.status)):
        drafts.labels(draft_status).set(count)
    outbox = Gauge("webcare_outbox", "Outbox rows by status", ["status"], registry=registry)
    for outbox_status, count in session.exec(select(Outbox.status, func.count()).group_by(Outbox.status)):
        outbox.labels(outbox_status).set(count)
    _work_metrics(registry, session, now)
    return Response(generate_latest(registry), media_type=METRICS_TYPE)


def _work_metrics(registry: CollectorRegistry, session: SessionDep, now: datetime) -> None:
    """Queue depth, due jobs, deliveries, failures by class and response-time events."""
    pending = session.exec(select(func.count()).select_from(Draft).where(Draft.status == "pending")).one()
    Gauge("webcare_queue_depth", "Drafts waiting for review", registry=registry).set(pending)
    Gauge("webcare_mentions_queued", "Posted mentions waiting for the drafter", registry=registry).set(
        inbox.waiting(session)
    )
    due = Gauge("webcare_jobs_due", "Jobs due now and not yet taken, by kind", ["kind"], registry=registry)
    stmt = select(Job.kind, func.count()).where(Job.status == "pending", col(Job.due_at) <= now)
    for kind, count in session.exec(stmt.group_by(Job.kind)):
        due.labels(kind).set(count)
    jobs = Gauge("webcare_jobs", "Jobs by kind and status", ["kind", "status"], registry=registry)
    for kind, job_status, count in session.exec(
        select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status)
    ):
        jobs.labels(kind, job_status).set(count)
    sent = session.exec(select(func.count()).select_from(Outbox).where(Outbox.status == "sent")).one()
    Gauge("webcare_deliveries", "Messages delivered", registry=registry).set(sent)
    failures = Gauge(
        "webcare_delivery_failures", "Failed deliveries by error class", ["error_class"], registry=registry
    )
    stmt2 = (
        select(Outbox.error_class, func.count()).where(Outbox.status == "failed").group_by(Outbox.error_class)
    )
    for error_class, count in session.exec(stmt2):
        failures.labels(error_class or "unknown").set(count)
    events = Gauge(
        "webcare_response_events", "Response-time warnings and breaches", ["kind"], registry=registry
    )
    for kind, count in session.exec(select(SlaEvent.kind, func.count()).group_by(SlaEvent.kind)):
        events.labels(kind).set(count)
    _set_aside_metrics(registry, session)


def _set_aside_metrics(registry: CollectorRegistry, session: SessionDep) -> None:
    """Messages set aside by platform (telegram, ingest, ...)."""
    # counted from the table, so every process reports the same number
    aside = Gauge(
        "webcare_set_aside_total",
        "Messages that could not be taken in, by platform",
        ["platform"],
        registry=registry,
    )
    for platform, count in session.exec(select(SetAside.platform, func.count()).group_by(SetAside.platform)):
        aside.labels(platform).set(count)
