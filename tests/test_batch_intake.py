"""The pollers' one intake path: a batch and its cursors in one transaction, nothing lost or doubled."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from bot import store
from bot.adapters.base import AdapterError, Batch, Cursor, Edit, OptOut, Unread
from bot.clock import Clock
from bot.models import Customer, Draft, Mention, SetAside, SourceCursor
from bot.pipeline import intake
from bot.pipeline.batch_intake import EDITED_NOTE, load_cursors, take_in_batch
from bot.registry import ContentRegistry
from responders import domain


def _mention(external_id: str, now: datetime, text: str = "Hoe lang duurt de bezorging?") -> domain.Mention:
    author = domain.Author(f"u-{external_id}", "anna_w", "Anna")
    return domain.Mention("telegram", "@testshop", external_id, author, text, now)


def _stored(session: Session) -> list[str]:
    session.expire_all()
    return list(session.exec(select(Mention.external_id).order_by(col(Mention.external_id))).all())


def test_a_batch_and_its_cursor_are_stored_together_and_a_repeat_takes_nothing_in(
    session: Session, registry: ContentRegistry, clock: Clock
) -> None:
    now = clock.now()
    batch = Batch("telegram", (_mention("1", now), _mention("2", now)), {"getUpdates": Cursor("501")})
    assert take_in_batch(session, registry, batch, now=now) == 2
    assert (
        take_in_batch(session, registry, replace(batch, cursors={"getUpdates": Cursor("502")}), now=now) == 0
    )
    assert _stored(session) == ["1", "2"]
    assert load_cursors(session, platform="telegram") == {"getUpdates": Cursor("502")}


def test_a_crash_in_the_middle_of_a_batch_stores_neither_its_mentions_nor_its_cursor(
    session: Session, registry: ContentRegistry, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = clock.now()
    real = intake.receive

    def database_gone(session: Session, mention: domain.Mention, *args: Any, **kwargs: Any) -> Any:
        if mention.external_id == "2":
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return real(session, mention, *args, **kwargs)

    monkeypatch.setattr("bot.pipeline.batch_intake.receive", database_gone)
    batch = Batch("telegram", (_mention("1", now), _mention("2", now)), {"getUpdates": Cursor("501")})
    with pytest.raises(OperationalError):
        take_in_batch(session, registry, batch, now=now)
    assert _stored(session) == []
    assert session.exec(select(SourceCursor)).all() == [], "the same updates are read again next round"


def test_an_item_the_database_refuses_is_set_aside_and_the_rest_and_the_cursor_are_stored(
    session: Session, registry: ContentRegistry, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = clock.now()
    real = store.insert_mention

    def refuse(session: Session, **fields: Any) -> int:
        if fields["external_id"] == "2":
            raise IntegrityError("INSERT INTO mention", {}, Exception("value too long"))
        return real(session, **fields)

    monkeypatch.setattr(store, "insert_mention", refuse)
    items = (_mention("1", now), _mention("2", now), _mention("3", now))
    assert (
        take_in_batch(session, registry, Batch("telegram", items, {"getUpdates": Cursor("9")}), now=now) == 2
    )
    assert _stored(session) == ["1", "3"]
    [kept] = session.exec(select(SetAside)).all()
    assert kept.source == "@testshop 2" and "value too long" in kept.reason and '"2"' in kept.payload
    assert load_cursors(session, platform="telegram") == {"getUpdates": Cursor("9")}


def test_edits_opt_outs_and_unreadable_data_are_taken_in_with_the_mentions(
    session: Session, registry: ContentRegistry, clock: Clock
) -> None:
    now = clock.now()
    first = _mention("1", now)
    take_in_batch(session, registry, Batch("telegram", (first,)), now=now)
    never_stored = _mention("2", now, "Waar blijft mijn pakket?")
    items = (
        Edit("1", "Hoe lang duurt de bezorging naar Gent?"),
        Edit("2", never_stored.text, never_stored),  # the edit made it count: taken in as new
        Edit("3", "nobody asked us anything"),  # never stored and does not count: dropped
        OptOut(first.author, opted_out=True),
        Unread("update 77", '{"update_id": 77}', ValueError("no date")),
    )
    assert take_in_batch(session, registry, Batch("telegram", items), now=now) == 1

    assert _stored(session) == ["1", "2"]
    edited = session.exec(select(Mention).where(Mention.external_id == "1")).one()
    assert edited.text == "Hoe lang duurt de bezorging naar Gent?" and edited.edited_at is not None
    draft = session.exec(select(Draft).where(Draft.mention_id == edited.id)).one()
    assert EDITED_NOTE in draft.reasons
    customer = session.exec(select(Customer).where(Customer.platform_user_id == "u-1")).one()
    assert customer.opted_out_at is not None
    [kept] = session.exec(select(SetAside)).all()
    assert (kept.source, kept.reason) == ("update 77", "no date")


def test_calls_after_a_batch_run_once_it_is_stored_and_a_failed_one_changes_nothing(
    session: Session, registry: ContentRegistry, clock: Clock
) -> None:
    now = clock.now()
    seen: list[list[str]] = []

    def confirm() -> None:
        seen.append(_stored(session))

    def unreachable() -> None:
        raise AdapterError("Telegram is unreachable", retryable=True)

    batch = Batch("telegram", (_mention("1", now),), after=(unreachable, confirm))
    assert take_in_batch(session, registry, batch, now=now) == 1
    assert seen == [["1"]], "the confirmation ran after the mention was stored"
