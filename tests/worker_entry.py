"""A real worker process for the crash and multi-worker tests.

It runs the production claim-and-deliver and claim-and-run-jobs code against a shared database, with
a fake platform that appends every message it receives to a file (so duplicates are visible across
processes). `--block-after N` makes the Nth send reach the platform and then hang, as if the platform
call never returned, so the test can SIGKILL the worker mid-send.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session

from bot.adapters.base import Capabilities, OutgoingMessage, Receipt
from bot.clock import SystemClock
from bot.db import make_engine
from bot.models import Job
from bot.pipeline import deliver_due, work
from bot.registry import ContentRegistry


def append_line(path: Path, line: str) -> None:
    """Append one line in a single write, so lines from several processes never interleave."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


class FilePlatform:
    """A platform whose message log is a file; with deduplicates it drops a key it has seen."""

    platform = "console"

    def __init__(self, log: Path, *, deduplicates: bool, block_after: int, marker: Path | None) -> None:
        self.log = log
        self.capabilities = Capabilities(can_start_conversation=True, deduplicates=deduplicates)
        self.block_after = block_after
        self.marker = marker
        self.calls = 0

    def _seen(self, key: str) -> bool:
        if not self.log.exists():
            return False
        return any(json.loads(line)["key"] == key for line in self.log.read_text().splitlines())

    def send(self, message: OutgoingMessage) -> Receipt:
        """Receive a message; maybe hang afterwards, as if the response got lost."""
        self.calls += 1
        if not (self.capabilities.deduplicates and self._seen(message.idempotency_key)):
            append_line(self.log, json.dumps({"key": message.idempotency_key, "pid": os.getpid()}))
        if self.calls == self.block_after and self.marker is not None:
            self.marker.write_text(message.idempotency_key)
            time.sleep(600)
        return Receipt(f"file-{message.idempotency_key}")


def main() -> None:
    """Deliver and run jobs until there is nothing left to do for a while."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--content", required=True, type=Path)
    parser.add_argument("--platform-log", required=True, type=Path)
    parser.add_argument("--jobs-log", type=Path)
    parser.add_argument("--dedupe", action="store_true")
    parser.add_argument("--block-after", type=int, default=0)
    parser.add_argument("--marker", type=Path)
    parser.add_argument("--go", type=Path, help="wait for this file before starting")
    parser.add_argument("--lease", type=float, default=120.0)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--idle-rounds", type=int, default=10)
    args = parser.parse_args()
    worker = f"test-worker-{os.getpid()}"
    engine = make_engine(args.db)
    registry = ContentRegistry(args.content / "guidelines", args.content / "faq")
    platform = FilePlatform(
        args.platform_log, deduplicates=args.dedupe, block_after=args.block_after, marker=args.marker
    )
    jobs_log: Path | None = args.jobs_log
    clock = SystemClock()  # the tests that start workers seed work due on the machine's clock

    def probe(session: Session, job: Job, context: work.JobContext) -> work.Result:
        assert jobs_log is not None
        append_line(jobs_log, f"{job.id} {worker}")
        return work.Done("probed")

    while args.go and not args.go.exists():
        time.sleep(0.02)
    idle = 0
    while idle < args.idle_rounds:
        with Session(engine, expire_on_commit=False) as session:
            sent = deliver_due(
                session,
                {"console": platform},
                now=clock.now(),
                worker=worker,
                limit=args.limit,
                lease=timedelta(seconds=args.lease),
            )
            context = work.JobContext(registry, {"console": platform}, clock.now())
            ran = work.run_due_jobs(session, {"probe": probe}, context, worker=worker, limit=args.limit)
        busy = sent.sent + sent.failed + sent.retrying + ran.total
        idle = 0 if busy else idle + 1
        if not busy:
            time.sleep(0.1)
    engine.dispose()


if __name__ == "__main__":
    main()
