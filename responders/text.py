"""Normalised words of a message, shared by the analysers and the FAQ matcher."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from responders.lexicon import EXCLAMATION_OPENERS, QUESTION_WORDS

_WORD = re.compile(r"[\w']+", re.UNICODE)


def normalize(text: str) -> str:
    """Lowercase and strip diacritics, so 'één' and 'een' compare equal."""
    if text.isascii():  # most messages: nothing to strip, and this runs several times per message
        return text.lower()
    if len(text) <= _SHORT:
        return _strip_short(text)
    return _strip(text)


def _strip(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# words and keywords recur in every message: remember the short ones (a few MB at most)
_SHORT = 40
_strip_short = lru_cache(maxsize=20_000)(_strip)


def words(text: str) -> list[str]:
    """The words of a text, normalized."""
    return _WORD.findall(normalize(text))


def opens_like_question(tokens: list[str]) -> bool:
    """Whether normalized words start the way a question does ("hoe lang", "can you"), even
    without a question mark; "wat een ..." and "what a ..." open exclamations."""
    return bool(tokens) and tokens[0] in QUESTION_WORDS and tuple(tokens[:2]) not in EXCLAMATION_OPENERS


# "bestelling 100482", "ordernummer: DK-100482", "order #100482", "#100482"
_ORDER_NUMBER = re.compile(
    r"(?:order|bestelling|bestel|ordernummer|ordernr|bestelnummer|order number|order no|"
    r"ordernummer is|nummer)\W{0,3}(?:is\W{1,2}|nr\W{1,2}|#\s?)?([A-Z]{0,3}-?\d{4,12})\b|#\s?(\d{4,12})\b",
    re.IGNORECASE,
)


def order_number(text: str) -> str:
    """The order number a customer wrote, or "" when there is none."""
    found = _ORDER_NUMBER.search(text)
    return (found.group(1) or found.group(2)) if found else ""


# a number on its own that looks like an order number: not a price, a year or a phone number
_BARE_NUMBER = re.compile(r"(?<![€$£\d.,:/-])\b(\d{5,9})\b(?![.,]\d)(?!\s*(?:euro|eur|€))", re.IGNORECASE)


def bare_number(text: str) -> str:
    """A five- to nine-digit number standing alone ("it's 100477"), for messages about an order."""
    found = _BARE_NUMBER.search(text)
    return found.group(1) if found else ""
