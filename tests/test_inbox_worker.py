"""The real `webcare worker` drafts what a web-only process queued, and a worker killed while
drafting loses nothing and drafts nothing twice: the next one takes up where it stopped."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from sqlmodel import Session, col, func, select

from bot.models import Draft, Inbound, Mention
from bot.pipeline import inbox
from bot.registry import ContentRegistry
from bot.schemas import MentionIn
from bot.services import Services
from tests.factories import mention_json

ROOT = Path(__file__).resolve().parent.parent
QUEUED = 3000


def _queue_many(services: Services) -> None:
    now = services.clock.now()
    posted = [
        (MentionIn.model_validate(mention_json(f"w-{n}", author_id=f"u-{n % 400}")).to_mention(now), now)
        for n in range(QUEUED)
    ]
    with Session(services.engine) as session:
        for start in range(0, QUEUED, 500):
            answers = inbox.queue(session, services.registry, posted[start : start + 500])
            assert all(isinstance(a, inbox.Queued) and a.intake_id for a in answers)
        session.commit()


def _worker(db_url: str, registry: ContentRegistry, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "WEBCARE_DATABASE_URL": db_url,
        "WEBCARE_GUIDELINES_DIR": str(registry.guidelines_dir),
        "WEBCARE_FAQ_DIR": str(registry.faq_dir),
        "WEBCARE_MODEL_CACHE_DIR": str(tmp_path / "models"),
    }
    webcare = shutil.which("webcare", path=str(ROOT / ".venv" / "bin")) or "webcare"
    return subprocess.Popen([webcare, "worker"], cwd=ROOT, env=env)


def _count(services: Services, what: Callable[[], object]) -> int:
    with Session(services.engine) as session:
        return int(session.exec(what()).one())  # type: ignore[call-overload]


def _drafts(services: Services) -> int:
    return _count(services, lambda: select(func.count()).select_from(Draft))


def _wait_for(done: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.02)  # not a timed lock wait: those never end under CI's faketime


def test_a_worker_killed_while_drafting_loses_nothing_and_the_next_drafts_the_rest(
    services: Services, registry: ContentRegistry, db_url: str, tmp_path: Path
) -> None:
    _queue_many(services)
    first = _worker(db_url, registry, tmp_path)
    try:
        _wait_for(lambda: _drafts(services) >= 100, 120)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    drafted_by_first = _drafts(services)
    assert 100 <= drafted_by_first < QUEUED, "killed in the middle of the queue"

    second = _worker(db_url, registry, tmp_path)
    try:
        _wait_for(lambda: _drafts(services) >= QUEUED, 180)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(60)
    mentions = _count(services, lambda: select(func.count()).select_from(Mention))
    distinct = _count(services, lambda: select(func.count(func.distinct(Mention.external_id))))
    waiting = _count(services, lambda: select(func.count()).select_from(Inbound))
    assert (mentions, distinct, _drafts(services), waiting) == (QUEUED, QUEUED, QUEUED, 0)
    with Session(services.engine) as session:
        per_mention = session.exec(
            select(func.count()).select_from(Draft).group_by(col(Draft.mention_id))
        ).all()
    assert set(per_mention) == {1}, "every mention drafted once"
