"""The drafter: a thread that takes in the mentions the API queued (bot/pipeline/inbox.py).

It runs in every process that runs jobs (`webcare serve`, `webcare worker`). The API's writer in
the same process wakes it after each commit; mentions queued by another process (a web process
started with --no-jobs) are found by looking every POLL_SECONDS.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.pipeline.inbox import DRAFT_BATCH, draft_queued
from bot.registry import ContentRegistry

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
_STEP = 0.05  # seconds between looks at the wake-up flag while pausing
# While posts keep coming, drafting gives way: a few mentions, then a pause. Taking mentions in is
# what must keep up (a post waits for its answer; a draft only for an agent), and on one core
# every drafted mention takes CPU from the requests. The trickle keeps drafts coming in a long
# burst, and all of the queue is drafted at full speed the moment the posts stop.
BUSY_BATCH = 4
BUSY_PAUSE = 0.1


class Drafter:
    """Drafts queued mentions as they come, in a thread of its own, until stopped."""

    def __init__(
        self,
        engine: Engine,
        registry: ContentRegistry,
        *,
        poll: float = POLL_SECONDS,
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        """busy: whether posts are coming in right now (the API's writer knows)."""
        self.engine, self.registry, self.poll, self.busy = engine, registry, poll, busy
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Mentions were queued: draft them now rather than at the next look."""
        self._wake.set()

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="drafter", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the batch in hand and stop; what is still queued waits for the next start."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def drain(self) -> int:
        """Draft everything queued now, in this thread; the number taken in (tests, benchmarks)."""
        total = 0
        while taken := self._round():
            total += taken
        return total

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            if self.busy():
                self._round(BUSY_BATCH)
                time.sleep(BUSY_PAUSE)
            elif not self._round():
                self._pause()

    def _round(self, limit: int = DRAFT_BATCH) -> int:
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                return draft_queued(session, self.registry, limit=limit)
        except Exception:  # database down or locked: the rows stay queued for the next round
            log.exception("drafting queued mentions failed; trying again shortly")
            return 0

    def _pause(self) -> None:
        # short sleeps rather than a timed Event.wait, which CI's libfaketime never ends
        for _ in range(max(1, round(self.poll / _STEP))):
            if self._wake.is_set() or self._stopping.is_set():
                return
            time.sleep(_STEP)
