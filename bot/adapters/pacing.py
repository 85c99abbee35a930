"""Sending helpers for chat platforms: cutting long replies and pacing messages per chat."""

from __future__ import annotations

import threading
import time


def split_text(text: str, limit: int) -> list[str]:
    """Cut a long reply into parts within the limit, at a paragraph, line or word break if possible."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        # the last paragraph break in the second half of the window, else a line break, else a space
        breaks = (window.rfind(sep) for sep in ("\n\n", "\n", " "))
        cut = next((at for at in breaks if at > limit // 2), limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*parts, rest] if rest else parts


class Pace:
    """Telegram's limits: about one message a second per chat, 20 a minute in groups, 30 a second."""

    def __init__(self, chat_interval: float, group_interval: float, global_interval: float) -> None:
        self.chat_interval, self.group_interval, self.global_interval = (
            chat_interval,
            group_interval,
            global_interval,
        )
        self._next: dict[int, float] = {}
        self._next_any = 0.0
        self._lock = threading.Lock()

    def wait(self, chat_id: int) -> None:
        """Sleep until a message to this chat is allowed, and book the slot."""
        interval = self.group_interval if chat_id < 0 else self.chat_interval
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next.get(chat_id, 0.0), self._next_any)
            self._next[chat_id] = at + interval
            self._next_any = at + self.global_interval
        time.sleep(max(0.0, at - now))
