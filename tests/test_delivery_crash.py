"""A worker SIGKILLed in the middle of a send: after a restart nothing is lost and nothing is doubled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot import pipeline
from bot.clock import SystemClock
from bot.models import Draft, Outbox
from bot.registry import ContentRegistry
from bot.schemas import MentionIn
from tests.factories import mention_json

ROOT = Path(__file__).resolve().parent.parent
LEASE = 1.5
# the workers are other processes, on the machine's clock: the replies are queued by it too
CLOCK = SystemClock()


def approve_replies(session: Session, registry: ContentRegistry, count: int) -> None:
    """Approved replies to `count` different customers, waiting in the outbox."""
    for i in range(count):
        body = mention_json(f"crash-{i}", author_id=f"c-{i}")
        received = pipeline.receive(
            session, MentionIn.model_validate(body).to_mention(), registry, now=CLOCK.now()
        )
        assert received.draft_id is not None
        pipeline.approve(session, received.draft_id, actor="user:a", role="agent", now=CLOCK.now())


def start_worker(db_url: str, registry: ContentRegistry, tmp: Path, *extra: str) -> subprocess.Popen[bytes]:
    """A separate worker process running the real delivery code."""
    command = [
        sys.executable,
        "-m",
        "tests.worker_entry",
        "--db",
        db_url,
        "--content",
        str(registry.guidelines_dir.parent),
        "--platform-log",
        str(tmp / "platform.jsonl"),
        "--lease",
        str(LEASE),
        *extra,
    ]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def wait_for(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def crash_and_restart(db_url: str, registry: ContentRegistry, tmp: Path, *flags: str) -> str:
    """Kill a worker hanging in its third send, restart one; return the key it was sending."""
    marker = tmp / "sending"
    first = start_worker(db_url, registry, tmp, "--block-after", "3", "--marker", str(marker), *flags)
    try:
        wait_for(marker)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    time.sleep(LEASE + 0.5)  # the dead worker's lease runs out
    second = start_worker(db_url, registry, tmp, *flags)
    assert second.wait(timeout=60) == 0
    return marker.read_text()


def platform_keys(tmp: Path) -> Counter[str]:
    lines = (tmp / "platform.jsonl").read_text().splitlines()
    return Counter(json.loads(line)["key"] for line in lines)


@pytest.mark.parametrize("count", [6])
def test_sigkill_mid_send_on_a_platform_without_dedup_fails_that_one_safely(
    session: Session, registry: ContentRegistry, db_url: str, tmp_path: Path, count: int
) -> None:
    approve_replies(session, registry, count)
    interrupted = crash_and_restart(db_url, registry, tmp_path)
    received = platform_keys(tmp_path)
    # nothing duplicated: the platform got every message at most once
    assert max(received.values()) == 1
    session.expire_all()
    rows = {row.idempotency_key: row for row in session.exec(select(Outbox))}
    # nothing lost: every other reply went out once, the interrupted one waits for a person
    assert set(received) == set(rows)
    for key, row in rows.items():
        if key == interrupted:
            assert (row.status, row.error_class) == ("failed", "interrupted")
            draft = session.get(Draft, row.draft_id)
            assert draft is not None and draft.status == "failed"
        else:
            assert row.status == "sent", (key, row.status, row.last_error)


def test_sigkill_mid_send_on_a_deduplicating_platform_is_retried_and_sent_once(
    session: Session, registry: ContentRegistry, db_url: str, tmp_path: Path
) -> None:
    approve_replies(session, registry, 6)
    crash_and_restart(db_url, registry, tmp_path, "--dedupe")
    received = platform_keys(tmp_path)
    session.expire_all()
    rows = list(session.exec(select(Outbox)))
    assert len(rows) == 6
    assert {row.status for row in rows} == {"sent"}
    assert received == Counter({row.idempotency_key: 1 for row in rows})
