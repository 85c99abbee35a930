"""RSS 0.9x/1.0/2.0 and Atom feeds: fetched with httpx (ETag, Last-Modified), parsed with feedparser."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import feedparser
import httpx

from bot.adapters.base import Batch, Cursor
from bot.adapters.feed_fetch import FeedReader as FeedReader  # the pollers' reader, built with them
from bot.adapters.feed_fetch import Fetched, FetchFailed
from bot.adapters.sources import matches_keywords
from bot.models import Mention as MentionRow
from bot.models import column_length
from bot.registry import ContentRegistry
from responders.domain import Author, Mention

log = logging.getLogger(__name__)
MAX_LINK = column_length(MentionRow, "url")
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


def _when(entry: Any, now: datetime) -> datetime:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime(*parsed[:6]).replace(tzinfo=UTC) if parsed else now


def _entry_id(url: str, entry: Any) -> str:
    raw = entry.get("id") or entry.get("link") or (entry.get("title", "") + entry.get("summary", ""))
    external = f"{url}#{raw}"
    # ids are meant to be unique, not short or tidy: hash the rare one the column cannot hold
    return external if len(external) <= 300 and not _UNSTORABLE.search(external) else _digest(external)


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


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
    if len(identity) > 128 or _UNSTORABLE.search(identity):
        identity = _digest(identity)
    return Author(id=identity, handle=email[:200], name=name[:200])


# Character references no text can hold: U+0000, UTF-16 surrogate halves and numbers past
# U+10FFFF. feedparser raises on the last two and PostgreSQL refuses the first, so one such
# reference would cost the whole feed; they become U+FFFD before parsing.
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,16})|([0-9]{1,20}));")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _valid_char_refs(content: bytes) -> bytes:
    def mend(found: re.Match[bytes]) -> bytes:
        hexa, decimal = found.groups()
        point = int(hexa, 16) if hexa else int(decimal)
        valid = 0 < point <= 0x10FFFF and not 0xD800 <= point <= 0xDFFF
        return found.group() if valid else b"&#xFFFD;"

    return _CHAR_REF.sub(mend, content)


def _readable(detail: Any) -> str:
    """The words of a title, summary or content: HTML made plain, plain text kept as written."""
    value = str(detail.get("value") or "")
    # type="text" is text: "Why does &lt;br&gt; not work" is a question about <br>, not markup
    return value.strip() if detail.get("type") == "text/plain" else plain_text(value)


def _link(url: str, entry: Any) -> str:
    link = _UNSTORABLE.sub("", str(entry.get("link") or ""))
    if len(link) > MAX_LINK:
        # a link that does not fit is no use cut short; the entry's words matter more
        log.warning("entry link longer than %d characters left out", MAX_LINK, extra={"feed": url})
        return ""
    return link


def _to_mention(url: str, entry: Any, now: datetime) -> Mention | None:
    """One entry as a mention; None for an entry without words (nothing to read or answer)."""
    body = (entry.get("content") or [None])[0] or entry.get("summary_detail") or {}
    title = _readable(entry.get("title_detail") or {"value": entry.get("title", "")})
    text = "\n\n".join(t for t in (title, _readable(body)) if t)
    if not text:
        log.info("feed entry without a title or text skipped", extra={"feed": url, "entry": entry.get("id")})
        return None
    external_id = _entry_id(url, entry)
    return Mention(
        platform="rss",
        channel=url,
        external_id=external_id,
        author=_author(entry, external_id),
        text=text,
        created_at=_when(entry, now),
        url=_link(url, entry),
    )


def parse_feed(
    url: str, content: bytes, *, now: datetime, content_type: str = "", location: str = ""
) -> list[Mention]:
    """The feed's entries as mentions; a malformed feed or entry gives what parsed plus a warning.

    content_type is the HTTP header (its charset says how to read the bytes) and location the
    address the feed came from (the base of its relative links), both as the server sent them.
    """
    headers = {"content-location": location or url}
    if content_type:
        headers["content-type"] = content_type
    # a stream, never the bytes themselves: feedparser reads a string that names a path as a file
    parsed = feedparser.parse(io.BytesIO(_valid_char_refs(content)), response_headers=headers)
    if parsed.get("bozo"):
        log.warning(
            "feed is malformed, using the entries that parsed: %s",
            parsed.get("bozo_exception"),
            extra={"feed": url, "entries": len(parsed.entries)},
        )
    mentions = []
    for entry in parsed.entries:
        try:
            mention = _to_mention(url, entry, now)
        except Exception:  # one odd entry must not cost the rest of the feed
            log.warning("feed entry not read", exc_info=True, extra={"feed": url, "entry": entry.get("id")})
            continue
        if mention is not None:
            mentions.append(mention)
    return mentions


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


def _feeds(registry: ContentRegistry) -> dict[str, tuple[str, ...]]:
    """Every feed URL the guidelines list, with its keywords; placeholders left out."""
    found: dict[str, tuple[str, ...]] = {}
    for community in registry.snapshot.communities.values():
        for source in community.guideline.sources:
            if source.platform == "rss":
                found |= {url: source.keywords for url in source.channels if not _reserved_host(url)}
    return found


def _fetch(reader: FeedReader, url: str, etag: str, last_modified: str) -> Fetched | None:
    try:
        return reader.fetch(url, etag=etag, last_modified=last_modified)
    except (httpx.HTTPError, FetchFailed) as exc:
        log.warning("feed not fetched, trying again next round: %s", exc, extra={"feed": url})
        return None


def feed_batch(url: str, keywords: tuple[str, ...], fetched: Fetched, *, now: datetime) -> Batch:
    """A fetched feed's entries that name a keyword, and its new ETag and Last-Modified."""
    assert fetched.content is not None
    mentions = parse_feed(
        url, fetched.content, now=now, content_type=fetched.content_type, location=fetched.location
    )
    wanted = tuple(m for m in mentions if not keywords or matches_keywords(m.text, keywords))
    cursor = Cursor(etag=fetched.etag[:500], last_modified=fetched.last_modified[:200])
    return Batch("rss", wanted, {url: cursor})


class FeedPoller:
    """Every feed the guidelines list, a batch per feed as it arrives.

    Feeds download side by side (each bounded in size and time), so one slow server holds up
    no other; each fails on its own with a warning, keeping its cursor, so it is read again.
    """

    platform = "rss"

    def __init__(self, reader: FeedReader, registry: ContentRegistry, *, parallel: int = 4) -> None:
        self.reader, self.registry, self.parallel = reader, registry, parallel

    def poll(self, cursors: Mapping[str, Cursor], *, now: datetime) -> Iterator[Batch]:
        """A batch per feed that changed since its stored ETag or Last-Modified."""
        feeds = _feeds(self.registry)
        with ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="feed") as pool:
            downloads = {
                pool.submit(_fetch, self.reader, url, c.etag, c.last_modified): url
                for url in feeds
                for c in [cursors.get(url, Cursor())]
            }
            for done in as_completed(downloads):
                url, fetched = downloads[done], done.result()
                if fetched is None or fetched.content is None:
                    continue
                try:
                    batch = feed_batch(url, feeds[url], fetched, now=now)
                except Exception:
                    log.warning("feed not read, read again next round", exc_info=True, extra={"feed": url})
                    continue
                yield batch
