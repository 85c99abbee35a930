"""Settings from WEBCARE_ environment variables, validated in one place."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

_MIN_TOKEN_LENGTH = 16


class Settings(BaseSettings):
    """Everything an operator can set, with the default that suits `make run`."""

    model_config = SettingsConfigDict(env_prefix="WEBCARE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/webcare.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    api_token: SecretStr | None = None
    guidelines_dir: Path = Path("guidelines")
    faq_dir: Path = Path("faq")
    # sentence embeddings in FAQ matching: "use" (multilingual, in the default install), "" off;
    # "minilm" (English, the `embeddings` extra), "minilm-tuned" to fine-tune it per FAQ scope
    faq_encoder: Literal["", "use", "minilm", "minilm-tuned"] = "use"
    # where the encoder's model, converted to int8 ONNX on first use, is kept
    model_cache_dir: Path = Path("var/models")
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    cookie_secure: bool = False
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    delivery_interval_seconds: float = Field(default=2.0, gt=0)
    # how long a worker may take over one send before others treat it as crashed
    delivery_lease_seconds: float = Field(default=120.0, gt=0)
    jobs_interval_seconds: float = Field(default=15.0, gt=0)
    # an approved reply waits this long before delivery may take it, so the agent can undo the approval
    undo_seconds: float = Field(default=10.0, ge=0, le=300)
    # Telegram chat (id or @name) told about response-time warnings and breaches; empty: UI only
    notify_telegram_chat: str = ""
    # HMAC-SHA256 secret a shop signs POST /api/v1/orders with (instead of a bearer token)
    orders_secret: SecretStr | None = None
    worker_id: str = ""
    # Platform adapters: each stays off until its credentials are set (README "Connecting platforms").
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    reddit_client_id: str = ""
    reddit_client_secret: SecretStr | None = None
    reddit_username: str = ""
    reddit_password: SecretStr | None = None
    reddit_user_agent: str = "webcare/0.1 (self-hosted webcare bot)"
    reddit_oauth_url: str = "https://oauth.reddit.com"
    reddit_url: str = "https://www.reddit.com"
    # JSON object: {"shop-reviews": "secret", ...}; one HMAC secret per webhook source
    webhook_secrets: dict[str, SecretStr] = Field(default_factory=dict)
    webhook_tolerance_seconds: int = Field(default=300, ge=1)
    http_timeout_seconds: float = Field(default=15.0, gt=0)
    poll_seconds: dict[str, float] = Field(
        default_factory=lambda: {"telegram": 1.0, "reddit": 60.0, "rss": 300.0}
    )

    @field_validator("api_token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        # it grants the whole API: a short one is guessed; an empty one means "no token"
        if value is not None and 0 < len(value.get_secret_value()) < _MIN_TOKEN_LENGTH:
            raise ValueError(
                f"use at least {_MIN_TOKEN_LENGTH} characters, e.g. "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("use a sqlite:/// or postgresql+psycopg:// URL")
        if value.startswith("postgresql://"):
            # psycopg 3 is the installed driver; a plain URL would ask for psycopg2
            return "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()


def settings_problems(exc: ValidationError | SettingsError) -> list[str]:
    """What is wrong with the settings, by variable name; never the values, which may be secrets."""
    if isinstance(exc, SettingsError):
        # raised for a dict or list value that is not JSON: the message names the field, the cause says why
        field = re.search(r'field "(\w+)"', str(exc))
        cause = f": {exc.__cause__}" if exc.__cause__ else ""
        return [f"WEBCARE_{field[1].upper()}: not valid JSON{cause}" if field else f"{exc}{cause}"]
    problems = []
    for error in exc.errors(include_input=False):
        name = str(error["loc"][0]).upper() if error["loc"] else ""
        problems.append(f"WEBCARE_{name}: {error['msg'].removeprefix('Value error, ')}")
    return problems
