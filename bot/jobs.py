"""APScheduler ticker: claims due work rows and calls the pipeline."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import pipeline
from bot.adapters.base import Sender
from bot.models import utcnow
from bot.registry import ContentRegistry

log = logging.getLogger(__name__)


class Jobs:
    """The background work of one process: delivery and content reloads."""

    def __init__(
        self,
        engine: Engine,
        senders: Mapping[str, Sender],
        registry: ContentRegistry,
        *,
        worker: str,
        interval: float,
    ) -> None:
        self.engine = engine
        self.senders = senders
        self.registry = registry
        self.worker = worker
        self.interval = interval
        self._scheduler = BackgroundScheduler(timezone="UTC")

    def deliver(self) -> pipeline.DeliveryReport:
        """One delivery round; errors are logged so the ticker keeps going."""
        with Session(self.engine, expire_on_commit=False) as session:
            return pipeline.deliver_due(session, self.senders, now=utcnow(), worker=self.worker)

    def reload_content(self) -> None:
        """Pick up edited guideline and FAQ files and record the new revisions."""
        if self.registry.reload_if_changed():
            with Session(self.engine) as session:
                pipeline.sync_communities(session, self.registry, now=utcnow())

    def start(self) -> None:
        """Start ticking in a background thread."""
        self._scheduler.add_job(
            self.deliver, "interval", seconds=self.interval, id="deliver", max_instances=1, coalesce=True
        )
        self._scheduler.add_job(
            self.registry.reload_if_changed,
            "interval",
            seconds=5,
            id="reload-content",
            max_instances=1,
            coalesce=True,
        )
        self._scheduler.start()
        log.info("jobs started", extra={"worker": self.worker})

    def stop(self) -> None:
        """Stop ticking and wait for running work to finish."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
