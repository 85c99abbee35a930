"""Honest delivery state: an approved reply for a platform without a configured adapter waits."""

from __future__ import annotations

from collections.abc import Container

# how people write the platforms' names; others are shown capitalised
NAMES = {"rss": "RSS", "telegram": "Telegram", "reddit": "Reddit", "webhook": "webhook"}


def platform_name(platform: str) -> str:
    """'telegram' -> 'Telegram', as an agent writes it."""
    return NAMES.get(platform, platform.capitalize())


def waiting(platform: str, connected: Container[str]) -> str:
    """'waiting: no Telegram connection' when no adapter sends to this platform, else ''."""
    if not platform or platform in connected:
        return ""
    return f"waiting: no {platform_name(platform)} connection"
