"""A feed server: real-world-like RSS 0.91, 1.0, 2.0 and Atom files, ETag / Last-Modified and 304s."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import FastAPI, Request, Response

FEEDS = Path(__file__).parent / "feeds"
LAST_MODIFIED = "Fri, 20 Nov 2026 12:00:00 GMT"


class FeedServer:
    """Serves files from tests/fakes/feeds (or replaced bodies) and records the requests."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {p.name: p.read_bytes() for p in FEEDS.iterdir()}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.not_modified = 0
        self.app = FastAPI()
        self.app.add_api_route("/feeds/{name}", self._feed, methods=["GET"])

    def _feed(self, name: str, request: Request) -> Response:
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
        return Response(body, media_type="application/xml", headers=headers)
