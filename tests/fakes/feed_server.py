"""A feed server: real-world-like RSS 0.91, 1.0, 2.0 and Atom files, ETag / Last-Modified and 304s."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse

FEEDS = Path(__file__).parent / "feeds"
LAST_MODIFIED = "Fri, 20 Nov 2026 12:00:00 GMT"


class FeedServer:
    """Serves files from tests/fakes/feeds (or replaced bodies) and records the requests."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {p.name: p.read_bytes() for p in FEEDS.iterdir()}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.not_modified = 0
        # per feed name: headers to answer with (Content-Type with a charset, Content-Encoding...)
        self.headers: dict[str, dict[str, str]] = {}
        # per feed name: seconds between bytes, for a server that trickles its answer
        self.trickle: dict[str, float] = {}
        self.app = FastAPI()
        self.app.add_api_route("/feeds/{name}", self._feed, methods=["GET"])

    def _feed(self, name: str, request: Request) -> Response:
        """A feed file, answered as the server of that name is told to answer."""
        self.requests.append((name, dict(request.headers)))
        body = self.bodies.get(name)
        if body is None:
            return Response(status_code=404)
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
        tag, since = request.headers.get("if-none-match"), request.headers.get("if-modified-since")
        if tag == etag or (tag is None and since == LAST_MODIFIED):
            self.not_modified += 1
            return Response(status_code=304, headers=headers)
        headers |= {"Content-Type": "application/xml"} | self.headers.get(name, {})
        if name in self.trickle:
            return StreamingResponse(_one_byte_at_a_time(body, self.trickle[name]), headers=headers)
        return Response(body, headers=headers)


async def _one_byte_at_a_time(body: bytes, every: float) -> AsyncIterator[bytes]:
    for byte in body:
        yield bytes([byte])
        await asyncio.sleep(every)
