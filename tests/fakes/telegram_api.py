"""A fake Telegram Bot API: getMe, getUpdates, sendMessage and setWebhook, with injectable errors."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

TOKEN = "123456:TEST-token_for-the-fake"
BOT = {"id": 4242, "is_bot": True, "first_name": "De Kelder", "username": "dekelder_bot"}


def user(
    uid: int = 1001, first: str = "Anna", username: str = "anna_w", language: str = "nl"
) -> dict[str, Any]:
    """A Telegram user object."""
    return {"id": uid, "is_bot": False, "first_name": first, "username": username, "language_code": language}


def private_chat(uid: int = 1001) -> dict[str, Any]:
    """The private chat with a user (its id is the user's id)."""
    return {"id": uid, "type": "private", "first_name": "Anna"}


def group_chat(
    username: str = "dekelder_community", cid: int = -1001234567890, forum: bool = False
) -> dict[str, Any]:
    """A public supergroup, maybe with forum topics."""
    return {"id": cid, "type": "supergroup", "title": "De Kelder", "username": username, "is_forum": forum}


class FakeTelegram:
    """State of the fake: updates waiting, messages sent, the webhook, errors to answer with."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.sent_at: list[float] = []
        self.webhook: dict[str, Any] = {}
        self.errors: list[tuple[int, str, dict[str, Any]]] = []
        self.calls: list[str] = []
        # seconds sendMessage waits after sending before it answers: a slow platform
        self.answer_delay = 0.0
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(500)
        self._lock = threading.Lock()
        self.app = FastAPI()
        self.app.add_api_route("/bot{token}/{method}", self._handle, methods=["GET", "POST"])

    def fail_next(self, status: int, description: str, **parameters: Any) -> None:
        """Answer the next sendMessage with an error, as Telegram does."""
        self.errors.append((status, description, parameters))

    def message(
        self,
        chat: dict[str, Any],
        sender: dict[str, Any],
        text: str,
        *,
        edited: bool = False,
        message_id: int | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Queue an update with a customer's message (or an edit of one); return the update."""
        msg = {
            "message_id": message_id or next(self._ids),
            "date": int(time.time()) - 30,
            "chat": chat,
            "from": sender,
            **({"text": text} if text else {}),  # a photo has a caption (or nothing), never text
            **extra,
        }
        if edited:
            msg["edit_date"] = int(time.time())
        update = {"update_id": next(self._update_ids), "edited_message" if edited else "message": msg}
        with self._lock:
            self.updates.append(update)
        return update

    def _ok(self, result: Any) -> JSONResponse:
        return JSONResponse({"ok": True, "result": result})

    async def _handle(self, token: str, method: str, request: Request) -> JSONResponse:
        if token != self.token:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        form = dict(await request.form()) if request.method == "POST" else dict(request.query_params)
        params: dict[str, Any] = {k: str(v) for k, v in form.items()}
        self.calls.append(method)
        handler = getattr(self, f"_{method.lower()}", None)
        if handler is None:
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        result: JSONResponse = handler(params)
        if method.lower() == "sendmessage" and self.answer_delay:
            await asyncio.sleep(self.answer_delay)  # the message is already sent, the answer is late
        return result

    def _getme(self, params: dict[str, Any]) -> JSONResponse:
        return self._ok(BOT)

    def _getupdates(self, params: dict[str, Any]) -> JSONResponse:
        if self.webhook.get("url"):
            description = "Conflict: can't use getUpdates method while webhook is active"
            return JSONResponse({"ok": False, "error_code": 409, "description": description}, 409)
        offset = int(params.get("offset") or 0)
        with self._lock:
            # like Telegram: asking from offset confirms (forgets) every earlier update
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            return self._ok(list(self.updates))

    def _setwebhook(self, params: dict[str, Any]) -> JSONResponse:
        self.webhook = params
        return self._ok(True)

    def _sendmessage(self, params: dict[str, Any]) -> JSONResponse:
        if self.errors:
            status, description, parameters = self.errors.pop(0)
            body = {"ok": False, "error_code": status, "description": description}
            return JSONResponse(body | ({"parameters": parameters} if parameters else {}), status)
        if len(params.get("text", "")) > 4096:
            return JSONResponse(
                {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}, 400
            )
        chat_id = int(params["chat_id"])
        sent = {
            "message_id": 10_000 + next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT,
            "text": params["text"],
        }
        if "message_thread_id" in params:
            sent["message_thread_id"] = int(params["message_thread_id"])
        record = dict(params)
        if "reply_parameters" in record:
            record["reply_parameters"] = json.loads(record["reply_parameters"])
        with self._lock:
            self.sent.append(record)
            self.sent_at.append(time.monotonic())
        return self._ok(sent)
