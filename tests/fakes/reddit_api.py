"""A fake Reddit: OAuth password grant, subreddit listings, inbox mentions and api/comment."""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

CLIENT_ID, CLIENT_SECRET = "fake-client-id", "fake-client-secret"
USERNAME, PASSWORD = "dekelder_webcare", "reddit-password"
ACCESS_TOKEN = "fake-access-token"


class FakeReddit:
    """Posts, comments and mentions per subreddit, the comments webcare posted, errors to answer with."""

    def __init__(self) -> None:
        self.posts: dict[str, list[dict[str, Any]]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.mentions: list[dict[str, Any]] = []
        self.replies: list[dict[str, str]] = []
        self.errors: list[tuple[int, Any]] = []
        self.requests: list[tuple[str, float]] = []
        # paths answered 401 without a WWW-Authenticate header, as Reddit does for a revoked token
        self.refused: set[str] = set()
        # seconds a comment waits after it is posted before the answer goes out: a slow platform
        self.answer_delay = 0.0
        self.rate_limit = {
            "x-ratelimit-remaining": "599",
            "x-ratelimit-used": "1",
            "x-ratelimit-reset": "300",
        }
        self._ids = itertools.count(1000)
        self.app = FastAPI()
        routes: list[tuple[str, Callable[..., Any], str]] = [
            ("/api/v1/access_token", self._token, "POST"),
            ("/r/{sub}/new", self._new, "GET"),
            ("/r/{sub}/comments", self._sub_comments, "GET"),
            ("/message/mentions", self._mentions, "GET"),
            ("/api/comment", self._comment, "POST"),
        ]
        for path, handler, method in routes:  # praw asks with and without a trailing slash
            self.app.add_api_route(path, handler, methods=[method])
            self.app.add_api_route(path + "/", handler, methods=[method])

    def _id(self) -> str:
        return base36(next(self._ids))

    def post(
        self, sub: str, title: str, body: str = "", author: str = "anna_w", age: float = 60
    ) -> dict[str, Any]:
        """A new submission in a subreddit."""
        pid = self._id()
        data = {
            "id": pid,
            "name": f"t3_{pid}",
            "title": title,
            "selftext": body,
            "author": author,
            "created_utc": time.time() - age,
            "subreddit": sub,
            "permalink": f"/r/{sub}/comments/{pid}/x/",
            "url": f"https://www.reddit.com/r/{sub}/comments/{pid}/x/",
            "num_comments": 0,
        }
        self.posts.setdefault(sub, []).insert(0, data)
        return data

    def comment(
        self, sub: str, body: str, post: dict[str, Any], author: str = "bram", age: float = 30
    ) -> dict[str, Any]:
        """A new comment under a post."""
        cid = self._id()
        data = {
            "id": cid,
            "name": f"t1_{cid}",
            "body": body,
            "author": author,
            "created_utc": time.time() - age,
            "link_id": post["name"],
            "parent_id": post["name"],
            "subreddit": sub,
            "permalink": f"{post['permalink']}{cid}/",
        }
        self.comments.setdefault(sub, []).insert(0, data)
        return data

    def mention(
        self,
        sub: str,
        body: str,
        author: str = "cor",
        age: float = 20,
        post: str = "zzz",
        parent: str = "",
    ) -> dict[str, Any]:
        """A username mention in the inbox, as /message/mentions lists it: no link_id, the post only
        in its context link, and parent_id the comment it answers (or the post)."""
        cid = self._id()
        data = {
            "id": cid,
            "name": f"t1_{cid}",
            "body": body,
            "author": author,
            "created_utc": time.time() - age,
            "subreddit": sub,
            "was_comment": True,
            "parent_id": parent or f"t3_{post}",
            "context": f"/r/{sub}/comments/{post}/x/{cid}/?context=3",
            "type": "username_mention",
            "new": True,
            "dest": USERNAME,
            "subject": "username mention",
        }
        self.mentions.insert(0, data)
        return data

    def _json(self, body: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(body, status, headers=dict(self.rate_limit))

    def _authorised(self, request: Request) -> bool:
        self.requests.append((request.url.path, time.monotonic()))
        return request.headers.get("authorization") == f"bearer {ACCESS_TOKEN}"

    async def _token(self, request: Request) -> JSONResponse:
        form = await request.form()
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {basic}":
            return JSONResponse({"message": "Unauthorized", "error": 401}, 401)
        if form.get("username") != USERNAME or form.get("password") != PASSWORD:
            return JSONResponse({"error": "invalid_grant"})
        return JSONResponse(
            {"access_token": ACCESS_TOKEN, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        )

    def _listing(self, request: Request, kind: str, items: list[dict[str, Any]]) -> JSONResponse:
        if not self._authorised(request) or request.url.path.rstrip("/") in self.refused:
            return JSONResponse({"message": "Unauthorized", "error": 401}, 401)
        limit = int(request.query_params.get("limit", 25))
        after = request.query_params.get("after")
        start = next((i + 1 for i, item in enumerate(items) if item["name"] == after), 0)
        page = items[start : start + min(limit, 100)]
        children = [{"kind": kind, "data": item} for item in page]
        next_after = (
            page[-1]["name"] if len(page) == min(limit, 100) and start + len(page) < len(items) else None
        )
        return self._json(
            {"kind": "Listing", "data": {"after": next_after, "before": None, "children": children}}
        )

    def _new(self, sub: str, request: Request) -> JSONResponse:
        return self._listing(request, "t3", self.posts.get(sub, []))

    def _sub_comments(self, sub: str, request: Request) -> JSONResponse:
        return self._listing(request, "t1", self.comments.get(sub, []))

    def _mentions(self, request: Request) -> JSONResponse:
        return self._listing(request, "t1", self.mentions)

    async def _comment(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return JSONResponse({"message": "Unauthorized", "error": 401}, 401)
        form = {k: str(v) for k, v in (await request.form()).items()}
        if self.errors:
            status, body = self.errors.pop(0)
            return self._json(body, status)
        cid = self._id()
        self.replies.append({"thing_id": form["thing_id"], "text": form["text"], "id": cid})
        thing = {
            "kind": "t1",
            "data": {
                "id": cid,
                "name": f"t1_{cid}",
                "body": form["text"],
                "author": USERNAME,
                "parent_id": form["thing_id"],
                "created_utc": time.time(),
                "subreddit": "x",
            },
        }
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)  # the comment is already posted, the answer is late
        return self._json({"json": {"errors": [], "data": {"things": [thing]}}})


def base36(number: int) -> str:
    """Reddit ids are base 36."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"
