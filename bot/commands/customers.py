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


def _what_goes(counts: dict[str, int]) -> str:
    """The counts a confirmation names, e.g. '3 mentions, 3 drafts, 1 conversation, 0 orders'."""
    return ", ".join(f"{n} {kind if n != 1 else kind.removesuffix('s')}" for kind, n in counts.items())


@customers_app.command("erase")
def customers_erase(
    customer_id: Annotated[
        int | None,
        typer.Argument(min=1, max=INT32_MAX, help="The customer's number (or use --platform and --handle)."),
    ] = None,
    platform: Annotated[str, typer.Option(help="The platform the customer is on, e.g. telegram.")] = "",
    handle: Annotated[str, typer.Option(help="The customer's handle on that platform, e.g. anna.")] = "",
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase everything about one customer (GDPR request); the audit log records that it happened."""
    from bot.db import make_engine
    from bot.models import Customer
    from bot.pipeline.retention import describe_customer, erase_customer, erasure_counts, find_customers

    by_handle = bool(platform or handle)
    if (customer_id is None) != by_handle or (by_handle and not (platform and handle)):
        err.print("error: give a customer number, or both --platform and --handle")
        raise typer.Exit(2)
    with Session(make_engine(get_settings().database_url)) as session:
        if customer_id is not None:
            found = session.get(Customer, customer_id)
            if found is None:
                err.print(f"error: no customer {customer_id}")
                raise typer.Exit(2)
        else:
            matches = find_customers(session, platform, handle)
            if not matches:
                err.print(f"error: no customer on {platform} with handle {handle}")
                raise typer.Exit(2)
            if len(matches) > 1:
                # two people can carry one handle over time; staff must pick by number
                listed = "; ".join(f"{c.id}: {describe_customer(c)}" for c in matches)
                err.print(f"error: {len(matches)} customers have that handle, erase one by number: {listed}")
                raise typer.Exit(2)
            found = matches[0]
        assert found.id is not None
        who = describe_customer(found)
        what = _what_goes(erasure_counts(session, found.id))
        console.print(f"Customer {found.id}: {who}. Erasing removes {what}.", markup=False, soft_wrap=True)
        if not yes and not typer.confirm(f"Erase {who} and all their data?"):
            raise typer.Exit(1)
        erase_customer(session, found.id, actor="cli", now=SystemClock().now())
    console.print(f"Customer {found.id}: {who} erased.", markup=False, soft_wrap=True)
