"""Downloading feeds with httpx: conditional requests, and a bound on size and time a server cannot undo."""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx

# A busy forum's feed is a few hundred kilobytes; past these a server is broken or hostile
MAX_FEED_BYTES = 8_000_000
MAX_FETCH_SECONDS = 30.0
# zlib's window bits for each content encoding we ask for: gzip's header, zlib's header
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class FetchFailed(Exception):
    """A feed download was refused or given up: too large, too slow, or not decodable."""


@dataclass(frozen=True)
class Fetched:
    """One feed download: None content when the server said 304 Not Modified."""

    content: bytes | None
    etag: str
    last_modified: str
    content_type: str = ""
    # where the feed came from after redirects: the base for its relative links
    location: str = ""


class FeedReader:
    """Downloads feeds with timeouts, conditional requests and a bound on size and total time."""

    def __init__(
        self,
        *,
        timeout: float = 15.0,
        max_bytes: int = MAX_FEED_BYTES,
        max_seconds: float = MAX_FETCH_SECONDS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.max_bytes, self.max_seconds = max_bytes, max_seconds
        self._client = httpx.Client(
            timeout=min(timeout, max_seconds),
            follow_redirects=True,
            # only encodings we decompress ourselves, chunk by chunk, within max_bytes
            headers={"User-Agent": "webcare feed reader", "Accept-Encoding": "gzip, deflate"},
            transport=transport,
        )

    def fetch(self, url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
        """The feed's bytes, or no content when unchanged since etag / last_modified.

        Raises httpx.HTTPError or FetchFailed. A server trickling bytes never trips the timeout
        per read, so the whole download has its own deadline; a gzip bomb is stopped at max_bytes.
        """
        headers = {"If-None-Match": etag} if etag else {}
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline = time.monotonic() + self.max_seconds
        with self._client.stream("GET", url, headers=headers) as response:
            if response.status_code == httpx.codes.NOT_MODIFIED:
                return Fetched(None, etag, last_modified)
            response.raise_for_status()
            content = self._read(response, deadline)
            return Fetched(
                content,
                response.headers.get("ETag", ""),
                response.headers.get("Last-Modified", ""),
                response.headers.get("Content-Type", ""),
                str(response.url),
            )

    def _read(self, response: httpx.Response, deadline: float) -> bytes:
        body = bytearray()
        for piece in _decoded(response, lambda: self.max_bytes + 1 - len(body)):
            body.extend(piece)
            if len(body) > self.max_bytes:
                raise FetchFailed(f"the feed is larger than {self.max_bytes:,} bytes (decompressed)")
            if time.monotonic() > deadline:
                raise FetchFailed(f"the download took longer than {self.max_seconds:g} s")
        return bytes(body)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def _decoded(response: httpx.Response, room: Callable[[], int]) -> Iterator[bytes]:
    """The body's bytes as they arrive, decompressed never more than room() at a time."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        yield from response.iter_raw()
        return
    if encoding not in _WBITS:
        raise FetchFailed(f"the server sent content encoding {encoding!r}, which was not asked for")
    inflate = zlib.decompressobj(_WBITS[encoding])
    try:
        for chunk in response.iter_raw():
            # max_length keeps each step small: a 1 MB bomb never becomes gigabytes in memory
            data = chunk
            while data:
                yield inflate.decompress(data, max(room(), 1))
                data = inflate.unconsumed_tail
        yield inflate.flush()
    except zlib.error as exc:
        raise FetchFailed(f"the feed's {encoding} data is damaged: {exc}") from exc
