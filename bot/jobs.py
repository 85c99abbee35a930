"""APScheduler ticker: claims due work rows and calls the pipeline.

The scheduler only says "look now"; the work itself is in database rows claimed atomically, so any
number of processes can tick side by side and a restart picks up where a crash stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import pipeline
from bot.adapters.base import AdapterError, OutgoingMessage, Sender
from bot.clock import Clock
from bot.encoder_tuning import TunedMiniLM
from bot.models import SlaEvent
from bot.pipeline import followups, reminders, retention, sla, work
from bot.pipeline.aftercare import Aftercare
from bot.registry import ContentRegistry
from bot.settings import Settings

log = logging.getLogger(__name__)

HANDLERS: Mapping[str, work.Handler] = {
    "reminder": reminders.run_reminder,
    "follow_up": followups.run_follow_up,
}


class Jobs:
    """The background work of one process: delivery, due jobs, the response-time watch, retention."""

    def __init__(
        self,
        engine: Engine,
        senders: Mapping[str, Sender],
        registry: ContentRegistry,
        *,
        worker: str,
        interval: float,
        clock: Clock,
        settings: Settings | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.senders = senders
        self.registry = registry
        self.worker = worker
        self.interval = interval
        self.settings = settings or Settings()
        self.policy = Aftercare(registry)
        self._scheduler = BackgroundScheduler(timezone="UTC")

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def deliver(self) -> pipeline.DeliveryReport:
        """One delivery round."""
        lease = timedelta(seconds=self.settings.delivery_lease_seconds)
        with self._session() as session:
            return pipeline.deliver_due(
                session,
                self.senders,
                now=self.clock.now(),
                worker=self.worker,
                lease=lease,
                policy=self.policy,
            )

    def run_jobs(self) -> work.JobReport:
        """One round of due reminders and follow-ups."""
        context = work.JobContext(self.registry, self.senders, self.clock.now())
        with self._session() as session:
            return work.run_due_jobs(session, HANDLERS, context, worker=self.worker)

    def watch(self) -> sla.SlaReport:
        """Response-time warnings and breaches; cancelled follow-up plans; satisfaction answers."""
        now = self.clock.now()
        with self._session() as session:
            followups.sweep(session, self.registry, now=now)
            followups.record_satisfaction(session)
            return sla.watch(session, self.registry, now=now, notify=self.notify_team)

    def retention(self) -> dict[str, int]:
        """Erase data past each community's retention_days, and long-ended sign-in sessions."""
        now = self.clock.now()
        with self._session() as session:
            retention.purge_sessions(session, now=now)
            return retention.apply_retention(session, self.registry, now=now)

    def notify_team(self, event: SlaEvent, text: str) -> bool:
        """Tell the team's Telegram chat; True when sent or when no chat is configured (UI only)."""
        chat = self.settings.notify_telegram_chat
        sender = self.senders.get("telegram")
        if not chat:
            return True
        if sender is None:
            return False
        try:
            sender.send(OutgoingMessage(f"sla:{event.id}:{event.kind}", chat, text))
        except AdapterError as exc:
            log.warning("team notification failed", extra={"event_id": event.id, "error": str(exc)})
            return False
        return True

    def reload_content(self) -> None:
        """Pick up edited guideline and FAQ files and record the new revisions."""
        if self.registry.reload_if_changed():
            if isinstance(self.registry.encoder, TunedMiniLM):
                self.registry.encoder.forget_waiting()  # the new content's scopes ask again
            with Session(self.engine) as session:
                pipeline.sync_communities(session, self.registry, now=self.clock.now())

    def tune_encoder(self) -> None:
        """Tune the FAQ encoder for one scope still served by the stock model, then match with it."""
        encoder = self.registry.encoder
        # a copy another process made is taken as it is: no need to start a tuning of our own
        if isinstance(encoder, TunedMiniLM) and (encoder.adopt_ready() or encoder.tune_next()):
            self.registry.refresh_matchers()

    def pick_up_tuned_encoder(self) -> None:
        """Match with the tuned encoder copies other processes made (a web-only process tunes none)."""
        if isinstance(self.registry.encoder, TunedMiniLM) and self.registry.encoder.adopt_ready():
            self.registry.refresh_matchers()

    def _every(self, seconds: float, func: Callable[[], object], name: str) -> None:
        self._scheduler.add_job(
            self._logged(func, name), "interval", seconds=seconds, id=name, max_instances=1, coalesce=True
        )

    @staticmethod
    def _logged(func: Callable[[], object], name: str) -> Callable[[], None]:
        def run() -> None:
            try:
                func()
            except Exception:  # the ticker must survive a bad round; the rows stay for the next one
                log.exception("background round failed", extra={"job": name})

        return run

    def start(self, *, web_only: bool = False) -> None:
        """Start ticking in a background thread; `web_only` (serve --no-jobs) only keeps the content
        current, so the web process drafts with what the workers draft with."""
        self._every(5, self.reload_content, "reload-content")
        tuned = isinstance(self.registry.encoder, TunedMiniLM)
        if web_only:
            if tuned:
                self._every(30, self.pick_up_tuned_encoder, "pick-up-tuned-encoder")
        else:
            self._every(self.interval, self.deliver, "deliver")
            self._every(self.settings.jobs_interval_seconds, self.run_jobs, "jobs")
            self._every(60, self.watch, "response-watch")
            self._every(24 * 3600, self.retention, "retention")
            if tuned:
                self._every(30, self.tune_encoder, "tune-encoder")
        self._scheduler.start()
        log.info("jobs started", extra={"worker": self.worker, "web_only": web_only})

    def stop(self) -> None:
        """Stop ticking and wait for running work to finish (a tuning is ended, not waited for)."""
        if isinstance(self.registry.encoder, TunedMiniLM):
            self.registry.encoder.stop_tuning()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
