"""A message that cannot be taken in is set aside with its reason, and everything after it flows."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from bot.adapters.telegram import TelegramAdapter, TelegramPoller
from bot.cli import app as cli
from bot.clock import SystemClock
from bot.db import make_engine
from bot.ingest import ingest_lines
from bot.models import Mention, SetAside, SourceCursor
from bot.pipeline.batch_intake import poll_round
from bot.pipeline.set_aside import set_aside
from bot.registry import ContentRegistry
from bot.services import Services
from tests.conftest import PG_URL, add_user
from tests.factories import mention_json
from tests.fakes.content import adapter_registry
from tests.fakes.telegram_api import TOKEN, FakeTelegram, private_chat, user
from tests.live_server import serve
from tests.test_web import sign_in

QUESTION = "Hoe lang duurt de bezorging van mijn bestelling?"
CLOCK = SystemClock()  # the fake Bot API dates its messages by the machine's clock
DEEP = '{"a":' * 10_000 + "1" + "}" * 10_000


@pytest.fixture
def fake() -> Iterator[tuple[FakeTelegram, str]]:
    server = FakeTelegram()
    with serve(server.app) as url:
        yield server, url


def adapter(url: str) -> TelegramAdapter:
    return TelegramAdapter(TOKEN, api_url=url, timeout=5, poll_timeout=0, pace=(0.05, 0.05, 0.0))


def texts(session: Session) -> list[str]:
    session.expire_all()
    return [m.text for m in session.exec(select(Mention).order_by(col(Mention.id))).all()]


def kept(session: Session) -> list[SetAside]:
    session.expire_all()
    return list(session.exec(select(SetAside).order_by(col(SetAside.id))).all())


def test_telegram_updates_that_always_fail_are_set_aside_and_the_ones_after_them_flow(
    fake: tuple[FakeTelegram, str], session: Session, tmp_path: Path
) -> None:
    server, url = fake
    registry = adapter_registry(tmp_path / "content")
    server.message(private_chat(1001), user(1001), "Waar blijft\x00 mijn pakket?\x07")
    # a date no clock can show: the library cannot read the update at all
    unreadable = server.message(private_chat(1002), user(1002), QUESTION, date=10**20)
    # a chat name holding U+0000 ends up in the message's link: an address is never mended
    server.message({**private_chat(1003), "username": "anna\x00w"}, user(1003), QUESTION)
    last = server.message(private_chat(1004), user(1004), QUESTION)
    bot = adapter(url)
    try:
        assert poll_round(TelegramPoller(bot, registry), registry)(session, CLOCK.now()) == 2
        assert poll_round(TelegramPoller(bot, registry), registry)(session, CLOCK.now()) == 0
    finally:
        bot.close()
    # the stray NUL and bell cost the customer nothing; the later message came in as well
    assert texts(session) == ["Waar blijft mijn pakket?", QUESTION]
    first, second = kept(session)
    assert (first.platform, first.source) == ("telegram", f"update {unreadable['update_id']}")
    assert "could not be read" in first.reason and "10000000000000000000" in first.payload
    assert second.reason == "its link holds U+0000 or half a surrogate pair"
    assert "anna\\u0000w" in second.payload, "U+0000 is written out so PostgreSQL stores it"
    assert server.updates == [], "getUpdates was asked past them: Telegram forgets them"
    cursor = session.exec(select(SourceCursor).where(SourceCursor.platform == "telegram")).one()
    assert cursor.cursor == str(last["update_id"] + 1)

    # Telegram sends an unconfirmed update again: after a restart the stored offset skips it
    server.updates.append(unreadable)
    restarted = adapter(url)
    try:
        assert poll_round(TelegramPoller(restarted, registry), registry)(session, CLOCK.now()) == 0
    finally:
        restarted.close()
    assert len(kept(session)) == 2 and len(texts(session)) == 2


def test_a_webhook_update_that_cannot_be_read_is_set_aside_and_answered_200(
    fake: tuple[FakeTelegram, str], engine: Engine, db_url: str, tmp_path: Path
) -> None:
    from bot.main import create_app
    from bot.settings import Settings

    server, url = fake
    registry = adapter_registry(tmp_path / "content")
    settings = Settings(
        database_url=db_url,
        guidelines_dir=registry.guidelines_dir,
        faq_dir=registry.faq_dir,
        telegram_webhook_secret="hook-secret-xyz",
    )
    bot = adapter(url)
    poison = server.message(private_chat(1002), user(1002), QUESTION, date=10**20)
    good = server.message(private_chat(1004), user(1004), QUESTION)
    stray = server.message(private_chat(1005), user(1005), "Is mijn\u0000 pakket onderweg?")
    right = {"X-Telegram-Bot-Api-Secret-Token": "hook-secret-xyz"}
    try:
        with Session(engine) as session:
            from bot import pipeline

            pipeline.sync_communities(session, registry, now=CLOCK.now())
        app = create_app(Services(settings, engine, registry, {"telegram": bot}, CLOCK), run_jobs=False)
        with TestClient(app) as client:
            # a 4xx would make Telegram send it again and again, holding back every later update
            assert client.post("/webhooks/telegram", json=poison, headers=right).status_code == 200
            assert client.post("/webhooks/telegram", json=good, headers=right).status_code == 200
            assert client.post("/webhooks/telegram", json=stray, headers=right).status_code == 200
    finally:
        bot.close()
    with Session(engine) as session:
        assert texts(session) == [QUESTION, "Is mijn pakket onderweg?"]
        [row] = kept(session)
    assert row.source == f"update {poison['update_id']}"


def jsonl(*lines: str) -> str:
    return "".join(line + "\n" for line in lines)


def test_ingest_sets_bad_lines_aside_commits_the_rest_and_a_rerun_duplicates_nothing(
    session: Session, registry: ContentRegistry
) -> None:
    lines = [
        json.dumps(mention_json("m-1")),
        json.dumps(mention_json("m-2", "Waar is\u0000 mijn pakket?")),
        DEEP,
        "{not json",
        json.dumps(mention_json("m-\u00005")),
        json.dumps(mention_json("m-6", "Kan ik ook achteraf betalen?")),
    ]
    # batch=3: the bad lines sit inside a batch, and the good ones of that batch are kept
    summary = ingest_lines(session, lines, registry, clock=CLOCK, batch=3, source="export.jsonl")
    assert (summary.accepted, summary.duplicate) == (3, 0)
    assert [n for n, _ in summary.rejected] == [3, 4, 5]
    assert texts(session) == [
        "Hoe lang duurt de bezorging van mijn bestelling?",
        "Waar is mijn pakket?",
        "Kan ik ook achteraf betalen?",
    ]
    rows = kept(session)
    assert [(r.platform, r.source) for r in rows] == [("ingest", f"export.jsonl line {n}") for n in (3, 4, 5)]
    assert [r.reason for r in rows] == [
        "nested too deeply to read: a mention is a flat JSON object",
        "not valid JSON: Expecting property name enclosed in double quotes at column 2",
        "its external id holds U+0000 or half a surrogate pair",
    ]
    assert rows[2].payload == lines[4], "kept as it was written"
    again = ingest_lines(session, lines, registry, clock=CLOCK, batch=3, source="export.jsonl")
    assert (again.accepted, again.duplicate, len(again.rejected)) == (0, 3, 3)
    assert len(texts(session)) == 3 and len(kept(session)) == 3, "nothing twice, not even set aside"


def test_the_ingest_command_says_what_was_taken_in_and_set_aside(env: str, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    file = tmp_path / "export.jsonl"
    file.write_text(jsonl(json.dumps(mention_json("m-1")), DEEP, json.dumps(mention_json("m-3"))))
    result = runner.invoke(cli, ["ingest", str(file)])
    assert result.exit_code == 1, result.output
    assert "taken in: 2  duplicates: 0  set aside: 1" in result.output
    assert "line 2: nested too deeply to read" in result.output
    assert "Traceback" not in result.output


@pytest.mark.skipif(not PG_URL, reason="needs WEBCARE_TEST_POSTGRES_URL (required on CI)")
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # ends a connection, renames a table
def test_passing_database_failures_set_nothing_aside(
    db_url: str, session: Session, registry: ContentRegistry
) -> None:
    session.close()  # the fixture put the communities in place
    engine = make_engine(db_url)
    lines = [json.dumps(mention_json(f"m-{n}", author_id=f"u-{n}")) for n in range(1, 7)]

    def at_line_4(act: str) -> Callable[[], None]:
        seen = 0

        def on_line() -> None:
            nonlocal seen
            seen += 1
            if seen == 4:
                with engine.begin() as other:
                    other.execute(sa.text(act))

        return on_line

    try:
        # PostgreSQL restarted: ingest's connection is cut; it reconnects and the file flows
        cut = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ingest'"
        with Session(engine) as session:
            session.connection().exec_driver_sql("SET application_name = 'ingest'")
            summary = ingest_lines(session, lines, registry, clock=CLOCK, on_line=at_line_4(cut))
        assert (summary.accepted, summary.rejected) == (6, [])
        # a database that is not what the code expects (not migrated): the run stops, nothing set aside
        more = [json.dumps(mention_json(f"n-{n}", author_id=f"v-{n}")) for n in range(1, 7)]
        gone = at_line_4("ALTER TABLE mention RENAME TO mention_away")
        with Session(engine) as session, pytest.raises(sa.exc.ProgrammingError):
            ingest_lines(session, more, registry, clock=CLOCK, on_line=gone, batch=1)
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE mention_away RENAME TO mention"))
        with Session(engine) as session:
            assert kept(session) == [], "a passing failure is no reason to set a message aside"
            again = ingest_lines(session, more, registry, clock=CLOCK)
            assert (again.accepted, again.duplicate, again.rejected) == (3, 3, [])
            assert len(texts(session)) == 12
    finally:
        engine.dispose()


def test_metrics_count_and_admins_see_what_was_set_aside_and_agents_are_refused(
    services: Services, client: TestClient, api: TestClient
) -> None:
    with Session(services.engine) as session:
        now = services.clock.now()
        for n in (1, 2):
            payload = f'{{"update_id": {n}, "text": "Hallo\\u0000"}}'
            set_aside(
                session, platform="telegram", source=f"update {n}", payload=payload, reason="R", now=now
            )
        set_aside(
            session,
            platform="ingest",
            source="export.jsonl line 3",
            payload='{"a": <script>alert(1)</script>',
            reason="not valid JSON: Expecting value at column 7",
            now=now,
        )
    metrics = api.get("/metrics").text
    assert 'webcare_set_aside_total{platform="telegram"} 2.0' in metrics
    assert 'webcare_set_aside_total{platform="ingest"} 1.0' in metrics

    add_user(services, "root", role="admin")
    add_user(services, "agent1")
    sign_in(client, "agent1")
    refused = client.get("/set-aside")
    assert refused.status_code == 403 and "update 1" not in refused.text
    assert refused.text == client.get("/users").text, "the same refusal as the other admin pages"
    assert "needs the admin role" in refused.text
    assert 'href="/set-aside"' not in client.get("/queue").text
    client.cookies.clear()
    sign_in(client, "root")
    page = client.get("/set-aside")
    assert page.status_code == 200
    assert page.text.index("export.jsonl line 3") < page.text.index("update 2") < page.text.index("update 1")
    assert "not valid JSON: Expecting value at column 7" in page.text
    assert "&lt;script&gt;" in page.text and "<script>alert" not in page.text
    assert 'href="/set-aside"' in client.get("/queue").text


def test_ingest_into_a_database_not_yet_migrated_stops_in_one_line_and_exits_2(
    env: str, tmp_path: Path
) -> None:
    file = tmp_path / "export.jsonl"
    file.write_text(jsonl(json.dumps(mention_json("m-1"))))
    (Path(env.removeprefix("sqlite:///")).parent).mkdir(parents=True, exist_ok=True)
    result = CliRunner().invoke(cli, ["ingest", str(file)])
    assert result.exit_code == 2, result.output
    assert "Stopped: the database failed" in result.output and "Traceback" not in result.output
    assert "Run the same command again once it answers" in result.output
    assert runner_ok(["migrate"]) and runner_ok(["ingest", str(file)])


def runner_ok(args: list[str]) -> bool:
    result = CliRunner().invoke(cli, args)
    return result.exit_code == 0


def test_a_reddit_item_that_cannot_be_taken_in_is_set_aside_and_the_ones_after_it_flow(
    session: Session, tmp_path: Path
) -> None:
    from bot.adapters.reddit import RedditAdapter, RedditPoller
    from bot.settings import Settings
    from tests.fakes import reddit_api

    server = reddit_api.FakeReddit()
    registry = adapter_registry(tmp_path / "content")
    sub = "wijnliefhebbers"
    bad = server.post(sub, "De Kelder levert niet", "Waar blijft het?", author="anna\x00w", age=100)
    server.post(sub, "Vraag over De Kelder", "Hoe lang duurt de bezorging?", age=50)
    with serve(server.app) as url:
        settings = Settings(
            reddit_client_id=reddit_api.CLIENT_ID,
            reddit_client_secret=reddit_api.CLIENT_SECRET,
            reddit_username=reddit_api.USERNAME,
            reddit_password=reddit_api.PASSWORD,
            reddit_oauth_url=url,
            reddit_url=url,
            http_timeout_seconds=3,
        )
        poller = RedditPoller(RedditAdapter.from_settings(settings), registry)
        assert poll_round(poller, registry)(session, CLOCK.now()) == 1
        assert poll_round(poller, registry)(session, CLOCK.now()) == 0
    assert texts(session) == ["Vraag over De Kelder\n\nHoe lang duurt de bezorging?"]
    [row] = kept(session)
    assert (row.platform, row.source) == ("reddit", f"r/{sub} {bad['name']}")
    assert row.reason == "its author id holds U+0000 or half a surrogate pair"
