"""The long-lived objects one process shares: settings, database, content, adapters, the clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from bot.adapters.base import Sender
from bot.clock import Clock
from bot.pipeline.group_commit import GroupCommit
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
    # the one writer of mentions posted to the API, started on first use
    intake: GroupCommit = field(init=False)

    def __post_init__(self) -> None:
        self.intake = GroupCommit(self.engine, self.registry)
