"""Intake under concurrency: nothing lost, nothing stored twice."""

from __future__ import annotations

import itertools
import json
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot import pipeline
from bot.clock import SystemClock
from bot.ingest import IngestSummary, ingest_lines
from bot.models import Conversation, Customer, Draft, Mention
from bot.registry import ContentRegistry
from bot.schemas import MentionIn
from tests.factories import mention_json

# mention_json dates a mention by the machine's clock: the mentions are taken in on it too
CLOCK = SystemClock()


def _receive_all(
    engine: Engine, registry: ContentRegistry, bodies: list[dict[str, object]]
) -> list[pipeline.Received]:
    def one(body: dict[str, object]) -> pipeline.Received:
        with Session(engine, expire_on_commit=False) as session:
            return pipeline.receive(
                session, MentionIn.model_validate(body).to_mention(), registry, now=CLOCK.now()
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, bodies))


def _count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_concurrent_messages_from_one_customer_in_one_thread_are_all_kept(
    engine: Engine, registry: ContentRegistry, session: Session
) -> None:
    bodies = [
        mention_json(f"burst-{i}", f"Bericht {i}: waar blijft mijn bestelling?", thread_ref="t-1")
        for i in range(24)
    ]
    results = _receive_all(engine, registry, bodies)
    assert sorted(r.duplicate for r in results) == [False] * 24
    assert _count(session, Mention) == 24
    assert _count(session, Draft) == 24
    assert _count(session, Customer) == 1
    assert _count(session, Conversation) == 1


def test_the_same_mention_posted_concurrently_is_stored_once(
    engine: Engine, registry: ContentRegistry, session: Session
) -> None:
    results = _receive_all(engine, registry, [mention_json("same-1")] * 16)
    assert sum(not r.duplicate for r in results) == 1
    assert len({(r.mention_id, r.draft_id) for r in results}) == 1
    assert _count(session, Mention) == 1
    assert _count(session, Draft) == 1


def test_a_returning_customer_keeps_known_details_when_a_platform_sends_fewer(
    engine: Engine, registry: ContentRegistry, session: Session
) -> None:
    first = mention_json("a-1")
    second = mention_json("a-2", author={"id": "u-1", "handle": "", "name": "", "followers": None})
    _receive_all(engine, registry, [first])
    _receive_all(engine, registry, [second])
    customer = session.exec(select(Customer)).one()
    assert (customer.handle, customer.name, customer.followers) == ("anna_w", "Anna de Wit", 120)


def test_consecutive_drafts_in_a_community_open_differently(
    engine: Engine, registry: ContentRegistry, session: Session
) -> None:
    bodies = [mention_json(f"open-{i}", "Hoe lang duurt de bezorging?", author_id=f"u-{i}") for i in range(6)]
    for body in bodies:  # one at a time: each draft must see the one before it
        _receive_all(engine, registry, [body])
    openings = session.exec(select(Draft.opening).order_by(col(Draft.id))).all()
    assert all(openings)
    assert all(a != b for a, b in itertools.pairwise(openings)), openings


def _ingest(engine: Engine, registry: ContentRegistry, bodies: list[dict[str, object]]) -> IngestSummary:
    with Session(engine, expire_on_commit=False) as session:
        return ingest_lines(session, [json.dumps(b) for b in bodies], registry, clock=CLOCK, batch=7)


def test_files_ingested_concurrently_in_batches_store_every_mention_once(
    engine: Engine, registry: ContentRegistry, session: Session
) -> None:
    # overlapping files by the same customers: batches clash on customers, threads and mentions
    bodies = [
        mention_json(f"file-{i}", f"Vraag {i}: wanneer komt mijn wijn?", author_id=f"u-{i % 5}")
        for i in range(60)
    ]
    files = [bodies, bodies[::-1], bodies[20:], bodies[:40]]
    with ThreadPoolExecutor(max_workers=4) as pool:
        summaries = list(pool.map(lambda file: _ingest(engine, registry, file), files))
    assert sum(s.accepted for s in summaries) == 60
    assert sum(s.accepted + s.duplicate for s in summaries) == sum(len(f) for f in files)
    assert not any(s.rejected for s in summaries)
    assert _count(session, Mention) == 60
    assert _count(session, Draft) == 60
    assert _count(session, Customer) == 5
