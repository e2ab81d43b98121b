"""Runtime settings for the edges (storage, web, CLI), read from ``RETROWALK_*`` variables.

The pure core never imports this module: its thresholds live in packaged data files.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from retrowalk.limit_specs import LIMITS


def _limit(name: str) -> Any:
    """The field of limit ``name``, from its one definition in :data:`LIMITS`."""
    spec = LIMITS[name]
    if spec.exclusive:
        return Field(default=spec.default, gt=spec.minimum, description=spec.description)
    return Field(default=spec.default, ge=spec.minimum, description=spec.description)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RETROWALK_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="SQLite file, uploads and secrets.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is an embedded SQLite file under data_dir.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    access_log: bool = Field(
        default=False,
        description="uvicorn's per-request access log on stderr. Off by default: every access is "
        "already in the audit log (who, what, which client), a plain-text log would copy client ids "
        "and addresses out of the database, and it cost about 3 % of each request.",
    )
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
    jobs_in_process: bool = Field(
        default=True,
        description="Run a job worker inside the web server (PDFs, analyses); false when "
        "`retrowalk worker` processes run them.",
    )
    jobs_max_attempts: int = Field(default=3, ge=1, le=20)
    jobs_retry_delay_s: float = Field(default=5.0, ge=0, description="First retry delay; doubles each time.")
    jobs_lease_s: float = Field(
        default=120.0, gt=0, description="A running job without a heartbeat this long is requeued."
    )

    # --- login under flood (retrowalk.app.throttle) ---
    login_per_ip: str = Field(
        default="30/minute", description="Login attempts per client IP (limits-library rate string)."
    )
    login_per_username: str = Field(
        default="10/minute", description="Login attempts per username, from any IP."
    )
    login_max_concurrent_hashes: int = Field(
        default=2, ge=1, le=64, description="Password hashes computed at once; more attempts wait briefly."
    )
    login_hash_wait_seconds: float = Field(
        default=0.5, ge=0, description="How long an attempt waits for a hashing slot before 429."
    )
    username_probes_per_account: str = Field(
        default="10/hour",
        description="Unavailable usernames (taken or malformed) one account may try when creating "
        "an account or sharing a client; beyond it 429 (retrowalk.app.accounts.username_probe).",
    )
    rate_limit_storage_url: str = Field(
        default="memory://",
        description="limits storage URI (e.g. redis://host:6379) so workers and hosts share one limit.",
    )

    # --- bounded work per request: each a clear 4xx naming the limit (retrowalk.limit_specs) ---
    max_csv_columns: int = _limit("max_csv_columns")
    max_csv_rows: int = _limit("max_csv_rows")
    max_samples: int = _limit("max_samples")
    max_duration_seconds: float = _limit("max_duration_seconds")
    max_archive_members: int = _limit("max_archive_members")
    max_archive_uncompressed_bytes: int = _limit("max_archive_uncompressed_bytes")
    max_trial_strata: int = _limit("max_trial_strata")
    max_trial_arms: int = _limit("max_trial_arms")
    max_trial_visits: int = _limit("max_trial_visits")
    max_trial_outcomes: int = _limit("max_trial_outcomes")
    max_trial_rows: int = _limit("max_trial_rows")
    max_fhir_entries: int = _limit("max_fhir_entries")
    max_json_depth: int = _limit("max_json_depth")
    max_logs_per_client_per_day: int = _limit("max_logs_per_client_per_day")

    render_wait_s: float = Field(
        default=8.0,
        ge=0,
        le=30,
        description="How long a request waits for its PDF or trial analysis job before answering "
        "'being prepared' (202, the page reloads itself).",
    )
    render_cache_max_bytes: int = Field(
        default=256 * 1024 * 1024,
        ge=1024 * 1024,
        description="Disk for cached PDFs and analyses (data_dir/cache); least recently used go first.",
    )
    max_concurrent_heavy: int = Field(
        default=1, ge=1, le=64, description="Analyses and PDF renders computed at once; more wait their turn."
    )

    # --- trainers' own exercise media (retrowalk.app.media, checked by retrowalk.io.media) ---
    media_max_photo_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024, description="Size of an uploaded photo."
    )
    media_max_video_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        le=500 * 1024 * 1024,
        description="Size of an uploaded video (the request itself is also held to upload_limit_bytes).",
    )
    media_max_video_seconds: float = Field(
        default=60.0, gt=0, le=600, description="Length of an uploaded exercise video."
    )

    # --- accounts (retrowalk.app.accounts) ---
    account_link_ttl_hours: float = Field(default=24.0, gt=0, description="Reset/invite link lifetime.")
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", description="Origin the one-time links point at."
    )
    min_secret_key_length: int = Field(default=32, ge=16, description="Characters of RETROWALK_SECRET_KEY.")

    @field_validator("login_per_ip", "login_per_username", "username_probes_per_account")
    @classmethod
    def _rate(cls, value: str, info: ValidationInfo) -> str:
        if info.field_name and value == cls.model_fields[info.field_name].default:
            return value  # a default (valid: the throttle parses it): no `limits` import for the CLI
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"not a rate like '30/minute': {value!r}") from exc
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'retrowalk.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
