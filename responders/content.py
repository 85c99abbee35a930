"""Load and validate guideline and FAQ YAML, reporting errors with file, line and field."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from responders import hours, nudges, plans
from responders.compose import TEMPLATE_VARIABLES, check_template
from responders.domain import PRIORITIES, FaqEntry, Guideline, Tone, subreddit_channel
from responders.lexicon import SIGNAL_PHRASES

Location = tuple[str | int, ...]
# libyaml's parser is ten times faster on large FAQ files and keeps the line marks we report
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class ContentError:
    """One problem in a content file, pointing at the exact place."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file  # line 0: the path as a whole
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ContentInvalid(Exception):
    """Raised when content files cannot be loaded; carries every error found."""

    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Content:
    """All guidelines and FAQ entries, validated together."""

    guidelines: dict[str, Guideline]
    faq: tuple[FaqEntry, ...]
    files: dict[str, Path]


# --- YAML with line numbers ------------------------------------------------------------------


class _BadValue(Exception):
    """A value in a YAML file that cannot be used, found while converting it; load_yaml adds the file."""

    def __init__(self, line: int, field: str, message: str) -> None:
        super().__init__(message)
        self.line, self.field, self.message = line, field, message


def _unprintable(text: str) -> str | None:
    """The first control character or lone surrogate in a text, which no message or database should get."""
    for char in text:
        if char not in "\t\n\r" and unicodedata.category(char) in ("Cc", "Cs"):
            return char
    return None


def _scalar(node: yaml.Node, path: Location) -> Any:
    line = node.start_mark.line + 1
    try:
        value = yaml.constructor.SafeConstructor().construct_object(node, deep=True)
    except (ValueError, yaml.YAMLError) as exc:
        # a date that does not exist (2026-02-30), an unknown !!tag: YAML's constructors raise
        raise _BadValue(line, _field_name(path), f"{node.value!r} cannot be read: {exc}") from exc
    char = _unprintable(value) if isinstance(value, str) else None
    if char is not None:
        message = f"contains the control character U+{ord(char):04X}: remove it"
        raise _BadValue(line, _field_name(path), message)
    return value


def _to_python(node: yaml.Node, path: Location, lines: dict[Location, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _to_python(key_node, path, {})
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                # YAML reads no, on and 2026 as a boolean and a number: a language "no" needs quotes
                message = f"{key!r} is not a field name: write a word, in quotes if YAML reads it otherwise"
                raise _BadValue(key_line, _field_name(path), message)
            if key in result:
                # PyYAML silently keeps the last of two equal keys: half an edit would go unnoticed
                message = (
                    f"{key!r} is written twice, on line {lines[(*path, key)]} and line {key_line}: keep one"
                )
                raise _BadValue(key_line, _field_name((*path, key)), message)
            result[key] = _to_python(value_node, (*path, key), lines)
            lines[(*path, key)] = key_line
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return _scalar(node, path)


def load_yaml(path: Path) -> tuple[Any, dict[Location, int]]:
    """Parse one YAML file into Python values and a map from field path to line number."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentInvalid([ContentError(str(path), 0, "", f"cannot read: {exc.strerror or exc}")]) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Windows editors often save in Latin-1 ("café" as byte 0xe9): say where and what to do
        line = raw[: exc.start].count(b"\n") + 1
        message = f"not UTF-8 (byte 0x{raw[exc.start]:02x}): save the file as UTF-8"
        raise ContentInvalid([ContentError(str(path), line, "", message)]) from exc
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise ContentInvalid([ContentError(str(path), line, "", f"YAML syntax: {exc.problem}")]) from exc
    except yaml.reader.ReaderError as exc:
        # a NUL byte or another control character written into the file itself
        line = text[: exc.position].count("\n") + 1
        message = f"contains the control character U+{exc.character:04X}: remove it"
        raise ContentInvalid([ContentError(str(path), line, "", message)]) from exc
    lines: dict[Location, int] = {}
    if node is None:
        return None, lines
    alias = _first_alias(node)
    if alias is not None:
        # nested aliases multiply: a file of a few lines could expand to billions of values
        message = "YAML anchors and aliases (&name, *name) are not supported: write the value out"
        raise ContentInvalid([ContentError(str(path), alias.start_mark.line + 1, "", message)])
    try:
        return _to_python(node, (), lines), lines
    except _BadValue as exc:
        raise ContentInvalid([ContentError(str(path), exc.line, exc.field, exc.message)]) from exc


def _first_alias(root: yaml.Node) -> yaml.Node | None:
    """A node reached twice, which only an alias (*name) does; each node is looked at once."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(child for pair in node.value for child in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


def _line_for(loc: Location, lines: dict[Location, int]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _field_name(loc: Location) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def _errors_from(
    exc: ValidationError, file: Path, lines: dict[Location, int], base: Location = ()
) -> list[ContentError]:
    errors = []
    for err in exc.errors():
        # pydantic adds the validator name for union/function checks: keep only real field names
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        full = (*base, *loc)
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        errors.append(ContentError(str(file), _line_for(full, lines), _field_name(full), message))
    return errors


def _validate(
    model: type[BaseModel], data: Any, file: Path, lines: dict[Location, int], base: Location = ()
) -> tuple[Any, list[ContentError]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, _errors_from(exc, file, lines, base)


# --- loading ----------------------------------------------------------------------------------


def _yaml_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*.y*ml") if p.suffix in {".yaml", ".yml"})


def _not_found(path: Path) -> ContentError:
    # a mistyped or moved folder must not read as "no content, all fine"
    return ContentError(str(path), 0, "", "no such file or folder")


def load_faq(path: Path) -> tuple[list[FaqEntry], list[ContentError]]:
    """Load every FAQ file under a path: each file is a YAML list of entries."""
    if not path.exists():
        return [], [_not_found(path)]
    entries: list[FaqEntry] = []
    errors: list[ContentError] = []
    seen: dict[str, str] = {}
    for file in _yaml_files(path):
        try:
            data, lines = load_yaml(file)
        except ContentInvalid as exc:
            errors.extend(exc.errors)
            continue
        if not isinstance(data, list):
            errors.append(ContentError(str(file), 1, "", "an FAQ file is a YAML list of entries"))
            continue
        for i, item in enumerate(data):
            entry, errs = _validate(FaqEntry, item, file, lines, (i,))
            errors.extend(errs)
            if entry is None:
                continue
            errors.extend(_check_templates(file, lines, [((i, "answer"), entry.answer)]))
            if entry.id in seen:
                errors.append(
                    ContentError(
                        str(file),
                        _line_for((i, "id"), lines),
                        f"[{i}].id",
                        f"duplicate FAQ id {entry.id!r}, also in {seen[entry.id]}",
                    )
                )
            seen[entry.id] = str(file)
            entries.append(entry)
    return entries, errors


def _check_templates(
    file: Path, lines: dict[Location, int], templates: Iterable[tuple[Location, str]]
) -> Iterator[ContentError]:
    for loc, template in templates:
        problem = check_template(template)
        if problem:
            yield ContentError(str(file), _line_for(loc, lines), _field_name(loc), problem)


# every signal the analyser can give a message (responders.analysis.detect_signals)
SIGNALS = frozenset(SIGNAL_PHRASES) | {"question", "competitor", "spam", "profanity"}

# Dutch forms of address: "je" belongs to an informal tone, "u" to a formal one
_WRONG_REGISTER = {
    "formal": re.compile(r"\b(je|jij|jou|jouw)\b", re.IGNORECASE),
    "informal": re.compile(r"\b(u|uw)\b", re.IGNORECASE),
}


def _check_register(
    file: Path, lines: dict[Location, int], templates: list[tuple[Location, str]], lang: str, formality: str
) -> Iterator[ContentError]:
    if lang != "nl":
        return
    for loc, template in templates:
        found = _WRONG_REGISTER[formality].search(template)
        if found:
            message = f"says {found.group(0)!r}, but this tone has formality {formality}"
            yield ContentError(str(file), _line_for(loc, lines), _field_name(loc), message)


def _check_guideline(
    g: Guideline, file: Path, lines: dict[Location, int], faq_ids: dict[str, FaqEntry]
) -> list[ContentError]:
    faq_tags = {tag for entry in faq_ids.values() for tag in entry.tags}
    errors: list[ContentError] = []
    for lang, tone in g.tone.items():
        templates = _tone_templates(lang, tone) + [
            (("escalation", i, "acknowledgement", lang), rule.acknowledgement[lang])
            for i, rule in enumerate(g.escalation)
            if lang in rule.acknowledgement
        ]
        errors.extend(_check_templates(file, lines, templates))
        errors.extend(_check_register(file, lines, templates, lang, tone.formality))
    for i, rule in enumerate(g.escalation):
        for lang in rule.acknowledgement:
            if lang not in g.languages:
                loc_: Location = ("escalation", i, "acknowledgement", lang)
                message = f"language {lang!r} is not in this guideline's languages"
                errors.append(ContentError(str(file), _line_for(loc_, lines), _field_name(loc_), message))
    for lang, messages in nudges.message_templates(g).items():
        errors.extend(_check_templates(file, lines, messages))
        if lang in g.tone:
            errors.extend(_check_register(file, lines, messages, lang, g.tone[lang].formality))
    errors.extend(_signal_errors(g, file, lines))
    errors.extend(_subreddit_errors(g, file, lines))
    for where, message in nudges.opt_out_problems(g) + plans.plan_problems(g.follow_ups):
        errors.append(ContentError(str(file), _line_for(where, lines), _field_name(where), message))
    for i, tag in enumerate(g.faq.tags):
        if tag not in faq_tags:
            loc: Location = ("faq", "tags", i)
            errors.append(
                ContentError(str(file), _line_for(loc, lines), _field_name(loc), f"unknown FAQ tag {tag!r}")
            )
    errors.extend(
        ContentError(str(file), _line_for(loc, lines), _field_name(loc), message)
        for loc, message in _target_problems(g)
    )
    return errors + _check_examples(g, file, lines, faq_ids)


# A due time is searched for at most about a year ahead (responders.hours): a target must fit in
# 40 weeks of the business hours, whatever holidays fall in them.
_TARGET_WEEKS = 40


def _target_problems(g: Guideline) -> Iterator[tuple[Location, str]]:
    """Response targets that are zero, or that the business hours could never reach."""
    targets: list[tuple[Location, timedelta]] = [
        (("response_targets", priority), target) for priority, target in g.response_targets.items()
    ]
    targets += [
        (("response_watch", "next_response_targets", priority), target)
        for priority, target in g.response_watch.next_response_targets.items()
    ]
    business = g.business_hours
    for loc, target in targets:
        if target <= timedelta(0):
            yield loc, "must be longer than 0m: a reply cannot be due the moment the message arrives"
        elif business is not None:
            day = datetime.combine(date.min, business.end) - datetime.combine(date.min, business.start)
            working_days = _TARGET_WEEKS * len(set(business.days)) - len(set(g.holidays))
            if target > day * max(working_days, 0):
                yield (
                    loc,
                    (
                        f"needs more working time than business_hours give in {_TARGET_WEEKS} weeks: "
                        "shorten the target or widen the hours"
                    ),
                )


def _signal_errors(g: Guideline, file: Path, lines: dict[Location, int]) -> Iterator[ContentError]:
    """Escalation signals the analyser never gives: a misspelt one would never fire, without a word."""
    for i, rule in enumerate(g.escalation):
        for j, signal in enumerate(rule.signals):
            if signal not in SIGNALS:
                close = difflib.get_close_matches(signal, sorted(SIGNALS), n=1)
                hint = f"did you mean {close[0]}?" if close else "see the list in guidelines/README.md"
                loc: Location = ("escalation", i, "signals", j)
                yield ContentError(
                    str(file), _line_for(loc, lines), _field_name(loc), f"unknown signal {signal!r}: {hint}"
                )


def _subreddit_errors(g: Guideline, file: Path, lines: dict[Location, int]) -> Iterator[ContentError]:
    """Reddit channels that name no subreddit: the poller could never read them."""
    for s, source in enumerate(g.sources):
        for c, channel in enumerate(source.channels):
            if source.platform == "reddit" and channel != "inbox" and subreddit_channel(channel) != channel:
                loc: Location = ("sources", s, "channels", c)
                message = (
                    f"{channel!r} is not a subreddit: write r/ and its name (letters, digits and _, "
                    "up to 21), e.g. r/wijnliefhebbers, or inbox for username mentions"
                )
                yield ContentError(str(file), _line_for(loc, lines), _field_name(loc), message)


def _tone_templates(lang: str, tone: Tone) -> list[tuple[Location, str]]:
    """Every template of one tone, with where it is written."""
    templates: list[tuple[Location, str]] = [
        (("tone", lang, name, i), text)
        for name in ("greetings", "empathy", "signoffs", "formal_signoffs", "thanks_for_praise")
        for i, text in enumerate(getattr(tone, name))
    ]
    templates += [
        (("tone", lang, name), getattr(tone, name))
        for name in ("signature", "acknowledgement", "order_number_request", "order_number_request_private")
    ]
    templates += [
        (("tone", lang, "acknowledgements", act), text) for act, text in tone.acknowledgements.items()
    ]
    return templates


def _check_examples(
    g: Guideline, file: Path, lines: dict[Location, int], faq_ids: dict[str, FaqEntry]
) -> list[ContentError]:
    """Examples must name FAQ entries and escalation rules that exist, or they can never pass."""
    errors: list[ContentError] = []
    rules = {rule.name for rule in g.escalation}
    for i, example in enumerate(g.examples):
        problems: list[tuple[str, str]] = []
        if example.faq is not None and example.faq not in faq_ids:
            problems.append(("faq", f"unknown FAQ id {example.faq!r}"))
        elif example.faq is not None and g.faq.tags and not set(g.faq.tags) & set(faq_ids[example.faq].tags):
            problems.append(("faq", f"FAQ entry {example.faq!r} is outside this community's faq.tags"))
        if example.escalation is not None and example.escalation not in rules:
            known = ", ".join(repr(r) for r in sorted(rules)) or "none"
            problems.append(
                ("escalation", f"no escalation rule named {example.escalation!r} (rules: {known})")
            )
        for name, message in problems:
            loc: Location = ("examples", i, name)
            errors.append(ContentError(str(file), _line_for(loc, lines), _field_name(loc), message))
    return errors


# Fixed moments to try a guideline's calendar at: a weekday noon and a Saturday night, in winter
# and summer time. The core has no clock; any date shows whether the arithmetic works.
_TRIAL_MOMENTS = (
    datetime(2026, 1, 7, 12, tzinfo=UTC),
    datetime(2026, 7, 4, 23, tzinfo=UTC),
)


def runtime_problem(g: Guideline) -> str | None:
    """Why the running service could not use this guideline's time zone, hours and durations, if so.

    Validation should refuse every such value; this tries the calculations the service makes, so a
    value that slipped through is found at load time instead of failing every request that needs it.
    """
    try:
        for moment in _TRIAL_MOMENTS:
            for priority in PRIORITIES:
                for target in (g.target_for(priority), g.next_target_for(priority)):
                    hours.add_business_time(
                        moment, target, timezone=g.timezone, hours=g.business_hours, holidays=g.holidays
                    )
            hours.after_quiet_hours(
                moment + g.reminders.delay, timezone=g.timezone, quiet=g.reminders.quiet_hours
            )
            for step in g.follow_ups.steps:
                _ = moment + step.delay + step.window + g.follow_ups.min_gap
            _ = moment - g.limits.ignore_older_than - g.limits.customer_cooldown
            _ = moment + g.response_watch.warn_before - timedelta(days=g.retention_days or 0)
    except Exception as exc:  # whatever the calculation raises, the guideline cannot be used
        return f"cannot be used by the running service ({type(exc).__name__}: {exc})"
    return None


def load_content(guidelines_dir: Path, faq_dir: Path) -> Content:
    """Load and cross-check all guidelines and FAQ files; raise ContentInvalid listing every error."""
    missing = [_not_found(path) for path in (guidelines_dir, faq_dir) if not path.exists()]
    if missing:
        raise ContentInvalid(missing)  # every cross-check would fail: say only what is wrong
    faq, errors = load_faq(faq_dir)
    faq_ids = {entry.id: entry for entry in faq}
    guidelines: dict[str, Guideline] = {}
    files: dict[str, Path] = {}
    claimed: dict[tuple[str, str], str] = {}
    for file in _yaml_files(guidelines_dir):
        try:
            data, lines = load_yaml(file)
        except ContentInvalid as exc:
            errors.extend(exc.errors)
            continue
        guideline, errs = _validate(Guideline, data, file, lines)
        errors.extend(errs)
        if guideline is None:
            continue
        checked = _check_guideline(guideline, file, lines, faq_ids)
        problem = None if checked else runtime_problem(guideline)
        errors.extend(checked + ([ContentError(str(file), 1, "", problem)] if problem else []))
        if guideline.id in guidelines:
            errors.append(
                ContentError(
                    str(file), _line_for(("id",), lines), "id", f"community id {guideline.id!r} is used twice"
                )
            )
        for s, source in enumerate(guideline.sources):
            for c, channel in enumerate(source.channels):
                key = (source.platform, channel.lower())
                if key in claimed and claimed[key] != guideline.id:
                    loc = ("sources", s, "channels", c)
                    errors.append(
                        ContentError(
                            str(file),
                            _line_for(loc, lines),
                            _field_name(loc),
                            f"{source.platform} channel {channel!r} is already claimed by "
                            f"community {claimed[key]!r}",
                        )
                    )
                claimed[key] = guideline.id
        guidelines[guideline.id] = guideline
        files[guideline.id] = file
    if errors:
        raise ContentInvalid(errors)
    return Content(guidelines=guidelines, faq=tuple(faq), files=files)


__all__ = [
    "TEMPLATE_VARIABLES",
    "Content",
    "ContentError",
    "ContentInvalid",
    "load_content",
    "load_faq",
    "load_yaml",
    "runtime_problem",
]
