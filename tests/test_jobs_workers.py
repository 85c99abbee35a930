"""Four worker processes on PostgreSQL over 1,000 due jobs and 1,000 outbox rows: each done once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bot import pipeline
from bot.clock import SystemClock
from bot.db import make_engine
from bot.models import Conversation, Customer, Draft, Job, Outbox
from bot.registry import ContentRegistry
from tests.conftest import PG_URL, _truncate_all

ROOT = Path(__file__).resolve().parent.parent
N = 1000
WORKERS = 4
THREADS = 20


def seed(url: str, registry: ContentRegistry) -> None:
    """1,000 approved replies in the outbox and 1,000 due jobs."""
    engine = make_engine(url)
    _truncate_all(engine)
    # the workers are other processes, on the machine's clock: the work is due for them at once
    now = SystemClock().now() - timedelta(seconds=5)
    with Session(engine) as session:
        pipeline.sync_communities(session, registry, now=now)
        customer = Customer(platform="console", platform_user_id="u-1", handle="anna", created_at=now)
        session.add(customer)
        session.flush()
        assert customer.id is not None
        conversations = [
            Conversation(
                community_id="testshop",
                customer_id=customer.id,
                platform="console",
                channel="shop-nl",
                thread_ref=f"t{i}",
                created_at=now,
                updated_at=now,
            )
            for i in range(THREADS)
        ]
        session.add_all(conversations)
        session.flush()
        drafts = [
            Draft(
                conversation_id=conversations[i % THREADS].id or 0,
                community_id="testshop",
                status="approved",
                text=f"r{i}",
                due_at=now,
                created_at=now,
                updated_at=now,
            )
            for i in range(N)
        ]
        session.add_all(drafts)
        session.flush()
        session.add_all(
            Outbox(
                draft_id=d.id or 0,
                idempotency_key=f"draft:{d.id}",
                platform="console",
                channel="shop-nl",
                text=d.text,
                next_attempt_at=now,
                created_at=now,
            )
            for d in drafts
        )
        session.add_all(
            Job(kind="probe", due_at=now, dedupe_key=f"probe:{i}", created_at=now) for i in range(N)
        )
        session.commit()
    engine.dispose()


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """The PostgreSQL test schema; skipped only off CI (conftest fails a CI run without PostgreSQL)."""
    if not PG_URL:
        pytest.skip("needs WEBCARE_TEST_POSTGRES_URL (required on CI)")
    url: str = request.getfixturevalue("postgres_url")
    # Exclusivity is about locks, not about durability after a PostgreSQL crash: skipping the
    # fsync per commit keeps 6,000 commits on a busy CI disk within the time limit.
    parsed = make_url(url)
    options = f"{parsed.query.get('options', '')} -csynchronous_commit=off".strip()
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)


def test_four_workers_do_every_job_and_delivery_exactly_once(
    tmp_path: Path, registry: ContentRegistry, pg_url: str
) -> None:
    url = pg_url
    seed(url, registry)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.worker_entry",
                *("--db", url, "--content", str(registry.guidelines_dir.parent)),
                *(
                    "--platform-log",
                    str(tmp_path / "platform.jsonl"),
                    "--jobs-log",
                    str(tmp_path / "jobs.log"),
                ),
                *("--go", str(go), "--limit", "25", "--idle-rounds", "5"),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for _ in range(WORKERS)
    ]
    go.touch()  # all four start claiming at the same moment
    assert [p.wait(timeout=120) for p in procs] == [0] * WORKERS

    sent = Counter(json.loads(line)["key"] for line in (tmp_path / "platform.jsonl").read_text().splitlines())
    ran = Counter(line.split()[0] for line in (tmp_path / "jobs.log").read_text().splitlines())
    assert len(sent) == N and max(sent.values()) == 1
    assert len(ran) == N and max(ran.values()) == 1
    senders = {json.loads(line)["pid"] for line in (tmp_path / "platform.jsonl").read_text().splitlines()}
    assert len(senders) > 1, "the work was not shared: the test proves nothing about concurrency"
    engine = make_engine(url)
    with Session(engine) as session:
        assert set(session.exec(select(Outbox.status)).all()) == {"sent"}
        assert set(session.exec(select(Job.status)).all()) == {"done"}
        assert set(session.exec(select(Draft.status)).all()) == {"sent"}
        # concurrent sends into the same threads lost no count
        assert sum(session.exec(select(Conversation.brand_replies)).all()) == N
    engine.dispose()
