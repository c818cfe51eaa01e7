"""Configuration, read once from the environment and validated at start-up.

A clinic's deployer should learn about a typo in a setting before the first patient
is (not) reminded, so every value is checked here and a bad one stops the process
with a single line naming it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from babel import Locale, UnknownLocaleError

ENVIRONMENTS = ("development", "test", "production")
DEV_SECRET_KEY = "dev-only-insecure-secret-key"
PANEL_LANGUAGES = ("fr", "en")  # the panel's catalogues (service/translations)
CLINIC_LANGUAGES = ("fr", "en", "es", "de", "it")  # patients' languages: every shipped template and tip exists in each
CONTACT_CONSENTS = ("none", "sms", "email", "both")  # FHIR_CONTACT_CONSENT, ACUITY_CONTACT_CONSENT


T = TypeVar("T")


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names it."""


def _bool(name: str, raw: str | None, default: T) -> bool | T:
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


CHANNELS = ("sms", "whatsapp", "email")


def _channel_order(raw: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """CHANNEL_ORDER: known channels, each once, comma-separated, first tried first."""
    if not (raw or "").strip():
        return default
    names = tuple(part.strip().lower() for part in (raw or "").split(","))
    unknown = [n for n in names if n not in CHANNELS]
    if unknown or not names:
        raise ConfigError(f"CHANNEL_ORDER takes {', '.join(CHANNELS)} separated by commas, got {unknown[0]!r}")
    if len(set(names)) != len(names):
        raise ConfigError(f"CHANNEL_ORDER names a channel twice: {raw!r}")
    return names


def default_language(region: str) -> str:
    """The language most people speak in the region (CLDR's likely subtags: FR gives fr, DE de, BE nl), if Recall
    speaks it to patients."""
    try:
        language = Locale.parse(f"und_{region}").language
    except (ValueError, UnknownLocaleError):
        return "en"
    return language if language in CLINIC_LANGUAGES else "en"


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
    # Empty: the language of CLINIC_REGION when Recall speaks it (FR: fr, DE: de), else en. New patients speak it; the
    # panel reads it too when it is one of the panel's languages (fr, en), English otherwise.
    clinic_language: str = ""
    public_base_url: str | None = None
    clinic_address: str = ""  # shown on the patient's page
    booking_url: str | None = None  # the clinic's own booking page, for messages about no particular session
    self_cancel_hours: int = 24  # a patient may cancel from their page until this many hours before the start
    calcom_app_url: str = "https://app.cal.com"  # where Cal.com's own cancel and reschedule pages live
    outbound_webhook_url: str | None = None  # where Recall posts events for the booking system (docs/webhooks.md)
    outbound_webhook_secret: str | None = field(default=None, repr=False)  # whsec_…: Standard Webhooks signing key
    staff_digest_email: str | None = None  # the front desk's daily to-do email, 08:00 clinic time
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base_url: str | None = None
    twilio_timeout_seconds: float = 10.0
    twilio_whatsapp_from: str | None = None  # whatsapp:+E164, a WhatsApp sender; else the Messaging Service carries it
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
    # Whether a phone or email given with a FHIR or Acuity booking counts as the patient's consent to be reminded
    # there (CONTACT_CONSENTS); `none`: staff record consent in the panel. docs/webhooks.md says what each means.
    fhir_contact_consent: str = "none"
    acuity_contact_consent: str = "none"
    ratelimit_storage_uri: str = "memory://"
    proxy_hops: int = 0  # how many proxies in front set X-Forwarded-For/-Proto; 0 trusts none of these headers
    require_admin_mfa: bool | None = None  # None: required in production only (see admin_mfa_required)
    scheduler_enabled: bool = True
    sms_rate_per_second: float = 1.0
    whatsapp_rate_per_second: float = 1.0  # paced apart from SMS: WhatsApp has its own throughput
    channel_order: tuple[str, ...] = ("sms", "email")  # which channel is tried first, and what falls back to what
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
        """Build and validate settings; raise ConfigError naming the first bad one.

        A variable left unset (or empty) takes its field's default, read from the field itself: each default is
        written once, in the class above. A variable is named as its field in capitals (RECALL_ENV excepted).
        """
        env = dict(os.environ if environ is None else environ)
        get = env.get
        default = cls.defaults()

        def text(name: str) -> str:
            return str(get(name) or default[name.lower()]).strip()

        def optional(name: str) -> str | None:
            return (get(name) or "").strip() or default[name.lower()]

        def url(name: str) -> str | None:
            return _url(name, get(name)) or default[name.lower()]

        def number(name: str, *, minimum: float) -> float:
            return _number(name, get(name), default[name.lower()], minimum=minimum)

        def whole(name: str, *, minimum: int) -> int:
            return _int(name, get(name), default[name.lower()], minimum=minimum)

        def flag(name: str) -> Any:
            return _bool(name, get(name), default[name.lower()])

        environment = (get("RECALL_ENV") or default["environment"]).strip().lower()
        if environment not in ENVIRONMENTS:
            raise ConfigError(f"RECALL_ENV must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}")

        secret_key = text("SECRET_KEY")
        if not secret_key:
            if environment != "development":
                raise ConfigError(f"SECRET_KEY is required outside development (RECALL_ENV={environment}): a long random string")
            secret_key = DEV_SECRET_KEY
        elif environment == "production" and (secret_key == DEV_SECRET_KEY or len(secret_key) < 16):
            raise ConfigError("SECRET_KEY must be a random string of at least 16 characters in production")

        database_url = text("DATABASE_URL")
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

        clinic_timezone = _zone("CLINIC_TIMEZONE", get("CLINIC_TIMEZONE"), default["clinic_timezone"])
        clinic_region = text("CLINIC_REGION").upper()
        if clinic_region not in phonenumbers.SUPPORTED_REGIONS:
            raise ConfigError(f"CLINIC_REGION must be a two-letter country code like FR, got {clinic_region!r}")

        clinic_language = _choice(
            "CLINIC_LANGUAGE",
            get("CLINIC_LANGUAGE"),
            CLINIC_LANGUAGES,
            default["clinic_language"] or default_language(clinic_region),
        )

        clinic_phone = text("CLINIC_PHONE")
        if clinic_phone:
            try:
                parsed = phonenumbers.parse(clinic_phone, clinic_region)
            except phonenumbers.NumberParseException:
                parsed = None
            if parsed is None or not phonenumbers.is_valid_number(parsed):
                raise ConfigError(f"CLINIC_PHONE is not a valid phone number: {clinic_phone!r}")
        elif environment == "production":
            raise ConfigError("CLINIC_PHONE is required in production: every message tells patients how to reach the clinic")

        sid = optional("TWILIO_ACCOUNT_SID")
        token = optional("TWILIO_AUTH_TOKEN")
        from_number = optional("TWILIO_FROM_NUMBER")
        service_sid = optional("TWILIO_MESSAGING_SERVICE_SID")
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

        whatsapp_from = optional("TWILIO_WHATSAPP_FROM")
        if whatsapp_from and not (whatsapp_from.startswith("whatsapp:+") and whatsapp_from[10:].isdigit()):
            raise ConfigError(f"TWILIO_WHATSAPP_FROM must be a WhatsApp sender like whatsapp:+33612345678, got {whatsapp_from!r}")
        channel_order = _channel_order(get("CHANNEL_ORDER"), default["channel_order"])
        if "whatsapp" in channel_order and sid and not (whatsapp_from or service_sid):
            raise ConfigError("CHANNEL_ORDER names whatsapp: set TWILIO_WHATSAPP_FROM or TWILIO_MESSAGING_SERVICE_SID")

        outbound_url = url("OUTBOUND_WEBHOOK_URL")
        outbound_secret = optional("OUTBOUND_WEBHOOK_SECRET")
        if outbound_url and not outbound_secret:
            raise ConfigError("OUTBOUND_WEBHOOK_SECRET is required when OUTBOUND_WEBHOOK_URL is set (a whsec_… key)")
        if outbound_secret and not outbound_secret.startswith("whsec_"):
            raise ConfigError("OUTBOUND_WEBHOOK_SECRET must be a Standard Webhooks key starting with whsec_")
        digest_email = optional("STAFF_DIGEST_EMAIL")
        if digest_email and "@" not in digest_email:
            raise ConfigError(f"STAFF_DIGEST_EMAIL must be an email address, got {digest_email!r}")

        smtp_host = optional("SMTP_HOST")
        mail_from = optional("MAIL_FROM")
        if smtp_host and not mail_from:
            raise ConfigError("MAIL_FROM is required when SMTP_HOST is set")

        return cls(
            environment=environment,
            database_url=database_url,
            secret_key=secret_key,
            clinic_name=text("CLINIC_NAME"),
            clinic_timezone=clinic_timezone,
            clinic_phone=clinic_phone,
            clinic_region=clinic_region,
            clinic_language=clinic_language,
            public_base_url=url("PUBLIC_BASE_URL"),
            clinic_address=text("CLINIC_ADDRESS"),
            booking_url=url("BOOKING_URL"),
            self_cancel_hours=whole("SELF_CANCEL_HOURS", minimum=0),
            calcom_app_url=_url("CALCOM_APP_URL", get("CALCOM_APP_URL")) or default["calcom_app_url"],
            outbound_webhook_url=outbound_url,
            outbound_webhook_secret=outbound_secret,
            staff_digest_email=digest_email,
            twilio_account_sid=sid,
            twilio_auth_token=token,
            twilio_from_number=from_number,
            twilio_messaging_service_sid=service_sid,
            twilio_api_base_url=url("TWILIO_API_BASE_URL"),
            twilio_timeout_seconds=number("TWILIO_TIMEOUT_SECONDS", minimum=0.1),
            twilio_whatsapp_from=whatsapp_from,
            smtp_host=smtp_host,
            smtp_port=whole("SMTP_PORT", minimum=1),
            smtp_username=optional("SMTP_USERNAME"),
            smtp_password=get("SMTP_PASSWORD") or default["smtp_password"],  # kept as given: spaces may be part of it
            smtp_starttls=flag("SMTP_STARTTLS"),
            mail_from=mail_from,
            booking_webhook_secret=optional("BOOKING_WEBHOOK_SECRET"),
            calcom_webhook_secret=optional("CALCOM_WEBHOOK_SECRET"),
            calendly_webhook_signing_key=optional("CALENDLY_WEBHOOK_SIGNING_KEY"),
            acuity_user_id=optional("ACUITY_USER_ID"),
            acuity_api_key=optional("ACUITY_API_KEY"),
            acuity_api_base_url=_url("ACUITY_API_BASE_URL", get("ACUITY_API_BASE_URL")) or default["acuity_api_base_url"],
            fhir_webhook_token=optional("FHIR_WEBHOOK_TOKEN"),
            fhir_contact_consent=_choice(
                "FHIR_CONTACT_CONSENT", get("FHIR_CONTACT_CONSENT"), CONTACT_CONSENTS, default["fhir_contact_consent"]
            ),
            acuity_contact_consent=_choice(
                "ACUITY_CONTACT_CONSENT", get("ACUITY_CONTACT_CONSENT"), CONTACT_CONSENTS, default["acuity_contact_consent"]
            ),
            ratelimit_storage_uri=text("RATELIMIT_STORAGE_URI"),
            proxy_hops=whole("PROXY_HOPS", minimum=0),
            require_admin_mfa=flag("REQUIRE_ADMIN_MFA"),  # unset: None, which admin_mfa_required reads per environment
            scheduler_enabled=flag("SCHEDULER_ENABLED"),
            sms_rate_per_second=number("SMS_RATE_PER_SECOND", minimum=0.01),
            whatsapp_rate_per_second=number("WHATSAPP_RATE_PER_SECOND", minimum=0.01),
            channel_order=channel_order,
            quiet_hours=_hour_range("QUIET_HOURS", get("QUIET_HOURS"), default["quiet_hours"]),
            confirmation_debounce_minutes=whole("CONFIRMATION_DEBOUNCE_MINUTES", minimum=0),
            dispatch_batch_size=whole("DISPATCH_BATCH_SIZE", minimum=1),
            dispatch_concurrency=whole("DISPATCH_CONCURRENCY", minimum=1),
            dispatch_interval_seconds=whole("DISPATCH_INTERVAL_SECONDS", minimum=1),
            sms_daily_cap=whole("SMS_DAILY_CAP", minimum=0),
            max_messages_per_day=whole("MAX_MESSAGES_PER_DAY", minimum=0),
            maintenance_interval_months=whole("MAINTENANCE_INTERVAL_MONTHS", minimum=1),
            metrics_token=optional("METRICS_TOKEN"),
            scheduler_metrics_port=whole("SCHEDULER_METRICS_PORT", minimum=0),
            # People read development's logs: text there unless LOG_FORMAT says otherwise.
            log_format=_choice(
                "LOG_FORMAT",
                get("LOG_FORMAT"),
                ("json", "text"),
                "text" if environment == "development" else default["log_format"],
            ),
            retention_months=whole("RETENTION_MONTHS", minimum=1),
            webhook_payload_retention_days=whole("WEBHOOK_PAYLOAD_RETENTION_DAYS", minimum=1),
        )

    def __post_init__(self) -> None:
        if not self.clinic_language:  # built in code (tests) without one: the region's, as from_env does
            object.__setattr__(self, "clinic_language", default_language(self.clinic_region))

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Each field's declared default, by field name: the one place a default is written."""
        return {f.name: f.default for f in fields(cls) if f.default is not MISSING}

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
