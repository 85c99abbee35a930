"""FAQ index and matcher: ranked candidates with a confidence in [0, 1]."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from responders.analysis import normalize
from responders.domain import Candidate, FaqEntry


@dataclass(frozen=True)
class _Phrases:
    texts: tuple[str, ...]
    owners: tuple[str, ...]


def _prepare(text: str) -> str:
    return utils.default_process(normalize(text))


class FaqIndex:
    """Every way customers ask each FAQ entry, ready to match against a new message."""

    def __init__(self, entries: Iterable[FaqEntry]) -> None:
        self.entries = {entry.id: entry for entry in entries}
        self._scoped: dict[tuple[str, tuple[str, ...]], _Phrases] = {}

    def _phrases(self, language: str, tags: tuple[str, ...]) -> _Phrases:
        key = (language, tags)
        if key not in self._scoped:
            texts: list[str] = []
            owners: list[str] = []
            for entry in self.entries.values():
                if entry.language != language or (tags and not set(tags) & set(entry.tags)):
                    continue
                for phrase in (entry.question, *entry.examples):
                    texts.append(_prepare(phrase))
                    owners.append(entry.id)
            self._scoped[key] = _Phrases(tuple(texts), tuple(owners))
        return self._scoped[key]

    def match(
        self, text: str, *, language: str, tags: Sequence[str] = (), limit: int = 3
    ) -> tuple[Candidate, ...]:
        """Rank the entries in scope for a message, best first, one candidate per entry."""
        phrases = self._phrases(language, tuple(tags))
        query = _prepare(text)
        if not query or not phrases.texts:
            return ()
        hits = process.extract(query, phrases.texts, scorer=_score, processor=None, limit=limit * 8)
        best: dict[str, Candidate] = {}
        for phrase, score, index in hits:
            owner = phrases.owners[index]
            if owner not in best or score / 100 > best[owner].confidence:
                best[owner] = Candidate(owner, round(score / 100, 3), phrase)
        return tuple(sorted(best.values(), key=lambda c: -c.confidence)[:limit])


def _score(query: str, choice: str, **kwargs: object) -> float:
    """Blend word-order-free overlap with whole-phrase similarity, so short shared words do not win."""
    return 0.5 * fuzz.token_set_ratio(query, choice) + 0.5 * fuzz.token_sort_ratio(query, choice)
