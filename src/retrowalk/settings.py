"""Runtime settings for the edges (storage, web, CLI), read from ``RETROWALK_*`` variables.

The pure core never imports this module: its thresholds live in packaged data files.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RETROWALK_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="SQLite file, uploads and secrets.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is an embedded SQLite file under data_dir.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    upload_limit_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    secure_cookies: bool = Field(default=False, description="Set when served behind TLS.")
    secret_key: str | None = Field(
        default=None,
        description="Signs CSRF tokens; default: generated once into data_dir/secret_key (mode 600).",
        repr=False,
    )
    session_ttl_hours: float = Field(default=12.0, gt=0, description="Login lifetime.")
    login_max_failures: int = Field(default=5, ge=1, description="Failed logins per username+IP ...")
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=65536, ge=64, description="argon2id memory per hash.")
    argon2_parallelism: int = Field(default=4, ge=1, le=16)
    login_window_seconds: float = Field(default=60.0, gt=0, description="... within this window → 429.")
    # Background jobs (retrowalk.jobs): huey on SQLite in data_dir by default, Redis at scale.
    jobs_backend: Literal["sqlite", "redis", "immediate"] = Field(
        default="sqlite", description="immediate runs each job inside the request (tests, debugging)."
    )
    jobs_redis_url: str | None = Field(
        default=None, description="redis://host:6379/0 for jobs_backend=redis."
    )
    jobs_in_process: bool = Field(default=False, description="Run one job worker inside the web server.")
    jobs_max_attempts: int = Field(default=3, ge=1, le=20)
    jobs_retry_delay_s: float = Field(default=5.0, ge=0, description="First retry delay; doubles each time.")
    jobs_lease_s: float = Field(
        default=120.0, gt=0, description="A running job without a heartbeat this long is requeued."
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'retrowalk.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
