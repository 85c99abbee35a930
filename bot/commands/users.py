"""`webcare users`: the people who sign in."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Annotated

import typer
from sqlmodel import Session, select

from bot import accounts, teams
from bot.clock import SystemClock
from bot.commands import console, content_loads, err
from bot.models import User
from bot.settings import get_settings

users_app = typer.Typer(help="Manage the people who sign in.", no_args_is_help=True)


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
    team: Annotated[
        list[str] | None,
        typer.Option("--team", help="A team they belong to (repeat for more), e.g. kwaliteit."),
    ] = None,
) -> None:
    """Add a person who can sign in."""
    from bot.db import make_engine

    clock = SystemClock()
    with Session(make_engine(get_settings().database_url)) as session:
        try:
            # teams first: an unknown team must not leave a person added without them
            chosen = teams.check_teams(team or [], _known_teams())
            user = accounts.add_user(
                session,
                username=name,
                password=password or _password("Password: "),
                role=role,
                now=clock.now(),
            )
            assert user.id is not None
            teams.set_teams(session, user.id, chosen)
        except accounts.AccountError as exc:
            err.print(f"error: {exc}")
            raise typer.Exit(2) from exc
    in_teams = f", teams {', '.join(chosen)}" if chosen else ""
    console.print(f"User {name!r} added with role {role}{in_teams}.")


def _known_teams() -> list[str]:
    """The teams the guidelines name (read without the FAQ encoder: only the rules matter)."""
    from responders.content import load_content

    with content_loads():
        settings = get_settings()
        return teams.known_teams(load_content(settings.guidelines_dir, settings.faq_dir).guidelines.values())


@users_app.command("teams")
def users_teams(
    name: str,
    team: Annotated[
        list[str] | None, typer.Option("--team", help="A team (repeat for more); none: no team.")
    ] = None,
) -> None:
    """Set the teams a person belongs to (replaces their teams)."""
    chosen: list[str] = []

    def change(session: Session, user: User) -> None:
        chosen.extend(teams.check_teams(team or [], _known_teams()))
        assert user.id is not None
        teams.set_teams(session, user.id, chosen)

    _set_user(name, change)
    console.print(f"User {name!r} is in {', '.join(chosen) if chosen else 'no team'}.")


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
    clock = SystemClock()
    _set_user(
        name,
        lambda s, u: accounts.set_password(
            s, user=u, password=password or _password("New password: "), now=clock.now()
        ),
    )
    console.print(f"Password of {name!r} changed; their sessions are signed out.")


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Stop a user from signing in and sign out their open sessions."""
    clock = SystemClock()
    _set_user(name, lambda s, u: accounts.disable_user(s, user=u, now=clock.now()))
    console.print(f"User {name!r} disabled.")


@users_app.command("role")
def users_role(name: str, role: str) -> None:
    """Give a user another role (agent, senior, community_manager, admin); their sessions are signed out."""
    clock = SystemClock()
    _set_user(name, lambda s, u: accounts.set_role(s, user=u, role=role, now=clock.now()))
    console.print(f"User {name!r} is now {role}.")


@users_app.command("list")
def users_list() -> None:
    """List the people who can sign in."""
    from bot.db import make_engine

    with Session(make_engine(get_settings().database_url)) as session:
        users = session.exec(select(User).order_by(User.username)).all()
        by_user = teams.all_teams_by_user(session)
        for user in users:
            state = "disabled" if user.disabled else "active"
            in_teams = ",".join(by_user.get(user.id or 0, []))
            typer.echo(f"{user.username}\t{user.role}\t{state}" + (f"\t{in_teams}" if in_teams else ""))
