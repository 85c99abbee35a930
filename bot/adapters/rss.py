"""RSS 0.9x/1.0/2.0 and Atom feeds: fetched with httpx (ETag, Last-Modified), parsed with feedparser."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import feedparser
import httpx
from sqlmodel import Session

from bot.adapters.intake import load_cursor, matches_keywords, save_cursor, take_in
from bot.registry import ContentRegistry
from responders.domain import Author, Mention

log = logging.getLogger(__name__)
_BLOCKS = {"p", "div", "br", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "pre"}


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style") and self._skip > 0
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """Readable text from an HTML fragment: tags dropped, entities decoded, paragraphs kept."""
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


@dataclass(frozen=True)
class Fetched:
    """One feed download: None content when the server said 304 Not Modified."""

    content: bytes | None
    etag: str
    last_modified: str


class FeedReader:
    """Downloads feeds with timeouts and conditional requests."""

    def __init__(self, *, timeout: float = 15.0, transport: httpx.BaseTransport | None = None) -> None:
        self._client = httpx.Client(
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": "webcare feed reader"},
            transport=transport,
        )

    def fetch(self, url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
        """The feed's bytes, or no content when unchanged since etag / last_modified."""
        headers = {"If-None-Match": etag} if etag else {}
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        response = self._client.get(url, headers=headers)
        if response.status_code == httpx.codes.NOT_MODIFIED:
            return Fetched(None, etag, last_modified)
        response.raise_for_status()
        return Fetched(
            response.content,
            response.headers.get("ETag", ""),
            response.headers.get("Last-Modified", ""),
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def _when(entry: Any, now: datetime) -> datetime:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime(*parsed[:6]).replace(tzinfo=UTC) if parsed else now


def _entry_id(url: str, entry: Any) -> str:
    raw = entry.get("id") or entry.get("link") or (entry.get("title", "") + entry.get("summary", ""))
    external = f"{url}#{raw}"
    # ids are meant to be unique, not short: hash the rare one that does not fit the column
    return external if len(external) <= 300 else "sha256:" + hashlib.sha256(external.encode()).hexdigest()


def _author(entry: Any, external_id: str) -> Author:
    """Who wrote an entry: RSS's "joris@example.nl (Joris Jansen)" gives the name Joris Jansen.

    An entry without an author is its own anonymous writer: never the feed's title (which would
    be greeted as a name) and never one shared "unknown" customer for every such entry.
    """
    detail = entry.get("author_detail") or {}
    raw = str(entry.get("author") or "").strip()
    email = str(detail.get("email") or "").strip()
    name = str(detail.get("name") or "").strip()
    if not name and raw and "@" not in raw:
        name = raw
    if name == email:
        name = ""
    identity = email or raw or f"anonymous:{external_id}"
    # cut short, two long identities could become one customer: hash the rare one that does not fit
    if len(identity) > 128:
        identity = "sha256:" + hashlib.sha256(identity.encode()).hexdigest()
    return Author(id=identity, handle=email[:200], name=name[:200])


def parse_feed(url: str, content: bytes, *, now: datetime) -> list[Mention]:
    """The feed's entries as mentions; a malformed feed gives what parsed plus a warning."""
    parsed = feedparser.parse(content)
    if parsed.get("bozo"):
        log.warning(
            "feed is malformed, using the entries that parsed: %s",
            parsed.get("bozo_exception"),
            extra={"feed": url, "entries": len(parsed.entries)},
        )
    mentions = []
    for entry in parsed.entries:
        body = entry.get("content", [{}])[0].get("value") or entry.get("summary", "")
        title = plain_text(entry.get("title", ""))
        text = "\n\n".join(t for t in (title, plain_text(body)) if t)
        external_id = _entry_id(url, entry)
        mentions.append(
            Mention(
                platform="rss",
                channel=url,
                external_id=external_id,
                author=_author(entry, external_id),
                text=text,
                created_at=_when(entry, now),
                url=entry.get("link", ""),
            )
        )
    return mentions


def poll_round(reader: FeedReader, registry: ContentRegistry) -> Callable[[Session, datetime], int]:
    """A round over every feed the guidelines list: new entries that match the keywords go in."""

    def run(session: Session, now: datetime) -> int:
        taken = 0
        for community in registry.snapshot.communities.values():
            for source in community.guideline.sources:
                if source.platform != "rss":
                    continue
                for url in source.channels:
                    if _reserved_host(url):
                        continue
                    taken += _poll_feed(reader, session, registry, url, source.keywords, now)
        return taken

    return run


# Names reserved for documentation and tests (RFC 2606, RFC 6761) never resolve: a feed there is a
# placeholder, as in the demo content, so it is not fetched.
RESERVED_SUFFIXES = (".example", ".invalid", ".test", ".localhost")
RESERVED_DOMAINS = frozenset({"example", "example.com", "example.org", "example.net"})


def _reserved_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    return host.endswith(RESERVED_SUFFIXES) or host in {
        "example",
        "example.com",
        "example.org",
        "example.net",
    }


def _poll_feed(
    reader: FeedReader,
    session: Session,
    registry: ContentRegistry,
    url: str,
    keywords: tuple[str, ...],
    now: datetime,
) -> int:
    cursor = load_cursor(session, platform="rss", source=url)
    try:
        fetched = reader.fetch(url, etag=cursor.etag, last_modified=cursor.last_modified)
    except httpx.HTTPError as exc:
        log.warning("feed not fetched, trying again next round: %s", exc, extra={"feed": url})
        return 0
    if fetched.content is None:
        return 0
    taken = 0
    for mention in parse_feed(url, fetched.content, now=now):
        if not keywords or matches_keywords(mention.text, keywords):
            result = take_in(session, registry, mention, now=now)
            taken += result is not None and not result.duplicate
    # stored only after the entries went in, so a crash means fetching the feed again, not a gap
    cursor.etag, cursor.last_modified = fetched.etag[:500], fetched.last_modified[:200]
    save_cursor(session, cursor, now=now)
    return taken
