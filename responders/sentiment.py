"""Sentiment of a message: VADER's rules over Dutch and English lexicons, each word's part kept.

Word valences are on VADER's scale (-4..4). Sources, in order of precedence: the webcare words in
`responders.lexicon` (written for customer care), then the shipped lexicons in `lexicons/` (VADER
for English, pattern for Dutch, VADER's emoji; see LICENSES.md there). Rules: negation flips a
word (-0.74, VADER), a degree word before it scales it, contrast ("maar", "but") halves what came
before and weighs what follows by 1.5, a word in capitals and each "!" add emphasis, a positive
word in a question counts nothing (asking "is it good?" is no praise), "te" / "too" before
an adjective is a complaint, and an unknown Dutch word is read by the head of its compound.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from responders.lexicon import (
    BOOSTERS_EN,
    CONTRASTS,
    EMOJI,
    EXCESS_ADJECTIVES_EN,
    INTENSIFIERS,
    LEXICON,
    NEGATIONS,
    NEUTRAL_CONTEXTS,
    PHRASE_LEXICON,
)
from responders.text import normalize, opens_like_question

LEXICONS = Path(__file__).resolve().parent / "lexicons"
# The webcare lists use -1..1; the shipped lexicons were put on VADER's -4..4 scale by the words
# they share: VADER's valence is about 3x the webcare value, pattern's polarity about 0.85x of it.
WEBCARE_SCALE = 3.0
PATTERN_SCALE = 3.0 / 0.85
NEGATION = -0.74
CAPS_EMPHASIS = 0.733
EXCLAMATION_EMPHASIS = 0.292
# asking "is it free?" or "which is best?" is no praise: positive words in a question count nothing
QUESTION_DAMPING = 0.0
# "te zout", "too late": too much of anything is a complaint, worth a mild negative word
EXCESS_WORDS = frozenset({"te", "too"})
EXCESS = -1.5
# VADER's normalisation: compound = sum / sqrt(sum^2 + ALPHA)
ALPHA = 15.0

_URL = re.compile(r"https?://\S+|www\.\S+|@\w+")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_REPEATS = re.compile(r"(.)\1{2,}")
# ASCII emoticons first (":-(", ";)", "<3"), then words with their apostrophes
_TOKEN = re.compile(r"[:;=][\-o']?[()\[\]dDpP/\\|*3]|<3|[\w'’]+")


@dataclass(frozen=True)
class Lexicon:
    """Everything the scorer knows about one language."""

    words: dict[str, float]
    boosters: dict[str, float]
    phrases: dict[tuple[str, ...], float]
    phrase_starts: frozenset[str]
    adjectives: frozenset[str]  # words that "te" / "too" turns into a complaint
    emoji: dict[str, float]
    compounds: bool  # whether unknown words are read as Dutch compounds


def _read_tsv(name: str) -> list[list[str]]:
    text = (LEXICONS / name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def _emoji() -> dict[str, float]:
    """Emoji (one character each) and ASCII emoticons (":-(", "<3"), for every language."""
    found = {emoji: float(value) for emoji, value in _read_tsv("emoji.tsv")}
    emoticons = {w: float(v) for w, v in _read_tsv("en.tsv") if not w.replace("'", "").isalpha()}
    found |= {normalize(e): v for e, v in emoticons.items()} | emoticons
    return found | {normalize(e): value * WEBCARE_SCALE for e, value in EMOJI.items()}


@lru_cache(maxsize=4)
def lexicon(language: str) -> Lexicon:
    """The lexicon for nl or en; another language gets only the webcare words and emoji.

    VADER's and pattern's words mislead in other languages: German "die" and "war" are no
    English "die" and "war".
    """
    if language == "nl":
        rows = _read_tsv("nl.tsv")
        base = {normalize(w): float(p) * PATTERN_SCALE for w, p, _ in rows if float(p)}
        boosters = {normalize(w): float(i) for w, _, i in rows if float(i) > 1.05}
        adjectives = frozenset(normalize(w) for w, _, _ in rows) | {"veel", "weinig"}
    elif language == "en":
        base = {w: float(v) for w, v in _read_tsv("en.tsv")}
        boosters = dict(BOOSTERS_EN)
        adjectives = EXCESS_ADJECTIVES_EN
    else:
        base, boosters, adjectives = {}, {}, frozenset()
    emoji = _emoji()
    words = base | {e: v for e, v in emoji.items() if e.isascii()}
    words |= {w: v * WEBCARE_SCALE for w, v in LEXICON.items()}
    words |= {p: v * WEBCARE_SCALE for p, v in PHRASE_LEXICON.items() if " " not in p}
    phrases = {tuple(p.split()): v * WEBCARE_SCALE for p, v in PHRASE_LEXICON.items() if " " in p}
    phrases |= {tuple(p.split()): 0.0 for p in NEUTRAL_CONTEXTS}
    starts = frozenset(p[0] for p in phrases)
    boosters |= INTENSIFIERS
    return Lexicon(words, boosters, phrases, starts, adjectives, emoji, compounds=language == "nl")


class Part(NamedTuple):
    """One word's (or phrase's, or emoji's) part in the score, after the rules."""

    text: str
    valence: float


def _is_question(sentence: str, tokens: list[str]) -> bool:
    return sentence.rstrip().endswith("?") or (len(tokens) > 2 and opens_like_question(tokens))


_DEGREES = ("ste", "st", "dere", "der", "ere", "er")


def _dutch_valence(word: str, known: dict[str, float]) -> float | None:
    """A Dutch word missing from the lexicon: comparative ("lekkerder"), or the head of a compound.

    Dutch compounds put the meaning last: "klantonvriendelijk" is "onvriendelijk", "superlekker"
    is "lekker"; the longest known head wins, and a head after "on" ("ongezellig") is negated.
    Short heads are skipped: "eigenaar" is no "naar", "biefstuk" no "stuk".
    """
    for suffix in _DEGREES:
        if word.endswith(suffix) and word[: -len(suffix)] in known:
            return known[word[: -len(suffix)]]
    for start in range(3, len(word) - 5):  # heads of six letters or more: "naar", "stuk" mislead
        head = word[start:]
        if head.startswith("ge"):  # a participle of a separable verb: "meegemaakt", "toegelaten"
            continue
        valence = known.get(head)
        if valence is not None:
            return valence * NEGATION if word[:start].endswith("on") else valence
    return None


def _match(tokens: list[str], i: int, lex: Lexicon) -> tuple[int, float | None]:
    """How many tokens from i form a known phrase or word, and its valence (None: unknown)."""
    word = tokens[i]
    if word in lex.phrase_starts:
        for size in (3, 2):
            valence = lex.phrases.get(tuple(tokens[i : i + size]))
            if valence is not None:
                return size, valence
    valence = lex.words.get(word)
    if valence is None and word.isalpha():
        valence = _unknown_valence(word, lex)
    return 1, valence


def _unknown_valence(word: str, lex: Lexicon) -> float | None:
    """A word missing from the lexicon: drawn out ("soooo goooood"), or a Dutch compound."""
    if _REPEATS.search(word):
        valence = lex.words.get(_REPEATS.sub(r"\1\1", word), lex.words.get(_REPEATS.sub(r"\1", word)))
        if valence is not None:
            return valence
    if lex.compounds and len(word) >= 7:
        return _dutch_valence(word, lex.words)
    return None


def _modifies_next(tokens: list[str], i: int, lex: Lexicon) -> bool:
    """A degree word or negation before a known word acts on it and scores nothing itself.

    "heel" in "heel lekker", and "no" in "no good" (VADER's rule: "no" alone is negative).
    """
    modifier = tokens[i] in lex.boosters or tokens[i] in NEGATIONS
    return modifier and i + 1 < len(tokens) and tokens[i + 1] in lex.words


def _sentence_parts(sentence: str, lex: Lexicon, mixed_case: bool) -> list[Part | None]:
    """The parts of one sentence; None marks a contrast word."""
    raw = _TOKEN.findall(sentence)
    tokens = [normalize(t).replace("’", "'") for t in raw]
    question = _is_question(sentence, tokens)
    parts: list[Part | None] = []
    i = 0
    while i < len(tokens):
        size, valence = _match(tokens, i, lex)
        token = tokens[i]
        if i and tokens[i - 1] in EXCESS_WORDS and token in lex.adjectives and (valence or 0.0) <= 0:
            valence = min(valence or 0.0, EXCESS)
        if token in CONTRASTS:
            parts.append(None)
        elif valence and not _modifies_next(tokens, i, lex):
            if mixed_case and len(raw[i]) > 1 and raw[i].isupper():
                valence += math.copysign(CAPS_EMPHASIS, valence)
            before = tokens[max(0, i - 3) : i]
            if before and before[-1] in lex.boosters:
                valence *= lex.boosters[before[-1]]
            if any(w in NEGATIONS for w in before):
                valence *= NEGATION
            if question and valence > 0:
                valence *= QUESTION_DAMPING
            parts.append(Part(" ".join(raw[i : i + size]), valence))
        i += size
    return parts


def _apply_contrast(parts: list[Part | None]) -> list[Part]:
    """What follows "maar" / "but" is what the writer means: before x0.5, after x1.5."""
    weighed: list[Part] = []
    weight = 1.0
    for part in parts:
        if part is None:
            weighed = [Part(p.text, p.valence * 0.5) for p in weighed]
            weight = 1.5
        else:
            weighed.append(Part(part.text, part.valence * weight))
    return weighed


def explain(text: str, language: str) -> list[Part]:
    """Each scored word, phrase or emoji of a message with its valence after the rules."""
    lex = lexicon(language)
    text = _URL.sub(" ", text)
    mixed_case = not text.isupper()  # capitals stand out only in a text that also has lowercase
    found: list[Part | None] = []
    for sentence in _SENTENCE.findall(text):
        found += _sentence_parts(sentence, lex, mixed_case)
    parts = _apply_contrast(found)
    if not text.isascii():
        parts += [Part(c, lex.emoji[c]) for c in text if c in lex.emoji]
    return [p for p in parts if p.valence]


def score(text: str, language: str) -> float:
    """Sentiment in [-1, 1] (VADER's compound) of a message in nl, en or another language."""
    return compound(explain(text, language), text)


def compound(parts: list[Part], text: str) -> float:
    """The score in [-1, 1] of a message whose scored parts `explain` has found."""
    total = sum(p.valence for p in parts)
    if total:
        total += math.copysign(min(text.count("!"), 4) * EXCLAMATION_EMPHASIS, total)
    return total / math.sqrt(total * total + ALPHA)
