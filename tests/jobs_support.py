"""Content and helpers for the jobs tests: a community with reminders, follow-ups and retention."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from bot import pipeline
from bot.adapters.base import Capabilities, OutgoingMessage, Receipt
from bot.pipeline import work
from bot.pipeline.aftercare import Aftercare
from bot.registry import ContentRegistry
from bot.schemas import MentionIn
from tests.factories import GUIDELINE, mention_json, write_content

POLICIES = """\
timezone: Europe/Amsterdam
reminders:
  enabled: true
  delay: 2d
  quiet_hours: {start: "21:00", end: "09:00"}
  max_nudges: 1
  opt_out_words: [stop, geen berichten meer]
  template:
    nl: "Kunnen we je nog ergens mee helpen?"
    en: "Can we still help you with anything?"
follow_ups:
  steps:
    - name: thanks
      delay: 0m
      window: 1d
      template:
        nl: "Bedankt voor je bestelling!"
        en: "Thanks for your order!"
    - name: tips
      delay: 3d
      window: 4d
      by_category:
        sparkling:
          nl: "Tip: schenk je bubbels op 6-8 °C."
          en: "Tip: serve your bubbles at 6-8 °C."
        red:
          nl: "Tip: laat de rode wijn een uur ademen."
    - name: satisfaction
      delay: 14d
      window: 7d
      satisfaction_check: true
      template: {nl: "Hoe beviel je bestelling?"}
retention_days: 30
"""

# Tuesday 24 Nov 2026, 10:00 UTC = 11:00 in Amsterdam: outside quiet hours
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def policy_registry(root: Path, extra: str = POLICIES) -> ContentRegistry:
    """The test community with the policies of this module."""
    guidelines, faq = write_content(root / "content", GUIDELINE + extra)
    return ContentRegistry(guidelines, faq)


class RecordingSender:
    """A platform that records what it was given; capabilities as the test needs."""

    def __init__(self, platform: str = "console", *, can_start_conversation: bool = True) -> None:
        self.platform = platform
        self.capabilities = Capabilities(can_start_conversation=can_start_conversation)
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> Receipt:
        """Record the message."""
        self.sent.append(message)
        return Receipt(f"{self.platform}-{len(self.sent)}")


def receive(
    session: Session, registry: ContentRegistry, external_id: str, text: str, at: datetime, **kw: str
) -> int:
    """A customer message taken in at `at`; returns its draft id (or -1 when none)."""
    body = mention_json(external_id, text, created_at=at, **kw)
    result = pipeline.receive(session, MentionIn.model_validate(body).to_mention(), registry, now=at)
    return result.draft_id if result.draft_id is not None else -1


def deliver(session: Session, registry: ContentRegistry, sender: RecordingSender, at: datetime) -> None:
    """One delivery round at `at`, with the production delivery policy."""
    pipeline.deliver_due(session, {sender.platform: sender}, now=at, worker="w", policy=Aftercare(registry))


def run_jobs(
    session: Session, registry: ContentRegistry, sender: RecordingSender, at: datetime
) -> work.JobReport:
    """One round of due jobs at `at`, with the production handlers."""
    from bot.jobs import HANDLERS

    context = work.JobContext(registry, {sender.platform: sender}, at)
    return work.run_due_jobs(session, HANDLERS, context, worker="w")
