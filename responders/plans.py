"""A post-purchase plan: which steps go out when, what each says about what was bought, what to skip."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from responders.compose import format_duration
from responders.domain import FollowUps, FollowUpStep
from responders.text import normalize

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class OrderLine:
    """One bought item, as far as follow-ups care: its name, category, tags and quantity."""

    name: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    quantity: int = 1


def category_key(text: str) -> str:
    """A shop's category or tag as guidelines write it: 'Rosé' -> 'rose', 'Dessert wine' -> 'dessert-wine'."""
    return re.sub(r"[\s_]+", "-", normalize(text).strip())


def order_lines(items: Iterable[Mapping[str, Any]]) -> tuple[OrderLine, ...]:
    """The order's items as stored (shop JSON); items posted before categories existed have none."""
    lines = []
    for item in items:
        tags = item.get("tags") or ()
        quantity = item.get("quantity")
        lines.append(
            OrderLine(
                name=str(item.get("name") or item.get("sku") or ""),
                category=category_key(str(item.get("category") or "")),
                tags=tuple(category_key(str(t)) for t in tags if str(t).strip()),
                quantity=quantity if isinstance(quantity, int) and quantity > 0 else 1,
            )
        )
    return tuple(lines)


@dataclass(frozen=True)
class StepText:
    """The body templates of a step for one order, and why these were chosen."""

    templates: Mapping[str, str]
    category: str = ""  # the by_category key used; "" for the step's general template
    reason: str = ""


def step_text(step: FollowUpStep, lines: Sequence[OrderLine]) -> StepText | None:
    """The text for what was bought: the category most bottles are in (ties: the guideline's order).

    None when the step only has texts per category and nothing bought is in one of them.
    """
    counts: dict[str, int] = {}
    names: dict[str, list[str]] = {}
    for line in lines:
        for key in {line.category, *line.tags} & step.by_category.keys():
            counts[key] = counts.get(key, 0) + line.quantity
            names.setdefault(key, []).append(line.name)
    if counts:
        order = list(step.by_category)
        best = max(counts, key=lambda key: (counts[key], -order.index(key)))
        bought = ", ".join(n for n in names[best] if n) or "items"
        return StepText(step.by_category[best], best, f"the text for {best}: {bought}")
    if step.template:
        why = "no item is in a category with its own text" if step.by_category else ""
        return StepText(step.template, "", why)
    return None


def no_text_reason(step: FollowUpStep, lines: Sequence[OrderLine]) -> str:
    """Why a step has nothing to say about this order."""
    known = ", ".join(step.by_category)
    bought = sorted({c for line in lines for c in (line.category, *line.tags) if c})
    has = f"the order has {', '.join(bought)}" if bought else "no item has a category or tags"
    return f"nothing to say about what was bought ({has}; this step has texts for {known})"


def last_moment(step: FollowUpStep, purchased_at: datetime) -> datetime:
    """The latest a step may go out: its delay after the purchase, plus its window."""
    return purchased_at + step.delay + step.window


def moment_passed(step: FollowUpStep, purchased_at: datetime, now: datetime) -> str | None:
    """Why a step is too late to send now, or None while it still fits."""
    if now <= last_moment(step, purchased_at):
        return None
    fits = format_duration(step.delay + step.window, "en")
    return (
        f"its moment has passed ({step.name!r} fits up to {fits} after the purchase, "
        f"it is now {format_duration(now - purchased_at, 'en')} after it)"
    )


@dataclass(frozen=True)
class PlannedStep:
    """One step of an order's plan: when it is due, or why it will not go out."""

    name: str
    due_at: datetime
    skipped: str = ""


def plan(
    policy: FollowUps, purchased_at: datetime, now: datetime, lines: Sequence[OrderLine]
) -> list[PlannedStep]:
    """Each step at its moment; a step whose moment passed (a late order) or that has nothing to say is
    skipped, and a step that would come within `min_gap` of the one before waits, while it still fits."""
    planned: list[PlannedStep] = []
    previous: datetime | None = None
    for step in sorted(policy.steps, key=lambda s: s.delay):
        due = purchased_at + step.delay
        why = moment_passed(step, purchased_at, now)
        if why is None and step_text(step, lines) is None:
            why = no_text_reason(step, lines)
        at = max(due, now)
        if why is None and previous is not None and at < previous + policy.min_gap:
            at = previous + policy.min_gap
            if at > last_moment(step, purchased_at):
                gap = format_duration(policy.min_gap, "en")
                why = (
                    f"it would come within {gap} of the previous follow-up, and after that it no longer fits"
                )
        if why:
            planned.append(PlannedStep(step.name, due, why))
            continue
        planned.append(PlannedStep(step.name, at))
        previous = at
    return planned


def after_gap(
    policy: FollowUps, step: FollowUpStep, purchased_at: datetime, last_sent: datetime | None, now: datetime
) -> tuple[datetime | None, str]:
    """When a due step may go out given the customer's last reminder or follow-up: (None, why) to skip."""
    if last_sent is None or now >= last_sent + policy.min_gap:
        return now, ""
    at = last_sent + policy.min_gap
    if at > last_moment(step, purchased_at):
        gap = format_duration(policy.min_gap, "en")
        return None, f"the customer got a message less than {gap} ago, and after that it no longer fits"
    return at, f"at most one follow-up per {format_duration(policy.min_gap, 'en')}"


def plan_problems(policy: FollowUps) -> list[tuple[Location, str]]:
    """Steps named twice, or planned closer together than min_gap, with where they are."""
    problems: list[tuple[Location, str]] = []
    seen: dict[str, int] = {}
    for i, step in enumerate(policy.steps):
        if step.name in seen:
            problems.append(
                ((("follow_ups", "steps", i, "name")), f"step {step.name!r} is also step {seen[step.name]}")
            )
        seen.setdefault(step.name, i)
    ordered = sorted(enumerate(policy.steps), key=lambda pair: pair[1].delay)
    for (_, before), (i, step) in pairwise(ordered):
        if step.delay - before.delay < policy.min_gap:
            gap = format_duration(policy.min_gap, "en")
            problems.append(
                (
                    ("follow_ups", "steps", i, "delay"),
                    f"comes within {gap} of step {before.name!r}: follow-ups to one customer are at least "
                    f"min_gap ({gap}) apart; space the delays or lower follow_ups.min_gap",
                )
            )
    return problems
