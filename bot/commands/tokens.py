"""`webcare tokens`: the bearer tokens integrations use for /api/v1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from sqlmodel import Session

from bot import api_tokens
from bot.accounts import AccountError
from bot.clock import SystemClock
from bot.commands import console, err
from bot.settings import get_settings

tokens_app = typer.Typer(help="Manage the API's bearer tokens.", no_args_is_help=True)
ACTOR = "cli"


@contextmanager
def _session() -> Iterator[Session]:
    """A session on the configured database; an AccountError becomes its message and exit code 2."""
    from bot.db import make_engine

    engine = make_engine(get_settings().database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
    except AccountError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()


@tokens_app.command("create")
def tokens_create(name: str) -> None:
    """Make a token for an integration; it is shown once, so copy it now."""
    with _session() as session:
        token = api_tokens.create(session, name=name, actor=ACTOR, now=SystemClock().now())
    err.print(f"Token {name!r} created. It is shown this once; webcare keeps only a hash of it:")
    typer.echo(token)  # alone on stdout, so `TOKEN=$(webcare tokens create ci)` works


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M}" if at else "never"


@tokens_app.command("list")
def tokens_list() -> None:
    """Every token with when it was made and last used (never the token itself)."""
    with _session() as session:
        rows = api_tokens.all_tokens(session)
    if get_settings().api_token is not None:
        console.print("WEBCARE_API_TOKEN is set too: it works beside these, as 'settings' in the audit log.")
    if not rows:
        console.print("No API tokens. Make one with `webcare tokens create NAME`.")
        return
    typer.echo("id\tname\tcreated (UTC)\tlast used (UTC)\tstate")
    for row in rows:
        state = f"revoked {_when(row.revoked_at)}" if row.revoked_at else "active"
        typer.echo(f"{row.id}\t{row.name}\t{_when(row.created_at)}\t{_when(row.last_used_at)}\t{state}")


@tokens_app.command("revoke")
def tokens_revoke(token: Annotated[str, typer.Argument(help="The token's name, or its id.")]) -> None:
    """Revoke a token: the next request with it gets 401. It cannot be undone; make a new one."""
    with _session() as session:
        row = api_tokens.revoke(session, ref=token, actor=ACTOR, now=SystemClock().now())
    console.print(f"Token {row.name!r} revoked.")
