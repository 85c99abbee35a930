"""Normalised words of a message, shared by the analysers and the FAQ matcher."""

from __future__ import annotations

import re
import unicodedata

from responders.lexicon import EXCLAMATION_OPENERS, QUESTION_WORDS

_WORD = re.compile(r"[\w']+", re.UNICODE)


def normalize(text: str) -> str:
    """Lowercase and strip diacritics, so 'één' and 'een' compare equal."""
    if text.isascii():  # most messages: nothing to strip, and this runs several times per message
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of a text, normalized."""
    return _WORD.findall(normalize(text))


def opens_like_question(tokens: list[str]) -> bool:
    """Whether normalized words start the way a question does ("hoe lang", "can you"), even
    without a question mark; "wat een ..." and "what a ..." open exclamations."""
    return bool(tokens) and tokens[0] in QUESTION_WORDS and tuple(tokens[:2]) not in EXCLAMATION_OPENERS
