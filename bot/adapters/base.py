"""The two small protocols every platform adapter implements, and their exception tree."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from responders.domain import Author, Mention


@dataclass(frozen=True)
class Capabilities:
    """What a platform allows; the pipeline plans around it."""

    max_length: int = 4096
    can_start_conversation: bool = False
    threading: bool = True
    editing: bool = False
    # True when the platform itself drops a second send with the same idempotency key,
    # so a send interrupted by a crash may safely be tried again.
    deduplicates: bool = False


@dataclass(frozen=True)
class OutgoingMessage:
    """A reply to deliver: where it goes and what it says."""

    idempotency_key: str
    channel: str
    text: str
    thread_ref: str = ""
    reply_to: str = ""


@dataclass(frozen=True)
class Receipt:
    """The platform's proof that a message was sent."""

    platform_message_id: str


class AdapterError(Exception):
    """A platform call failed; retryable says whether trying again later may work.

    interrupted: the request may have reached the platform before it failed (a read timeout, a
    connection dropped after the request was written, a gateway error). Delivery treats it exactly
    like a crash mid-send: tried again only where the platform drops a repeated idempotency key,
    otherwise failed for a human to check, so a reply is never sent twice.
    """

    def __init__(self, message: str, *, retryable: bool, interrupted: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.interrupted = interrupted


def interrupted(message: str) -> AdapterError:
    """The error for a call the platform may have received and acted on."""
    return AdapterError(message, retryable=False, interrupted=True)


# Names of the HTTP libraries' errors raised before any byte of the request was sent (httpx and
# requests/urllib3). Matched by name so adapters need not import the HTTP library their SDK wraps.
NEVER_SENT = frozenset(
    {"ConnectError", "ConnectTimeout", "PoolTimeout", "NewConnectionError", "NameResolutionError"}
)


def never_sent(exc: BaseException) -> bool:
    """True when the chain of causes shows the request never left this machine."""
    seen: BaseException | None = exc
    for _ in range(10):  # causes form a short chain; the bound guards against a cycle
        if seen is None:
            return False
        if type(seen).__name__ in NEVER_SENT:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass(frozen=True)
class Cursor:
    """Where a poll of one source stopped: a platform position, and for feeds their HTTP validators."""

    position: str = ""
    etag: str = ""
    last_modified: str = ""


@dataclass(frozen=True)
class Edit:
    """A customer changed a message: a stored mention takes the new words. One never stored is
    taken in as `mention` when that is given (the edit made it count), and otherwise dropped."""

    external_id: str
    text: str
    mention: Mention | None = None


@dataclass(frozen=True)
class OptOut:
    """A customer asked for no messages they did not ask for (opted_out) or took that back."""

    author: Author
    opted_out: bool


@dataclass(frozen=True)
class Unread:
    """Platform data the adapter could not translate: kept, with the reason, for an admin."""

    source: str
    payload: str
    error: Exception


# what one poll found, in the platform's order: an edit may follow the message it edits
Item = Mention | Edit | OptOut | Unread


@dataclass(frozen=True)
class Batch:
    """What one poll of one source found, and where the next poll starts.

    The pipeline stores the items and the cursors in one transaction, then runs `after` (calls
    to the platform that must follow the stored items, such as confirming an opt-out).
    """

    platform: str
    items: tuple[Item, ...] = ()
    cursors: Mapping[str, Cursor] = field(default_factory=dict)
    after: tuple[Callable[[], None], ...] = ()


class Poller(Protocol):
    """Fetches what a platform that does not push has new; translates only, stores nothing."""

    platform: str

    def poll(self, cursors: Mapping[str, Cursor], *, now: datetime) -> Iterator[Batch]:
        """Batches found since the stored cursors (by source); each is stored before the next.
        `now` dates what the platform does not date itself."""
        ...


class Sender(Protocol):
    """Delivers approved replies to a platform."""

    platform: str
    capabilities: Capabilities

    def send(self, message: OutgoingMessage) -> Receipt:
        """Send one message or raise AdapterError."""
        ...
