"""Ingest benchmark: pipeline throughput and API latency under concurrent posts.

Not a test: a script that measures and prints a summary (or JSON with --json).

    python bench/ingest.py                      # both parts on a fresh SQLite file
    python bench/ingest.py pipeline -n 5000     # mentions/s from intake to stored draft
    python bench/ingest.py api -m 2000 -c 16    # POST /api/v1/mentions under 16 clients
    python bench/ingest.py all --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/ingest.py --smoke              # seconds: a few mentions through each part (tests)

With --database-url the same parts also run on PostgreSQL, inside a schema the script creates
for the run (bench_<random>) and drops afterwards; no other schema is touched.
All HTTP traffic goes to 127.0.0.1 only, is bounded in count (-m) and in time (--timeout).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import os
import platform
import pstats
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/ingest.py` puts bench/, not the repo, on the path
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import yaml  # noqa: E402
from scratch_db import scratch_database  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from bot import pipeline  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.db import make_engine  # noqa: E402
from bot.encoder_cache import load_encoder  # noqa: E402
from bot.ingest import ingest_lines  # noqa: E402
from bot.models import Draft, Mention  # noqa: E402
from bot.registry import ContentRegistry  # noqa: E402
from responders import domain  # noqa: E402
from responders.engine import respond  # noqa: E402

GUIDELINES = ROOT / "guidelines"
FAQ = ROOT / "faq"
DEMO_MENTIONS = ROOT / "demo" / "mentions.jsonl"
# a throwaway token for a throwaway server on 127.0.0.1 (settings want at least 16 characters)
TOKEN = "bench-token-127.0.0.1-only"  # noqa: S105
CHANNELS = {"nl": "demo-nl", "en": "demo-en"}
TARGET_PER_SECOND = 500.0
CLOCK = SystemClock()  # a benchmark runs on the wall clock: its mentions are dated just before it

# Endings people add to a question: greetings, names, order numbers, emoji, extra context.
SUFFIXES = {
    "nl": [
        "",
        "alvast bedankt!",
        "groetjes, {name}",
        "ordernummer DK-{n}",
        "🍷",
        "iemand een idee?",
        "het is best dringend",
        "(bestelling van {d} november)",
        "thx",
        "ik hoor het graag",
    ],
    "en": [
        "",
        "thanks in advance!",
        "cheers, {name}",
        "order DK-{n}",
        "🍷",
        "anyone know?",
        "it's quite urgent",
        "(ordered on {d} November)",
        "ty",
        "would love to hear",
    ],
}
NAMES = ["Sanne", "Martijn", "Hannah", "Joost", "Fatima", "Pieter", "Emma", "Daan", "Lotte", "Sam"]


# --- the mentions -----------------------------------------------------------------------------


def _demo_language(record: dict[str, Any]) -> str:
    channel = str(record.get("channel", ""))
    return "en" if "international" in channel or "winelovers" in channel else "nl"


def load_texts() -> dict[str, list[str]]:
    """Realistic texts per language: FAQ questions and examples plus the demo mentions."""
    texts: dict[str, list[str]] = {"nl": [], "en": []}
    for file in sorted(FAQ.rglob("*.y*ml")):
        entries = yaml.safe_load(file.read_text(encoding="utf-8")) or []
        for entry in entries:
            language = str(entry.get("language", file.parent.name))
            if language not in texts:
                continue
            texts[language].append(str(entry["question"]))
            texts[language].extend(str(example) for example in entry.get("examples", []))
    if DEMO_MENTIONS.exists():
        for line in DEMO_MENTIONS.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                texts[_demo_language(record)].append(str(record["text"]))
    return texts


def build_mentions(
    count: int, *, seed: int, prefix: str, fresh_authors: bool = False
) -> list[domain.Mention]:
    """count distinct mentions on the demo channels: about 60 % Dutch, 40 % English.

    Authors come from a pool so customers come back; one in five mentions continues an
    earlier thread of the same channel, the rest open a thread of their own. With
    fresh_authors every mention has an author and a thread of its own.
    """
    rng = random.Random(seed)
    texts = load_texts()
    authors = [
        domain.Author(
            id=f"{prefix}-u{i}",
            handle=f"{rng.choice(NAMES).lower()}_{i}",
            name=rng.choice(NAMES),
            followers=rng.choice([None, rng.randint(0, 5000)]),
        )
        for i in range(count if fresh_authors else max(count // 8, 1))
    ]
    # recent posts: a guideline ignores posts older than a week, and drafting is what is measured
    start = datetime.now(UTC) - timedelta(seconds=7 * count + 3600)
    threads: dict[str, list[str]] = {"nl": [], "en": []}
    mentions: list[domain.Mention] = []
    for i in range(count):
        language = "nl" if rng.random() < 0.6 else "en"
        suffix = rng.choice(SUFFIXES[language]).format(
            name=rng.choice(NAMES), n=rng.randint(100000, 999999), d=rng.randint(1, 22)
        )
        body = rng.choice(texts[language])
        if rng.random() < 0.3:
            body = body[:1].upper() + body[1:]
        external_id = f"{prefix}-{i}"
        reply = not fresh_authors and threads[language] and rng.random() < 0.2
        thread_ref = rng.choice(threads[language]) if reply else external_id
        threads[language].append(thread_ref)
        mentions.append(
            domain.Mention(
                platform="console",
                channel=CHANNELS[language],
                external_id=external_id,
                author=authors[i] if fresh_authors else rng.choice(authors),
                text=f"{body} {suffix}".strip(),
                created_at=start + timedelta(seconds=7 * i),
                url="",
                thread_ref=thread_ref,
            )
        )
    return mentions


def to_json(mention: domain.Mention) -> dict[str, Any]:
    """The body POST /api/v1/mentions takes (bot.schemas.MentionIn)."""
    a = mention.author
    return {
        "platform": mention.platform,
        "channel": mention.channel,
        "external_id": mention.external_id,
        "author": {"id": a.id, "handle": a.handle, "name": a.name, "followers": a.followers},
        "text": mention.text,
        "url": mention.url,
        "created_at": mention.created_at.isoformat(),
        "thread_ref": mention.thread_ref,
    }


# --- databases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """A freshly migrated database for one run."""

    kind: str  # "sqlite" or "postgresql"
    url: str  # with the search path of the run's schema on PostgreSQL


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def fresh_database(base_url: str | None) -> Iterator[Database]:
    """A migrated SQLite file in a temp dir, or a schema of its own on PostgreSQL; removed after."""
    with scratch_database(base_url) as (kind, url):
        yield Database(kind, url)


def count_rows(url: str) -> dict[str, Any]:
    """Mentions and drafts stored, and the drafts by action, to check nothing was lost."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            mentions = session.exec(select(func.count()).select_from(Mention)).one()
            drafts = session.exec(select(func.count()).select_from(Draft)).one()
            actions = dict(session.exec(select(Draft.action, func.count()).group_by(Draft.action)).all())
    finally:
        engine.dispose()
    return {
        "mentions": int(mentions),
        "drafts": int(drafts),
        "actions": {str(k): int(v) for k, v in actions.items()},
    }


# --- statistics -------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def latency_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p90, p99, max and mean of durations, in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "p50_ms": round(percentile(ms, 50), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms, default=0.0), 2),
        "mean_ms": round(statistics.fmean(ms), 2) if ms else 0.0,
    }


# --- part 1: pipeline throughput --------------------------------------------------------------


@dataclass
class PipelineResult:
    """Mentions per second from intake to stored draft, in one process."""

    database: str
    mode: str  # "single": a commit per mention (API, pollers); "batched": `webcare ingest`
    mentions: int
    warmup: int
    seconds: float
    per_second: float
    cpu_seconds: float
    cpu_per_second: float
    latency: dict[str, float]
    engine_ms: float
    stored: dict[str, Any]
    target_per_second: float = TARGET_PER_SECOND
    profile: str = ""


def _receive_each(
    session: Session, registry: ContentRegistry, mentions: Sequence[domain.Mention]
) -> list[float]:
    """One pipeline.receive and commit per mention, as the API and the pollers do; the durations."""
    durations = []
    for mention in mentions:
        t0 = time.perf_counter()
        result = pipeline.receive(session, mention, registry, now=CLOCK.now())
        durations.append(time.perf_counter() - t0)
        assert not result.duplicate, mention.external_id
    return durations


def _ingest_file(
    session: Session, registry: ContentRegistry, mentions: Sequence[domain.Mention]
) -> list[float]:
    """The JSON lines `webcare ingest` reads, through the same code; the time between lines."""
    lines = [json.dumps(to_json(m)) for m in mentions]
    marks: list[float] = []
    summary = ingest_lines(
        session, lines, registry, clock=CLOCK, on_line=lambda: marks.append(time.perf_counter())
    )
    marks.append(time.perf_counter())
    assert summary.accepted == len(lines), summary
    return [b - a for a, b in itertools.pairwise(marks)]


MODES = {"single": _receive_each, "batched": _ingest_file}


def run_pipeline(
    base_url: str | None,
    *,
    mode: str,
    count: int,
    warmup: int,
    seed: int,
    profile: bool,
    encoder: str = "",
) -> PipelineResult:
    """Time count new mentions from intake to stored draft on a fresh database, after a warm-up."""
    registry = ContentRegistry(GUIDELINES, FAQ, load_encoder(encoder))
    mentions = build_mentions(warmup + count, seed=seed, prefix=f"pipe{seed}")
    with fresh_database(base_url) as db:
        engine = make_engine(db.url)
        try:
            with Session(engine) as session:
                pipeline.sync_communities(session, registry, now=CLOCK.now())
                MODES[mode](session, registry, mentions[:warmup])
                profiler = cProfile.Profile() if profile else None
                if profiler:
                    profiler.enable()
                began, cpu_began = time.perf_counter(), time.process_time()
                durations = MODES[mode](session, registry, mentions[warmup:])
                elapsed = time.perf_counter() - began
                cpu = time.process_time() - cpu_began
                if profiler:
                    profiler.disable()
        finally:
            engine.dispose()
        stored = count_rows(db.url)
    engine_ms = engine_only(registry, mentions[warmup:])
    report = ""
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(25)
        report = out.getvalue()
    return PipelineResult(
        database=db.kind,
        mode=mode,
        mentions=count,
        warmup=warmup,
        seconds=round(elapsed, 3),
        per_second=round(count / elapsed, 1),
        cpu_seconds=round(cpu, 3),
        cpu_per_second=round(count / cpu, 1) if cpu else 0.0,
        latency=latency_ms(durations),
        engine_ms=engine_ms,
        stored=stored,
        profile=report,
    )


def engine_only(registry: ContentRegistry, mentions: Sequence[domain.Mention]) -> float:
    """Mean ms of responders.engine.respond alone (no database), to split core from storage."""
    context = domain.Context(now=CLOCK.now())
    communities = [registry.community_for(m.platform, m.channel) for m in mentions]
    began = time.process_time()
    for mention, community in zip(mentions, communities, strict=True):
        assert community is not None
        respond(mention, context, community)
    return round((time.process_time() - began) * 1000 / max(len(mentions), 1), 3)


# --- part 2: API latency under concurrent posts -----------------------------------------------


@dataclass
class ApiResult:
    """POST /api/v1/mentions against the real app under concurrent clients."""

    database: str
    requests: int
    concurrency: int
    seconds: float
    per_second: float
    latency: dict[str, float]
    errors: int
    server_cpu_ms: float
    fresh_authors: bool
    error_kinds: dict[str, int] = field(default_factory=dict)
    server_exceptions: dict[str, int] = field(default_factory=dict)
    stored: dict[str, Any] = field(default_factory=dict)
    timed_out: bool = False


def serve(url: str, fd: int) -> None:
    """Child process: the real app with uvicorn on the listening socket the parent passed in."""
    import logging

    import uvicorn

    from bot.main import build_services, create_app
    from bot.settings import Settings

    logging.basicConfig(level=logging.WARNING)
    settings = Settings(
        database_url=url,
        api_token=TOKEN,
        guidelines_dir=GUIDELINES,
        faq_dir=FAQ,
        log_level="WARNING",
    )
    app = create_app(build_services(settings, CLOCK), run_jobs=False)
    sock = socket.socket(fileno=fd)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (all threads), from /proc; 0.0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # after the command: state is field 3, utime and stime are fields 14 and 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def app_server(url: str, log: Path, command: Sequence[str] = ()) -> Iterator[tuple[str, int]]:
    """Start the app in a subprocess on 127.0.0.1 and a free port; yield its URL and pid.

    The app's stderr (its log) goes to the file log. `command` starts another app instead (the
    number of the listening socket is added to it); by default this script's `_serve url`.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    port = sock.getsockname()[1]
    start = list(command) or [sys.executable, str(Path(__file__).resolve()), "_serve", url]
    cmd = [*start, str(sock.fileno())]
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            cmd, pass_fds=[sock.fileno()], cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT
        )
    sock.close()  # the child holds its own copies
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the app exited with code {proc.returncode} before it was ready:\n"
                    + log.read_text(errors="replace")[-4000:]
                )
            try:
                if httpx.get(f"{base}/healthz", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the app did not answer /healthz within 60 s")
            time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Violation)): (.*)$", re.MULTILINE)


def server_exceptions(log: str) -> dict[str, int]:
    """The final exceptions of the tracebacks in the app's log, counted (whole run)."""
    found: Counter[str] = Counter()
    for block in log.split("Exception in ASGI application")[1:]:
        matches = _EXCEPTION.findall(block)
        if matches:
            kind, message = matches[-1]
            found[f"{kind}: {message[:160]}"] += 1
    return dict(found)


def post_all(
    base: str, bodies: Sequence[dict[str, Any]], *, concurrency: int, timeout: float
) -> tuple[list[float], Counter[str], float, bool]:
    """Post every body with `concurrency` keep-alive clients; latencies, errors, wall time."""
    lock = threading.Lock()
    position = 0
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    deadline = time.monotonic() + timeout
    timed_out = False
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def worker() -> None:
        nonlocal position, timed_out
        # trust_env=False: no proxy from the environment, the traffic stays on 127.0.0.1
        with httpx.Client(base_url=base, headers=headers, timeout=30, trust_env=False) as client:
            while True:
                with lock:
                    if position >= len(bodies):
                        return
                    if time.monotonic() > deadline:
                        timed_out = True
                        return
                    body = bodies[position]
                    position += 1
                t0 = time.perf_counter()
                try:
                    # drafted before the answer, as this benchmark measured it before the queue
                    # (bench/intake_vs_twin.py measures the default, queued path)
                    response = client.post("/api/v1/mentions?wait=draft", json=body)
                    kind = "" if response.status_code == 202 else f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    kind = type(exc).__name__
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    if kind:
                        errors[kind] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - began, timed_out


def run_api(
    base_url: str | None,
    *,
    count: int,
    concurrency: int,
    warmup: int,
    seed: int,
    timeout: float,
    fresh_authors: bool,
) -> ApiResult:
    """Post count mentions with concurrency clients to the app on a fresh database."""
    mentions = build_mentions(warmup + count, seed=seed, prefix=f"api{seed}", fresh_authors=fresh_authors)
    bodies = [to_json(m) for m in mentions]
    with fresh_database(base_url) as db, tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        with app_server(db.url, log) as (base, pid):
            post_all(base, bodies[:warmup], concurrency=min(concurrency, 4), timeout=timeout)
            cpu_began = cpu_seconds(pid)
            latencies, errors, elapsed, timed_out = post_all(
                base, bodies[warmup:], concurrency=concurrency, timeout=timeout
            )
            server_cpu = cpu_seconds(pid) - cpu_began
        stored = count_rows(db.url)
        exceptions = server_exceptions(log.read_text(errors="replace"))
    done = len(latencies)
    return ApiResult(
        database=db.kind,
        requests=done,
        concurrency=concurrency,
        seconds=round(elapsed, 3),
        per_second=round(done / elapsed, 1) if elapsed else 0.0,
        latency=latency_ms(latencies),
        errors=sum(errors.values()),
        server_cpu_ms=round(server_cpu * 1000 / done, 2) if done else 0.0,
        fresh_authors=fresh_authors,
        error_kinds=dict(errors),
        server_exceptions=exceptions,
        stored=stored,
        timed_out=timed_out,
    )


# --- the command line -------------------------------------------------------------------------


def revision() -> str:
    """The commit measured, with the number of changed files when the tree is not clean."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        ).stdout.splitlines()
    except OSError:
        return "unknown"
    if not head:
        return "unknown (not a git checkout)"
    return f"{head} + {len(changed)} changed files" if changed else head


def machine() -> dict[str, Any]:
    """The facts a reader needs to compare numbers."""
    return {
        "revision": revision(),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def summary(results: dict[str, Any]) -> str:
    """The human-readable report."""
    m = results["machine"]
    lines = [
        f"webcare ingest benchmark: {m['nproc']} CPUs, Python {m['python']}, {m['platform']}, "
        f"load average at start {m['loadavg_at_start']}, at end {m.get('loadavg_at_end')}, "
        f"revision {m['revision']}",
        "",
    ]
    for p in results.get("pipeline", []):
        lat = p["latency"]
        verdict = "meets" if p["per_second"] >= p["target_per_second"] else "BELOW"
        lines += [
            f"pipeline [{p['database']}, {p['mode']}]: {p['mentions']} mentions in {p['seconds']:.2f} s "
            f"= {p['per_second']:.0f}/s ({verdict} target {p['target_per_second']:.0f}/s)",
            f"  per mention: p50 {lat['p50_ms']:.2f} ms  p90 {lat['p90_ms']:.2f} ms  "
            f"p99 {lat['p99_ms']:.2f} ms  max {lat['max_ms']:.2f} ms",
            f"  CPU: {p['cpu_seconds']:.2f} s = {p['cpu_per_second']:.0f} mentions per CPU-second; "
            f"engine alone (no DB) {p['engine_ms']:.2f} ms/mention",
            f"  stored: {p['stored']['mentions']} mentions, {p['stored']['drafts']} drafts, "
            f"actions {p['stored']['actions']}",
        ]
        if p.get("profile"):
            lines += ["", p["profile"]]
    for a in results.get("api", []):
        lat = a["latency"]
        exceptions = [f"    {n} x {e}" for e, n in a["server_exceptions"].items()]
        lines += [
            f"api [{a['database']}]: {a['requests']} POST /api/v1/mentions, "
            f"{a['concurrency']} clients, {a['seconds']:.2f} s = {a['per_second']:.0f} req/s",
            f"  latency: p50 {lat['p50_ms']:.1f} ms  p90 {lat['p90_ms']:.1f} ms  "
            f"p99 {lat['p99_ms']:.1f} ms  max {lat['max_ms']:.1f} ms",
            f"  server CPU {a['server_cpu_ms']:.2f} ms/request"
            + ("  (fresh author and thread per post)" if a["fresh_authors"] else ""),
            f"  errors: {a['errors']} {a['error_kinds'] or ''}"
            + ("  (stopped at --timeout)" if a["timed_out"] else ""),
            f"  stored: {a['stored']['mentions']} mentions, {a['stored']['drafts']} drafts",
        ]
        if exceptions:
            lines += ["  exceptions in the app's log (whole run, warm-up included):", *exceptions]
    return "\n".join(lines)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("part", nargs="?", choices=["pipeline", "api", "all"], default="all")
    parser.add_argument(
        "--mode",
        choices=[*MODES, "both"],
        default="both",
        help="pipeline: a commit per mention (single), `webcare ingest` batches (batched), or both",
    )
    parser.add_argument("-n", "--mentions", type=int, default=5000, help="pipeline: mentions to time")
    parser.add_argument("-m", "--requests", type=int, default=2000, help="api: mentions to post")
    parser.add_argument("-c", "--concurrency", type=int, default=16, help="api: concurrent clients")
    parser.add_argument("--warmup", type=int, default=50, help="untimed mentions first (each part)")
    parser.add_argument("--timeout", type=float, default=600, help="api: stop posting after this many s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        help="also run on this PostgreSQL database, in a schema created and dropped for the run",
    )
    parser.add_argument(
        "--fresh-authors",
        action="store_true",
        help="api: give every post its own author and thread (no concurrent upserts of one row)",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="with --database-url: skip SQLite")
    parser.add_argument("--profile", action="store_true", help="pipeline: cProfile the timed loop")
    parser.add_argument("--encoder", default="", help='pipeline: FAQ sentence embeddings, e.g. "minilm"')
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--save", type=Path, help="also write the results as JSON to this file")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a few mentions through every part, in seconds; exit 1 when one is lost (the tests run it)",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.mentions, args.requests, args.concurrency, args.warmup, args.timeout = 20, 20, 2, 2, 60
    if args.mentions < 1 or args.requests < 1 or args.concurrency < 1 or args.warmup < 0:
        parser.error("counts must be positive")
    if args.requests > 100_000 or args.concurrency > 256:
        parser.error("keep the API run bounded: at most 100000 requests and 256 clients")
    if args.database_url and not args.database_url.startswith("postgresql"):
        parser.error("--database-url takes a postgresql:// URL; SQLite always runs on a temp file")
    if args.no_sqlite and not args.database_url:
        parser.error("--no-sqlite needs --database-url")
    return args


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["_serve"]:
        serve(argv[1], int(argv[2]))
        return 0
    args = parse_args(argv)
    backends: list[str | None] = [] if args.no_sqlite else [None]
    if args.database_url:
        backends.append(args.database_url)
    results: dict[str, Any] = {
        "machine": machine(),
        "arguments": vars(args) | {"database_url": None},
    }
    if args.database_url:
        results["arguments"]["database_url"] = _redacted(args.database_url)
    for backend in backends:
        name = "sqlite" if backend is None else _redacted(backend)
        if args.part in ("pipeline", "all"):
            for mode in MODES if args.mode == "both" else [args.mode]:
                print(
                    f"pipeline on {name}, {mode}: {args.mentions} mentions ...", file=sys.stderr, flush=True
                )
                p = run_pipeline(
                    backend,
                    mode=mode,
                    count=args.mentions,
                    warmup=args.warmup,
                    seed=args.seed,
                    profile=args.profile,
                    encoder=args.encoder,
                )
                results.setdefault("pipeline", []).append(asdict(p))
        if args.part in ("api", "all"):
            print(
                f"api on {name}: {args.requests} posts, {args.concurrency} clients ...",
                file=sys.stderr,
                flush=True,
            )
            a = run_api(
                backend,
                count=args.requests,
                concurrency=args.concurrency,
                warmup=args.warmup,
                seed=args.seed,
                timeout=args.timeout,
                fresh_authors=args.fresh_authors,
            )
            results.setdefault("api", []).append(asdict(a))
    results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    if args.save:
        args.save.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(json.dumps(results, indent=2, default=str) if args.json else summary(results))
    if args.smoke:
        lost = smoke_problems(results, args.warmup + args.mentions, args.warmup + args.requests)
        for problem in lost:
            print(f"smoke: {problem}", file=sys.stderr)
        return 1 if lost else 0
    return 0


def smoke_problems(results: dict[str, Any], mentions: int, requests: int) -> list[str]:
    """What went wrong in a smoke run: a mention not stored, no draft at all, an API error."""
    problems = []
    for part, sent in (("pipeline", mentions), ("api", requests)):
        for run in results.get(part, []):
            stored = run["stored"]
            name = f"{part} [{run['database']}{', ' + run['mode'] if 'mode' in run else ''}]"
            if stored["mentions"] != sent:
                problems.append(f"{name}: {sent} mentions sent, {stored['mentions']} stored")
            if not stored["drafts"]:
                problems.append(f"{name}: no draft made")
            if run.get("errors") or run.get("server_exceptions"):
                problems.append(f"{name}: {run['error_kinds']} {run['server_exceptions']}")
    return problems


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
