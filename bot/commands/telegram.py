"""`webcare telegram`: connect the Telegram bot."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.commands import console, err
from bot.settings import get_settings

telegram_app = typer.Typer(help="Connect the Telegram bot.", no_args_is_help=True)


@telegram_app.command("set-webhook")
def telegram_set_webhook(
    url: Annotated[str, typer.Argument(help="e.g. https://webcare.example/webhooks/telegram")],
) -> None:
    """Ask Telegram to push updates to URL; needs WEBCARE_TELEGRAM_BOT_TOKEN and ..._WEBHOOK_SECRET."""
    from bot.adapters.base import AdapterError
    from bot.adapters.telegram import TelegramAdapter

    settings = get_settings()
    if settings.telegram_bot_token is None or settings.telegram_webhook_secret is None:
        err.print("Set WEBCARE_TELEGRAM_BOT_TOKEN and WEBCARE_TELEGRAM_WEBHOOK_SECRET first.")
        raise typer.Exit(2)
    if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
        err.print("Telegram only pushes to https:// URLs.")
        raise typer.Exit(2)
    bot = TelegramAdapter(settings.telegram_bot_token.get_secret_value(), api_url=settings.telegram_api_url)
    try:
        bot.set_webhook(url, settings.telegram_webhook_secret.get_secret_value())
    except AdapterError as exc:
        err.print(f"Telegram did not accept the webhook: {exc}", markup=False)
        raise typer.Exit(1) from exc
    finally:
        bot.close()
    console.print(f"Telegram now sends updates to {url}", markup=False)
