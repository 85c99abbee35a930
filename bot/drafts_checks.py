"""What `webcare drafts eval` checks in a draft: a case's expectations and the rules every draft keeps."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.drafts_cases import Case
from responders.compose import TEMPLATE_VARIABLES, render
from responders.domain import Guideline

# apology words a draft may carry besides the tone's own empathy lines
_APOLOGY = re.compile(r"\b(sorry|excuses|vervelend|balen|spijt|apologi[sz]e\w*|apologies)\b", re.IGNORECASE)
# an order number as customers write it: 100482, #100482, DK-100482 (5 to 9 digits)
_ORDER_NUMBER = re.compile(r"(?<![\d€.,])#?\s?(?:[A-Za-z]{2,3}-)?(\d{5,9})(?![\d,.]\d)")
_ORDER_NUMBER_WORDS = re.compile(r"ordernummer|bestelnummer|ordernr|order\s?number|order\s?no\b", re.I)
_PRIVATE_MESSAGE = re.compile(
    r"priv[ée]\s?bericht|persoonlijk bericht|\bpb\b|private message|direct message|\bDMs?\b", re.IGNORECASE
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_MARK = "\x00"


@dataclass(frozen=True)
class Problem:
    """One expectation a draft did not meet."""

    check: str
    expected: str
    got: str


@dataclass(frozen=True)
class Outcome:
    """What intake made of a case's message: the action, and the draft when there is one."""

    action: str
    text: str  # "" without a draft
    faq_id: str | None
    team: str
    language: str


def check(case: Case, outcome: Outcome, guideline: Guideline) -> list[Problem]:
    """Every expectation of the case, and the rules every draft keeps, checked against the outcome."""
    expect = case.expect
    problems: list[Problem] = []
    if outcome.action != expect.action:
        problems.append(Problem("action", expect.action, outcome.action))
    if expect.faq is not None:
        accepted = (expect.faq,) if isinstance(expect.faq, str) else expect.faq
        if outcome.faq_id not in accepted:
            problems.append(Problem("faq", " or ".join(accepted), outcome.faq_id or "none"))
    if expect.team is not None and outcome.team != expect.team:
        problems.append(Problem("team", expect.team, outcome.team))
    if outcome.text:  # the language and the wording of a draft; without one there is nothing to read
        if expect.language is not None and outcome.language != expect.language:
            problems.append(Problem("language", expect.language, outcome.language))
        problems += _text_problems(case, outcome, guideline)
    return problems


def _text_problems(case: Case, outcome: Outcome, guideline: Guideline) -> list[Problem]:
    expect, text = case.expect, outcome.text
    values = _values(guideline)
    tone = guideline.tone.get(outcome.language) or guideline.tone[guideline.default_language]
    problems: list[Problem] = []
    if expect.empathy is not None:
        found = empathy_in(text, [_rendered(line, values) for line in tone.empathy])
        if bool(found) != expect.empathy:
            problems.append(Problem("empathy", "present" if expect.empathy else "absent", found or "none"))
    given = given_order_number(case)
    if expect.no_order_number_request if expect.no_order_number_request is not None else bool(given):
        asked = order_number_request(text, given)
        if asked:
            shown = f"no request for it (the customer gave {given})" if given else "no request for it"
            problems.append(Problem("no_order_number_request", shown, asked))
    if case.private:
        asked = _sentence_with(text, _PRIVATE_MESSAGE)
        if asked:
            problems.append(Problem("no_private_message_request", "none in a private chat", asked))
    greeting = text.split("\n", 1)[0].strip()
    name = greeted_name(greeting, tone.greetings, values)
    if expect.greeting_name is not None and (name or "").lower() != expect.greeting_name.lower():
        problems.append(Problem("greeting_name", expect.greeting_name or "no name", greeting))
    if expect.greeting_name is None and handle_as_name(case, greeting, name):
        who = case.author.name or case.author.handle
        problems.append(Problem("no_handle_as_name", f"no handle or address as a name ({who!r})", greeting))
    return problems


def _values(guideline: Guideline) -> dict[str, str]:
    return dict.fromkeys(TEMPLATE_VARIABLES, "") | {"brand": guideline.brand}


def _rendered(source: str, values: Mapping[str, str]) -> str:
    try:
        return render(source, values)
    except Exception:  # a line that needs a value we do not have is not an empathy line we can spot
        return ""


def empathy_in(text: str, lines: list[str]) -> str:
    """The empathy line or apology word in a text, or "" when there is none."""
    lowered = text.lower()
    for line in lines:
        if line and line.lower() in lowered:
            return line
    return _sentence_with(text, _APOLOGY)


def given_order_number(case: Case) -> str:
    """An order number the customer wrote in the message or earlier in its thread, or ""."""
    for text in (case.text, *(m.text for m in case.thread if m.sender == "customer")):
        found = _ORDER_NUMBER.search(text)
        if found:
            return found.group(1)
    return ""


def order_number_request(text: str, given: str) -> str:
    """The sentence that asks for an order number (one that does not name the given number), or ""."""
    for sentence in _SENTENCE_END.split(text):
        if _ORDER_NUMBER_WORDS.search(sentence) and not (given and given in sentence):
            return sentence.strip()
    return ""


def _sentence_with(text: str, pattern: re.Pattern[str]) -> str:
    for sentence in _SENTENCE_END.split(text):
        if pattern.search(sentence):
            return sentence.strip()
    return ""


def greeted_name(greeting: str, greetings: tuple[str, ...], values: Mapping[str, str]) -> str | None:
    """The name a greeting uses ("" for none), read against the tone's greetings; None if none fits."""
    for source in greetings:
        if greeting == _rendered(source, {**values, "name": ""}).replace(" ,", ","):
            return ""
        pattern = _rendered(source, {**values, "name": _MARK})
        if _MARK in pattern:
            found = re.fullmatch(re.escape(pattern).replace(re.escape(_MARK), "(.+?)"), greeting)
            if found:
                return found.group(1).strip()
    return None


def looks_like_a_name(name: str, handle: str) -> bool:
    """Whether a display name is a person's name rather than a handle, an address or a title."""
    name = name.strip()
    if not name or re.search(r"[\d@_|/:#.]", name) or len(name.split()) > 5:
        return False
    first = name.split()[0]
    if re.search(r"[a-zà-ÿ][A-Z]", first) or (first.isupper() and len(first) > 3):
        return False  # "KurkdroogNL", "GROWFAST"
    # Reddit and forums show the handle as the name: a lone lowercase word is a nickname
    return not (name.lower() == handle.lower() and name.islower())


def handle_as_name(case: Case, greeting: str, name: str | None) -> bool:
    """Whether the greeting addresses the author by a handle, an address or a title."""
    author = case.author
    if name == "":
        return False
    if "@" in greeting:
        return True
    if name is None:  # a greeting the tone does not have: look for the handle in it
        handle = re.escape(author.handle)
        return bool(handle) and re.search(rf"\b{handle}\b", greeting, re.IGNORECASE) is not None
    if not looks_like_a_name(author.name, author.handle):
        return True
    first = author.name.split()[0].lower()
    return name.lower() == author.handle.lower() and author.handle.lower() != first
