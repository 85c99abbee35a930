"""One broken community never touches the others: queue, API, ingest, intake and jobs keep working."""

from __future__ import annotations

import html
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import bot.registry
from bot import pipeline
from bot.adapters.base import Batch
from bot.ingest import ingest_lines
from bot.models import Draft, SetAside
from bot.models import Mention as MentionRow
from bot.pipeline import sla
from bot.pipeline.batch_intake import take_in_batch
from bot.pipeline.intake import take_in
from bot.registry import ContentRegistry
from bot.services import Services
from responders.content import Content, load_content
from responders.domain import Author, Mention
from responders.engine import Community
from tests.conftest import API_TOKEN, add_user
from tests.factories import GUIDELINE, mention_json, write_content
from tests.jobs_support import POLICIES, T0, RecordingSender, deliver, receive, run_jobs
from tests.test_web import sign_in

OTHER = (
    GUIDELINE.replace("id: testshop", "id: other")
    .replace("shop-nl", "other-nl")
    .replace('"@testshop"', '"@othershop"')
    .replace("default_language: nl", 'default_language: nl\nbusiness_hours: {start: "00:00", end: "23:59"}')
)  # with business hours, the queue needs the time zone to tell whether a deadline is at risk


@pytest.fixture
def registry(tmp_path: Path) -> ContentRegistry:
    """Two communities: testshop (console shop-nl) and other (console other-nl)."""
    guidelines, faq = write_content(tmp_path / "content")
    (guidelines / "other.yaml").write_text(OTHER, encoding="utf-8")
    return ContentRegistry(guidelines, faq)


def _break_other(content: Content) -> Content:
    """The content with `other`'s time zone misspelt, as if it had slipped past validation."""
    broken = content.guidelines["other"].model_copy(update={"timezone": "Europe/Amsterdan"})
    return replace(content, guidelines={**content.guidelines, "other": broken})


def _inject_broken_other(registry: ContentRegistry) -> None:
    """Put the broken `other` in force behind the registry's back: content failing at run time."""
    snapshot = registry.snapshot
    broken = snapshot.communities["other"].guideline.model_copy(update={"timezone": "Europe/Amsterdan"})
    communities = {**snapshot.communities, "other": Community(broken, snapshot.faq)}
    registry._snapshot = replace(snapshot, communities=communities)


def _post(client: TestClient, external_id: str, channel: str) -> int:
    body = mention_json(external_id, channel=channel)
    response = client.post(
        "/api/v1/mentions?wait=draft", json=body, headers={"Authorization": f"Bearer {API_TOKEN}"}
    )
    return response.status_code


def test_a_community_the_service_cannot_run_is_left_out_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guidelines, faq = write_content(tmp_path)
    (guidelines / "other.yaml").write_text(OTHER, encoding="utf-8")
    monkeypatch.setattr(bot.registry, "load_content", lambda g, f: _break_other(load_content(g, f)))
    registry = ContentRegistry(guidelines, faq)
    assert sorted(registry.snapshot.communities) == ["testshop"]
    assert registry.community_for("console", "shop-nl") is not None
    [error] = [str(e) for e in registry.errors]
    assert "other.yaml" in error and "community 'other'" in error and "Amsterdan" in error
    assert error.endswith("left out until it is fixed")


def test_a_broken_reload_of_one_community_keeps_its_last_good_version_and_admins_see_why(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = services.registry
    monkeypatch.setattr(bot.registry, "load_content", lambda g, f: _break_other(load_content(g, f)))
    path = registry.guidelines_dir / "testshop.yaml"
    path.write_text(GUIDELINE.replace("name: Testshop community", "name: Testshop fans"), encoding="utf-8")
    assert registry.reload_if_changed() is True
    communities = registry.snapshot.communities
    assert communities["testshop"].guideline.name == "Testshop fans"  # the good edit is in force
    assert communities["other"].guideline.timezone == "Europe/Amsterdam"  # the last good version
    assert client.get("/healthz").json()["content"] == "errors"
    add_user(services, "cm", role="community_manager")
    sign_in(client, "cm")
    page = html.unescape(client.get("/guidelines").text)
    assert "community 'other' cannot be used by the running service" in page
    assert "keeping its last good version" in page


def test_queue_api_and_jobs_keep_working_for_the_others(client: TestClient, services: Services) -> None:
    assert _post(client, "a-1", "shop-nl") == 202
    assert _post(client, "b-1", "other-nl") == 202
    _inject_broken_other(services.registry)
    add_user(services, "agent1")
    sign_in(client, "agent1")
    page = client.get("/queue", params={"status": ""})
    assert page.status_code == 200
    assert html.unescape(page.text).count("data-draft-id=") == 2  # both communities' items are listed
    assert _post(client, "a-2", "shop-nl") == 202
    refused = client.post(
        "/api/v1/mentions?wait=draft",
        json=mention_json("b-2", channel="other-nl"),
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    assert refused.status_code == 422
    assert "community 'other' cannot take in messages" in refused.text
    with Session(services.engine) as session:
        sla.watch(session, services.registry, now=services.clock.now())  # does not raise


def test_ingest_and_platform_intake_take_in_the_others(services: Services) -> None:
    _inject_broken_other(services.registry)
    lines = [
        json.dumps(mention_json(i, channel=c))
        for i, c in [("a-1", "shop-nl"), ("b-1", "other-nl"), ("a-2", "shop-nl")]
    ]
    now = services.clock.now()
    with Session(services.engine) as session:
        summary = ingest_lines(session, lines, services.registry, clock=services.clock)
        assert summary.accepted == 2
        [(number, reason)] = summary.rejected
        assert number == 2 and "community 'other' cannot take in messages" in reason
        telegram = Mention(
            "telegram",
            "@testshop",
            "t-1",
            Author("u-9", "anna_w", "Anna"),
            "Hoe lang duurt de bezorging?",
            now,
        )
        assert take_in(session, services.registry, telegram, now=now) is not None
        other = replace(telegram, channel="@othershop", external_id="t-2")
        with pytest.raises(pipeline.CommunityUnavailable):
            take_in(session, services.registry, other, now=now)
        session.rollback()
        # what pollers hand in: the message is kept for an admin, never dropped
        assert take_in_batch(session, services.registry, Batch("telegram", (other,)), now=now) == 0
        stored = session.exec(select(MentionRow.external_id)).all()
        [kept] = session.exec(select(SetAside).where(SetAside.source == "@othershop t-2")).all()
    assert sorted(stored) == ["a-1", "a-2", "t-1"]
    assert "community 'other' cannot take in messages" in kept.reason and '"t-2"' in kept.payload


def test_delivery_goes_on_for_the_others_and_holds_the_broken_communitys_nudge(
    tmp_path: Path, engine: Engine
) -> None:
    guidelines, faq = write_content(tmp_path / "policies", GUIDELINE + POLICIES)
    (guidelines / "other.yaml").write_text(OTHER + POLICIES, encoding="utf-8")
    registry = ContentRegistry(guidelines, faq)
    sender = RecordingSender()
    with Session(engine, expire_on_commit=False) as session:
        pipeline.sync_communities(session, registry, now=T0)
        for ext, channel in (("a-1", "shop-nl"), ("b-1", "other-nl")):
            asked = T0 - timedelta(hours=1)
            draft_id = receive(
                session, registry, ext, "Mijn bestelling is nog niet binnen", asked,
                channel=channel, thread_ref=f"t-{ext}", author_id=f"u-{ext}",
            )  # fmt: skip
            question = "Wat is je ordernummer? Dan zoeken we het uit."
            pipeline.approve(session, draft_id, actor="user:a", role="senior", now=T0, text=question)
        deliver(session, registry, sender, T0)
        run_jobs(session, registry, sender, T0 + timedelta(days=2, minutes=1))
        nudges = list(session.exec(select(Draft).where(Draft.kind == "reminder")).all())
        assert len(nudges) == 2
        _inject_broken_other(registry)
        day = T0 + timedelta(days=2, hours=2)
        for nudge in nudges:
            pipeline.approve(session, nudge.id or 0, actor="user:a", role="agent", now=day)
        deliver(session, registry, sender, day)  # does not raise
    assert [m.channel for m in sender.sent] == ["shop-nl", "other-nl", "shop-nl"]
