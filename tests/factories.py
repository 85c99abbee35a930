"""Builders for test content and mentions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

GUIDELINE = """\
id: testshop
name: Testshop community
brand: Testshop
languages: [nl, en]
default_language: nl
sources:
  - platform: console
    channels: [shop-nl]
  - platform: telegram
    channels: ["@testshop"]
tone:
  nl:
    formality: informal
    greetings: ["Hoi {{ name }},", "Hallo {{ name }},"]
    empathy: ["Wat vervelend!"]
    signoffs: ["Groet,"]
    signature: "Team {{ brand }}"
    acknowledgement: "Een collega komt binnen {{ target }} bij je terug."
  en:
    formality: informal
    greetings: ["Hi {{ name }},", "Hello {{ name }},"]
    empathy: ["Sorry to hear that!"]
    signoffs: ["Cheers,"]
    signature: "Team {{ brand }}"
    acknowledgement: "A colleague will get back to you within {{ target }}."
response_targets:
  urgent: 1h
  high: 4h
  normal: 24h
  low: 3d
escalation:
  - name: legal threat
    signals: [legal_threat]
    priority: urgent
    team: legal
    approval: senior
faq:
  tags: [shipping]
  threshold: 0.6
competitors: [Wijnvoordeel]
"""

FAQ = """\
- id: levertijd
  language: nl
  tags: [shipping]
  question: Hoe lang duurt de bezorging?
  examples:
    - wanneer wordt mijn bestelling bezorgd
    - hoe snel leveren jullie
    - wat is de levertijd
  answer: "Bestel je vóór 16:00, dan bezorgen we binnen 1 tot 2 werkdagen."
- id: shipping-time
  language: en
  tags: [shipping]
  question: How long does delivery take?
  examples:
    - when will my order arrive
    - how fast do you deliver
  answer: "Order before 4 pm and we deliver within 1-2 working days."
"""


def write_content(root: Path, guideline: str = GUIDELINE, faq: str = FAQ) -> tuple[Path, Path]:
    """Write one guideline and one FAQ file under root; return (guidelines_dir, faq_dir)."""
    guidelines, faq_dir = root / "guidelines", root / "faq"
    guidelines.mkdir(parents=True, exist_ok=True)
    faq_dir.mkdir(parents=True, exist_ok=True)
    (guidelines / "testshop.yaml").write_text(guideline, encoding="utf-8")
    (faq_dir / "faq.yaml").write_text(faq, encoding="utf-8")
    return guidelines, faq_dir


def mention_json(
    external_id: str = "m-1",
    text: str = "Hoe lang duurt de bezorging van mijn bestelling?",
    *,
    channel: str = "shop-nl",
    platform: str = "console",
    created_at: datetime | None = None,
    author_id: str = "u-1",
    **extra: Any,
) -> dict[str, Any]:
    """A mention as the API and JSONL ingest take it."""
    when = created_at or datetime.now(UTC) - timedelta(minutes=5)
    body: dict[str, Any] = {
        "platform": platform,
        "channel": channel,
        "external_id": external_id,
        "author": {"id": author_id, "handle": "anna_w", "name": "Anna de Wit", "followers": 120},
        "text": text,
        "url": f"https://example.invalid/{external_id}",
        "created_at": when.isoformat(),
        "thread_ref": "",
    }
    body.update(extra)
    return body


def jsonl(*items: dict[str, Any]) -> str:
    """Lines of a JSONL file."""
    return "\n".join(json.dumps(item) for item in items) + "\n"
