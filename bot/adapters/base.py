"""The two small protocols every platform adapter implements, and their exception tree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from responders.domain import Mention


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
    """A platform call failed; retryable says whether trying again later may work."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Poller(Protocol):
    """Fetches new mentions from a platform that does not push them."""

    platform: str

    def poll(self) -> list[Mention]:
        """Return mentions seen since the last poll."""
        ...


class Sender(Protocol):
    """Delivers approved replies to a platform."""

    platform: str
    capabilities: Capabilities

    def send(self, message: OutgoingMessage) -> Receipt:
        """Send one message or raise AdapterError."""
        ...
