"""The console platform: replies are logged and recorded, for the demo and tests."""

from __future__ import annotations

import logging
import threading

from bot.adapters.base import Capabilities, OutgoingMessage, Receipt

log = logging.getLogger(__name__)


class ConsoleSender:
    """Records every reply it is given and logs it; sending the same key twice is a no-op."""

    platform = "console"
    capabilities = Capabilities(max_length=10_000, can_start_conversation=True, deduplicates=True)

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []
        self._by_key: dict[str, Receipt] = {}
        self._lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> Receipt:
        """Record the message and log it, once per idempotency key."""
        with self._lock:
            if message.idempotency_key in self._by_key:
                return self._by_key[message.idempotency_key]
            receipt = Receipt(platform_message_id=f"console-{len(self.sent) + 1}")
            self.sent.append(message)
            self._by_key[message.idempotency_key] = receipt
        log.info(
            "console reply sent",
            extra={"channel": message.channel, "thread_ref": message.thread_ref, "chars": len(message.text)},
        )
        return receipt
