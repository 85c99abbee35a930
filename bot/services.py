"""The long-lived objects one process shares: settings, database, content, adapters, the clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.adapters.base import Sender
from bot.clock import Clock
from bot.registry import ContentRegistry
from bot.settings import Settings


@dataclass
class Services:
    """Everything a request handler or job needs, built once by the composition root."""

    settings: Settings
    engine: Engine
    registry: ContentRegistry
    senders: Mapping[str, Sender]
    clock: Clock
