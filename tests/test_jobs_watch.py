"""Response-time watch, retention, GDPR erasure and /metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from bot import pipeline
from bot.cli import app
from bot.clock import FixedClock
from bot.jobs import Jobs
from bot.models import (
    AuditEvent,
    Conversation,
    Customer,
    CustomerOrder,
    Draft,
    Mention,
    SignInFailure,
    SlaEvent,
    User,
    UserSession,
)
from bot.pipeline import retention, sla
from bot.registry import ContentRegistry
from bot.services import Services
from bot.settings import Settings, get_settings
from responders.analysis import analyze
from responders.domain import Author, Context
from responders.domain import Mention as MentionValue
from responders.rules import decide
from tests.jobs_support import T0, RecordingSender, deliver, policy_registry, receive

OFFICE = """\
business_hours: {days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}
holidays: [2026-12-25]
response_watch: {warn_before: 1h, next_response_targets: {normal: 2h}}
retention_days: 30
"""


@pytest.fixture
def registry(tmp_path: Path) -> ContentRegistry:
    """The test community with office hours, a holiday, a 1 h warning and 30 days of retention."""
    return policy_registry(tmp_path, OFFICE)


@pytest.fixture
def clock() -> FixedClock:
    """The app's clock: at T0, when the mentions of this module arrive."""
    return FixedClock(T0)


def test_the_response_deadline_counts_business_hours_only(registry: ContentRegistry) -> None:
    guideline = registry.snapshot.communities["testshop"].guideline
    friday_evening = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)  # 18:00 in Amsterdam
    mention = MentionValue(
        "console", "shop-nl", "x", Author("u"), "Wanneer komt mijn pakket?", friday_evening
    )
    decision = decide(mention, analyze(mention.text), guideline, Context(now=friday_evening), 0.0)
    # normal = 24 working hours = three 8-hour days: Mon, Tue, Wed until 17:00 local
    assert decision.due_at == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def test_a_follow_up_message_in_an_answered_thread_gets_the_next_response_target(
    registry: ContentRegistry,
) -> None:
    guideline = registry.snapshot.communities["testshop"].guideline
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
    mention = MentionValue("console", "shop-nl", "x", Author("u"), "En wanneer komt de rest?", monday)
    context = Context(now=monday, brand_replies_in_thread=1)
    assert decide(mention, analyze(mention.text), guideline, context, 0.0).due_at == monday + timedelta(
        hours=2
    )


def test_a_warning_then_a_breach_each_told_to_the_team_once(
    session: Session, registry: ContentRegistry, services: Services
) -> None:
    draft_id = receive(session, registry, "m-1", "Waar blijft mijn pakket?", T0)
    draft = session.get(Draft, draft_id)
    assert draft is not None
    due = draft.due_at
    team = RecordingSender("telegram")
    settings = Settings(database_url=services.settings.database_url, notify_telegram_chat="-100777")
    jobs = Jobs(
        services.engine,
        {"telegram": team},
        registry,
        worker="w",
        interval=1,
        clock=services.clock,
        settings=settings,
    )
    assert sla.watch(session, registry, now=due - timedelta(hours=2), notify=jobs.notify_team).warnings == 0
    early = sla.watch(session, registry, now=due - timedelta(minutes=30), notify=jobs.notify_team)
    assert (early.warnings, early.breaches, early.notified) == (1, 0, 1)
    assert (
        sla.watch(session, registry, now=due - timedelta(minutes=20), notify=jobs.notify_team).warnings == 0
    )
    late = sla.watch(session, registry, now=due + timedelta(minutes=1), notify=jobs.notify_team)
    assert (late.warnings, late.breaches) == (0, 1)
    assert [m.channel for m in team.sent] == ["-100777", "-100777"]
    assert "at risk" in team.sent[0].text and "missed" in team.sent[1].text
    assert [e.kind for e in session.exec(select(SlaEvent).order_by(col(SlaEvent.id)))] == [
        "warning",
        "breach",
    ]


def test_a_failed_team_notification_is_tried_again(session: Session, registry: ContentRegistry) -> None:
    draft_id = receive(session, registry, "m-1", "Waar blijft mijn pakket?", T0)
    draft = session.get(Draft, draft_id)
    assert draft is not None
    due = draft.due_at
    answers = iter([False, True])
    sla.watch(session, registry, now=due + timedelta(minutes=1), notify=lambda e, t: next(answers))
    assert session.exec(select(SlaEvent)).one().notified_at is None
    assert (
        sla.watch(
            session, registry, now=due + timedelta(minutes=2), notify=lambda e, t: next(answers)
        ).notified
        == 1
    )


def test_the_share_answered_within_target_per_community(
    session: Session, registry: ContentRegistry, api: TestClient
) -> None:
    sender = RecordingSender()
    fast = receive(session, registry, "m-1", "Hoe lang duurt de bezorging?", T0, author_id="a")
    slow = receive(session, registry, "m-2", "Hoe snel leveren jullie?", T0, author_id="b")
    for draft_id, at in ((fast, T0 + timedelta(minutes=10)), (slow, T0 + timedelta(days=9))):
        pipeline.approve(session, draft_id, actor="user:a", role="agent", now=at)
        deliver(session, registry, sender, at)
    share = sla.response_share(
        session, community_id="testshop", since=T0 - timedelta(days=1), until=T0 + timedelta(days=1)
    )
    assert (share.answered, share.within_target, share.share) == (2, 1, 0.5)
    period = {"since": (T0 - timedelta(days=1)).isoformat(), "until": (T0 + timedelta(days=1)).isoformat()}
    body = api.get("/api/v1/response-times", params=period).json()
    assert [(b["community"], b["answered"], b["within_target"], b["share"]) for b in body] == [
        ("testshop", 2, 1, 0.5)
    ]
    assert api.get("/api/v1/response-times", params={"community": "nope"}).status_code == 404


def test_retention_erases_old_conversations_and_keeps_that_it_happened(
    session: Session, registry: ContentRegistry
) -> None:
    old = receive(
        session, registry, "m-old", "Wanneer komt mijn pakket?", T0 - timedelta(days=40), author_id="old"
    )
    receive(session, registry, "m-new", "Wanneer komt mijn pakket?", T0 - timedelta(days=2), author_id="new")
    assert old > 0
    erased = retention.apply_retention(session, registry, now=T0)
    assert erased == {"testshop": 1}
    assert [m.external_id for m in session.exec(select(Mention))] == ["m-new"]
    assert [c.platform_user_id for c in session.exec(select(Customer))] == ["new"]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "retention.erase")).one()
    assert event.after["conversations"] == 1 and "old" not in str(event.after)


def test_customers_erase_removes_everything_about_a_customer(
    session: Session, registry: ContentRegistry, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    receive(session, registry, "m-1", "Mijn pakket is kapot", T0, author_id="gdpr")
    receive(session, registry, "m-2", "Hoe lang duurt de bezorging?", T0, author_id="other")
    gdpr = session.exec(select(Customer).where(Customer.platform_user_id == "gdpr")).one().id
    order = CustomerOrder(
        order_ref="B-1", customer_id=gdpr or 0, community_id="testshop", purchased_at=T0, created_at=T0
    )
    session.add(order)
    session.commit()
    monkeypatch.setenv("WEBCARE_DATABASE_URL", db_url)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["customers", "erase", str(gdpr), "--yes"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert [c.platform_user_id for c in session.exec(select(Customer))] == ["other"]
    assert [m.external_id for m in session.exec(select(Mention))] == ["m-2"]
    assert len(session.exec(select(Conversation)).all()) == 1
    assert session.exec(select(CustomerOrder)).all() == []
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "customer.erase")).one()
    assert audit.object_id == str(gdpr) and "kapot" not in str(audit.after)
    again = CliRunner().invoke(app, ["customers", "erase", str(gdpr), "--yes"])
    assert again.exit_code == 2 and "no customer" in again.output


def test_metrics_show_queue_depth_jobs_deliveries_failures_and_breaches(
    session: Session, registry: ContentRegistry, api: TestClient
) -> None:
    receive(session, registry, "m-1", "Hoe lang duurt de bezorging?", T0, author_id="a")
    second = receive(session, registry, "m-2", "Hoe snel leveren jullie?", T0, author_id="b")
    pipeline.approve(session, second, actor="user:a", role="agent", now=T0)
    deliver(session, registry, RecordingSender(), T0)
    sla.watch(session, registry, now=T0 + timedelta(days=30))
    api.post(
        "/api/v1/orders",
        json={
            "order_id": "Z-1",
            "customer": {"platform": "console", "id": "a"},
            "purchased_at": T0.isoformat(),
        },
    )
    text = api.get("/metrics").text
    assert "webcare_queue_depth 1.0" in text
    assert "webcare_deliveries 1.0" in text
    assert 'webcare_response_events{kind="breach"} 1.0' in text
    assert "webcare_delivery_failures" in text and "webcare_jobs_due" in text


def test_retention_deletes_sessions_ended_a_month_ago_and_day_old_failed_sign_ins(session: Session) -> None:
    user = User(username="ans", password_hash="x", role="agent", created_at=T0 - timedelta(days=60))
    session.add(user)
    session.commit()

    def add(sid: str, *, expires: timedelta, revoked: timedelta | None = None) -> None:
        ended = T0 + revoked if revoked is not None else None
        session.add(
            UserSession(
                id=sid,
                user_id=user.id or 0,
                csrf_token="t",
                created_at=T0 - timedelta(days=50),
                expires_at=T0 + expires,
                revoked_at=ended,
            )
        )

    add("live", expires=timedelta(days=5))
    add("expired-long-ago", expires=-timedelta(days=40))
    add("revoked-long-ago", expires=timedelta(days=5), revoked=-timedelta(days=31))
    add("revoked-yesterday", expires=timedelta(days=5), revoked=-timedelta(days=1))
    session.commit()
    session.add(SignInFailure(key="ip:203.0.113.9", at=T0 - timedelta(days=2)))
    session.add(SignInFailure(key="ip:203.0.113.7", at=T0 - timedelta(hours=2)))
    session.commit()
    assert retention.purge_sessions(session, now=T0) == 2
    kept = sorted(s.id for s in session.exec(select(UserSession)))
    assert kept == ["live", "revoked-yesterday"]
    assert [f.key for f in session.exec(select(SignInFailure))] == ["ip:203.0.113.7"]
