"""Settings from WEBCARE_ environment variables, validated in one place."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can set, with the default that suits `make run`."""

    model_config = SettingsConfigDict(env_prefix="WEBCARE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/webcare.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    api_token: SecretStr | None = None
    guidelines_dir: Path = Path("guidelines")
    faq_dir: Path = Path("faq")
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    cookie_secure: bool = False
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    delivery_interval_seconds: float = Field(default=2.0, gt=0)
    worker_id: str = ""

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
