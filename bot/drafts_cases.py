"""The case file of `webcare drafts eval`: one customer message and what a good draft does, per line."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from responders.domain import Action, ReplyTo


class CasesInvalid(Exception):
    """A case file that cannot be evaluated; the message names the line."""


class _Strict(BaseModel):
    # a misspelt key ("emapthy") must be an error, not an expectation silently left unchecked
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CaseAuthor(_Strict):
    """Who wrote the message, as the platform shows them."""

    name: str = Field(default="", max_length=200)
    handle: str = Field(default="", max_length=200)
    followers: int | None = Field(default=None, ge=0)


class ThreadMessage(_Strict):
    """An earlier message in the case's thread: the customer's, another member's or the brand's reply."""

    sender: Literal["customer", "member", "brand"] = Field(default="customer", alias="from")
    text: str = Field(min_length=1)
    # for a member's message; the case's author writes the customer's
    author: CaseAuthor | None = None
    reply_to: ReplyTo = ""
    # how long before the case's message it was written; default: an hour per message back
    minutes_ago: int | None = Field(default=None, ge=1)


class Expect(_Strict):
    """What a good webcare team's draft does with the message; unset fields are not checked."""

    action: Action
    # the FAQ entry answered (one id, or any of several acceptable ones)
    faq: str | tuple[str, ...] | None = None
    team: str | None = None
    # an apology or empathy line is in the draft (true) or not (false)
    empathy: bool | None = None
    language: str | None = None
    # the draft asks for no order number; unset: checked whenever the message or thread holds one
    no_order_number_request: bool | None = None
    # the name the greeting uses; "" for a greeting without a name
    greeting_name: str | None = None


class Case(_Strict):
    """One message posted to a community channel, with what a good draft does with it."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$", max_length=100)
    community: str | None = None
    platform: Literal["telegram", "reddit", "rss", "webhook", "console"]
    channel: str = Field(min_length=1)
    author: CaseAuthor = CaseAuthor()
    text: str = Field(min_length=1)
    thread: tuple[ThreadMessage, ...] = ()
    # a one-to-one chat with the brand (a Telegram DM)
    private: bool = False
    reply_to: ReplyTo = ""
    url: str = ""
    expect: Expect
    # why the case expects what it does, for the people who read the file
    note: str = ""


@dataclass(frozen=True)
class NumberedCase:
    """A case and the line of the file it came from."""

    line: int
    case: Case


def _problem(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}" if where else f"{first['msg']}{more}"


def load_cases(path: Path) -> list[NumberedCase]:
    """Read a JSONL case file; raise CasesInvalid naming the first bad line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CasesInvalid(f"{path}: {exc.strerror}") from exc
    cases: list[NumberedCase] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            case = Case.model_validate(json.loads(line.decode("utf-8")))
        except UnicodeDecodeError as exc:
            raise CasesInvalid(f"{path} line {number}: not UTF-8") from exc
        except json.JSONDecodeError as exc:
            raise CasesInvalid(f"{path} line {number}: not JSON: {exc.msg} (column {exc.colno})") from exc
        except ValidationError as exc:
            raise CasesInvalid(f"{path} line {number}: {_problem(exc)}") from exc
        if case.id in seen:
            raise CasesInvalid(f"{path} line {number}: case id {case.id!r} is on line {seen[case.id]} too")
        seen[case.id] = number
        cases.append(NumberedCase(number, case))
    if not cases:
        raise CasesInvalid(f"{path}: no cases")
    return cases


@dataclass(frozen=True)
class ContentFacts:
    """What the configured content offers, to catch a case that can never pass because of a typo."""

    communities: Mapping[tuple[str, str], str]  # (platform, channel lowercased) -> community id
    faq_ids: Collection[str]
    teams: Collection[str]
    languages: Collection[str]


def check_cases(path: Path, cases: list[NumberedCase], facts: ContentFacts) -> None:
    """Raise CasesInvalid for a case whose channel, community, FAQ id, team or language is unknown."""
    for numbered in cases:
        problem = _unknown_in(numbered.case, facts)
        if problem:
            raise CasesInvalid(f"{path} line {numbered.line}: {problem}")


def _unknown_in(case: Case, facts: ContentFacts) -> str | None:
    community = facts.communities.get((case.platform, case.channel.lower()))
    if community is None:
        return f"no community listens to {case.platform} channel {case.channel!r}"
    if case.community is not None and case.community != community:
        return f"{case.platform} channel {case.channel!r} belongs to {community}, not {case.community}"
    expect = case.expect
    faq_ids = (expect.faq,) if isinstance(expect.faq, str) else (expect.faq or ())
    unknown = [faq_id for faq_id in faq_ids if faq_id not in facts.faq_ids]
    if unknown:
        return f"expect.faq: {', '.join(unknown)} is not in the FAQ"
    if expect.team is not None and expect.team not in facts.teams:
        return f"expect.team: {expect.team!r} is no team of any guideline ({', '.join(sorted(facts.teams))})"
    if expect.language is not None and expect.language not in facts.languages:
        return f"expect.language: no guideline writes in {expect.language!r}"
    return None
