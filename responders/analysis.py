"""Language, signals and what the customer is doing, from word lists; sentiment from the shipped
model (responders/sentiment_model.py) or, without it, the lexicon."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from responders import sentiment, sentiment_model
from responders.acts import addresses_brand, classify
from responders.domain import Analysis, ReplyTo, SentimentLabel
from responders.lexicon import (
    NEGATIONS,
    OTHER_STOPWORDS,
    PROFANITY,
    SIGNAL_PHRASES,
    SPAM_HINTS,
    SPAM_PHRASES,
    STOPWORDS,
)
from responders.text import normalize, opens_like_question, words

# normalize and words moved to responders.text; other modules still import them from here
__all__ = ["analyze", "detect_language", "detect_signals", "label_for", "normalize", "words"]
_URL = re.compile(r"https?://\S+|www\.\S+")
# VADER's published thresholds on its compound score; on SemEval-2016 en they come within 0.2 points
# of the most accurate pair, and were checked on the Dutch sentences and TweetEval (docs/benchmarks.md)
NEGATIVE_AT = -0.05
POSITIVE_AT = 0.05


def detect_language(tokens: Iterable[str], default: str = "nl") -> str:
    """Guess nl, en, de, fr or es from stopword hits ('other' when none fits); ties go to the default."""
    known = STOPWORDS | OTHER_STOPWORDS
    counts = dict.fromkeys(known, 0)
    total = 0
    for token in tokens:
        total += 1
        for lang, stop in known.items():
            if token in stop:
                counts[lang] += 1
    best = max(counts, key=lambda lang: counts[lang])
    if counts[best] == 0:
        return default if total <= 3 else "other"
    tied = {lang for lang, n in counts.items() if n == counts[best]}
    if len(tied) > 1:
        # a tie is settled for the community's default first, then for Dutch or English
        return default if default in tied else next(lang for lang in known if lang in tied)
    if best in OTHER_STOPWORDS:
        # German, French and Spanish are named, so a guideline can answer them or say it cannot
        return best
    # a long message with barely any Dutch or English function words is in another language
    if total >= 8 and counts[best] / total < 0.12:
        return "other"
    return best


def label_for(score: float) -> SentimentLabel:
    """Turn a score into negative, neutral or positive."""
    if score <= NEGATIVE_AT:
        return "negative"
    if score >= POSITIVE_AT:
        return "positive"
    return "neutral"


@lru_cache(maxsize=256)
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a list of phrases, each starting at a word start.

    A word-start boundary: "kurk" matches "kurksmaak", "buy" does not match "nobuy", "dating" does
    not match "updating". A phrase that starts with a sign ("/week") may follow anything ("€500/week").
    """
    return re.compile("|".join(("(?<!\\w)" if p[:1].isalnum() else "") + re.escape(p) for p in phrases))


def _contains_any(plain: str, phrases: tuple[str, ...]) -> bool:
    return bool(phrases) and _phrase_pattern(phrases).search(plain) is not None


# signals a negation just before the phrase turns around: "zeker geen aanrader" is no praise,
# "never had a problem with" no complaint, "nog niet opgelost" no fix
_NEGATABLE = frozenset({"praise", "complaint", "resolved"})
# "without a doubt amazing", "zonder problemen", "despite the rain, perfect": no negation of the phrase
_PHRASE_NEGATIONS = NEGATIONS - {"zonder", "without", "despite"}
# "not only ..., but", "niet alleen ..., maar": a negation of "only", not of what follows
_NOT_ONLY = frozenset({"only", "just", "alleen", "enkel"})
_CLAUSE = re.compile(r"[.,;:!?()]|\b(?:maar|but)\b")


def _negated(before: str) -> bool:
    """Whether the last three words of the clause before a phrase negate it."""
    near = _CLAUSE.split(before)[-1].split()[-3:]
    following = [*near[1:], ""]  # the word after each; "" where the phrase itself follows
    return any(w in _PHRASE_NEGATIONS and f not in _NOT_ONLY for w, f in zip(near, following, strict=False))


def _affirms_any(plain: str, phrases: tuple[str, ...]) -> bool:
    """Whether one of the phrases occurs without a negation just before it."""
    return bool(phrases) and any(
        not _negated(plain[: match.start()]) for match in _phrase_pattern(phrases).finditer(plain)
    )


def _is_spam(text: str, plain: str) -> bool:
    """Two links, a spam phrase, or a word spammers use together with a link or another such word."""
    links = len(_URL.findall(text))
    hints = {m.group() for m in _phrase_pattern(SPAM_HINTS).finditer(plain)}
    return links >= 2 or _contains_any(plain, SPAM_PHRASES) or (bool(hints) and (links > 0 or len(hints) > 1))


def detect_signals(text: str, tokens: list[str], competitors: Iterable[str] = ()) -> frozenset[str]:
    """Find the signals a webcare agent cares about in a message."""
    plain = normalize(text)
    found = {
        name
        for name, phrases in SIGNAL_PHRASES.items()
        if (_affirms_any if name in _NEGATABLE else _contains_any)(plain, tuple(phrases))
    }
    if "?" in text or opens_like_question(tokens):
        found.add("question")
    if _contains_any(plain, tuple(normalize(c) for c in competitors if c.strip())):
        found.add("competitor")
    if _is_spam(text, plain):
        found.add("spam")
    if PROFANITY.intersection(tokens):
        found.add("profanity")
    return frozenset(found)


def analyze(
    text: str,
    *,
    default_language: str = "nl",
    competitors: Iterable[str] = (),
    brand_names: Iterable[str] = (),
    reply_to: ReplyTo = "",
    learned_sentiment: bool = True,
) -> Analysis:
    """Analyse one message: language, sentiment, signals and what the customer is doing.

    Sentiment comes from the shipped model (responders/sentiment_model.py) when it and its
    encoder are installed, from the lexicon otherwise or when learned_sentiment is False."""
    tokens = words(text)
    language = detect_language(tokens, default_language)
    parts = sentiment.explain(text, language)
    lexical = sentiment.compound(parts, text)
    signals = detect_signals(text, tokens, competitors)
    # questions and praise stay with the lexicon: the model learned from reviews and tweets, and
    # reads a plain question about an order, or "binnen een uur advies gekregen", as a complaint
    by_model = learned_sentiment and not signals & {"question", "praise"}
    learned = sentiment_model.score(text, language, parts) if by_model else None
    score = lexical if learned is None else learned
    if signals & {"legal_threat", "churn_threat"}:
        score = min(score, -0.4)
    if "profanity" in signals and score < 0:
        score = max(-1.0, score - 0.2)
    to_brand = addresses_brand(text, tokens, brand_names)
    act = classify(signals, score, reply_to=reply_to, to_brand=to_brand)
    if act == "complaint":
        # "nog steeds niet binnen" is a complaint without a single strong word
        score = min(score, -0.2)
    elif "question" in signals and act in {"question", "conversation", "competitor"} and score < 0:
        # a plain question is neutral: "ben nooit thuis", "sorry for writing in English" set the
        # scene, they report no bad experience (those are complaints, above)
        score = 0.0
    elif "question" in signals and act == "question" and score > 0 >= lexical:
        # "is wine still good after opening?" asks, it does not praise: the lexicon, which
        # reads a question's positive words as nothing, must agree before a question is positive
        score = 0.0
    return Analysis(
        language=language,
        sentiment=round(score, 3),
        sentiment_label=label_for(score),
        signals=signals,
        act=act,
    )
