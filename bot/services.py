"""The long-lived objects one process shares: settings, database, content, adapters, the clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from bot.adapters.base import Sender
from bot.clock import Clock
from bot.pipeline.drafter import Drafter
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
    # mentions posted to the API: queued for the drafter (the default), or drafted before the
    # answer (`?wait=draft`); each writer starts on first use
    inbox: GroupCommit = field(init=False)
    intake: GroupCommit = field(init=False)
    # drafts the queued mentions; started by the processes that run jobs (serve, worker)
    drafter: Drafter = field(init=False)

    def __post_init__(self) -> None:
        self.drafter = Drafter(self.engine, self.registry, busy=lambda: self.inbox.busy())
        self.inbox = GroupCommit(self.engine, self.registry, queued=self.drafter.wake)
        self.intake = GroupCommit(self.engine, self.registry)

    def stop_intake(self) -> None:
        """Answer the mentions posted so far, then finish the drafter's batch in hand."""
        self.inbox.stop()
        self.intake.stop()
        self.drafter.stop()
