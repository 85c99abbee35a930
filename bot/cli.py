"""The `webcare` command."""

from __future__ import annotations

import getpass
import json
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from sqlmodel import Session, select

from bot import accounts, migrations
from bot.logs import configure_logging
from bot.models import User, utcnow
from bot.settings import get_settings

app = typer.Typer(help="webcare: community mentions in, human-reviewed replies out.", no_args_is_help=True)
users_app = typer.Typer(help="Manage the people who sign in.", no_args_is_help=True)
guidelines_app = typer.Typer(help="Check and test guideline files.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(guidelines_app, name="guidelines")
console = Console()
err = Console(stderr=True)


@app.callback()
def _setup() -> None:
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)


@app.command()
def serve(
    no_jobs: Annotated[
        bool, typer.Option("--no-jobs", help="Web server only; run jobs in `webcare worker`.")
    ] = False,
) -> None:
    """Serve the web app, the API, the adapters and the jobs in one process."""
    import uvicorn

    from bot.main import create_app

    settings = get_settings()
    uvicorn.run(create_app(run_jobs=not no_jobs), host=settings.host, port=settings.port, log_config=None)


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
    )
    jobs.start()
    stop.wait()
    jobs.stop()


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


@guidelines_app.command("check")
def guidelines_check(path: Annotated[Path | None, typer.Argument()] = None) -> None:
    """Validate guideline and FAQ files; list every error with file, line and field."""
    from responders.content import ContentInvalid, load_content

    settings = get_settings()
    try:
        content = load_content(path or settings.guidelines_dir, settings.faq_dir)
    except ContentInvalid as exc:
        for error in exc.errors:
            console.print(str(error), markup=False)
        raise typer.Exit(1) from exc
    console.print(f"OK: {len(content.guidelines)} guidelines, {len(content.faq)} FAQ entries.")


@app.command()
def simulate(
    text: str,
    community: Annotated[str, typer.Option("--community", help="Community id from its guideline.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show what the bot would do with a message: analysis, candidates, decision and draft."""
    from dataclasses import asdict

    from bot.registry import ContentRegistry
    from responders.domain import Author, Context, Mention
    from responders.engine import respond

    settings = get_settings()
    registry = ContentRegistry(settings.guidelines_dir, settings.faq_dir)
    found = registry.snapshot.communities.get(community)
    if found is None:
        err.print(f"error: no community {community!r}; known: {', '.join(registry.snapshot.communities)}")
        raise typer.Exit(2)
    now = utcnow()
    response = respond(
        Mention("console", "simulate", "sim-1", Author("sim", "klant", ""), text, now),
        Context(now=now),
        found,
    )
    data = asdict(response)
    if as_json:
        console.print_json(json.dumps(data, default=sorted_default))
        return
    console.print(data)


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
