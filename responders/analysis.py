"""Language, sentiment and signals of a mention, from word lists: fast, offline, explainable."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from responders.domain import Analysis, SentimentLabel

_WORD = re.compile(r"[\w']+", re.UNICODE)

_STOPWORDS = {
    "nl": {
        "de",
        "het",
        "een",
        "en",
        "van",
        "ik",
        "je",
        "jij",
        "u",
        "uw",
        "is",
        "niet",
        "dat",
        "die",
        "wat",
        "er",
        "op",
        "in",
        "te",
        "met",
        "voor",
        "zijn",
        "maar",
        "ook",
        "al",
        "nog",
        "wel",
        "geen",
        "mijn",
        "bij",
        "naar",
        "als",
        "dan",
        "om",
        "hoe",
        "waar",
        "wanneer",
        "waarom",
        "kan",
        "kun",
        "kunnen",
        "heb",
        "hebben",
        "ben",
        "was",
        "wordt",
        "worden",
        "moet",
        "mag",
        "zou",
        "zo",
        "nu",
        "dit",
        "deze",
        "ze",
        "we",
        "wij",
        "jullie",
        "hun",
        "heel",
        "erg",
        "echt",
        "bestelling",
        "bezorging",
        "wijn",
        "fles",
        "dank",
        "bedankt",
        "hallo",
        "hoi",
        "graag",
        "alvast",
        "weer",
        "gewoon",
        "toch",
    },
    "en": {
        "the",
        "a",
        "an",
        "and",
        "of",
        "i",
        "you",
        "your",
        "is",
        "not",
        "that",
        "this",
        "what",
        "there",
        "on",
        "in",
        "to",
        "with",
        "for",
        "be",
        "are",
        "but",
        "also",
        "still",
        "no",
        "my",
        "at",
        "as",
        "than",
        "how",
        "where",
        "when",
        "why",
        "can",
        "could",
        "have",
        "has",
        "was",
        "were",
        "will",
        "would",
        "should",
        "do",
        "does",
        "did",
        "it",
        "its",
        "we",
        "they",
        "them",
        "our",
        "their",
        "very",
        "really",
        "order",
        "delivery",
        "wine",
        "bottle",
        "thanks",
        "thank",
        "hello",
        "hi",
        "please",
        "again",
        "just",
        "get",
        "got",
        "been",
        "any",
    },
}

# word -> polarity in [-1, 1]; intensity is scaled later
_LEXICON: dict[str, float] = {
    # Dutch
    "goed": 0.6,
    "geweldig": 0.9,
    "top": 0.8,
    "super": 0.8,
    "mooi": 0.6,
    "lekker": 0.7,
    "heerlijk": 0.9,
    "blij": 0.7,
    "tevreden": 0.7,
    "snel": 0.3,
    "fantastisch": 0.9,
    "prima": 0.4,
    "aanrader": 0.8,
    "bedankt": 0.4,
    "dank": 0.4,
    "fijn": 0.6,
    "perfect": 0.9,
    "vriendelijk": 0.6,
    "slecht": -0.7,
    "teleurgesteld": -0.8,
    "teleurstellend": -0.8,
    "boos": -0.8,
    "kapot": -0.6,
    "gebroken": -0.6,
    "laat": -0.3,
    "nooit": -0.3,
    "klacht": -0.6,
    "waardeloos": -0.9,
    "belachelijk": -0.8,
    "schandalig": -0.9,
    "opgelicht": -1.0,
    "oplichters": -1.0,
    "fraude": -0.9,
    "zuur": -0.4,
    "kurk": -0.5,
    "vies": -0.7,
    "bedorven": -0.8,
    "kwijt": -0.5,
    "vervelend": -0.6,
    "irritant": -0.7,
    "frustrerend": -0.8,
    "traag": -0.5,
    "duur": -0.3,
    "verkeerd": -0.6,
    "advocaat": -0.6,
    "rechtszaak": -0.8,
    "terugbetaling": -0.3,
    "geld": -0.1,
    "helaas": -0.4,
    "stuk": -0.4,
    "niks": -0.3,
    "nergens": -0.3,
    "wachten": -0.3,
    "wacht": -0.3,
    # English
    "good": 0.6,
    "great": 0.8,
    "excellent": 0.9,
    "love": 0.8,
    "loved": 0.8,
    "amazing": 0.9,
    "happy": 0.7,
    "fast": 0.3,
    "delicious": 0.8,
    "thanks": 0.4,
    "awesome": 0.9,
    "nice": 0.5,
    "recommend": 0.6,
    "friendly": 0.6,
    "helpful": 0.6,
    "best": 0.7,
    "bad": -0.7,
    "terrible": -0.9,
    "awful": -0.9,
    "disappointed": -0.8,
    "angry": -0.8,
    "broken": -0.6,
    "late": -0.4,
    "never": -0.3,
    "complaint": -0.6,
    "worst": -0.9,
    "ridiculous": -0.8,
    "scam": -1.0,
    "scammed": -1.0,
    "fraud": -0.9,
    "corked": -0.6,
    "wrong": -0.6,
    "lawyer": -0.6,
    "lawsuit": -0.8,
    "refund": -0.3,
    "unacceptable": -0.9,
    "useless": -0.8,
    "rude": -0.8,
    "slow": -0.5,
    "missing": -0.5,
    "lost": -0.5,
    "annoying": -0.7,
    "horrible": -0.9,
    "waiting": -0.3,
    "still": -0.1,
}
_EMOJI: dict[str, float] = {
    "😀": 0.7,
    "😃": 0.7,
    "😊": 0.7,
    "😍": 0.9,
    "👍": 0.6,
    "🙏": 0.4,
    "❤": 0.8,
    "🍷": 0.2,
    "🥂": 0.5,
    "😡": -0.9,
    "😠": -0.8,
    "🤬": -1.0,
    "😞": -0.6,
    "😢": -0.6,
    "👎": -0.7,
    "🙄": -0.5,
}
_NEGATIONS = {
    "niet",
    "geen",
    "nooit",
    "not",
    "no",
    "never",
    "don't",
    "didn't",
    "isn't",
    "wasn't",
    "doesn't",
    "nobody",
    "niemand",
}
_INTENSIFIERS = {
    "heel": 1.5,
    "erg": 1.5,
    "zeer": 1.6,
    "echt": 1.3,
    "super": 1.5,
    "very": 1.5,
    "really": 1.3,
    "so": 1.3,
    "extremely": 1.8,
    "totally": 1.5,
    "totaal": 1.5,
}

_PHRASES: dict[str, tuple[str, ...]] = {
    "legal_threat": (
        "advocaat",
        "rechtszaak",
        "juridisch",
        "consumentenbond",
        "aangifte",
        "ingebrekestelling",
        "lawyer",
        "lawsuit",
        "legal action",
        "sue you",
        "court",
    ),
    "churn_threat": (
        "nooit meer",
        "laatste keer",
        "ga ergens anders",
        "overstappen",
        "never again",
        "last time i",
        "switching to",
        "cancel my",
        "opzeggen",
    ),
    "urgency": (
        "dringend",
        "spoed",
        "asap",
        "urgent",
        "vandaag nog",
        "nu meteen",
        "immediately",
        "right now",
        "vanavond",
    ),
    "buying_intent": (
        "wil bestellen",
        "kopen",
        "bestellen",
        "aanraden",
        "welke wijn",
        "adviseren",
        "cadeau",
        "buy",
        "purchase",
        "recommend a",
        "looking for a",
        "which wine",
        "order some",
        "price of",
        "wat kost",
        "how much",
    ),
    "complaint": (
        "klacht",
        "kapot",
        "gebroken",
        "niet ontvangen",
        "nog steeds niet",
        "te laat",
        "verkeerde",
        "teleurgesteld",
        "complaint",
        "broken",
        "not received",
        "still not",
        "never arrived",
        "wrong",
        "damaged",
        "refund",
        "terugbetaling",
        "geld terug",
    ),
    "praise": (
        "geweldig",
        "top service",
        "bedankt",
        "dank je",
        "aanrader",
        "heerlijk",
        "love",
        "great service",
        "thank you",
        "thanks",
        "amazing",
        "excellent",
    ),
}
_SPAM_PHRASES = (
    "crypto",
    "bitcoin",
    "verdien snel",
    "gratis iphone",
    "click here",
    "klik hier",
    "earn money",
    "dm me for",
    "promo code",
    "followers kopen",
    "buy followers",
    "casino",
    "100% gratis",
)
_URL = re.compile(r"https?://|www\.")
_QUESTION_WORDS = {
    "hoe",
    "wat",
    "wanneer",
    "waar",
    "waarom",
    "welke",
    "kan",
    "kunnen",
    "mag",
    "is",
    "zijn",
    "how",
    "what",
    "when",
    "where",
    "why",
    "which",
    "can",
    "could",
    "do",
    "does",
    "are",
    "will",
}
_PROFANITY = {
    "kut",
    "klote",
    "godverdomme",
    "tering",
    "kanker",
    "shit",
    "fuck",
    "fucking",
    "damn",
    "crap",
    "wtf",
    "bullshit",
}


def normalize(text: str) -> str:
    """Lowercase and strip diacritics, so 'één' and 'een' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of a text, normalized."""
    return _WORD.findall(normalize(text))


def detect_language(tokens: Iterable[str], default: str = "nl") -> str:
    """Guess nl, en or 'other' from stopword hits; ties go to the community's default."""
    counts = dict.fromkeys(_STOPWORDS, 0)
    total = 0
    for token in tokens:
        total += 1
        for lang, stop in _STOPWORDS.items():
            if token in stop:
                counts[lang] += 1
    best = max(counts, key=lambda lang: counts[lang])
    if counts[best] == 0:
        return default if total <= 3 else "other"
    if list(counts.values()).count(counts[best]) > 1:
        return default
    return best


def score_sentiment(text: str, tokens: list[str]) -> float:
    """A sentiment score in [-1, 1] from the lexicon, with negation, intensifiers and emoji."""
    total = 0.0
    hits = 0
    for i, token in enumerate(tokens):
        polarity = _LEXICON.get(token)
        if polarity is None:
            continue
        window = tokens[max(0, i - 3) : i]
        if any(w in _NEGATIONS for w in window):
            polarity = -polarity * 0.7
        for w in window[-1:]:
            polarity *= _INTENSIFIERS.get(w, 1.0)
        total += polarity
        hits += 1
    for emoji, polarity in _EMOJI.items():
        count = text.count(emoji)
        total += polarity * count
        hits += count
    if hits == 0:
        return 0.0
    score = float(total / (hits**0.5 * 1.2))
    shouting = sum(1 for w in text.split() if len(w) > 3 and w.isupper())
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


def detect_signals(text: str, tokens: list[str], competitors: Iterable[str] = ()) -> frozenset[str]:
    """Find the signals a webcare agent cares about in a message."""
    plain = normalize(text)
    found = {name for name, phrases in _PHRASES.items() if any(p in plain for p in phrases)}
    if "?" in text or (tokens and tokens[0] in _QUESTION_WORDS):
        found.add("question")
    if any(normalize(c) in plain for c in competitors if c):
        found.add("competitor")
    if len(_URL.findall(text)) >= 2 or any(p in plain for p in _SPAM_PHRASES):
        found.add("spam")
    if _PROFANITY.intersection(tokens):
        found.add("profanity")
    return frozenset(found)


def analyze(text: str, *, default_language: str = "nl", competitors: Iterable[str] = ()) -> Analysis:
    """Analyse one message: language, sentiment and signals."""
    tokens = words(text)
    score = score_sentiment(text, tokens)
    signals = detect_signals(text, tokens, competitors)
    if "legal_threat" in signals or "churn_threat" in signals:
        score = min(score, -0.4)
    return Analysis(
        language=detect_language(tokens, default_language),
        sentiment=round(score, 3),
        sentiment_label=label_for(score),
        signals=signals,
    )
