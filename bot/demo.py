"""`webcare demo`: migrate, write demo content, create a demo admin and API token, ingest mentions."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot import accounts, migrations, pipeline, shipped
from bot.clock import Clock
from bot.ingest import IngestSummary, ingest_lines, parse_line
from bot.main import build_services
from bot.models import User
from bot.pipeline.followups import OrderEvent, record_order
from bot.registry import ContentRegistry
from bot.schemas import MentionIn
from bot.settings import Settings
from responders.domain import Author

DEMO_USER = "demo"


# The demo file spans a few days; squeezed into the last hours, its queue shows deadlines that
# are on track, at risk and breached, whatever day `make run` happens on.
DEMO_SPAN = timedelta(hours=6)


def _retimer(lines: list[str], now: datetime) -> Callable[[MentionIn], MentionIn]:
    """Move the demo mentions so the newest is from just now and the oldest DEMO_SPAN ago."""
    times = []
    for line in lines:
        try:
            posted = parse_line(line).created_at
        except ValueError:
            continue
        if posted is not None:  # a line without a time is dated at its receipt anyway
            times.append(posted)
    newest, oldest = max(times, default=now), min(times, default=now)
    squeeze = min(1.0, DEMO_SPAN / (newest - oldest)) if newest > oldest else 1.0

    def retime(item: MentionIn) -> MentionIn:
        if item.created_at is None:
            return item
        return item.model_copy(update={"created_at": now - (newest - item.created_at) * squeeze})

    return retime


def prepare(settings: Settings, clock: Clock, say: Callable[[str], None] = print) -> IngestSummary:
    """Set up a demo installation; safe to run again, it adds nothing twice."""
    # A new folder with the default settings gets the package's demo guidelines and FAQ. Folders
    # named in WEBCARE_ settings are never made up: a typo there must fail, not serve the demo.
    defaults = not {"guidelines_dir", "faq_dir"} & settings.model_fields_set
    if defaults and shipped.copy_demo_content(settings.guidelines_dir, settings.faq_dir):
        say(
            f"Demo content written to {settings.guidelines_dir}/ and {settings.faq_dir}/ "
            "(edit it there, or at /guidelines in the browser)."
        )
    migrations.upgrade(settings.database_url)
    services = build_services(settings, clock)
    now = clock.now()
    with Session(services.engine, expire_on_commit=False) as session:
        if session.exec(select(User).where(User.username == DEMO_USER)).first() is None:
            password = secrets.token_urlsafe(12)
            accounts.add_user(session, username=DEMO_USER, password=password, role="admin", now=now)
            say(
                f"Demo admin created. Sign in at http://{settings.host}:{settings.port}/login "
                f"as '{DEMO_USER}' with password: {password}   (shown once; change it with "
                f"`webcare users passwd {DEMO_USER}`)"
            )
        if settings.api_token is None and not accounts.has_api_tokens(session):
            token = accounts.add_api_token(session, name="demo", now=now)
            say(f"API token created (shown once): {token}")
        lines = (shipped.folder("demo") / "mentions.jsonl").read_text(encoding="utf-8").splitlines()
        summary = ingest_lines(session, lines, services.registry, clock=clock, shift=_retimer(lines, now))
        pipeline.sync_communities(session, services.registry, now=now)
        orders = _record_orders(session, services.registry, now)
    services.engine.dispose()
    say(
        f"Demo mentions: {summary.accepted} new, {summary.duplicate} already there, "
        f"{len(summary.rejected)} rejected. Demo orders: {orders} new, their follow-ups planned."
    )
    return summary


def _record_orders(session: Session, registry: ContentRegistry, now: datetime) -> int:
    """The demo's orders, bought hours or days before now, so the jobs draft their follow-ups."""
    created = 0
    for line in (shipped.folder("demo") / "orders.jsonl").read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        who = data["customer"]
        event = OrderEvent(
            order_ref=data["order_id"],
            platform=data["platform"],
            customer=Author(who["id"], who["handle"], who["name"]),
            purchased_at=now - timedelta(hours=data["hours_ago"]),
            items=data["items"],
            community_id=data["community"],
        )
        created += record_order(session, event, registry, now=now)[1]
    session.commit()
    return created
