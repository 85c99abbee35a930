"""Feeds as the internet serves them: hostile servers, broken entries, odd charsets (local feed server)."""

from __future__ import annotations

import gzip
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bot.adapters import rss
from bot.models import Mention, SourceCursor
from bot.pipeline.batch_intake import poll_round
from bot.registry import ContentRegistry
from tests.fakes.content import adapter_registry
from tests.fakes.feed_server import FeedServer
from tests.live_server import serve

POLLED_AT = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)
GOOD = (
    b"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Forum</title>"
    b"<item><guid>good-1</guid><title>Bezorging door De Kelder</title><link>https://forum.example/t/1</link>"
    b"<description>Hoe lang duurt het?</description></item></channel></rss>"
)


def rss_feed(*items: str, encoding: str = "utf-8", declare: bool = True) -> bytes:
    head = f"<?xml version='1.0' encoding='{encoding}'?>" if declare else "<?xml version='1.0'?>"
    body = f"<rss version='2.0'><channel><title>Forum</title>{''.join(items)}</channel></rss>"
    return (head + body).encode(encoding)


def item(guid: str, title: str, *, link: str = "", text: str = "", author: str = "") -> str:
    parts = [f"<guid>{guid}</guid>", f"<title>{title}</title>" if title else ""]
    parts += [f"<link>{link}</link>" if link else "", f"<description>{text}</description>" if text else ""]
    parts += [f"<author>{author}</author>" if author else ""]
    return "<item>" + "".join(parts) + "</item>"


@pytest.fixture
def feeds() -> Iterator[tuple[FeedServer, str]]:
    server = FeedServer()
    server.bodies = {"good.xml": GOOD}
    with serve(server.app) as url:
        yield server, url


def poll(
    server_url: str, names: list[str], session: Session, tmp_path: Path, **limits: float
) -> tuple[int, list[Mention]]:
    registry: ContentRegistry = adapter_registry(tmp_path / "c", [f"{server_url}/feeds/{n}" for n in names])
    reader = rss.FeedReader(timeout=5, **limits)  # type: ignore[arg-type]
    try:
        taken = poll_round(rss.FeedPoller(reader, registry), registry)(session, POLLED_AT)
    finally:
        reader.close()
    session.expire_all()
    return taken, list(session.exec(select(Mention).order_by(Mention.id)).all())  # type: ignore[arg-type]


def test_a_body_naming_a_file_is_read_as_the_feed_not_as_the_file(
    feeds: tuple[FeedServer, str], session: Session, tmp_path: Path
) -> None:
    server, url = feeds
    secret = tmp_path / "secret.xml"
    secret.write_bytes(rss_feed(item("s", "Geheim over De Kelder", text="het wachtwoord is hunter2")))
    server.bodies["path.xml"] = str(secret).encode()
    taken, stored = poll(url, ["path.xml", "good.xml"], session, tmp_path)
    assert taken == 1
    assert [m.text for m in stored] == ["Bezorging door De Kelder\n\nHoe lang duurt het?"]


def test_a_gzip_bomb_is_stopped_at_the_size_bound_and_the_other_feeds_are_read(
    feeds: tuple[FeedServer, str], session: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server, url = feeds
    # 40 MB of spaces in a 40 KB body: unbounded it is 40 MB in memory, per feed, every round
    server.bodies["bomb.xml"] = gzip.compress(b"<rss>" + b" " * 40_000_000)
    server.headers["bomb.xml"] = {"Content-Encoding": "gzip"}
    with caplog.at_level(logging.WARNING):
        taken, stored = poll(url, ["bomb.xml", "good.xml"], session, tmp_path, max_bytes=1_000_000)
    assert taken == 1 and stored[0].url == "https://forum.example/t/1"
    assert "larger than 1,000,000 bytes" in caplog.text


def test_a_gzipped_feed_within_the_bound_is_read(
    feeds: tuple[FeedServer, str], session: Session, tmp_path: Path
) -> None:
    server, url = feeds
    server.bodies["zipped.xml"] = gzip.compress(rss_feed(item("z", "De Kelder gezipt", text="Hallo")))
    server.headers["zipped.xml"] = {"Content-Encoding": "gzip"}
    _, stored = poll(url, ["zipped.xml"], session, tmp_path, max_bytes=1_000_000)
    assert [m.text for m in stored] == ["De Kelder gezipt\n\nHallo"]


def test_a_server_trickling_bytes_is_given_up_on_and_holds_up_no_other_feed(
    feeds: tuple[FeedServer, str], session: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server, url = feeds
    # one byte every 0.1 s never trips a timeout per read; the body alone would take 30 s
    server.bodies["slow.xml"] = rss_feed(item("slow", "De Kelder traag")) + b" " * 200
    server.trickle["slow.xml"] = 0.1
    with caplog.at_level(logging.WARNING):
        taken, stored = poll(url, ["slow.xml", "good.xml"], session, tmp_path, max_seconds=1)
    assert taken == 1 and stored[0].url == "https://forum.example/t/1"
    assert "took longer than 1 s" in caplog.text
    slow = session.exec(select(SourceCursor).where(col(SourceCursor.source).endswith("slow.xml"))).first()
    assert slow is None or not slow.etag, "the slow feed is asked for in full again next round"


def test_entries_with_impossible_characters_are_kept_and_the_rest_of_the_feed_too(
    feeds: tuple[FeedServer, str], session: Session, tmp_path: Path
) -> None:
    server, url = feeds
    server.bodies["odd.xml"] = rss_feed(
        item("a", "De Kelder half &#xD800; teken", link="https://forum.example/a"),
        item("b", "De Kelder te groot &#x110000; teken", link="https://forum.example/b"),
        item("c&#0;", "De Kelder nul &#0; teken", link="https://forum.example/c&#0;"),
        item("d", "De Kelder heel gewoon", link="https://forum.example/d"),
    )
    taken, stored = poll(url, ["odd.xml", "good.xml"], session, tmp_path)
    assert taken == 5
    texts = {m.url: m.text for m in stored}
    assert texts["https://forum.example/a"] == "De Kelder half \ufffd teken"
    assert texts["https://forum.example/b"] == "De Kelder te groot \ufffd teken"
    assert texts["https://forum.example/c\ufffd"] == "De Kelder nul \ufffd teken"
    assert texts["https://forum.example/d"] == "De Kelder heel gewoon"


def test_a_link_too_long_to_store_costs_only_the_link(
    feeds: tuple[FeedServer, str], session: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server, url = feeds
    long_link = "https://forum.example/t?" + "x" * 2100
    server.bodies["long.xml"] = rss_feed(
        item("long", "De Kelder lange link", link=long_link),
        item("short", "De Kelder korte link", link="https://forum.example/short"),
    )
    with caplog.at_level(logging.WARNING):
        taken, stored = poll(url, ["long.xml", "good.xml"], session, tmp_path)
    assert taken == 3
    assert {m.text: m.url for m in stored}["De Kelder lange link"] == ""
    assert "link longer than 2000 characters left out" in caplog.text


@pytest.mark.parametrize(
    ("encoding", "title"),
    [("windows-1251", "Доставка De Kelder в Киев"), ("shift_jis", "De Kelder の配送について")],
)
def test_the_charset_in_content_type_is_used_and_relative_links_become_absolute(
    feeds: tuple[FeedServer, str], session: Session, tmp_path: Path, encoding: str, title: str
) -> None:
    server, url = feeds
    server.bodies["intl.xml"] = rss_feed(item("i", title, link="/t/77"), encoding=encoding, declare=False)
    server.headers["intl.xml"] = {"Content-Type": f"application/rss+xml; charset={encoding}"}
    _, [mention] = poll(url, ["intl.xml"], session, tmp_path)
    assert mention.text == title
    assert mention.url == f"{url}/t/77"


def test_a_text_title_keeps_its_words_and_html_is_made_plain() -> None:
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Forum</title>'
        '<entry><id>tag:1</id><title type="text">Why does &lt;br&gt; not work</title>'
        '<content type="html">&lt;p&gt;Asked &lt;b&gt;twice&lt;/b&gt;&lt;/p&gt;</content></entry>'
        '<entry><id>tag:2</id><title type="html">Bold &lt;b&gt;move&lt;/b&gt;</title></entry></feed>'
    )
    mentions = rss.parse_feed("https://forum.example/feed", atom.encode(), now=POLLED_AT)
    assert [m.text for m in mentions] == ["Why does <br> not work\n\nAsked twice", "Bold move"]


def test_entries_without_words_are_not_taken_in(caplog: pytest.LogCaptureFixture) -> None:
    xml = rss_feed(item("empty", "", link="https://forum.example/e"), item("full", "Vraag", text="Hoe?"))
    with caplog.at_level(logging.INFO):
        mentions = rss.parse_feed("https://forum.example/feed", xml, now=POLLED_AT)
    assert [m.text for m in mentions] == ["Vraag\n\nHoe?"]
    assert "without a title or text skipped" in caplog.text
