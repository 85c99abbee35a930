"""`webcare drafts`: measure the drafts against what a good webcare team would send."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from bot.commands import content_loads, err
from bot.commands.content import EncoderOption, _encoder
from bot.settings import get_settings

drafts_app = typer.Typer(help="Measure the drafts.", no_args_is_help=True)


def _moment(value: str | None) -> datetime | None:
    """The --at option as a timezone-aware datetime; exit 2 when it is not one."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        example = "2026-11-24T10:30+01:00"
        err.print(f"error: --at {value!r} is not a time with a zone, e.g. {example}", markup=False)
        raise typer.Exit(2)
    return at


@contextmanager
def _quiet(*loggers: str) -> Iterator[None]:
    """Only warnings from these loggers: the scratch database's migrations and sends are no news."""
    levels = {name: logging.getLogger(name).level for name in loggers}
    for name in loggers:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@drafts_app.command("eval")
def drafts_eval(
    cases: Annotated[Path, typer.Option("--cases", help="JSONL, one case per line (docs/benchmarks.md).")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    min_share: Annotated[
        float | None, typer.Option("--min-share", min=0, max=1, help="Exit 1 when fewer cases pass.")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="When the messages arrive, ISO with a zone. [default: a Tuesday 10:30]"),
    ] = None,
    encoder: EncoderOption = None,
) -> None:
    """Post each case through the API's intake into a scratch database and check its draft."""
    from bot import drafts_eval as evaluation
    from bot.drafts_cases import CasesInvalid, check_cases, load_cases
    from bot.registry import ContentRegistry

    settings = get_settings()
    moment = _moment(at)
    with content_loads():
        registry = ContentRegistry(settings.guidelines_dir, settings.faq_dir, _encoder(encoder))
    try:
        loaded = load_cases(cases)
        check_cases(cases, loaded, evaluation.content_facts(registry))
    except CasesInvalid as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    with _quiet("alembic", "bot.pipeline.delivery"):
        report = evaluation.evaluate(loaded, registry, at=moment or evaluation.DEFAULT_AT)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        typer.echo("\n".join(evaluation.report_lines(report)))
    if min_share is not None and report.share < min_share:
        raise typer.Exit(1)
