"""POST /api/v1/mentions side by side: webcare against a FastAPI twin that does nothing.

Not a test: a script that measures and prints a summary (or JSON with --json). Both apps run
under uvicorn in a subprocess of their own, one after the other, on 127.0.0.1; the same
asyncio client (raw HTTP/1.1 over keep-alive connections, light enough not to be what is
measured) posts the same new mentions to each. webcare runs with the demo content on a fresh
database; afterwards every 202 is checked against the database: no mention lost, none twice.

    python bench/intake_vs_twin.py                       # SQLite, 16 clients, 6000 posts
    python bench/intake_vs_twin.py -m 4000 -c 16 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/intake_vs_twin.py --smoke               # seconds, for the tests
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for folder in (ROOT, BENCH):  # `python bench/x.py` puts bench/ on the path, not the repo
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from ingest import (  # noqa: E402
    TOKEN,
    app_server,
    build_mentions,
    cpu_seconds,
    fresh_database,
    latency_ms,
    machine,
    server_exceptions,
    to_json,
)
from sqlalchemy import func  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from bot.db import make_engine  # noqa: E402
from bot.models import Draft, Mention  # noqa: E402

TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0


@dataclass
class Run:
    """One app under load: throughput, latency and what came back."""

    app: str  # "webcare" or "twin"
    database: str  # "sqlite", "postgresql" or "none" (the twin)
    requests: int
    concurrency: int
    seconds: float
    per_second: float
    latency: dict[str, float]
    server_cpu_ms: float
    statuses: dict[str, int]
    mention_ids: int = 0  # distinct ids in the 202 answers (the queue's, or the mention's)
    duplicates_answered: int = 0  # 202s that said "duplicate" for a new mention
    stored: dict[str, int] = field(default_factory=dict)
    drained_s: float = 0.0  # after the last answer, until every posted mention had its draft
    server_exceptions: dict[str, int] = field(default_factory=dict)


# --- the servers ------------------------------------------------------------------------------


def serve(kind: str, url: str, fd: int) -> None:
    """Child process: webcare (on the database url) or the twin, under uvicorn on the socket passed."""
    import logging

    import uvicorn

    logging.basicConfig(level=logging.WARNING)
    if kind == "twin":
        from twin_app import create_twin

        app = create_twin()
    else:
        from ingest import CLOCK, FAQ, GUIDELINES

        from bot.main import build_services, create_app
        from bot.settings import Settings

        settings = Settings(
            database_url=url, api_token=TOKEN, guidelines_dir=GUIDELINES, faq_dir=FAQ, log_level="WARNING"
        )
        services = build_services(settings, CLOCK)
        # every FAQ scope built before serving, as `webcare serve` does in the background at start
        faq = services.registry.snapshot.faq
        for community in services.registry.snapshot.communities.values():
            for language in community.guideline.languages:
                faq.warm(language, community.guideline.faq.tags)
        # `webcare serve` as one process: the API queues, its drafter thread drafts meanwhile
        # (the jobs and pollers stay off: nothing else competes for the CPU)
        services.drafter.start()
        app = create_app(services, run_jobs=False)
    sock = socket.socket(fileno=fd)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


def server(kind: str, url: str, log: Path) -> AbstractContextManager[tuple[str, int]]:
    """Start one app in a subprocess on 127.0.0.1; its base URL and pid while in use."""
    return app_server(url, log, [sys.executable, str(Path(__file__).resolve()), "_serve", kind, url])


# --- the client -------------------------------------------------------------------------------


def request_bytes(body: dict[str, Any]) -> bytes:
    """One keep-alive HTTP/1.1 POST of a mention, with the bearer token."""
    payload = json.dumps(body).encode()
    head = (
        "POST /api/v1/mentions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    code = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return code, await reader.readexactly(length)


async def _post_all(
    port: int, requests: Sequence[bytes], concurrency: int
) -> tuple[list[float], Counter[str], list[bytes], float]:
    position = 0
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    bodies: list[bytes] = []

    async def client() -> None:
        nonlocal position
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while position < len(requests):
                request = requests[position]
                position += 1
                began = time.perf_counter()
                writer.write(request)
                code, body = await _read_response(reader)
                latencies.append(time.perf_counter() - began)
                statuses[str(code)] += 1
                if code == 202:
                    bodies.append(body)
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, statuses, bodies, time.perf_counter() - began


def post_all(
    port: int, requests: Sequence[bytes], concurrency: int
) -> tuple[list[float], Counter[str], list[bytes], float]:
    """Post every request over `concurrency` keep-alive connections.

    Returns the latencies, the count of each status, the bodies of the 202s and the wall time.
    """
    return asyncio.run(_post_all(port, requests, concurrency))


# --- one run per app --------------------------------------------------------------------------


def count_stored(url: str, prefix: str) -> dict[str, int]:
    """Mentions of this run in the database, distinct external ids, and their drafts."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            ours = col(Mention.external_id).startswith(prefix)
            rows = session.exec(select(func.count()).select_from(Mention).where(ours)).one()
            distinct = session.exec(select(func.count(func.distinct(Mention.external_id))).where(ours)).one()
            drafts = session.exec(
                select(func.count())
                .select_from(Draft)
                .join(Mention, col(Draft.mention_id) == Mention.id)
                .where(ours)
            ).one()
    finally:
        engine.dispose()
    return {"mentions": int(rows), "distinct": int(distinct), "drafts": int(drafts)}


def measure(kind: str, url: str, *, count: int, warmup: int, concurrency: int, seed: int) -> Run:
    """Warm the app up, then time count new mentions posted by concurrency clients."""
    prefix = f"twin{seed}" if kind == "twin" else f"vs{seed}"
    mentions = build_mentions(warmup + count, seed=seed, prefix=prefix)
    requests = [request_bytes(to_json(m)) for m in mentions]
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        with server(kind, url, log) as (base, pid):
            port = int(base.rsplit(":", 1)[1])
            post_all(port, requests[:warmup], min(concurrency, 4))
            if kind == "webcare":  # the timed posts start on an idle server, its warm-up drafted
                wait_for_drafts(url, prefix, warmup)
            cpu_began = cpu_seconds(pid)
            latencies, statuses, bodies, elapsed = post_all(port, requests[warmup:], concurrency)
            server_cpu = cpu_seconds(pid) - cpu_began
            drained = wait_for_drafts(url, prefix, warmup + count) if kind == "webcare" else 0.0
        exceptions = server_exceptions(log.read_text(errors="replace"))
    answers = [json.loads(b) for b in bodies]
    done = len(latencies)
    run = Run(
        app=kind,
        database="none" if kind == "twin" else url.split(":", 1)[0].split("+", 1)[0],
        requests=done,
        concurrency=concurrency,
        seconds=round(elapsed, 3),
        per_second=round(done / elapsed, 1) if elapsed else 0.0,
        latency=latency_ms(latencies),
        server_cpu_ms=round(server_cpu * 1000 / done, 3) if done else 0.0,
        statuses=dict(statuses),
        mention_ids=len({a.get("intake_id") or a["mention_id"] for a in answers}),
        duplicates_answered=sum(bool(a["duplicate"]) for a in answers),
        server_exceptions=exceptions,
    )
    if kind == "webcare":
        run.stored = count_stored(url, prefix)
        run.drained_s = round(drained, 2)
    return run


def wait_for_drafts(url: str, prefix: str, sent: int, timeout: float = 300.0) -> float:
    """Seconds until every posted mention of this run has its draft (the drafter catching up)."""
    began = time.perf_counter()
    while time.perf_counter() - began < timeout and count_stored(url, prefix)["drafts"] < sent:
        time.sleep(0.25)
    return time.perf_counter() - began


def problems(run: Run, sent: int) -> list[str]:
    """Lost or doubled mentions and errors: what must never happen, whatever the speed."""
    found = []
    accepted = run.statuses.get("202", 0)
    if accepted != run.requests:
        found.append(
            f"{run.app}: {run.requests - accepted} of {run.requests} posts not accepted: {run.statuses}"
        )
    if run.duplicates_answered:
        found.append(f"{run.app}: {run.duplicates_answered} new mentions answered as duplicates")
    if run.mention_ids != accepted:
        found.append(f"{run.app}: {accepted} accepted, {run.mention_ids} distinct mention ids")
    if (
        run.app == "webcare"
        and not run.stored["mentions"] == run.stored["distinct"] == run.stored["drafts"] == sent
    ):
        found.append(f"{run.app}: {sent} mentions posted (warm-up included), stored {run.stored}")
    if run.server_exceptions:
        found.append(f"{run.app}: exceptions in the log {run.server_exceptions}")
    return found


def verdict(webcare: Run, twin: Run) -> dict[str, Any]:
    """The ratio of webcare's throughput to the twin's, and whether the targets are met."""
    ratio = webcare.per_second / twin.per_second if twin.per_second else 0.0
    return {
        "ratio": round(ratio, 3),
        "meets_ratio": ratio >= TARGET_RATIO,
        "meets_p99": webcare.latency["p99_ms"] < TARGET_P99_MS,
    }


def summary(results: dict[str, Any]) -> str:
    """The human-readable report."""
    m = results["machine"]
    lines = [
        f"intake vs twin: {m['nproc']} CPUs, Python {m['python']}, load average at start "
        f"{m['loadavg_at_start']}, revision {m['revision']}",
    ]
    for run in results["runs"]:
        lat = run["latency"]
        lines.append(
            f"  {run['app']:8} [{run['database']:10}] {run['requests']} posts, {run['concurrency']} clients: "
            f"{run['per_second']:7.0f}/s  p50 {lat['p50_ms']:.1f} ms  p99 {lat['p99_ms']:.1f} ms  "
            f"server CPU {run['server_cpu_ms']:.2f} ms/post  statuses {run['statuses']}"
            + (
                f"  stored {run['stored']}, all drafted {run['drained_s']} s after the last answer"
                if run["stored"]
                else ""
            )
        )
    for name, v in results["verdicts"].items():
        lines.append(
            f"  {name}: webcare/twin = {v['ratio']:.2f} (target >= {TARGET_RATIO}: "
            f"{'met' if v['meets_ratio'] else 'NOT met'}), p99 < {TARGET_P99_MS:.0f} ms: "
            f"{'met' if v['meets_p99'] else 'NOT met'}"
        )
    lines += [f"  PROBLEM: {p}" for p in results["problems"]] or ["  no mention lost or stored twice"]
    return "\n".join(lines)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-m", "--requests", type=int, default=6000, help="posts timed per app")
    parser.add_argument("-c", "--concurrency", type=int, default=16, help="concurrent clients")
    parser.add_argument("--warmup", type=int, default=300, help="untimed posts first")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url", help="also run webcare on this PostgreSQL database (a scratch schema)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--smoke", action="store_true", help="a few posts each, in seconds; exit 1 on a problem"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.requests, args.concurrency, args.warmup = 40, 4, 4
    if args.requests < 1 or args.concurrency < 1 or args.warmup < 0:
        parser.error("counts must be positive")
    if args.requests > 100_000 or args.concurrency > 256:
        parser.error("keep the run bounded: at most 100000 posts and 256 clients")
    return args


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["_serve"]:
        serve(argv[1], argv[2], int(argv[3]))
        return 0
    args = parse_args(argv)
    shape = {
        "count": args.requests,
        "warmup": args.warmup,
        "concurrency": args.concurrency,
        "seed": args.seed,
    }
    twin = measure("twin", "", **shape)
    runs, verdicts, found = [twin], {}, problems(twin, args.warmup + args.requests)
    for backend in [None, args.database_url] if args.database_url else [None]:
        with fresh_database(backend) as db:
            run = measure("webcare", db.url, **shape)
        run.database = db.kind
        runs.append(run)
        verdicts[db.kind] = verdict(run, twin)
        found += problems(run, args.warmup + args.requests)
    results = {
        "machine": machine(),
        "arguments": vars(args) | {"database_url": bool(args.database_url)},
        "runs": [asdict(r) for r in runs],
        "verdicts": verdicts,
        "problems": found,
    }
    print(json.dumps(results, indent=2) if args.json else summary(results))
    return 1 if found else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main(sys.argv[1:]))
