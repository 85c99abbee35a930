"""Sending helpers for chat platforms: cutting long replies and pacing messages per chat."""

from __future__ import annotations

import threading
import time
import unicodedata


def split_text(text: str, limit: int) -> list[str]:
    """Cut a long reply into parts within the limit, at a paragraph, line or word break if possible,
    and never inside a character as the reader sees it (a flag, a family emoji, an accented letter)."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        # the last paragraph break in the second half of the window, else a line break, else a space
        breaks = (window.rfind(sep) for sep in ("\n\n", "\n", " "))
        cut = grapheme_boundary(rest, next((at for at in breaks if at > limit // 2), limit))
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*parts, rest] if rest else parts


def _joins_previous(char: str) -> bool:
    """Whether a character belongs to the one before it: accents, joiners, selectors, skin tones."""
    point = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or point in (0x200C, 0x200D)  # zero-width (non-)joiner
        or 0xFE00 <= point <= 0xFE0F  # variation selectors (text or emoji style)
        or 0x1F3FB <= point <= 0x1F3FF  # emoji skin tone modifiers
        or 0xE0020 <= point <= 0xE007F  # tags: the flags of England, Scotland and Wales
        or 0xE0100 <= point <= 0xE01EF  # variation selectors supplement
        or 0x1160 <= point <= 0x11FF  # Hangul vowels and final consonants of a syllable
    )


def _regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def grapheme_boundary(text: str, at: int) -> int:
    """The nearest place at or before `at` where text may be cut without splitting a character as
    the reader sees it: an approximation of Unicode's extended grapheme clusters (UAX #29) that
    covers combining marks, ZWJ emoji sequences, flags, skin tones and CR LF. A cluster longer
    than `at` is cut where asked, as it cannot be kept whole within the limit."""
    cut = at
    while 0 < cut < len(text) and not _may_cut(text, cut):
        cut -= 1
    return cut if cut > 0 else at


def _may_cut(text: str, at: int) -> bool:
    before, after = text[at - 1], text[at]
    if _joins_previous(after) or before == "\u200d" or (before, after) == ("\r", "\n"):
        return False
    if _regional_indicator(before) and _regional_indicator(after):
        # flags are pairs: a cut between two indicators is allowed only after an even run of them
        run = 0
        while at - 1 - run >= 0 and _regional_indicator(text[at - 1 - run]):
            run += 1
        return run % 2 == 0
    return True


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
