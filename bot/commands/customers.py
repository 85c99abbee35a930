"""`webcare customers`: customer data (GDPR erasure)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from bot.clock import SystemClock
from bot.commands import console, err
from bot.schemas import INT32_MAX
from bot.settings import get_settings

customers_app = typer.Typer(help="Customer data: GDPR erasure.", no_args_is_help=True)


@customers_app.command("erase")
def customers_erase(
    customer_id: Annotated[int, typer.Argument(min=1, max=INT32_MAX, help="The customer's number.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase everything about one customer (GDPR request); the audit log records that it happened."""
    from bot.db import make_engine
    from bot.pipeline.retention import erase_customer

    if not yes and not typer.confirm(f"Erase customer {customer_id} and all their messages?"):
        raise typer.Exit(1)
    with Session(make_engine(get_settings().database_url)) as session:
        if not erase_customer(session, customer_id, actor="cli", now=SystemClock().now()):
            err.print(f"error: no customer {customer_id}")
            raise typer.Exit(2)
    console.print(f"Customer {customer_id} erased.")
