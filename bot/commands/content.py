"""`webcare guidelines`, `faq`, `analyze` and `simulate`: check, test and measure the content."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.clock import SystemClock
from bot.commands import content_loads, err
from bot.settings import get_settings

if TYPE_CHECKING:
    from responders.meaning import Encoder

guidelines_app = typer.Typer(help="Check and test guideline files.", no_args_is_help=True)
faq_app = typer.Typer(help="Measure FAQ matching.", no_args_is_help=True)
analyze_app = typer.Typer(help="Measure the analysis of mentions.", no_args_is_help=True)
EncoderOption = Annotated[
    str | None,
    typer.Option(
        "--encoder",
        help='Sentence embeddings in FAQ matching: "use" (multilingual, the default), "minilm" (English, '
        'the embeddings extra), "minilm-tuned" (tuned on the FAQ first: minutes), or "" for none. '
        "[default: WEBCARE_FAQ_ENCODER]",
    ),
]


def _encoder_name(name: str | None) -> str:
    """The FAQ encoder a command uses: the flag's, or else the setting's."""
    return get_settings().faq_encoder if name is None else name


def _encoder(name: str | None) -> Encoder | None:
    """The FAQ encoder asked for (or set in WEBCARE_FAQ_ENCODER); exit with a clear error if unavailable."""
    from bot.encoder_cache import load_encoder
    from responders.embeddings import EncoderUnavailable

    try:
        # a command scores once: a tuned encoder is tuned before it is used, not in the background
        return load_encoder(_encoder_name(name), get_settings().model_cache_dir, wait_for_tuning=True)
    except EncoderUnavailable as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc


@guidelines_app.command("check")
def guidelines_check(path: Annotated[Path | None, typer.Argument()] = None) -> None:
    """Validate guideline and FAQ files; list every error with file, line and field."""
    from responders.content import ContentInvalid, load_content

    settings = get_settings()
    try:
        content = load_content(path or settings.guidelines_dir, settings.faq_dir)
    except ContentInvalid as exc:
        for error in exc.errors:
            typer.echo(str(error))
        typer.echo(f"{len(exc.errors)} error(s) found.")
        raise typer.Exit(1) from exc
    typer.echo(f"OK: {len(content.guidelines)} guidelines, {len(content.faq)} FAQ entries.")


@guidelines_app.command("test")
def guidelines_test(path: Annotated[Path | None, typer.Argument()] = None) -> None:
    """Run each guideline's examples and print pass or fail per example."""
    from bot import evaluate
    from responders.content import ContentInvalid

    settings = get_settings()
    try:
        results = evaluate.run_guideline_examples(
            path or settings.guidelines_dir, settings.faq_dir, now=SystemClock().now(), encoder=_encoder(None)
        )
    except ContentInvalid as exc:
        for error in exc.errors:
            typer.echo(str(error))
        raise typer.Exit(1) from exc
    failed = sum(evaluate.example_lines(gid, found, typer.echo) for gid, found in results.items())
    total = sum(len(found) for found in results.values())
    typer.echo(f"{total - failed} passed, {failed} failed ({total} examples in {len(results)} guidelines).")
    raise typer.Exit(1 if failed else 0)


@faq_app.command("eval")
def faq_eval(
    faq: Annotated[Path, typer.Option("--faq", exists=True, help="An FAQ file or folder.")],
    cases: Annotated[Path, typer.Option("--cases", help="CSV with the header text,expected.")],
    threshold: Annotated[float, typer.Option("--threshold", min=0, max=1)] = 0.6,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    encoder: EncoderOption = None,
) -> None:
    """Score FAQ matching on labelled messages (empty expected: out of scope)."""
    from bot import evaluate
    from responders.content import ContentInvalid

    try:
        rows = evaluate.read_cases(cases, ["text", "expected"])
        index, _ = evaluate.load_faq_index(faq, _encoder(encoder))
        evaluate.check_expected(cases, rows, index.entries)
    except (evaluate.CasesInvalid, ContentInvalid) as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    scores = evaluate.score_faq(index, rows, threshold)
    used = _encoder_name(encoder)
    if as_json:
        typer.echo(json.dumps({"encoder": used or None} | evaluate.as_dict(scores)))
    else:
        typer.echo("\n".join([f"encoder: {used or 'none (words only)'}", *evaluate.faq_report(scores)]))


@analyze_app.command("eval")
def analyze_eval(
    cases: Annotated[Path, typer.Option("--cases", help="CSV with the header text,label[,language].")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    held_out: Annotated[
        bool, typer.Option("--held-out", help="Only cases the sentiment model was not trained on.")
    ] = False,
    lexicon: Annotated[
        bool, typer.Option("--lexicon", help="Score the word lexicon instead of the shipped model.")
    ] = False,
) -> None:
    """Score sentiment (and language, with a language column) on labelled messages."""
    from bot import evaluate

    try:
        rows = evaluate.read_cases(cases, ["text", "label"])
        chosen = evaluate.held_out(rows) if held_out else rows
        scores = evaluate.score_sentiment(chosen, learned=not lexicon)
    except evaluate.CasesInvalid as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    report = evaluate.sentiment_report(scores)
    typer.echo(json.dumps(evaluate.as_dict(scores)) if as_json else "\n".join(report))


def simulate(
    text: str,
    community: Annotated[str, typer.Option("--community", help="Community id from its guideline.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    name: Annotated[str, typer.Option(help="The author's display name.")] = "",
    followers: Annotated[int | None, typer.Option(help="The author's follower count.")] = None,
    encoder: EncoderOption = None,
) -> None:
    """Show what the bot would do with a message: analysis, candidates, decision and draft."""
    from dataclasses import asdict

    from bot.evaluate import describe
    from bot.registry import ContentRegistry
    from responders.domain import Author, Context, Mention
    from responders.engine import respond

    settings = get_settings()
    with content_loads():
        registry = ContentRegistry(settings.guidelines_dir, settings.faq_dir, _encoder(encoder))
    found = registry.snapshot.communities.get(community)
    if found is None:
        err.print(f"error: no community {community!r}; known: {', '.join(registry.snapshot.communities)}")
        raise typer.Exit(2)
    now = SystemClock().now()
    author = Author("simulate", "", name, followers)
    response = respond(Mention("console", "simulate", "sim-1", author, text, now), Context(now=now), found)
    if as_json:
        typer.echo(json.dumps(asdict(response), default=sorted_default, ensure_ascii=False, indent=2))
        return
    typer.echo("\n".join(describe(response, text)))


def sorted_default(value: object) -> object:
    """JSON for sets and datetimes."""
    if isinstance(value, frozenset | set):
        return sorted(value)
    return str(value)
