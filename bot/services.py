"""The long-lived objects one process shares: settings, database, content, adapters."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from bot.adapters.base import Sender
from bot.registry import ContentRegistry
from bot.settings import Settings


class LoginThrottle:
    """Refuses sign-in for a while after too many failures for one name or address."""

    def __init__(self, max_failures: int = 5, window_seconds: float = 900) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def blocked(self, *keys: str) -> bool:
        """Whether any of the keys (username, client address) has failed too often lately."""
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(k, now)) >= self.max_failures for k in keys)

    def failed(self, *keys: str) -> None:
        """Count one failed attempt against each key."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of a name after a good sign-in."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


@dataclass
class Services:
    """Everything a request handler or job needs, built once by the composition root."""

    settings: Settings
    engine: Engine
    registry: ContentRegistry
    senders: Mapping[str, Sender]
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
