"""Test content whose guideline lists a source on every platform the adapters serve."""

from __future__ import annotations

from pathlib import Path

from bot.registry import ContentRegistry
from tests.factories import GUIDELINE, write_content

FEED_PATH = "/forum/feed.atom"

SOURCES = """\
sources:
  - platform: console
    channels: [shop-nl]
  - platform: telegram
    channels: [{chats}]
    keywords: ["de kelder", "bezorging"]
  - platform: reddit
    channels: [{subreddits}]
    keywords: ["de kelder", "dekelder"]
  - platform: rss
    channels: [{feeds}]
    keywords: ["kelder", "bezorging", "delivery"]
  - platform: webhook
    channels: ["shop-reviews"]
    mapping:
      external_id: review.id
      text: review.body
      author_id: review.customer.id
      author_name: review.customer.name
      created_at: review.created_at
      url: review.url
  - platform: webhook
    channels: ["forum"]
"""


def adapter_registry(
    root: Path,
    feeds: list[str] | None = None,
    subreddits: tuple[str, ...] = ("r/wijnliefhebbers", "inbox"),
    chats: tuple[str, ...] = ("@dekelder_community", "direct"),
) -> ContentRegistry:
    """A registry with the test community listening on Telegram, Reddit, feeds and webhooks."""
    quoted = ", ".join(f'"{url}"' for url in feeds or ["http://127.0.0.1:9/none.xml"])
    start, end = GUIDELINE.index("sources:"), GUIDELINE.index("tone:")
    sources = SOURCES.format(
        feeds=quoted,
        subreddits=", ".join(f'"{s}"' for s in subreddits),
        chats=", ".join(f'"{c}"' for c in chats),
    )
    guideline = GUIDELINE[:start] + sources + GUIDELINE[end:]
    guidelines, faq = write_content(root, guideline=guideline)
    return ContentRegistry(guidelines, faq)
