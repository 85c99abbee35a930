"""Users, argon2 password hashes, server-side sessions and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from bot.models import ApiToken, SignInFailure, User, UserSession

Role = Literal["agent", "senior", "community_manager", "admin"]
ROLES: tuple[str, ...] = get_args(Role)  # each role can do what the ones before it can


def role_at_least(role: str, minimum: str) -> bool:
    """Whether a role includes the rights of another (admin > community_manager > senior > agent)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(minimum)


_hasher = PasswordHasher()
# Verifying against this keeps sign-in time the same whether or not the user exists.
_DUMMY_HASH = _hasher.hash("webcare-timing-equaliser")
# "Last seen" is this precise, so a page view writes to the database only now and then.
SEEN_EVERY = timedelta(minutes=5)


class AccountError(Exception):
    """A user or token operation that cannot be done, with a message for the operator."""


def hash_token(token: str) -> str:
    """SHA-256 of a random token: enough for high-entropy secrets, and fast to look up."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise AccountError("a password needs at least 10 characters")


# Names show in the audit log, on pages and in sign-in keys: plain ASCII, so none is empty,
# hides a control character or looks like another.
_USERNAME = re.compile(r"[A-Za-z0-9._-]{1,100}")


def check_username(username: str) -> None:
    """Refuse a name the command line and the web form should both refuse."""
    if not _USERNAME.fullmatch(username):
        raise AccountError(
            "a username is 1 to 100 characters: letters a-z, digits, dots, hyphens and underscores"
        )


def add_user(session: Session, *, username: str, password: str, role: str, now: datetime) -> User:
    """Create a user with an argon2 password hash."""
    check_username(username)
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    _check_password(password)
    # sign-in throttling counts names case-blind, so two names differing in case would share it
    same = select(User).where(func.lower(User.username) == username.lower())
    if session.exec(same).first():
        raise AccountError(f"user {username!r} already exists")
    user = User(username=username, password_hash=_hasher.hash(password), role=role, created_at=now)
    session.add(user)
    session.commit()
    return user


def _revoke_sessions(session: Session, *, user: User, now: datetime, keep: str | None = None) -> int:
    stmt = select(UserSession).where(UserSession.user_id == user.id, col(UserSession.revoked_at).is_(None))
    revoked = 0
    for row in session.exec(stmt):
        if row.id == keep:
            continue
        row.revoked_at = now
        session.add(row)
        if row.expires_at > now:
            revoked += 1
    return revoked


def _lock_admins(session: Session) -> None:
    """Lock the active admins' rows (PostgreSQL) so two admins cannot demote each other at once."""
    session.exec(select(User.id).where(User.role == "admin", col(User.disabled).is_(False)).with_for_update())


def _keep_an_admin(session: Session, *, user: User) -> None:
    """Undo the pending change and refuse it when it left no active admin."""
    session.flush()
    stmt = select(func.count()).select_from(User).where(User.role == "admin", col(User.disabled).is_(False))
    if session.exec(stmt).one() == 0:
        name = user.username  # read before the rollback expires the row
        session.rollback()
        raise AccountError(f"{name} is the last admin; make someone else admin first")


def set_password(session: Session, *, user: User, password: str, now: datetime) -> None:
    """Replace a user's password and sign out their open sessions."""
    _check_password(password)
    user.password_hash = _hasher.hash(password)
    session.add(user)
    _revoke_sessions(session, user=user, now=now)
    session.commit()


def disable_user(session: Session, *, user: User, now: datetime) -> None:
    """Stop a user from signing in and sign out their open sessions; never the last admin."""
    was_admin = user.role == "admin" and not user.disabled
    if was_admin:
        _lock_admins(session)
    user.disabled = True
    session.add(user)
    _revoke_sessions(session, user=user, now=now)
    if was_admin:
        _keep_an_admin(session, user=user)
    session.commit()


def enable_user(session: Session, *, user: User) -> None:
    """Let a disabled user sign in again."""
    user.disabled = False
    session.add(user)
    session.commit()


def set_role(session: Session, *, user: User, role: str, now: datetime) -> None:
    """Change a user's role; open sessions end so the new rights apply from the next sign-in."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    was_admin = user.role == "admin" and not user.disabled
    if was_admin:
        _lock_admins(session)
    user.role = role
    session.add(user)
    _revoke_sessions(session, user=user, now=now)
    if was_admin:
        _keep_an_admin(session, user=user)
    session.commit()


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The active user with this name and password, or None."""
    user = session.exec(select(User).where(User.username == username)).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    return user


def start_session(
    session: Session,
    *,
    user: User,
    now: datetime,
    hours: int,
    user_agent: str | None = None,
    ip: str | None = None,
) -> tuple[str, UserSession]:
    """Open a server-side session; return the cookie value and the row."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    row = UserSession(
        id=hash_token(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
        last_seen_at=now,
        user_agent=user_agent[:300] if user_agent else None,
        ip=ip[:64] if ip else None,
    )
    user.last_login_at = now
    session.add_all([row, user])
    session.commit()
    return token, row


def session_user(session: Session, *, token: str, now: datetime) -> tuple[User, UserSession] | None:
    """The signed-in user for a session cookie, if the session is live."""
    row = session.get(UserSession, hash_token(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    return user, row


def touch_session(session: Session, *, row: UserSession, now: datetime) -> None:
    """Note that a session is in use (at most once every SEEN_EVERY)."""
    if row.last_seen_at is None or now - row.last_seen_at >= SEEN_EVERY:
        row.last_seen_at = now
        session.add(row)
        session.commit()


def open_sessions(session: Session, *, user: User, now: datetime) -> list[UserSession]:
    """A user's live sessions, the most recently used first."""
    stmt = select(UserSession).where(
        UserSession.user_id == user.id,
        col(UserSession.revoked_at).is_(None),
        col(UserSession.expires_at) > now,
    )
    return sorted(session.exec(stmt), key=lambda row: row.last_seen_at or row.created_at, reverse=True)


def open_session_counts(session: Session, *, now: datetime) -> dict[int, int]:
    """How many live sessions each user has (users without any are left out)."""
    stmt = (
        select(UserSession.user_id, func.count())
        .where(col(UserSession.revoked_at).is_(None), col(UserSession.expires_at) > now)
        .group_by(col(UserSession.user_id))
    )
    return dict(session.exec(stmt).all())


def revoke_session(session: Session, *, user: User, session_id: str, now: datetime) -> UserSession | None:
    """Sign out one of this user's live sessions; None when there is no such session of theirs."""
    row = session.get(UserSession, session_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None or row.expires_at <= now:
        return None
    row.revoked_at = now
    session.add(row)
    session.commit()
    return row


def revoke_sessions(session: Session, *, user: User, now: datetime, keep: str | None = None) -> int:
    """Sign out all of a user's sessions but the one kept; return how many live ones ended."""
    revoked = _revoke_sessions(session, user=user, now=now, keep=keep)
    session.commit()
    return revoked


def end_session(session: Session, *, token: str, now: datetime) -> None:
    """Revoke a session so its cookie no longer works."""
    row = session.get(UserSession, hash_token(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        session.commit()


def add_api_token(session: Session, *, name: str, now: datetime) -> str:
    """Mint an API token; only its hash is stored, so the caller shows it once."""
    token = "wc_" + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=hash_token(token), created_at=now))
    session.commit()
    return token


def has_api_tokens(session: Session) -> bool:
    """Whether any live API token exists."""
    return session.exec(select(ApiToken).where(col(ApiToken.revoked_at).is_(None))).first() is not None


def is_configured_token(token: str, configured: str | None) -> bool:
    """Whether the token presented is the one in the settings (compared in constant time)."""
    return bool(configured) and hmac.compare_digest(token.encode(), (configured or "").encode())


def api_token_name(
    session: Session, *, token: str, configured: str | None, now: datetime | None = None
) -> str | None:
    """The name of the live API token presented, or None when it is not valid; with `now`, notes
    that the token is in use (at most once every SEEN_EVERY)."""
    if is_configured_token(token, configured):
        return "settings"
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    if now is not None and (row.last_used_at is None or now - row.last_used_at >= SEEN_EVERY):
        row.last_used_at = now
        session.add(row)
        session.commit()
    return row.name


# Sign-in throttling lives in the database, so that every web process counts the same failures.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


def count_sign_in_attempt(session: Session, keys: tuple[str, ...], *, now: datetime) -> list[int] | None:
    """Count an attempt as failed against each key (a username, a client address) before its
    password is checked; return the rows counted, or None (counting nothing) when a key is over
    the limit.

    Writing first and counting after is what holds under parallel guesses: each attempt's count
    includes every attempt committed before it, so however many race, at most MAX_FAILURES of
    them see a count within the limit and get their password checked.
    """
    rows = [SignInFailure(key=key, at=now) for key in keys]
    session.add_all(rows)
    session.commit()
    since = now - FAILURE_WINDOW
    for key in keys:
        recent = select(func.count()).where(SignInFailure.key == key, col(SignInFailure.at) > since)
        if session.exec(recent).one() > MAX_FAILURES:
            # a refused attempt checks no password, so it does not stretch the lockout
            _forget_rows(session, rows)
            return None
    return [row.id for row in rows if row.id is not None]


def forget_sign_in_attempt(session: Session, keys: tuple[str, ...], attempt: list[int]) -> None:
    """After a good sign-in: forget the name's failures and this attempt (the address keeps the
    failures it had)."""
    session.execute(
        delete(SignInFailure).where((col(SignInFailure.key) == keys[0]) | col(SignInFailure.id).in_(attempt))
    )
    session.commit()


def _forget_rows(session: Session, rows: list[SignInFailure]) -> None:
    ids = [row.id for row in rows if row.id is not None]
    session.execute(delete(SignInFailure).where(col(SignInFailure.id).in_(ids)))
    session.commit()
