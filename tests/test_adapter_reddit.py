"""Reddit with the real praw against a fake Reddit (OAuth, listings, inbox, api/comment) on 127.0.0.1."""

from __future__ import annotations

import io
import logging
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from bot import pipeline
from bot.adapters.base import AdapterError, OutgoingMessage
from bot.adapters.reddit import RedditAdapter, RedditPoller
from bot.clock import SystemClock
from bot.models import Conversation, Customer, Draft, Mention, Outbox
from bot.pipeline.batch_intake import poll_round
from bot.registry import ContentRegistry
from bot.settings import Settings
from responders.content import ContentInvalid
from tests.fakes import reddit_api
from tests.fakes.content import adapter_registry
from tests.fakes.reddit_api import FakeReddit
from tests.live_server import serve

SUB = "wijnliefhebbers"
# the fake Reddit API dates its posts by the machine's clock, so the rounds here run on it too
CLOCK = SystemClock()


@pytest.fixture
def registry(tmp_path: Path) -> ContentRegistry:
    return adapter_registry(tmp_path / "content")


@pytest.fixture
def fake() -> Iterator[tuple[FakeReddit, str]]:
    server = FakeReddit()
    with serve(server.app) as url:
        yield server, url


def adapter_for(url: str, **changes: Any) -> RedditAdapter:
    values: dict[str, Any] = {
        "reddit_client_id": reddit_api.CLIENT_ID,
        "reddit_client_secret": reddit_api.CLIENT_SECRET,
        "reddit_username": reddit_api.USERNAME,
        "reddit_password": reddit_api.PASSWORD,
        "reddit_oauth_url": url,
        "reddit_url": url,
        "http_timeout_seconds": 3,
    }
    settings = Settings(**(values | changes))
    return RedditAdapter.from_settings(settings)


@pytest.fixture
def reddit(fake: tuple[FakeReddit, str]) -> RedditAdapter:
    return adapter_for(fake[1])


def poll(reddit: RedditAdapter, session: Session, registry: ContentRegistry) -> int:
    return poll_round(RedditPoller(reddit, registry), registry)(session, CLOCK.now())


def stored(session: Session) -> dict[str, Mention]:
    session.expire_all()
    return {m.external_id: m for m in session.exec(select(Mention)).all()}


def test_posts_and_comments_with_keywords_and_inbox_mentions_go_in(
    fake: tuple[FakeReddit, str], reddit: RedditAdapter, session: Session, registry: ContentRegistry
) -> None:
    server, _ = fake
    post = server.post(SUB, "Ervaringen met De Kelder?", "Hoe lang duurt de bezorging bij hen?")
    server.post(SUB, "Beste Rioja onder de 15 euro", "Tips?")
    comment = server.comment(SUB, "Ik bestel altijd bij dekelder, snel geleverd", post)
    server.comment(SUB, "Leuk topic", post)
    mention = server.mention("wijnliefhebbers", "u/dekelder_webcare weten jullie de levertijd?")
    server.comment(SUB, "Graag gedaan!", post, author=reddit_api.USERNAME)
    assert poll(reddit, session, registry) == 3
    found = stored(session)
    assert set(found) == {post["name"], comment["name"], mention["name"]}
    assert found[post["name"]].text == "Ervaringen met De Kelder?\n\nHoe lang duurt de bezorging bij hen?"
    assert found[post["name"]].url == f"https://www.reddit.com/r/{SUB}/comments/{post['id']}/x/"
    assert found[mention["name"]].channel == f"r/{SUB}"


def test_it_resumes_after_a_restart_without_repeating_or_missing_items(
    fake: tuple[FakeReddit, str], session: Session, registry: ContentRegistry
) -> None:
    server, url = fake
    for n in range(130):  # more than one page of 100
        server.post(SUB, f"De Kelder vraag {n}", age=1000 - n)
    assert poll(adapter_for(url), session, registry) == 130
    restarted = adapter_for(url)  # a new process: only the database remembers where we were
    assert poll(restarted, session, registry) == 0
    server.post(SUB, "Nog een vraag over De Kelder", age=1)
    assert poll(restarted, session, registry) == 1
    assert len(stored(session)) == 131


def test_end_to_end_the_reply_is_a_comment_under_the_customers_post(
    fake: tuple[FakeReddit, str], reddit: RedditAdapter, session: Session, registry: ContentRegistry
) -> None:
    server, _ = fake
    post = server.post(SUB, "Vraag over De Kelder", "Hoe lang duurt de bezorging?")
    poll(reddit, session, registry)
    mention = stored(session)[post["name"]]
    draft = session.exec(select(Draft).where(Draft.mention_id == mention.id)).one()
    now = CLOCK.now()
    pipeline.approve(session, draft.id or 0, actor="user:agent1", role="senior", now=now)
    assert pipeline.deliver_due(session, {"reddit": reddit}, now=now, worker="t").sent == 1
    [reply] = server.replies
    assert reply["thing_id"] == post["name"] and reply["text"] == draft.text


@pytest.mark.parametrize(
    ("status", "body", "retryable"),
    [
        (429, {"message": "Too Many Requests", "error": 429}, True),
        (503, {"message": "Service Unavailable", "error": 503}, True),
        (403, {"message": "Forbidden", "error": 403}, False),
        (200, {"json": {"errors": [["THREAD_LOCKED", "that thread is locked", "parent"]]}}, False),
        (200, {"json": {"errors": [["RATELIMIT", "you are doing that too much", "ratelimit"]]}}, True),
    ],
)
def test_comment_errors_are_classified(
    fake: tuple[FakeReddit, str], reddit: RedditAdapter, status: int, body: Any, retryable: bool
) -> None:
    fake[0].errors.extend([(status, body)] * 3)  # prawcore retries 5xx itself before giving up
    with pytest.raises(AdapterError) as caught:
        reddit.send(OutgoingMessage("draft:1", f"r/{SUB}", "Hallo", reply_to="t3_abc"))
    assert caught.value.retryable is retryable


def test_rate_limit_headers_make_it_wait_for_the_reset(
    fake: tuple[FakeReddit, str], reddit: RedditAdapter, session: Session, registry: ContentRegistry
) -> None:
    server, _ = fake
    server.post(SUB, "De Kelder?")
    server.rate_limit = {"x-ratelimit-remaining": "0", "x-ratelimit-used": "600", "x-ratelimit-reset": "2"}
    poll(reddit, session, registry)
    times = [at for path, at in server.requests]
    assert len(times) >= 2 and times[1] - times[0] >= 1.5, "the next call waited for the reset"


def test_network_timeouts_come_from_prawcore() -> None:
    # a server that accepts the connection and never answers, like a hung platform
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        hung = adapter_for(f"http://127.0.0.1:{silent.getsockname()[1]}", http_timeout_seconds=0.5)
        started = time.monotonic()
        with pytest.raises(AdapterError) as caught:
            hung.send(OutgoingMessage("draft:1", f"r/{SUB}", "Hallo", reply_to="t3_abc"))
        waited = time.monotonic() - started
    # the sign-in hung, so no comment can have been posted: safe to try again later
    assert caught.value.retryable and not caught.value.interrupted
    assert waited < 2, "prawcore's default of 16 s per try was not used"


@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_error_after_the_comment_was_sent_is_interrupted_not_retried(
    fake: tuple[FakeReddit, str], reddit: RedditAdapter, status: int
) -> None:
    fake[0].errors.extend([(status, {"message": "Bad Gateway", "error": status})] * 3)
    with pytest.raises(AdapterError) as caught:
        reddit.send(OutgoingMessage("draft:1", f"r/{SUB}", "Hallo", reply_to="t3_abc"))
    assert caught.value.interrupted and not caught.value.retryable
    assert len(fake[0].errors) == 2, "prawcore did not post the comment again"


def test_a_comment_reddit_answers_too_late_for_is_posted_once_and_marked_interrupted(
    fake: tuple[FakeReddit, str], session: Session, registry: ContentRegistry
) -> None:
    server, url = fake
    slow = adapter_for(url, http_timeout_seconds=1)
    post = server.post(SUB, "Vraag over De Kelder", "Hoe lang duurt de bezorging?")
    poll(slow, session, registry)
    draft = session.exec(select(Draft).where(Draft.mention_id == stored(session)[post["name"]].id)).one()
    now = CLOCK.now()
    pipeline.approve(session, draft.id or 0, actor="user:agent1", role="senior", now=now)
    server.answer_delay = 2.0  # Reddit posts the comment but answers after our 1 s timeout
    assert pipeline.deliver_due(session, {"reddit": slow}, now=now, worker="t").failed == 1
    server.answer_delay = 0.0
    for minutes in (1, 10, 120):
        later = now + timedelta(minutes=minutes)
        assert pipeline.deliver_due(session, {"reddit": slow}, now=later, worker="t").sent == 0
    assert len(server.replies) == 1, "one comment under the customer's post"
    row = session.exec(select(Outbox).where(Outbox.draft_id == draft.id)).one()
    session.refresh(row)
    assert (row.status, row.error_class) == ("failed", "interrupted")
    assert row.last_error.startswith(pipeline.delivery.INTERRUPTED)


def test_credentials_never_reach_the_logs(
    fake: tuple[FakeReddit, str],
    reddit: RedditAdapter,
    session: Session,
    registry: ContentRegistry,
    debug_logs: io.StringIO,
) -> None:
    server, _ = fake
    server.post(SUB, "Ervaringen met De Kelder?", "Hoe lang duurt de bezorging bij hen?")
    assert poll(reddit, session, registry) == 1
    logged = debug_logs.getvalue()
    assert "prawcore" in logged  # the requests themselves were logged
    for secret in (reddit_api.PASSWORD, reddit_api.CLIENT_SECRET, reddit_api.ACCESS_TOKEN):
        assert secret not in logged, secret


@pytest.mark.parametrize(
    "written",
    [
        "R/Wijnliefhebbers",
        "r/wijnliefhebbers/",
        "/r/wijnliefhebbers",
        "https://www.reddit.com/r/Wijnliefhebbers/",
    ],
)
def test_a_subreddit_written_another_way_is_read_and_its_mentions_routed_to_it(
    fake: tuple[FakeReddit, str], reddit: RedditAdapter, session: Session, tmp_path: Path, written: str
) -> None:
    server, _ = fake
    registry = adapter_registry(tmp_path / "content", subreddits=(written, "inbox"))
    post = server.post(SUB, "Ervaringen met De Kelder?", "Hoe lang duurt de bezorging?")
    mention = server.mention("Wijnliefhebbers", "u/dekelder_webcare weten jullie de levertijd?")
    assert poll(reddit, session, registry) == 2
    found = stored(session)
    assert {found[post["name"]].channel, found[mention["name"]].channel} == {f"r/{SUB}"}


@pytest.mark.parametrize(
    "written", ["wijnliefhebbers", "r/wijn liefhebbers", "r/a", "r/" + "x" * 22, "u/anna"]
)
def test_a_channel_naming_no_subreddit_is_refused_with_file_line_and_field(
    tmp_path: Path, written: str
) -> None:
    with pytest.raises(ContentInvalid) as refused:
        adapter_registry(tmp_path / "content", subreddits=("inbox", written))
    [error] = [e for e in refused.value.errors if "subreddit" in e.message]
    assert error.field == "sources[2].channels[1]" and error.line > 1
    assert error.file.endswith(".yaml") and "r/wijnliefhebbers" in error.message


def test_deleted_accounts_are_each_their_own_customer_and_deleted_words_are_not_taken_in(
    fake: tuple[FakeReddit, str], reddit: RedditAdapter, session: Session, registry: ContentRegistry
) -> None:
    server, _ = fake
    post = server.post(SUB, "Bezorging door De Kelder", "Hoe lang?", author="[deleted]")
    first = server.comment(SUB, "De Kelder was bij mij snel", post, author="[deleted]")
    server.comment(SUB, "[deleted]", post, author="[deleted]")
    server.comment(SUB, "[removed]", post, author="bram")
    server.post(SUB, "De Kelder is oplichting", "[removed]", author="dirk")
    assert poll(reddit, session, registry) == 2
    found = stored(session)
    assert set(found) == {post["name"], first["name"]}, "deleted and removed words are no mentions"
    a, b = found[post["name"]], found[first["name"]]
    assert a.customer_id != b.customer_id and a.conversation_id != b.conversation_id
    names = session.exec(select(Customer.platform_user_id, Customer.name)).all()
    assert "[deleted]" not in {identity for identity, _ in names} and {name for _, name in names} == {""}


def test_an_inbox_mention_belongs_to_the_thread_of_its_post_not_of_the_comment_it_answers(
    fake: tuple[FakeReddit, str], reddit: RedditAdapter, session: Session, registry: ContentRegistry
) -> None:
    server, _ = fake
    mention = server.mention("wijnproeverij", "u/dekelder_webcare levertijd?", post="p0st", parent="t1_c0mm")
    assert poll(reddit, session, registry) == 1
    stored_mention = stored(session)[mention["name"]]
    thread = session.get(Conversation, stored_mention.conversation_id)
    assert thread is not None and thread.thread_ref == "t3_p0st/cor"


def test_a_401_without_www_authenticate_is_a_login_failure_and_the_round_goes_on(
    fake: tuple[FakeReddit, str],
    reddit: RedditAdapter,
    session: Session,
    registry: ContentRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, _ = fake
    server.refused = {f"/r/{SUB}/new"}
    server.post(SUB, "Ervaringen met De Kelder?")
    comment = server.comment(SUB, "Ik bestel altijd bij dekelder", server.posts[SUB][0])
    mention = server.mention(SUB, "u/dekelder_webcare weten jullie de levertijd?")
    with caplog.at_level(logging.WARNING):
        assert poll(reddit, session, registry) == 2
    assert set(stored(session)) == {comment["name"], mention["name"]}
    assert f"Reddit refused the login (HTTP 401) for r/{SUB}/new" in caplog.text
    assert "WEBCARE_REDDIT_CLIENT_ID" in caplog.text
