"""Input no database column can hold, refused before any route sees it: U+0000 in the path, query
or a form, and in a JSON body also lone surrogates ("\\ud83c", half an emoji) and deep nesting."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, status
from fastapi.responses import JSONResponse, Response
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.deps import templates

# Deeper than any body the API takes (an order is four levels); json.loads itself gives up near 1,000
MAX_DEPTH = 32
# PostgreSQL refuses U+0000 in text; no encoder takes a surrogate that is not one half of a pair
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Telegram retries a refused update and holds back every later one until it is taken: its webhook
# takes in what it can and sets the rest aside itself.
_OWN_BODIES = ("/webhooks/telegram",)
_MACHINE_PATHS = ("/api/", "/webhooks/", "/metrics", "/healthz", "/openapi.json")


@dataclass(frozen=True)
class Problem:
    """Why a request is refused, and where in it."""

    loc: Sequence[str | int]
    kind: str
    msg: str


def for_machines(path: str) -> bool:
    """Whether a path answers programs (JSON errors) rather than people (HTML pages)."""
    return path.startswith(_MACHINE_PATHS)


def storable(text: str) -> bool:
    """Whether a text holds no U+0000 and no lone surrogate, so every database can store it."""
    return _UNSTORABLE.search(text) is None


_NUL = Problem((), "unstorable_text", "U+0000 (a NUL character) cannot be stored")


def url_problem(scope: Scope) -> Problem | None:
    """U+0000 in the path or the query string (the only way to write it there is %00)."""
    if "\x00" in scope["path"]:
        return Problem(("path",), _NUL.kind, _NUL.msg)
    if b"%00" in scope.get("query_string", b"").lower():
        return Problem(("query",), _NUL.kind, _NUL.msg)
    return None


def json_problem(body: bytes) -> Problem | None:
    """Unstorable text or nesting deeper than MAX_DEPTH anywhere in a JSON body; None for a body
    that is no JSON at all (the route says what is wrong with it)."""
    try:
        value = json.loads(body)
    except RecursionError:
        return Problem(("body",), "too_deep", f"the JSON is nested more than {MAX_DEPTH} levels deep")
    except UnicodeDecodeError:
        return Problem(("body",), "json_invalid", "the body is not JSON: it is not UTF-8 text")
    except ValueError:
        return None
    todo: list[tuple[Any, tuple[str | int, ...]]] = [(value, ("body",))]
    while todo:  # a loop, not recursion: the depth is what is being checked
        node, loc = todo.pop()
        if len(loc) > MAX_DEPTH:
            return Problem(("body",), "too_deep", f"the JSON is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, str) and not storable(node):
            return Problem(loc, "unstorable_text", "U+0000 or half of a surrogate pair cannot be stored")
        if isinstance(node, dict):
            for key, item in node.items():
                if not storable(key):
                    return Problem(loc, "unstorable_text", "a key holds U+0000 or half a surrogate pair")
                todo.append((item, (*loc, key)))
        elif isinstance(node, list):
            todo.extend((item, (*loc, i)) for i, item in enumerate(node))
    return None


def body_problem(scope: Scope, body: bytes) -> Problem | None:
    """What no column can hold in a form or JSON body."""
    kind = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
    if kind in (b"application/x-www-form-urlencoded", b"multipart/form-data"):
        if b"\x00" in body or b"%00" in body.lower():
            return Problem(("body",), _NUL.kind, _NUL.msg)
        return None
    if body and (not kind or kind == b"application/json" or kind.endswith(b"+json")):
        return json_problem(body)
    return None


def refusal(scope: Scope, problem: Problem) -> Response:
    """422 with the place and reason for programs; a 400 page in words for people."""
    if for_machines(scope["path"]):
        detail = [{"type": problem.kind, "loc": list(problem.loc), "msg": problem.msg}]
        return JSONResponse({"detail": detail}, status.HTTP_422_UNPROCESSABLE_CONTENT)
    return error_page(Request(scope), status.HTTP_400_BAD_REQUEST, "This cannot be saved", problem.msg)


def error_page(request: Request, code: int, title: str, message: str) -> Response:
    """An error explained on a page, with the way back to the queue."""
    context = {"title": title, "message": message}
    return templates.TemplateResponse(request, "error.html", context, status_code=code)


class InputGuard:
    """ASGI middleware: refuses what no database column can hold before any route sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the URL, then (for a request that sends one) the whole body, and replay it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = url_problem(scope)
        if (
            problem is None
            and scope["method"] in ("POST", "PUT", "PATCH")
            and scope["path"] not in _OWN_BODIES
        ):
            try:
                messages = await _read_all(receive)
            except HTTPException as exc:  # BodyLimit counted a body over the limit
                await JSONResponse({"detail": exc.detail}, exc.status_code)(scope, receive, send)
                return
            problem = body_problem(scope, b"".join(m.get("body", b"") for m in messages))
            receive = _replay(messages, receive)
        if problem is not None:
            await refusal(scope, problem)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _read_all(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
