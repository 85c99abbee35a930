"""Queue page benchmark: the review queue's latency with 1,000,000 mentions in the database.

Not a test: a script that seeds a fresh database with bulk inserts, then times GET /queue (the
whole request: session check, query, count, template) for common filter combinations.

    python bench/queue_page.py                          # 1,000,000 mentions on a fresh SQLite file
    python bench/queue_page.py -n 100000 -r 100         # smaller and quicker
    python bench/queue_page.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/queue_page.py --database-url ... --keep-schema bench_q1m   # seed once, re-time later
    python bench/queue_page.py --smoke                  # seconds: every scenario once (the tests run it)

On PostgreSQL it works in a schema it creates for the run (bench_<random>) and drops afterwards.
(Named queue_page.py, not queue.py: `python bench/queue.py` would shadow the standard library's queue.)
"""

from __future__ import annotations

import argparse
import json
import random
import re
import secrets
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/queue_page.py` puts bench/, not the repo, on the path
    sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from scratch_db import scratch_database  # noqa: E402
from sqlalchemy import Table, create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import Connection, Engine, make_url  # noqa: E402
from sqlmodel import Session, SQLModel, select  # noqa: E402

from bot import accounts, migrations  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.main import build_services, create_app  # noqa: E402
from bot.models import Conversation, Customer, Draft, Mention, User  # noqa: E402
from bot.settings import Settings  # noqa: E402

COMMUNITIES = ("dekelder-nl", "dekelder-en")
PLATFORMS = ("telegram", "reddit", "rss", "webhook", "console")
SENTIMENT = (("negative", -0.6), ("neutral", 0.0), ("neutral", 0.1), ("positive", 0.7), ("neutral", 0.0))
# of a million mentions most were handled long ago; the queue holds the open ones
STATUSES = ("pending",) * 10 + ("sent",) * 70 + ("rejected",) * 10 + ("answered",) * 8 + ("failed",) * 2
WORDS = ("bezorging", "levertijd", "pakket", "retour", "wijn", "fles", "kurk", "bestelling", "korting")
PRIORITIES = ("normal",) * 12 + ("high",) * 5 + ("low",) * 2 + ("urgent",)
PASSWORD = secrets.token_urlsafe(16)
SCENARIOS: dict[str, dict[str, str]] = {
    "default (pending, by deadline)": {},
    "page 20": {"page": "20"},
    "community": {"community": "dekelder-en"},
    "language + priority": {"language": "nl", "priority": "high"},
    "sentiment negative": {"sentiment": "negative"},
    "platform reddit": {"platform": "reddit"},
    "assigned to me": {"mine": "1"},
    "status failed": {"status": "failed"},
    "all filters": {
        "community": "dekelder-nl",
        "platform": "telegram",
        "sentiment": "negative",
        "priority": "high",
    },
    "search (common word)": {"q": "bezorging"},
    "search (rare: 1 mention)": {"q": "nummer 123456"},
    "search (1,111 mentions)": {"q": "nummer 999"},  # 999, 9990-9999, 99900-99999, 999000-999999
    "search (11,111 mentions)": {"q": "nummer 99"},  # more than the index hands over: the walk
    "search (no match)": {"q": "zzzz-nothing"},
}


@contextmanager
def fresh_database(
    base_url: str | None, keep: Path | None = None, keep_schema: str = ""
) -> Iterator[tuple[str, str]]:
    """(kind, url) of a migrated SQLite file or a PostgreSQL schema of its own; removed after
    unless kept (seeding a million rows takes minutes)."""
    if keep is not None:
        url = f"sqlite:///{keep}"
        migrations.upgrade(url)
        yield "sqlite", url
        return
    if base_url and keep_schema:
        admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{keep_schema}"'))
        admin.dispose()
        query = {"options": f"-csearch_path={keep_schema}"}
        url = make_url(base_url).update_query_dict(query).render_as_string(hide_password=False)
        migrations.upgrade(url)
        yield "postgresql", url
        return
    with scratch_database(base_url) as found:
        yield found


def _seeded(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM mention)")).scalar())
    finally:
        engine.dispose()


def _rows(start: int, stop: int, now: datetime, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """One batch of customers, conversations, mentions and drafts (one thread per mention)."""
    out: dict[str, list[dict[str, Any]]] = {"customer": [], "conversation": [], "mention": [], "draft": []}
    for i in range(start, stop):
        platform, community = PLATFORMS[i % 5], COMMUNITIES[i % 7 == 0]
        label, score = SENTIMENT[rng.randrange(5)]
        created = now - timedelta(minutes=rng.randrange(60 * 24 * 90))
        language = "en" if community == "dekelder-en" else "nl"
        text_ = f"Vraag over {rng.choice(WORDS)} en {rng.choice(WORDS)} nummer {i}"
        customer_id = i // 10 + 1  # one customer in ten writes again: the history has something to show
        if i % 10 == 0:
            out["customer"].append(
                {"id": customer_id, "platform": platform, "platform_user_id": f"u{i}", "created_at": created}
            )
        common = {"community_id": community, "customer_id": customer_id, "platform": platform}
        thread = {"channel": "c", "created_at": created}
        out["conversation"].append(
            {"id": i + 1, **common, **thread, "thread_ref": f"t{i}", "updated_at": created}
        )
        out["mention"].append(
            {"id": i + 1, **common, **thread, "external_id": f"e{i}", "conversation_id": i + 1, "text": text_}
            | {"received_at": created, "language": language, "sentiment": score, "sentiment_label": label}
            | {"signals": []}
        )
        out["draft"].append(
            {"id": i + 1, "mention_id": i + 1, "conversation_id": i + 1, "community_id": community}
            | {
                "status": STATUSES[rng.randrange(100)],
                "text": text_,
                "original_text": text_,
                "language": language,
            }
            | {
                "priority": PRIORITIES[rng.randrange(len(PRIORITIES))],
                "due_at": created + timedelta(hours=24),
            }
            | {
                "reasons": [],
                "alternatives": [],
                "candidates": [],
                "created_at": created,
                "updated_at": created,
            }
            | {"assigned_to": "bench" if i % 97 == 0 else ""}
        )
    return out


def seed(engine: Engine, n: int, batch: int = 20_000) -> float:
    """Insert n mentions (and their customers, threads and drafts) in batches; seconds taken."""
    tables: dict[str, Table] = {
        str(m.__tablename__): SQLModel.metadata.tables[str(m.__tablename__)]
        for m in (Customer, Conversation, Mention, Draft)
    }
    rng, now, started = random.Random(42), datetime.now(UTC), time.perf_counter()
    with engine.begin() as conn:  # PostgreSQL checks the foreign keys; the app fills in names later
        communities = [{"id": c, "name": c, "revision": "bench", "loaded_at": now} for c in COMMUNITIES]
        conn.execute(insert(SQLModel.metadata.tables["community"]), communities)
    for start in range(0, n, batch):
        rows = _rows(start, min(start + batch, n), now, rng)
        with engine.begin() as conn:
            for name in ("customer", "conversation", "mention", "draft"):
                if rows[name]:
                    conn.execute(insert(tables[name]), rows[name])
        print(f"\r  seeded {min(start + batch, n):,} / {n:,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    with engine.begin() as conn:
        _analyze(conn)
    return time.perf_counter() - started


def _analyze(conn: Connection) -> None:
    # fresh statistics, as autovacuum / a long-running SQLite would have them
    conn.execute(text("ANALYZE"))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation."""
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@contextmanager
def signed_in_client(url: str) -> Iterator[TestClient]:
    """A client on the app with the demo content (started as the server starts it, lifespan
    included), signed in as the user 'bench'."""
    settings = Settings(database_url=url, guidelines_dir=ROOT / "guidelines", faq_dir=ROOT / "faq")
    services = build_services(settings, SystemClock())
    now = services.clock.now()
    with Session(services.engine) as session:
        user = session.exec(select(User).where(User.username == "bench")).first()
        if user is None:
            accounts.add_user(session, username="bench", password=PASSWORD, role="agent", now=now)
        else:  # a kept database from an earlier run
            accounts.set_password(session, user=user, password=PASSWORD, now=now)
    with TestClient(create_app(services, run_jobs=False)) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        form = {"username": "bench", "password": PASSWORD, "csrf_token": token[1]}
        signed = client.post("/login", data=form)
        assert signed.status_code == 200, signed.status_code
        yield client


def time_scenarios(client: TestClient, requests: int) -> dict[str, dict[str, float]]:
    """p50/p95/max in ms of GET /queue per scenario, after two warm-up requests."""
    results = {}
    for name, params in SCENARIOS.items():
        timings = []
        cpu = 0.0
        for i in range(requests + 2):
            if i == 2:
                cpu = time.process_time()
            started = time.perf_counter()
            response = client.get("/queue", params=params)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, (name, response.status_code)
            if i >= 2:
                timings.append(elapsed * 1000)
        # CPU time of this process (client and app) per request: steadier than wall time on a busy machine
        cpu_ms = (time.process_time() - cpu) * 1000 / requests
        rows = response.text.count('class="row"')
        results[name] = {"p50": statistics.median(timings), "p95": percentile(timings, 95),
                         "max": max(timings), "cpu": cpu_ms, "rows": rows}  # fmt: skip
        print(f"  {name:32} p50 {results[name]['p50']:7.1f} ms   p95 {results[name]['p95']:7.1f} ms"
              f"   cpu {cpu_ms:6.1f} ms   rows {rows}", file=sys.stderr)  # fmt: skip
    return results


def main(argv: Sequence[str]) -> int:
    """Seed, measure, print a summary (and JSON with --json)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--mentions", type=int, default=1_000_000)
    parser.add_argument("-r", "--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--database-url", help="PostgreSQL to run on (a schema of its own)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", type=Path, help="SQLite file to seed once and reuse on later runs")
    parser.add_argument(
        "--keep-schema", default="", help="with --database-url: PostgreSQL schema to seed once and reuse"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="200 mentions, one request per scenario: seconds (the tests run it)",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.mentions, args.requests = 200, 1
    if args.keep_schema and not re.fullmatch(r"bench_\w+", args.keep_schema):
        parser.error("--keep-schema must be named bench_<something>: it is never dropped for you")
    with fresh_database(args.database_url, args.keep, args.keep_schema) as (kind, url):
        seeded = _seeded(url)
        engine = create_engine(url)
        print(f"{kind}: seeding {args.mentions:,} mentions" if not seeded else "reusing", file=sys.stderr)
        seconds = 0.0 if seeded else seed(engine, args.mentions)
        engine.dispose()
        print(f"  {seconds:.0f} s to seed; timing GET /queue, {args.requests} requests each", file=sys.stderr)
        with signed_in_client(url) as client:
            results = time_scenarios(client, args.requests)
    worst = max(r["p95"] for name, r in results.items() if not name.startswith("search"))
    print(f"{kind}: worst p95 without search {worst:.1f} ms ({'under' if worst < 100 else 'OVER'} 100 ms)")
    if args.json:
        print(
            json.dumps(
                {"database": kind, "mentions": args.mentions, "seed_seconds": seconds, "results": results}
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
