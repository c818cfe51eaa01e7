"""Configuration, read once from the environment and validated at start-up.

A clinic's deployer should learn about a typo in a setting before the first patient
is (not) reminded, so every value is checked here and a bad one stops the process
with a single line naming it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

ENVIRONMENTS = ("development", "test", "production")
DEV_SECRET_KEY = "dev-only-insecure-secret-key"


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names it."""


def _bool(name: str, raw: str | None, default: bool) -> bool:
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _number(name: str, raw: str | None, default: float, *, minimum: float) -> float:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def _int(name: str, raw: str | None, default: int, *, minimum: int) -> int:
    value = _number(name, raw, default, minimum=minimum)
    if value != int(value):
        raise ConfigError(f"{name} must be a whole number, got {raw!r}")
    return int(value)


def _choice(name: str, raw: str | None, choices: tuple[str, ...], default: str) -> str:
    value = (raw or "").strip().lower() or default
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _zone(name: str, raw: str | None, default: str) -> str:
    value = (raw or default).strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name} must be an IANA time zone like Europe/Paris, got {value!r}") from None
    return value


def _hour_range(name: str, raw: str | None, default: tuple[int, int]) -> tuple[int, int]:
    if raw is None or raw.strip() == "":
        return default
    try:
        start, end = (int(part) for part in raw.split("-"))
    except ValueError:
        raise ConfigError(f"{name} must look like 8-21 (hours), got {raw!r}") from None
    if not (0 <= start < end <= 24):
        raise ConfigError(f"{name} must be two hours 0-24 with start before end, got {raw!r}")
    return start, end


def _url(name: str, raw: str | None) -> str | None:
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip().rstrip("/")
    parsed = urlparse(value)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, got {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything Recall reads from its environment."""

    environment: str = "production"
    database_url: str = ""
    secret_key: str = ""
    clinic_name: str = "Recall Clinic"
    clinic_timezone: str = "Europe/Paris"
    clinic_phone: str = ""
    clinic_region: str = "FR"
    public_base_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str | None = None
    twilio_timeout_seconds: float = 10.0
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = True
    mail_from: str | None = None
    booking_webhook_secret: str | None = field(default=None, repr=False)
    calcom_webhook_secret: str | None = field(default=None, repr=False)
    calendly_webhook_signing_key: str | None = field(default=None, repr=False)
    acuity_user_id: str | None = None
    acuity_api_key: str | None = field(default=None, repr=False)
    acuity_api_base_url: str = "https://acuityscheduling.com/api/v1"
    fhir_webhook_token: str | None = field(default=None, repr=False)
    ratelimit_storage_uri: str = "memory://"
    proxy_hops: int = 0  # how many proxies in front set X-Forwarded-For/-Proto; 0 trusts none of these headers
    require_admin_mfa: bool | None = None  # None: required in production only (see admin_mfa_required)
    scheduler_enabled: bool = True
    sms_rate_per_second: float = 1.0
    quiet_hours: tuple[int, int] = (8, 21)
    confirmation_debounce_minutes: int = 3
    dispatch_batch_size: int = 100
    dispatch_concurrency: int = 8
    dispatch_interval_seconds: int = 30
    sms_daily_cap: int = 5000
    max_messages_per_day: int = 1
    maintenance_interval_months: int = 12
    metrics_token: str | None = field(default=None, repr=False)
    scheduler_metrics_port: int = 0  # 0: the scheduler process serves no metrics of its own
    log_format: str = "json"
    retention_months: int = 18
    webhook_payload_retention_days: int = 30

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, instance_path: Path | None = None) -> Settings:
        """Build and validate settings; raise ConfigError naming the first bad one."""
        env = dict(os.environ if environ is None else environ)
        get = env.get

        environment = (get("RECALL_ENV") or "production").strip().lower()
        if environment not in ENVIRONMENTS:
            raise ConfigError(f"RECALL_ENV must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}")

        secret_key = (get("SECRET_KEY") or "").strip()
        if not secret_key:
            if environment != "development":
                raise ConfigError(f"SECRET_KEY is required outside development (RECALL_ENV={environment}): a long random string")
            secret_key = DEV_SECRET_KEY
        elif environment == "production" and (secret_key == DEV_SECRET_KEY or len(secret_key) < 16):
            raise ConfigError("SECRET_KEY must be a random string of at least 16 characters in production")

        database_url = (get("DATABASE_URL") or "").strip()
        if not database_url:
            folder = instance_path or Path.cwd() / "instance"
            database_url = f"sqlite:///{folder / 'recall.sqlite3'}"
        elif database_url.startswith("postgres://"):
            # Heroku-style URLs; SQLAlchemy only knows the postgresql name.
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
        elif database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
        if not database_url.startswith(("sqlite:", "postgresql+psycopg:")):
            raise ConfigError(f"DATABASE_URL must be a sqlite:/// or postgresql:// URL, got {database_url.split(':')[0]!r}")

        clinic_timezone = _zone("CLINIC_TIMEZONE", get("CLINIC_TIMEZONE"), "Europe/Paris")
        clinic_region = (get("CLINIC_REGION") or "FR").strip().upper()
        if clinic_region not in phonenumbers.SUPPORTED_REGIONS:
            raise ConfigError(f"CLINIC_REGION must be a two-letter country code like FR, got {clinic_region!r}")

        clinic_phone = (get("CLINIC_PHONE") or "").strip()
        if clinic_phone:
            try:
                parsed = phonenumbers.parse(clinic_phone, clinic_region)
            except phonenumbers.NumberParseException:
                parsed = None
            if parsed is None or not phonenumbers.is_valid_number(parsed):
                raise ConfigError(f"CLINIC_PHONE is not a valid phone number: {clinic_phone!r}")
        elif environment == "production":
            raise ConfigError("CLINIC_PHONE is required in production: every message tells patients how to reach the clinic")

        sid = (get("TWILIO_ACCOUNT_SID") or "").strip() or None
        token = (get("TWILIO_AUTH_TOKEN") or "").strip() or None
        from_number = (get("TWILIO_FROM_NUMBER") or "").strip() or None
        service_sid = (get("TWILIO_MESSAGING_SERVICE_SID") or "").strip() or None
        if sid or token:
            if not sid:
                raise ConfigError("TWILIO_ACCOUNT_SID is required when TWILIO_AUTH_TOKEN is set")
            if not token:
                raise ConfigError("TWILIO_AUTH_TOKEN is required when TWILIO_ACCOUNT_SID is set")
            if not (from_number or service_sid):
                raise ConfigError("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is required with Twilio credentials")
            if not sid.startswith("AC"):
                raise ConfigError("TWILIO_ACCOUNT_SID must start with AC")
        if service_sid and not service_sid.startswith("MG"):
            raise ConfigError("TWILIO_MESSAGING_SERVICE_SID must start with MG")

        smtp_host = (get("SMTP_HOST") or "").strip() or None
        mail_from = (get("MAIL_FROM") or "").strip() or None
        if smtp_host and not mail_from:
            raise ConfigError("MAIL_FROM is required when SMTP_HOST is set")

        return cls(
            environment=environment,
            database_url=database_url,
            secret_key=secret_key,
            clinic_name=(get("CLINIC_NAME") or "Recall Clinic").strip(),
            clinic_timezone=clinic_timezone,
            clinic_phone=clinic_phone,
            clinic_region=clinic_region,
            public_base_url=_url("PUBLIC_BASE_URL", get("PUBLIC_BASE_URL")),
            twilio_account_sid=sid,
            twilio_auth_token=token,
            twilio_from_number=from_number,
            twilio_messaging_service_sid=service_sid,
            twilio_api_base_url=_url("TWILIO_API_BASE_URL", get("TWILIO_API_BASE_URL")),
            twilio_timeout_seconds=_number("TWILIO_TIMEOUT_SECONDS", get("TWILIO_TIMEOUT_SECONDS"), 10.0, minimum=0.1),
            smtp_host=smtp_host,
            smtp_port=_int("SMTP_PORT", get("SMTP_PORT"), 587, minimum=1),
            smtp_username=(get("SMTP_USERNAME") or "").strip() or None,
            smtp_password=get("SMTP_PASSWORD") or None,
            smtp_starttls=_bool("SMTP_STARTTLS", get("SMTP_STARTTLS"), True),
            mail_from=mail_from,
            booking_webhook_secret=(get("BOOKING_WEBHOOK_SECRET") or "").strip() or None,
            calcom_webhook_secret=(get("CALCOM_WEBHOOK_SECRET") or "").strip() or None,
            calendly_webhook_signing_key=(get("CALENDLY_WEBHOOK_SIGNING_KEY") or "").strip() or None,
            acuity_user_id=(get("ACUITY_USER_ID") or "").strip() or None,
            acuity_api_key=(get("ACUITY_API_KEY") or "").strip() or None,
            acuity_api_base_url=_url("ACUITY_API_BASE_URL", get("ACUITY_API_BASE_URL")) or "https://acuityscheduling.com/api/v1",
            fhir_webhook_token=(get("FHIR_WEBHOOK_TOKEN") or "").strip() or None,
            ratelimit_storage_uri=(get("RATELIMIT_STORAGE_URI") or "memory://").strip(),
            proxy_hops=_int("PROXY_HOPS", get("PROXY_HOPS"), 0, minimum=0),
            require_admin_mfa=_bool("REQUIRE_ADMIN_MFA", get("REQUIRE_ADMIN_MFA"), environment == "production"),
            scheduler_enabled=_bool("SCHEDULER_ENABLED", get("SCHEDULER_ENABLED"), True),
            sms_rate_per_second=_number("SMS_RATE_PER_SECOND", get("SMS_RATE_PER_SECOND"), 1.0, minimum=0.01),
            quiet_hours=_hour_range("QUIET_HOURS", get("QUIET_HOURS"), (8, 21)),
            confirmation_debounce_minutes=_int(
                "CONFIRMATION_DEBOUNCE_MINUTES", get("CONFIRMATION_DEBOUNCE_MINUTES"), 3, minimum=0
            ),
            dispatch_batch_size=_int("DISPATCH_BATCH_SIZE", get("DISPATCH_BATCH_SIZE"), 100, minimum=1),
            dispatch_concurrency=_int("DISPATCH_CONCURRENCY", get("DISPATCH_CONCURRENCY"), 8, minimum=1),
            dispatch_interval_seconds=_int("DISPATCH_INTERVAL_SECONDS", get("DISPATCH_INTERVAL_SECONDS"), 30, minimum=1),
            sms_daily_cap=_int("SMS_DAILY_CAP", get("SMS_DAILY_CAP"), 5000, minimum=0),
            max_messages_per_day=_int("MAX_MESSAGES_PER_DAY", get("MAX_MESSAGES_PER_DAY"), 1, minimum=0),
            maintenance_interval_months=_int("MAINTENANCE_INTERVAL_MONTHS", get("MAINTENANCE_INTERVAL_MONTHS"), 12, minimum=1),
            metrics_token=(get("METRICS_TOKEN") or "").strip() or None,
            scheduler_metrics_port=_int("SCHEDULER_METRICS_PORT", get("SCHEDULER_METRICS_PORT"), 0, minimum=0),
            log_format=_choice(
                "LOG_FORMAT", get("LOG_FORMAT"), ("json", "text"), "text" if environment == "development" else "json"
            ),
            retention_months=_int("RETENTION_MONTHS", get("RETENTION_MONTHS"), 18, minimum=1),
            webhook_payload_retention_days=_int(
                "WEBHOOK_PAYLOAD_RETENTION_DAYS", get("WEBHOOK_PAYLOAD_RETENTION_DAYS"), 30, minimum=1
            ),
        )

    @property
    def admin_mfa_required(self) -> bool:
        """Admins must use a second factor: by default in production, where an admin's password alone opens every record."""
        return self.environment == "production" if self.require_admin_mfa is None else self.require_admin_mfa

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host)

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields changed (tests); each value has its field's type."""
        return replace(self, **changes)
