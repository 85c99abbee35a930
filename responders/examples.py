"""Run a guideline's examples through the engine and compare with the expected outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from responders.domain import Author, Context, Example, Mention, Response
from responders.engine import Community, respond


@dataclass(frozen=True)
class ExampleResult:
    """One example's outcome: what was expected, what happened, and what differs."""

    example: Example
    response: Response
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Whether everything the example expects came out."""
        return not self.failures


def _actual_faq(response: Response) -> str | None:
    draft = response.draft
    return draft.faq_id if draft is not None and draft.kind == "reply" else None


def compare(example: Example, response: Response) -> tuple[str, ...]:
    """Describe every expectation of an example that the response does not meet."""
    decision = response.decision
    failures: list[str] = []
    if example.faq is not None and _actual_faq(response) != example.faq:
        best = response.candidates[0] if response.candidates else None
        seen = f"{best.faq_id} {best.confidence:.2f}" if best else "no candidate"
        failures.append(f"faq: expected {example.faq}, got {_actual_faq(response)} (best: {seen})")
    if example.action is not None and decision.action != example.action:
        failures.append(f"action: expected {example.action}, got {decision.action}")
    if example.priority is not None and decision.priority != example.priority:
        failures.append(f"priority: expected {example.priority}, got {decision.priority}")
    if example.escalation is not None and example.escalation not in decision.escalations:
        fired = ", ".join(decision.escalations) or "none"
        failures.append(f"escalation: expected {example.escalation!r}, fired: {fired}")
    if example.language is not None and response.analysis.language != example.language:
        failures.append(f"language: expected {example.language}, got {response.analysis.language}")
    return tuple(failures)


def run_examples(community: Community, *, now: datetime) -> list[ExampleResult]:
    """Run every example of the community's guideline as a fresh console message sent at `now`."""
    results = []
    for number, example in enumerate(community.guideline.examples, start=1):
        mention = Mention(
            platform="console",
            channel="guidelines-test",
            external_id=f"example-{number}",
            author=Author(id="example"),
            text=example.text,
            created_at=now,
        )
        response = respond(mention, Context(now=now), community)
        results.append(ExampleResult(example, response, compare(example, response)))
    return results
