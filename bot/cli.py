"""The `webcare` command."""

from __future__ import annotations

import getpass
import json
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from sqlmodel import Session, select

from bot import accounts, migrations
from bot.logs import configure_logging
from bot.models import User, utcnow
from bot.settings import get_settings

if TYPE_CHECKING:
    from responders.faq import Encoder

app = typer.Typer(help="webcare: community mentions in, human-reviewed replies out.", no_args_is_help=True)
users_app = typer.Typer(help="Manage the people who sign in.", no_args_is_help=True)
guidelines_app = typer.Typer(help="Check and test guideline files.", no_args_is_help=True)
customers_app = typer.Typer(help="Customer data: GDPR erasure.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(customers_app, name="customers")
app.add_typer(guidelines_app, name="guidelines")
faq_app = typer.Typer(help="Measure FAQ matching.", no_args_is_help=True)
analyze_app = typer.Typer(help="Measure the analysis of mentions.", no_args_is_help=True)
app.add_typer(faq_app, name="faq")
app.add_typer(analyze_app, name="analyze")
telegram_app = typer.Typer(help="Connect the Telegram bot.", no_args_is_help=True)
app.add_typer(telegram_app, name="telegram")
console = Console()
err = Console(stderr=True)
EncoderOption = Annotated[
    str | None,
    typer.Option(
        "--encoder",
        help='Sentence embeddings in FAQ matching: "minilm", "minilm-tuned" (tuned on the FAQ first: '
        'minutes), or "" for none. [default: WEBCARE_FAQ_ENCODER]',
    ),
]


def _encoder(name: str | None) -> Encoder | None:
    """The FAQ encoder asked for (or set in WEBCARE_FAQ_ENCODER); exit with a clear error if unavailable."""
    from bot.encoder_cache import load_encoder
    from responders.embeddings import EncoderUnavailable

    try:
        settings = get_settings()
        # a command scores once: a tuned encoder is tuned before it is used, not in the background
        chosen = settings.faq_encoder if name is None else name
        return load_encoder(chosen, settings.model_cache_dir, wait_for_tuning=True)
    except EncoderUnavailable as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc


@app.callback()
def _setup() -> None:
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)


@app.command()
def serve(
    no_jobs: Annotated[
        bool,
        typer.Option(
            "--no-jobs",
            help="Web server only (it still reloads edited content); run jobs in `webcare worker`.",
        ),
    ] = False,
) -> None:
    """Serve the web app, the API, the adapters and the jobs in one process."""
    import uvicorn

    from bot.main import create_app

    settings = get_settings()
    uvicorn.run(
        create_app(run_jobs=not no_jobs, watch_content=True),
        host=settings.host,
        port=settings.port,
        log_config=None,
    )


@app.command()
def worker() -> None:
    """Run the adapters and jobs without the web server."""
    from bot.jobs import Jobs
    from bot.main import build_services

    settings = get_settings()
    services = build_services(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    jobs = Jobs(
        services.engine,
        services.senders,
        services.registry,
        worker=settings.worker_id or f"worker-{threading.get_native_id()}",
        interval=settings.delivery_interval_seconds,
        settings=settings,
    )
    jobs.start()
    from bot.adapters.wiring import build_poll_loops, close_senders

    pollers = build_poll_loops(services)
    for poller in pollers:
        poller.start()
    stop.wait()
    for poller in pollers:
        poller.stop()
    jobs.stop()
    close_senders(services.senders)


@telegram_app.command("set-webhook")
def telegram_set_webhook(
    url: Annotated[str, typer.Argument(help="e.g. https://webcare.example/webhooks/telegram")],
) -> None:
    """Ask Telegram to push updates to URL; needs WEBCARE_TELEGRAM_BOT_TOKEN and ..._WEBHOOK_SECRET."""
    from bot.adapters.base import AdapterError
    from bot.adapters.telegram import TelegramAdapter

    settings = get_settings()
    if settings.telegram_bot_token is None or settings.telegram_webhook_secret is None:
        err.print("Set WEBCARE_TELEGRAM_BOT_TOKEN and WEBCARE_TELEGRAM_WEBHOOK_SECRET first.")
        raise typer.Exit(2)
    if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
        err.print("Telegram only pushes to https:// URLs.")
        raise typer.Exit(2)
    bot = TelegramAdapter(settings.telegram_bot_token.get_secret_value(), api_url=settings.telegram_api_url)
    try:
        bot.set_webhook(url, settings.telegram_webhook_secret.get_secret_value())
    except AdapterError as exc:
        err.print(f"Telegram did not accept the webhook: {exc}", markup=False)
        raise typer.Exit(1) from exc
    finally:
        bot.close()
    console.print(f"Telegram now sends updates to {url}", markup=False)


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema."""
    migrations.upgrade(get_settings().database_url)
    console.print("Database is up to date.")


@app.command()
def demo() -> None:
    """Set up the demo: schema, content, a demo admin, an API token and demo mentions."""
    from bot.demo import prepare

    # plain echo: a password or token must never be wrapped or styled, so it copies cleanly
    prepare(get_settings(), say=typer.echo)


@app.command()
def ingest(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Take in mentions from a JSONL file, one mention object per line."""
    from bot.ingest import ingest_lines
    from bot.main import build_services

    services = build_services(get_settings())
    lines = file.read_text(encoding="utf-8").splitlines()
    with (
        Progress(console=err, transient=True) as progress,
        Session(services.engine, expire_on_commit=False) as session,
    ):
        task = progress.add_task(f"Ingesting {file.name}", total=len(lines))
        summary = ingest_lines(session, lines, services.registry, on_line=lambda: progress.advance(task))
    console.print(
        f"accepted: {summary.accepted}  duplicate: {summary.duplicate}  rejected: {len(summary.rejected)}"
    )
    for number, reason in summary.rejected:
        console.print(f"  line {number}: {reason}", markup=False)
    raise typer.Exit(1 if summary.rejected else 0)


def _password(prompt: str) -> str:
    first = getpass.getpass(prompt)
    if getpass.getpass("Repeat: ") != first:
        err.print("The passwords differ.")
        raise typer.Exit(2)
    return first


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="agent, senior, community_manager or admin")] = "agent",
    password: Annotated[
        str | None, typer.Option(envvar="WEBCARE_NEW_PASSWORD", help="Read from the prompt when left out.")
    ] = None,
) -> None:
    """Add a person who can sign in."""
    from bot.db import make_engine

    with Session(make_engine(get_settings().database_url)) as session:
        try:
            accounts.add_user(
                session, username=name, password=password or _password("Password: "), role=role, now=utcnow()
            )
        except accounts.AccountError as exc:
            err.print(f"error: {exc}")
            raise typer.Exit(2) from exc
    console.print(f"User {name!r} added with role {role}.")


def _set_user(name: str, change: Callable[[Session, User], None]) -> None:
    from bot.db import make_engine

    with Session(make_engine(get_settings().database_url)) as session:
        user = session.exec(select(User).where(User.username == name)).first()
        if user is None:
            err.print(f"error: no user {name!r}")
            raise typer.Exit(2)
        try:
            change(session, user)
        except accounts.AccountError as exc:
            err.print(f"error: {exc}")
            raise typer.Exit(2) from exc


@users_app.command("passwd")
def users_passwd(
    name: str,
    password: Annotated[
        str | None, typer.Option(envvar="WEBCARE_NEW_PASSWORD", help="Read from the prompt when left out.")
    ] = None,
) -> None:
    """Set a new password; the user's open sessions are signed out."""
    _set_user(
        name,
        lambda s, u: accounts.set_password(
            s, user=u, password=password or _password("New password: "), now=utcnow()
        ),
    )
    console.print(f"Password of {name!r} changed; their sessions are signed out.")


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Stop a user from signing in and sign out their open sessions."""
    _set_user(name, lambda s, u: accounts.disable_user(s, user=u, now=utcnow()))
    console.print(f"User {name!r} disabled.")


@users_app.command("role")
def users_role(name: str, role: str) -> None:
    """Give a user another role (agent, senior, community_manager, admin); their sessions are signed out."""
    _set_user(name, lambda s, u: accounts.set_role(s, user=u, role=role, now=utcnow()))
    console.print(f"User {name!r} is now {role}.")


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
            path or settings.guidelines_dir, settings.faq_dir, now=utcnow(), encoder=_encoder(None)
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
    except (evaluate.CasesInvalid, ContentInvalid) as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    scores = evaluate.score_faq(index, rows, threshold)
    typer.echo(json.dumps(evaluate.as_dict(scores)) if as_json else "\n".join(evaluate.faq_report(scores)))


@analyze_app.command("eval")
def analyze_eval(
    cases: Annotated[Path, typer.Option("--cases", help="CSV with the header text,label[,language].")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Score sentiment (and language, with a language column) on labelled messages."""
    from bot import evaluate

    try:
        scores = evaluate.score_sentiment(evaluate.read_cases(cases, ["text", "label"]))
    except evaluate.CasesInvalid as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    report = evaluate.sentiment_report(scores)
    typer.echo(json.dumps(evaluate.as_dict(scores)) if as_json else "\n".join(report))


@app.command()
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
    from responders.content import ContentInvalid
    from responders.domain import Author, Context, Mention
    from responders.engine import respond

    settings = get_settings()
    try:
        registry = ContentRegistry(settings.guidelines_dir, settings.faq_dir, _encoder(encoder))
    except ContentInvalid as exc:
        err.print(f"error: the content does not load (see `webcare guidelines check`):\n{exc}", markup=False)
        raise typer.Exit(1) from exc
    found = registry.snapshot.communities.get(community)
    if found is None:
        err.print(f"error: no community {community!r}; known: {', '.join(registry.snapshot.communities)}")
        raise typer.Exit(2)
    now = utcnow()
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


@users_app.command("list")
def users_list() -> None:
    """List the people who can sign in."""
    from bot.db import make_engine

    with Session(make_engine(get_settings().database_url)) as session:
        for user in session.exec(select(User).order_by(User.username)):
            state = "disabled" if user.disabled else "active"
            typer.echo(f"{user.username}\t{user.role}\t{state}")


@customers_app.command("erase")
def customers_erase(
    customer_id: int,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase everything about one customer (GDPR request); the audit log records that it happened."""
    from bot.db import make_engine
    from bot.pipeline.retention import erase_customer

    if not yes and not typer.confirm(f"Erase customer {customer_id} and all their messages?"):
        raise typer.Exit(1)
    with Session(make_engine(get_settings().database_url)) as session:
        if not erase_customer(session, customer_id, actor="cli", now=utcnow()):
            err.print(f"error: no customer {customer_id}")
            raise typer.Exit(2)
    console.print(f"Customer {customer_id} erased.")
