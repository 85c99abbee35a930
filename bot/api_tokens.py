"""API tokens as an admin manages them (`webcare tokens`): create one, list them, revoke one.

Only a token's SHA-256 is stored (bot/accounts.py checks it), so a token is shown once, when it is
made; a lost one is revoked and replaced. Each change is in the audit log.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlmodel import Session, col, select

from bot import store
from bot.accounts import AccountError, hash_token
from bot.models import ApiToken
from bot.schemas import INT32_MAX

# the name WEBCARE_API_TOKEN goes by in the audit log (bot/accounts.py api_token_name)
SETTINGS_NAME = "settings"
_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")


def create(session: Session, *, name: str, actor: str, now: datetime) -> str:
    """Mint a token called `name` and return it: the only time it can be seen."""
    if not _NAME.fullmatch(name):
        raise AccountError("a token name is 1 to 100 letters, digits, '.', '_' or '-'")
    if name == SETTINGS_NAME:
        raise AccountError(
            f"{SETTINGS_NAME!r} is how the audit log names WEBCARE_API_TOKEN: pick another name"
        )
    existing = session.exec(select(ApiToken).where(ApiToken.name == name)).first()
    if existing is not None:
        state = "revoked" if existing.revoked_at else "in use"
        raise AccountError(f"a token named {name!r} exists ({state}): pick another name")
    token = "wc_" + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=hash_token(token), created_at=now)
    session.add(row)
    session.flush()  # the id, for the audit log
    store.audit(session, actor=actor, action="api_token.create", object_type="api_token",
                object_id=str(row.id), now=now, after={"name": name})  # fmt: skip
    session.commit()
    return token


def all_tokens(session: Session) -> list[ApiToken]:
    """Every token, live and revoked, oldest first."""
    return list(session.exec(select(ApiToken).order_by(col(ApiToken.created_at), col(ApiToken.id))))


def find(session: Session, ref: str) -> ApiToken | None:
    """The token with this name, or else with this id."""
    row = session.exec(select(ApiToken).where(ApiToken.name == ref)).first()
    # a number beyond the id column is no token's: asking the database would fail on PostgreSQL
    if row is None and ref.isdigit() and int(ref) <= INT32_MAX:
        row = session.get(ApiToken, int(ref))
    return row


def revoke(session: Session, *, ref: str, actor: str, now: datetime) -> ApiToken:
    """Revoke the token named (or numbered) `ref`: the next request with it gets 401."""
    row = find(session, ref)
    if row is None:
        raise AccountError(f"no token named {ref!r} (`webcare tokens list` shows them)")
    if row.revoked_at is not None:
        raise AccountError(
            f"the token {row.name!r} was revoked already, at {row.revoked_at:%Y-%m-%d %H:%M} UTC"
        )
    row.revoked_at = now
    session.add(row)
    store.audit(session, actor=actor, action="api_token.revoke", object_type="api_token",
                object_id=str(row.id), now=now, before={"name": row.name})  # fmt: skip
    session.commit()
    return row
