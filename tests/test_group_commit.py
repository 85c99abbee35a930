"""Group commit: concurrent posts share transactions, and every one is stored exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot import pipeline, store
from bot.clock import Clock
from bot.models import Draft, Mention
from bot.pipeline.group_commit import GroupCommit, WriterBusy
from bot.registry import ContentRegistry
from bot.schemas import MentionIn
from bot.services import Services
from tests.conftest import UNDER_FAKETIME
from tests.factories import mention_json


@pytest.fixture
def writer(session: Session, engine: Engine, registry: ContentRegistry) -> Iterator[GroupCommit]:
    """A writer on a database whose communities are in place (the session fixture puts them)."""
    group = GroupCommit(engine, registry)
    yield group
    group.stop()


def _mention(clock: Clock, external_id: str, **extra: Any) -> Any:
    return MentionIn.model_validate(mention_json(external_id, **extra)).to_mention(clock.now())


def _stored(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Mention.external_id).order_by(col(Mention.external_id))).all())


def _in_parallel(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(i) for i in range(count) in count threads released at once; their results."""
    results: list[Any] = [None] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # kept, so the test shows which call failed and how
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_sixteen_concurrent_posts_are_each_stored_once_with_their_own_draft(
    api: TestClient, services: Services
) -> None:
    posts = [mention_json(f"burst-{i}", author_id=f"u-{i}") for i in range(16)]
    # every mention twice, at the same time: a repeat is answered as the same mention
    answers = _in_parallel(32, lambda i: api.post("/api/v1/mentions?wait=draft", json=posts[i % 16]))

    assert [a.status_code for a in answers] == [202] * 32
    bodies = [a.json() for a in answers]
    ids = {b["mention_id"] for b in bodies}
    assert len(ids) == 16
    assert sum(not b["duplicate"] for b in bodies) == 16
    for i in range(16):
        assert bodies[i]["mention_id"] == bodies[i + 16]["mention_id"]
    assert _stored(services.engine) == sorted(p["external_id"] for p in posts)
    with Session(services.engine) as session:
        assert session.exec(select(func.count()).select_from(Draft)).one() == 16


def test_an_answer_comes_only_once_the_mention_is_committed(
    writer: GroupCommit, engine: Engine, clock: Clock
) -> None:
    received = writer.receive(_mention(clock, "durable-1"), now=clock.now())
    # read through a connection of its own: what another process would see
    assert _stored(engine) == ["durable-1"]
    assert received.draft_id is not None and not received.duplicate


def test_a_mention_nobody_listens_to_is_refused_and_the_rest_of_its_batch_is_stored(
    api: TestClient, services: Services
) -> None:
    posts = [mention_json(f"mixed-{i}", author_id=f"u-{i}") for i in range(8)]
    posts[3] = mention_json("mixed-3", channel="somewhere-else")
    answers = _in_parallel(8, lambda i: api.post("/api/v1/mentions?wait=draft", json=posts[i]))

    assert [a.status_code for a in answers] == [202, 202, 202, 422, 202, 202, 202, 202]
    assert "no community listens" in answers[3].json()["detail"][0]["msg"]
    assert _stored(services.engine) == [f"mixed-{i}" for i in range(8) if i != 3]


def test_when_the_shared_transaction_fails_each_mention_is_stored_on_its_own(
    writer: GroupCommit, engine: Engine, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clash with another writer (or a value the database refuses) in one mention rolls the
    batch back; the writer then stores each alone, so only that one mention is affected."""
    real_insert = store.insert_mention
    failed: list[str] = []

    def refuse_once(session: Session, **fields: Any) -> int:
        if fields["external_id"] == "clash-2" and not failed:
            failed.append("clash-2")
            raise IntegrityError("INSERT INTO mention", {}, Exception("simulated clash"))
        return real_insert(session, **fields)

    monkeypatch.setattr(store, "insert_mention", refuse_once)
    mentions = [_mention(clock, f"clash-{i}", author_id=f"u-{i}") for i in range(5)]
    results = _in_parallel(5, lambda i: writer.receive(mentions[i], now=clock.now()))

    assert failed == ["clash-2"]
    assert all(isinstance(r, pipeline.Received) and not r.duplicate for r in results), results
    assert _stored(engine) == [f"clash-{i}" for i in range(5)]


def test_stopping_finishes_what_was_handed_in(writer: GroupCommit, engine: Engine, clock: Clock) -> None:
    release = threading.Event()
    real_write = writer._write
    taken: list[int] = []

    def slow_write(batch: Any) -> None:
        taken.append(len(batch))
        release.wait(10)
        real_write(batch)

    writer._write = slow_write  # type: ignore[method-assign]
    mentions = [_mention(clock, f"stop-{i}", author_id=f"u-{i}") for i in range(4)]
    waiting = threading.Thread(
        target=lambda: _in_parallel(4, lambda i: writer.receive(mentions[i], now=clock.now()))
    )
    waiting.start()
    deadline = time.monotonic() + 10
    while sum(taken) + writer._waiting.qsize() < 4 and time.monotonic() < deadline:
        time.sleep(0.01)  # all four handed in: the writer holds one batch, the rest wait
    stopper = threading.Thread(target=writer.stop)
    stopper.start()
    release.set()
    waiting.join(30)
    stopper.join(30)
    assert _stored(engine) == [f"stop-{i}" for i in range(4)]


@pytest.mark.skipif(UNDER_FAKETIME, reason="libfaketime never times out a timed wait on a lock (.ci/run)")
def test_a_writer_that_does_not_answer_in_time_says_post_again(
    writer: GroupCommit, engine: Engine, clock: Clock
) -> None:
    release = threading.Event()
    real_write = writer._write

    def stuck(batch: Any) -> None:
        release.wait(10)
        real_write(batch)

    writer._write = stuck  # type: ignore[method-assign]
    try:
        with pytest.raises(WriterBusy, match="post it again"):
            writer.receive(_mention(clock, "late-1"), now=clock.now(), wait=0.2)
    finally:
        release.set()
        writer.stop()
    # it was stored after all: posting it again is answered as the same mention
    assert _stored(engine) == ["late-1"]
