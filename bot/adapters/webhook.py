"""Signed webhooks: check the HMAC-SHA256 signature and map a posted JSON payload to a Mention."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import SQLModel

from bot import models
from bot.adapters.base import AdapterError, Capabilities, OutgoingMessage, Receipt
from bot.schemas import plausible_time
from responders.domain import Author, Mention

SIGNATURE_HEADER = "X-Webcare-Signature"
TIMESTAMP_HEADER = "X-Webcare-Timestamp"

# The payload shape used when a guideline names no mapping for its webhook source.
DEFAULT_MAPPING: dict[str, str] = {
    "external_id": "id",
    "text": "text",
    "author_id": "author.id",
    "author_handle": "author.handle",
    "author_name": "author.name",
    "created_at": "created_at",
    "url": "url",
    "thread_ref": "thread_ref",
}
REQUIRED = ("external_id", "text", "author_id")
# Ids must fit their columns whole (cut short, two ids could become one), and so must a link (cut
# short, it leads elsewhere); names and handles are only shown, so a long one is shortened.
_WHOLE: dict[str, tuple[type[SQLModel], str]] = {
    "external_id": (models.Mention, "external_id"),
    "author_id": (models.Customer, "platform_user_id"),
    "thread_ref": (models.Mention, "thread_ref"),
    "url": (models.Mention, "url"),
}
_SHORTENED: dict[str, tuple[type[SQLModel], str]] = {
    "author_handle": (models.Customer, "handle"),
    "author_name": (models.Customer, "name"),
}


class SignatureInvalid(Exception):
    """The request is not signed with the source's secret, or the signature is too old."""


class PayloadInvalid(Exception):
    """The JSON does not hold what the source's mapping asks for."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for a body sent at a unix timestamp."""
    # The timestamp is signed along with the raw body, so a replay cannot simply change it.
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str, body: bytes, *, signature: str, timestamp: str, now: datetime, tolerance: timedelta
) -> None:
    """Raise SignatureInvalid unless the signature matches and the timestamp is recent."""
    if not signature or not timestamp:
        raise SignatureInvalid(f"the {SIGNATURE_HEADER} and {TIMESTAMP_HEADER} headers are required")
    try:
        sent = datetime.fromtimestamp(int(timestamp), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise SignatureInvalid(f"{TIMESTAMP_HEADER} must be unix seconds") from exc
    expected = sign(secret, timestamp, body)
    # compare in constant time first, so timing says nothing about the expected signature
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise SignatureInvalid("the signature does not match")
    if abs(now - sent) > tolerance:
        raise SignatureInvalid("the timestamp is outside the allowed window (replayed or clock skew)")


def _lookup(payload: Any, path: str) -> Any:
    """The value at a dotted path ('review.author.id', 'items.0.text'), or None."""
    value = payload
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _text(payload: Any, mapping: Mapping[str, str], field: str) -> str:
    value = _lookup(payload, mapping[field]) if field in mapping else None
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadInvalid(f"{field}: {mapping[field]!r} holds a {type(value).__name__}, not text")
    return str(value).strip()


def _when(raw: str, *, now: datetime) -> datetime:
    if not raw:
        return now
    try:
        when = datetime.fromtimestamp(float(raw), UTC) if raw.replace(".", "").isdigit() else None
        when = when or datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError) as exc:
        raise PayloadInvalid(f"created_at: {raw[:40]!r} is not an ISO 8601 time or unix seconds") from exc
    try:
        return plausible_time(when if when.tzinfo else when.replace(tzinfo=UTC))
    except ValueError as exc:
        raise PayloadInvalid(f"created_at: {exc}") from exc


def _fitted(values: dict[str, str], source: str) -> dict[str, str]:
    """The values with the source in the mention's id, shortened where that is harmless; raises
    PayloadInvalid for an id, thread or link longer than its column."""
    fitted = {**values, "external_id": f"{source}:{values['external_id']}"}
    for name, (table, column) in _WHOLE.items():
        limit = models.column_length(table, column)
        if len(fitted[name]) > limit:
            raise PayloadInvalid(f"{name}: longer than {limit} characters")
    for name, (table, column) in _SHORTENED.items():
        fitted[name] = fitted[name][: models.column_length(table, column)]
    return fitted


def to_mention(source: str, payload: Any, mapping: Mapping[Any, str], *, now: datetime) -> Mention:
    """The Mention a payload describes, or PayloadInvalid saying which field is missing or wrong."""
    if not isinstance(payload, Mapping):
        raise PayloadInvalid("the body must be a JSON object")
    fields = {**DEFAULT_MAPPING, **mapping}
    values = {name: _text(payload, fields, name) for name in fields}
    missing = [f"{name} (at {fields[name]!r})" for name in REQUIRED if not values[name]]
    if missing:
        raise PayloadInvalid("missing " + ", ".join(missing))
    values = _fitted(values, source)
    return Mention(
        platform="webhook",
        channel=source,
        external_id=values["external_id"],
        author=Author(id=values["author_id"], handle=values["author_handle"], name=values["author_name"]),
        text=values["text"],
        created_at=_when(values["created_at"], now=now),
        url=values["url"],
        thread_ref=values["thread_ref"],
    )


class ManualReplies:
    """A platform webcare cannot post to (feeds, webhooks): replies are made by hand on the site."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.capabilities = Capabilities(
            max_length=100_000, can_start_conversation=False, threading=False, editing=False
        )

    def send(self, message: OutgoingMessage) -> Receipt:
        """Always refuses: an approved reply must be posted by hand and marked as answered."""
        raise AdapterError(
            f"webcare cannot post on {self.platform}: open the link, reply on the site "
            "and mark the item as answered",
            retryable=False,
        )
