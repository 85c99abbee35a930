"""`webcare drafts eval`: each case through the API's intake into a scratch database, its draft checked."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bot import migrations, pipeline
from bot.adapters.base import Capabilities, OutgoingMessage, Receipt, Sender
from bot.db import make_engine
from bot.drafts_cases import Case, CaseAuthor, ContentFacts, NumberedCase
from bot.drafts_checks import Outcome, Problem, check
from bot.models import Draft
from bot.registry import ContentRegistry
from bot.schemas import AuthorIn, MentionIn
from responders import domain

# A Tuesday morning in office hours (10:30 in Amsterdam), the same on every run; `--at` moves it.
DEFAULT_AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
# earlier messages of a thread are an hour apart: a customer's cool-down never hides the case
THREAD_GAP = timedelta(hours=1)
ACTOR = "drafts-eval"
PLATFORMS = ("telegram", "reddit", "rss", "webhook", "console")


@dataclass(frozen=True)
class Failure:
    """A case whose draft missed one or more expectations."""

    id: str
    line: int
    text: str
    action: str
    draft: str
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Report:
    """The outcome of a case file."""

    cases: int
    passed: int
    failures: tuple[Failure, ...]

    @property
    def share(self) -> float:
        """The share of cases that pass, in [0, 1]."""
        return round(self.passed / self.cases, 4) if self.cases else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The report as `--json` prints it."""
        return {
            "cases": self.cases,
            "passed": self.passed,
            "share": self.share,
            "failures": [asdict(failure) for failure in self.failures],
        }


class _Recorder:
    """Takes the brand's earlier replies in a thread as sent, so the thread holds them as a platform would."""

    platform = "eval"
    capabilities = Capabilities(max_length=100_000, deduplicates=True)

    def __init__(self) -> None:
        self.sent = 0

    def send(self, message: OutgoingMessage) -> Receipt:
        """Count the message as sent."""
        self.sent += 1
        return Receipt(platform_message_id=f"eval-{self.sent}")


def content_facts(registry: ContentRegistry) -> ContentFacts:
    """The channels, FAQ ids, teams and languages of the content in force."""
    snapshot = registry.snapshot
    guidelines = [community.guideline for community in snapshot.communities.values()]
    return ContentFacts(
        communities=snapshot.channels,
        faq_ids=set(snapshot.faq.entries),
        teams={"webcare"} | {rule.team for g in guidelines for rule in g.escalation},
        languages={language for g in guidelines for language in g.languages},
    )


def evaluate(cases: list[NumberedCase], registry: ContentRegistry, *, at: datetime = DEFAULT_AT) -> Report:
    """Post every case at `at` into a fresh, migrated SQLite database and check its draft."""
    with tempfile.TemporaryDirectory(prefix="webcare-drafts-eval-") as folder:
        url = f"sqlite:///{Path(folder) / 'eval.db'}"
        migrations.upgrade(url)
        engine = make_engine(url)
        recorder = _Recorder()
        senders: dict[str, Sender] = dict.fromkeys(PLATFORMS, recorder)
        try:
            with Session(engine, expire_on_commit=False) as session:
                pipeline.sync_communities(session, registry, now=at)
                found = [_run(session, registry, senders, numbered, at) for numbered in cases]
        finally:
            engine.dispose()
    failures = tuple(failure for failure in found if failure is not None)
    return Report(len(cases), len(cases) - len(failures), failures)


def _run(
    session: Session,
    registry: ContentRegistry,
    senders: Mapping[str, Sender],
    numbered: NumberedCase,
    at: datetime,
) -> Failure | None:
    case = numbered.case
    problems = _post_thread(session, registry, senders, case, at)
    received = pipeline.receive(
        session, _mention(case, len(case.thread), case.text, at, case.reply_to), registry, now=at
    )
    draft = session.get(Draft, received.draft_id) if received.draft_id is not None else None
    outcome = _outcome(received.action, draft)
    community = registry.community_for(case.platform, case.channel)
    assert community is not None  # checked when the cases were read
    problems += check(case, outcome, community.guideline)
    if not problems:
        return None
    return Failure(case.id, numbered.line, case.text, outcome.action, outcome.text, tuple(problems))


def _outcome(action: str, draft: Draft | None) -> Outcome:
    if draft is None:
        return Outcome(action, "", None, "webcare", "")
    text = "" if draft.status == "ignored" else draft.text
    return Outcome(action, text, draft.faq_id, draft.team, draft.language)


def _post_thread(
    session: Session,
    registry: ContentRegistry,
    senders: Mapping[str, Sender],
    case: Case,
    at: datetime,
) -> list[Problem]:
    """Post the earlier messages of a case's thread; the brand's as the sent reply to the draft before it."""
    problems: list[Problem] = []
    answerable: int | None = None  # the pending draft a brand message in the thread answers
    for index, message in enumerate(case.thread):
        gap = timedelta(minutes=message.minutes_ago) if message.minutes_ago else None
        when = at - (gap or THREAD_GAP * (len(case.thread) - index))
        if message.sender == "brand":
            if answerable is None:
                answers = f"thread[{index}] answers a draft"
                problems.append(Problem("thread", answers, "no pending draft before it"))
                continue
            pipeline.approve(session, answerable, actor=ACTOR, role="admin", now=when, text=message.text)
            pipeline.deliver_due(session, senders, now=when, worker=ACTOR)
            answerable = None
            continue
        author = None
        if message.sender == "member":
            author = (message.author or CaseAuthor(handle=f"member{index}"), f"eval:{case.id}:member{index}")
        received = pipeline.receive(
            session, _mention(case, index, message.text, when, message.reply_to, author), registry, now=when
        )
        draft = session.get(Draft, received.draft_id) if received.draft_id is not None else None
        answerable = draft.id if draft is not None and draft.status == "pending" else None
    return problems


def _mention(
    case: Case,
    index: int,
    text: str,
    when: datetime,
    reply_to: domain.ReplyTo,
    author: tuple[CaseAuthor, str] | None = None,
) -> domain.Mention:
    """The mention as the API takes it in: validated by its body model, in the case's thread."""
    who, author_id = author or (case.author, f"eval:{case.id}:customer")
    body = MentionIn(
        platform=case.platform,
        channel=case.channel,
        external_id=f"eval:{case.id}:{index}",
        author=AuthorIn(id=author_id, handle=who.handle, name=who.name, followers=who.followers),
        text=text,
        url=case.url,
        created_at=when,
        thread_ref=f"eval:{case.id}",
        private=case.private,
        reply_to=reply_to,
    )
    return body.to_mention()


def report_lines(report: Report) -> list[str]:
    """The failures, the checks that failed most, and the share that passes, for a terminal."""
    lines: list[str] = []
    for failure in report.failures:
        lines.append(f"FAIL {failure.id} (line {failure.line}): {failure.action}")
        lines.append(f"  message: {_one_line(failure.text)}")
        for problem in failure.problems:
            lines.append(f"  {problem.check}: expected {problem.expected}, got {_one_line(problem.got)}")
        if failure.draft:
            lines.append("  draft:")
            lines += [f"    {line}" if line else "" for line in failure.draft.splitlines()]
        lines.append("")
    counts = Counter(problem.check for failure in report.failures for problem in failure.problems)
    if counts:
        lines.append("failed checks: " + ", ".join(f"{name} {count}" for name, count in counts.most_common()))
    lines.append(f"{report.passed} of {report.cases} cases pass ({report.share:.1%})")
    return lines


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
