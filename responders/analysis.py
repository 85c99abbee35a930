"""Language, sentiment and signals of a mention, from word lists: fast, offline, explainable."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from responders.domain import Analysis, SentimentLabel
from responders.lexicon import (
    CONTRASTS,
    EMOJI,
    INTENSIFIERS,
    LEXICON,
    NEGATIONS,
    NEUTRAL_CONTEXTS,
    PHRASE_LEXICON,
    PROFANITY,
    QUESTION_WORDS,
    SIGNAL_PHRASES,
    SPAM_PHRASES,
    STOPWORDS,
)

_WORD = re.compile(r"[\w']+", re.UNICODE)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_URL = re.compile(r"https?://\S+|www\.\S+")
# suffixes tried when a word is not in the lexicon: inflected Dutch adjectives, English plurals
_SUFFIXES = ("e", "en", "er", "ste", "s", "ly", "d", "ed")
# positive words inside a question usually ask about quality ("which wine is good") rather than praise
_QUESTION_DAMPING = 0.25
_NEGATION_FLIP = -0.7


def normalize(text: str) -> str:
    """Lowercase and strip diacritics, so 'één' and 'een' compare equal."""
    if text.isascii():  # most messages: nothing to strip, and this runs several times per message
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of a text, normalized."""
    return _WORD.findall(normalize(text))


def detect_language(tokens: Iterable[str], default: str = "nl") -> str:
    """Guess nl, en or 'other' from stopword hits; ties go to the community's default."""
    counts = dict.fromkeys(STOPWORDS, 0)
    total = 0
    for token in tokens:
        total += 1
        for lang, stop in STOPWORDS.items():
            if token in stop:
                counts[lang] += 1
    best = max(counts, key=lambda lang: counts[lang])
    if counts[best] == 0:
        return default if total <= 3 else "other"
    if list(counts.values()).count(counts[best]) > 1:
        return default if default in counts else best
    # a long message with barely any Dutch or English function words is in another language
    if total >= 8 and counts[best] / total < 0.12:
        return "other"
    return best


def _polarity(token: str) -> float | None:
    if token in LEXICON:
        return LEXICON[token]
    for suffix in _SUFFIXES:
        stem = token.removesuffix(suffix)
        if stem != token and len(stem) >= 3 and stem in LEXICON:
            return LEXICON[stem]
    return None


def _is_question(sentence: str, tokens: list[str]) -> bool:
    return sentence.rstrip().endswith("?") or bool(tokens and tokens[0] in QUESTION_WORDS and len(tokens) > 2)


def _sentence_scores(sentence: str) -> list[float]:
    plain = " " + " ".join(words(sentence)) + " "
    for context in NEUTRAL_CONTEXTS:
        plain = plain.replace(f" {context} ", " ")
    found: list[float] = []
    for phrase, polarity in PHRASE_LEXICON.items():
        if f" {phrase} " in plain:
            found.append(polarity)
            plain = plain.replace(f" {phrase} ", " ")
    tokens = plain.split()
    question = _is_question(sentence, words(sentence))
    weight = 1.0
    for i, token in enumerate(tokens):
        if token in CONTRASTS:
            # what follows "maar" / "but" is what the writer means
            found = [score * 0.5 for score in found]
            weight = 1.5
            continue
        known = _polarity(token)
        if known is None:
            continue
        polarity = known
        window = tokens[max(0, i - 3) : i]
        if any(w in NEGATIONS for w in window):
            polarity *= _NEGATION_FLIP
        if window and window[-1] in INTENSIFIERS:
            polarity *= INTENSIFIERS[window[-1]]
        if question and polarity > 0:
            polarity *= _QUESTION_DAMPING
        found.append(polarity * weight)
    return found


def score_sentiment(text: str) -> float:
    """A sentiment score in [-1, 1] from the lexicon, with negation, intensifiers, emoji and shouting."""
    found: list[float] = []
    for sentence in _SENTENCE.findall(_URL.sub(" ", text)):
        found += _sentence_scores(sentence)
    for emoji, polarity in EMOJI.items():
        found += [polarity] * text.count(emoji)
    if not found:
        return 0.0
    score = sum(found) / (math.sqrt(len(found)) * 1.2)
    shouting = sum(1 for w in text.split() if len(w) > 3 and w.isupper() and w.isalpha())
    if shouting or "!!" in text:
        score *= 1.3
    return max(-1.0, min(1.0, score))


def label_for(score: float) -> SentimentLabel:
    """Turn a score into negative, neutral or positive."""
    if score <= -0.2:
        return "negative"
    if score >= 0.2:
        return "positive"
    return "neutral"


@lru_cache(maxsize=256)
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a list of phrases, each starting at a word start.

    A word-start boundary: "kurk" matches "kurksmaak", "buy" does not match "nobuy".
    """
    return re.compile(r"(?<![\w])(?:" + "|".join(re.escape(p) for p in phrases) + ")")


def _contains_any(plain: str, phrases: tuple[str, ...]) -> bool:
    return bool(phrases) and _phrase_pattern(phrases).search(plain) is not None


def detect_signals(text: str, tokens: list[str], competitors: Iterable[str] = ()) -> frozenset[str]:
    """Find the signals a webcare agent cares about in a message."""
    plain = normalize(text)
    found = {name for name, phrases in SIGNAL_PHRASES.items() if _contains_any(plain, tuple(phrases))}
    if "?" in text or (tokens and tokens[0] in QUESTION_WORDS):
        found.add("question")
    if _contains_any(plain, tuple(normalize(c) for c in competitors if c.strip())):
        found.add("competitor")
    if len(_URL.findall(text)) >= 2 or any(p in plain for p in SPAM_PHRASES):
        found.add("spam")
    if PROFANITY.intersection(tokens):
        found.add("profanity")
    return frozenset(found)


def analyze(text: str, *, default_language: str = "nl", competitors: Iterable[str] = ()) -> Analysis:
    """Analyse one message: language, sentiment and signals."""
    tokens = words(text)
    score = score_sentiment(text)
    signals = detect_signals(text, tokens, competitors)
    if signals & {"legal_threat", "churn_threat"}:
        score = min(score, -0.4)
    if "profanity" in signals and score < 0:
        score = max(-1.0, score - 0.2)
    if "complaint" in signals and "question" not in signals and "praise" not in signals:
        score = min(score, -0.2)
    if "praise" in signals:
        signals = signals - {"praise"} if score < 0 else signals
    return Analysis(
        language=detect_language(tokens, default_language),
        sentiment=round(score, 3),
        sentiment_label=label_for(score),
        signals=signals,
    )
