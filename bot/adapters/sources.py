"""What a guideline says about a platform channel: whether a community listens, and to which words."""

from __future__ import annotations

from collections.abc import Iterable

from bot.registry import ContentRegistry
from responders import domain


def source_of(registry: ContentRegistry, platform: str, channel: str) -> domain.Source | None:
    """The guideline source that lists a platform channel, if a community listens to it."""
    community = registry.community_for(platform, channel)
    if community is None:
        return None
    for source in community.guideline.sources:
        if source.platform == platform and channel.lower() in (c.lower() for c in source.channels):
            return source
    return None


def matches_keywords(text: str, keywords: Iterable[str]) -> bool:
    """Whether the text names one of the keywords (case-insensitive)."""
    lowered = text.casefold()
    return any(k.casefold() in lowered for k in keywords)
