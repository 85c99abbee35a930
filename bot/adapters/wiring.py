"""Build the platform adapters the settings have credentials for, and their poll loops."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.adapters.base import Sender
from bot.adapters.webhook import ManualReplies
from bot.pipeline.batch_intake import PollLoop, poll_round
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)


def build_senders(settings: Settings) -> dict[str, Sender]:
    """One sender per platform that is configured; each missing one says so in one log line."""
    senders: dict[str, Sender] = {"rss": ManualReplies("rss"), "webhook": ManualReplies("webhook")}
    if settings.telegram_bot_token is None:
        log.info("telegram adapter off: set WEBCARE_TELEGRAM_BOT_TOKEN to connect a bot")
    else:
        from bot.adapters.telegram import TelegramAdapter

        senders["telegram"] = TelegramAdapter(
            settings.telegram_bot_token.get_secret_value(),
            api_url=settings.telegram_api_url,
            timeout=settings.http_timeout_seconds,
        )
    missing = [
        name
        for name, value in (
            ("CLIENT_ID", settings.reddit_client_id),
            ("CLIENT_SECRET", settings.reddit_client_secret),
            ("USERNAME", settings.reddit_username),
            ("PASSWORD", settings.reddit_password),
        )
        if not value
    ]
    if missing:
        log.info("reddit adapter off: set WEBCARE_REDDIT_%s to connect", ", WEBCARE_REDDIT_".join(missing))
    else:
        from bot.adapters.reddit import RedditAdapter

        senders["reddit"] = RedditAdapter.from_settings(settings)
    return senders


def build_poll_loops(services: Services) -> list[PollLoop]:
    """The poll loops for the configured adapters (Telegram only when not in webhook mode)."""
    from bot.adapters import reddit, rss, telegram

    settings, registry = services.settings, services.registry
    every = settings.poll_seconds
    loops = [
        PollLoop(
            "rss",
            poll_round(
                rss.FeedPoller(rss.FeedReader(timeout=settings.http_timeout_seconds), registry), registry
            ),
            services.engine,
            every.get("rss", 300.0),
            services.clock,
        )
    ]
    bot = services.senders.get("telegram")
    if isinstance(bot, telegram.TelegramAdapter):
        if settings.telegram_webhook_secret is None:
            loops.append(
                PollLoop(
                    "telegram",
                    poll_round(telegram.TelegramPoller(bot, registry), registry),
                    services.engine,
                    every.get("telegram", 1.0),
                    services.clock,
                )
            )
        else:
            log.info("telegram in webhook mode: updates arrive at /webhooks/telegram")
    client = services.senders.get("reddit")
    if isinstance(client, reddit.RedditAdapter):
        loops.append(
            PollLoop(
                "reddit",
                poll_round(reddit.RedditPoller(client, registry), registry),
                services.engine,
                every.get("reddit", 60.0),
                services.clock,
            )
        )
    return loops


def close_senders(senders: Mapping[str, Sender]) -> None:
    """Release the adapters' connections and threads."""
    for sender in senders.values():
        close = getattr(sender, "close", None)
        if callable(close):
            close()
