"""The `webcare` command: serving, the worker and set-up here; the command groups in `bot/commands/`."""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress
from sqlmodel import Session

from bot import migrations
from bot.clock import SystemClock
from bot.commands import console, content_loads, err
from bot.commands.content import analyze_app, faq_app, guidelines_app, simulate
from bot.commands.customers import customers_app
from bot.commands.drafts import drafts_app
from bot.commands.telegram import telegram_app
from bot.commands.tokens import tokens_app
from bot.commands.users import users_app
from bot.logs import configure_logging
from bot.settings import Settings, get_settings, settings_problems

if TYPE_CHECKING:  # imported when the command runs: the other commands start without it
    from bot.ingest import IngestSummary

app = typer.Typer(help="webcare: community mentions in, human-reviewed replies out.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(customers_app, name="customers")
app.add_typer(guidelines_app, name="guidelines")
app.add_typer(faq_app, name="faq")
app.add_typer(analyze_app, name="analyze")
app.add_typer(drafts_app, name="drafts")
app.add_typer(telegram_app, name="telegram")
app.add_typer(tokens_app, name="tokens")


@app.callback()
def _setup() -> None:
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    try:
        settings = get_settings()
    except (ValidationError, SettingsError) as exc:
        for problem in settings_problems(exc):
            err.print(f"error: {problem}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    configure_logging(settings.log_format, settings.log_level)


def main(args: Sequence[str] | None = None) -> None:
    """The `webcare` command; a database that cannot be reached is a one-line error, not a traceback."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        app(args=args)
    except (OperationalError, ProgrammingError) as exc:
        # SQLite says "no such table", PostgreSQL raises UndefinedTable: a schema never made
        no_schema = "no such table" in str(exc.orig) or type(exc.orig).__name__ == "UndefinedTable"
        if isinstance(exc, ProgrammingError) and not no_schema:
            raise  # a bug, not a setting: keep the traceback
        # settings loaded fine if a database was reached for; the password stays out of the message
        url = make_url(get_settings().database_url).render_as_string(hide_password=True)
        reason = str(exc.orig or exc).strip().splitlines()[0]
        reason += "; run `webcare migrate`" if no_schema else ""
        err.print(f"error: the database at {url} cannot be used: {reason}", markup=False, soft_wrap=True)
        raise SystemExit(1) from exc


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
    _ready_to_serve(settings)  # a clear reason now, rather than a traceback from the app's start
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
    _ready_to_serve(settings)
    services = build_services(settings, SystemClock(), warm_in_background=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    jobs = Jobs(
        services.engine,
        services.senders,
        services.registry,
        # host and pid, as `serve` names itself: unique across machines and containers, where
        # every worker is pid 1 and a thread id alone would give each the same name
        worker=settings.worker_id or f"{socket.gethostname()}:{os.getpid()}",
        interval=settings.delivery_interval_seconds,
        settings=settings,
        clock=services.clock,
    )
    jobs.start()
    services.drafter.start()
    from bot.adapters.wiring import build_poll_loops, close_senders

    pollers = build_poll_loops(services)
    for poller in pollers:
        poller.start()
    stop.wait()
    for poller in pollers:
        poller.stop()
    jobs.stop()
    services.drafter.stop()
    close_senders(services.senders)


def _ready_to_serve(settings: Settings) -> None:
    """Exit with the reason when the content does not load or the database schema is not this code's."""
    from responders.content import load_content

    with content_loads():
        load_content(settings.guidelines_dir, settings.faq_dir)
    problem = migrations.schema_problem(settings.database_url)
    if problem:
        err.print(f"error: {problem}", markup=False, soft_wrap=True)
        raise typer.Exit(1)


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
    with content_loads():
        prepare(get_settings(), SystemClock(), say=typer.echo)


@app.command()
def ingest(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Take in mentions from a JSONL file, one mention object per line.

    A line that cannot be taken in is set aside (admins see it at /set-aside) and the rest flows.
    Exit code 0: every line taken in or already there; 1: some lines were set aside, the others
    committed; 2: the database failed on the way (run it again); a re-run duplicates nothing.
    """
    from bot.pipeline.set_aside import is_transient

    try:
        summary = _ingest_file(file)
    except Exception as exc:
        if not is_transient(exc):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        err.print(f"Stopped: the database failed ({first}).", markup=False)
        err.print("Run the same command again once it answers: nothing is taken in twice.")
        raise typer.Exit(2) from exc
    console.print(
        f"taken in: {summary.accepted}  duplicates: {summary.duplicate}  set aside: {len(summary.rejected)}"
    )
    for number, reason in summary.rejected:
        console.print(f"  line {number}: {reason}", markup=False)
    raise typer.Exit(1 if summary.rejected else 0)


def _ingest_file(file: Path) -> IngestSummary:
    from bot.ingest import ingest_lines
    from bot.main import build_services

    with content_loads():
        services = build_services(get_settings(), SystemClock())
    # read as bytes, line by line: the file may be larger than memory, a line that is not UTF-8 is
    # one line set aside, and JSON text may hold U+2028, which str.splitlines() would cut at
    with (
        file.open("rb") as lines,
        Progress(console=err, transient=True) as progress,
        Session(services.engine, expire_on_commit=False) as session,
    ):
        task = progress.add_task(f"Ingesting {file.name}", total=sum(1 for _ in lines))
        lines.seek(0)
        return ingest_lines(
            session,
            lines,
            services.registry,
            clock=services.clock,
            on_line=lambda: progress.advance(task),
            source=str(file.resolve()),
        )


app.command()(simulate)  # defined with the content commands, listed after the set-up ones
