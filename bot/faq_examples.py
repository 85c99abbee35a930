"""A new example phrasing in an FAQ entry's YAML file: one line added, the rest of the file as written."""

from __future__ import annotations

import json
import re

import yaml

from bot import content_edit
from bot.registry import ContentRegistry
from responders.content import ContentInvalid, load_yaml

_DASH = re.compile(r"^(\s*)-\s")


class CannotAdd(ValueError):
    """The example cannot be added by a one-line edit; the file needs a person."""


def phrase(text: str) -> str:
    """A customer's message as one example line: whitespace and line breaks collapsed."""
    return " ".join(text.split())


def file_of(registry: ContentRegistry, faq_id: str) -> content_edit.ContentFile | None:
    """The FAQ file that holds the entry with this id."""
    for file in content_edit.files(registry):
        if not file.name.startswith("faq/"):
            continue
        try:
            data, _ = load_yaml(file.path)
        except ContentInvalid:
            continue
        if isinstance(data, list) and any(isinstance(e, dict) and e.get("id") == faq_id for e in data):
            return file
    return None


def _block_scalar(value: str) -> str:
    """value as a YAML list item's scalar on one line: plain when it reads back the same, else quoted."""
    dumped = yaml.safe_dump([value], allow_unicode=True, width=1_000_000, default_flow_style=False)
    return dumped.removeprefix("- ").rstrip("\n")


def _entry(root: yaml.Node | None, faq_id: str) -> yaml.MappingNode:
    if isinstance(root, yaml.SequenceNode):
        for item in root.value:
            if isinstance(item, yaml.MappingNode) and _value(item, "id") is not None:
                node = _value(item, "id")
                if isinstance(node, yaml.ScalarNode) and node.value == faq_id:
                    return item
    raise CannotAdd(f"there is no FAQ entry {faq_id!r} in this file")


def _value(mapping: yaml.MappingNode, key: str) -> yaml.Node | None:
    return next((v for k, v in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def _key(mapping: yaml.MappingNode, key: str) -> yaml.Node:
    return next(k for k, _ in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == key)


def _line_after(node: yaml.Node) -> int:
    """The index of the line after a node's last line (a block scalar ends at column 0 of the next)."""
    end = node.end_mark
    return end.line if end.column == 0 else end.line + 1


def _insert(lines: list[str], at: int, new: list[str]) -> str:
    if at > 0 and at == len(lines) and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines[:at] + new + lines[at:])


def _edit(text: str, faq_id: str, example: str) -> str:
    entry = _entry(yaml.compose(text, Loader=yaml.SafeLoader), faq_id)
    lines = text.splitlines(keepends=True)
    examples = _value(entry, "examples")
    if isinstance(examples, yaml.SequenceNode) and examples.flow_style:
        close = examples.end_mark.index - 1  # the closing bracket
        item = json.dumps(example, ensure_ascii=False)  # quoted: a comma must not split it
        return text[:close] + (", " if examples.value else "") + item + text[close:]
    if isinstance(examples, yaml.SequenceNode) and examples.value:
        dash = _DASH.match(lines[examples.value[0].start_mark.line])
        if dash is None:
            raise CannotAdd("the examples list is written in a way webcare cannot extend")
        new = f"{dash.group(1)}- {_block_scalar(example)}\n"
        return _insert(lines, _line_after(examples.value[-1]), [new])
    indent = " " * _key(entry, "question").start_mark.column
    item = f"{indent}  - {_block_scalar(example)}\n"
    if examples is None:  # no examples yet: the list goes right after the question
        return _insert(lines, _line_after(_value(entry, "question") or entry), [f"{indent}examples:\n", item])
    if isinstance(examples, yaml.ScalarNode) and examples.value == "":  # "examples:" with nothing after
        return _insert(lines, _key(entry, "examples").start_mark.line + 1, [item])
    raise CannotAdd("the entry's examples are not a list")


def add_example(text: str, faq_id: str, example: str) -> str:
    """The FAQ file's text with example appended to the entry's examples, comments and layout kept."""
    text = text.replace("\r\n", "\n")
    try:
        edited = _edit(text, faq_id, example)
        before, after = yaml.safe_load(text), yaml.safe_load(edited)
    except yaml.YAMLError as exc:
        raise CannotAdd(f"the file is not valid YAML: {exc}") from exc
    # the only change may be the one example: anything else means the edit went wrong
    for entry in before:
        if isinstance(entry, dict) and entry.get("id") == faq_id:
            entry["examples"] = [*(entry.get("examples") or []), example]
    if before != after:
        raise CannotAdd("adding the example would change more of the file than that one line")
    return edited
