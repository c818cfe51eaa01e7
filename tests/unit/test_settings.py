"""Settings.from_env: an unset variable takes its field's declared default, read from the field (written once), and a
bad value stops start-up with a message naming the variable."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import pytest

from service.settings import ConfigError, Settings

REQUIRED = {"SECRET_KEY": "a-long-random-secret-0123", "CLINIC_PHONE": "+33142868200"}  # production's two
# Required, or computed: the database from the instance folder, the language from the region (tested below).
NOT_DEFAULTED = {"secret_key", "clinic_phone", "database_url", "clinic_language"}


def test_with_only_the_required_settings_every_field_takes_its_declared_default(tmp_path: Path) -> None:
    settings = Settings.from_env(REQUIRED, instance_path=tmp_path)
    differing = {
        f.name: (getattr(settings, f.name), f.default)
        for f in fields(Settings)
        if f.name not in NOT_DEFAULTED and getattr(settings, f.name) != f.default
    }
    assert differing == {}
    assert (settings.secret_key, settings.clinic_phone) == (REQUIRED["SECRET_KEY"], REQUIRED["CLINIC_PHONE"])
    assert settings.database_url == f"sqlite:///{tmp_path / 'recall.sqlite3'}"
    assert settings.admin_mfa_required is True  # the default (None) means: in production
    assert settings.clinic_language == "fr"  # the default ("") means: the region's, FR


@dataclass(frozen=True)
class Elsewhere(Settings):
    """Settings whose every default differs from Recall's: from_env must follow the fields, not literals of its own."""

    environment: str = "test"
    clinic_name: str = "Another Clinic"
    clinic_timezone: str = "America/New_York"
    clinic_region: str = "US"
    clinic_language: str = "en"
    public_base_url: str | None = "https://elsewhere.example"
    clinic_address: str = "1 Main Street, Springfield"
    booking_url: str | None = "https://elsewhere.example/book"
    self_cancel_hours: int = 12
    calcom_app_url: str = "https://cal.elsewhere.example"
    outbound_webhook_url: str | None = "https://booking.elsewhere.example/recall"
    outbound_webhook_secret: str | None = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    staff_digest_email: str | None = "desk@elsewhere.example"
    twilio_account_sid: str | None = "AC0123"
    twilio_auth_token: str | None = "token"
    twilio_from_number: str | None = "+15005550006"
    twilio_messaging_service_sid: str | None = "MG0123"
    twilio_api_base_url: str | None = "http://127.0.0.1:9"
    twilio_timeout_seconds: float = 4.5
    twilio_whatsapp_from: str | None = "whatsapp:+15005550006"
    smtp_host: str | None = "smtp.elsewhere.example"
    smtp_port: int = 2525
    smtp_username: str | None = "user"
    smtp_password: str | None = "password"
    smtp_starttls: bool = False
    mail_from: str | None = "desk@elsewhere.example"
    booking_webhook_secret: str | None = "booking-secret"
    calcom_webhook_secret: str | None = "calcom-secret"
    calendly_webhook_signing_key: str | None = "calendly-key"
    acuity_user_id: str | None = "7"
    acuity_api_key: str | None = "acuity-key"
    acuity_api_base_url: str = "http://127.0.0.1:10/api"
    fhir_webhook_token: str | None = "fhir-token"
    fhir_contact_consent: str = "sms"
    acuity_contact_consent: str = "both"
    ratelimit_storage_uri: str = "redis://127.0.0.1:6379"
    proxy_hops: int = 1
    require_admin_mfa: bool | None = True
    scheduler_enabled: bool = False
    sms_rate_per_second: float = 2.5
    whatsapp_rate_per_second: float = 20.0
    channel_order: tuple[str, ...] = ("whatsapp", "sms", "email")
    quiet_hours: tuple[int, int] = (9, 20)
    confirmation_debounce_minutes: int = 5
    dispatch_batch_size: int = 50
    dispatch_concurrency: int = 4
    dispatch_interval_seconds: int = 15
    sms_daily_cap: int = 10
    max_messages_per_day: int = 2
    maintenance_interval_months: int = 6
    metrics_token: str | None = "metrics-token"
    scheduler_metrics_port: int = 9100
    log_format: str = "text"
    retention_months: int = 24
    webhook_payload_retention_days: int = 7


def test_from_env_reads_each_default_from_its_field_not_from_a_copy(tmp_path: Path) -> None:
    defaulted = {f.name for f in fields(Settings)} - NOT_DEFAULTED | {"clinic_language"}
    changed = {name for name in defaulted if Elsewhere.defaults()[name] != Settings.defaults()[name]}
    assert changed == defaulted  # the check below covers every field
    settings = Elsewhere.from_env(REQUIRED, instance_path=tmp_path)
    assert {name: getattr(settings, name) for name in defaulted} == {name: Elsewhere.defaults()[name] for name in defaulted}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RECALL_ENV", "prod", "RECALL_ENV must be one of development, test, production, got 'prod'"),
        ("CLINIC_TIMEZONE", "Paris", "CLINIC_TIMEZONE must be an IANA time zone like Europe/Paris, got 'Paris'"),
        ("CLINIC_REGION", "XX", "CLINIC_REGION must be a two-letter country code like FR, got 'XX'"),
        ("CLINIC_LANGUAGE", "pt", "CLINIC_LANGUAGE must be one of fr, en, es, de, it, got 'pt'"),
        ("OUTBOUND_WEBHOOK_SECRET", "s3cret", "OUTBOUND_WEBHOOK_SECRET must be a Standard Webhooks key starting with whsec_"),
        ("STAFF_DIGEST_EMAIL", "desk", "STAFF_DIGEST_EMAIL must be an email address, got 'desk'"),
        ("SELF_CANCEL_HOURS", "-1", "SELF_CANCEL_HOURS must be at least 0, got '-1'"),
        ("TWILIO_TIMEOUT_SECONDS", "x", "TWILIO_TIMEOUT_SECONDS must be a number, got 'x'"),
        ("SMTP_PORT", "0", "SMTP_PORT must be at least 1, got '0'"),
        ("SMTP_STARTTLS", "maybe", "SMTP_STARTTLS must be true or false, got 'maybe'"),
        ("PROXY_HOPS", "1.5", "PROXY_HOPS must be a whole number, got '1.5'"),
        ("SMS_RATE_PER_SECOND", "0", "SMS_RATE_PER_SECOND must be at least 0.01, got '0'"),
        ("QUIET_HOURS", "21-8", "QUIET_HOURS must be two hours 0-24 with start before end, got '21-8'"),
        ("QUIET_HOURS", "x", "QUIET_HOURS must look like 8-21 (hours), got 'x'"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be one of json, text, got 'xml'"),
        ("PUBLIC_BASE_URL", "ftp://a", "PUBLIC_BASE_URL must be an http(s) URL, got 'ftp://a'"),
        ("ACUITY_API_BASE_URL", "nope", "ACUITY_API_BASE_URL must be an http(s) URL, got 'nope'"),
        ("DATABASE_URL", "mysql://a", "DATABASE_URL must be a sqlite:/// or postgresql:// URL, got 'mysql'"),
        ("RETENTION_MONTHS", "-1", "RETENTION_MONTHS must be at least 1, got '-1'"),
        ("SCHEDULER_METRICS_PORT", "a", "SCHEDULER_METRICS_PORT must be a number, got 'a'"),
        ("REQUIRE_ADMIN_MFA", "2", "REQUIRE_ADMIN_MFA must be true or false, got '2'"),
        ("DISPATCH_BATCH_SIZE", "0", "DISPATCH_BATCH_SIZE must be at least 1, got '0'"),
        (
            "TWILIO_WHATSAPP_FROM",
            "+33612345678",
            "TWILIO_WHATSAPP_FROM must be a WhatsApp sender like whatsapp:+33612345678, got '+33612345678'",
        ),
        ("WHATSAPP_RATE_PER_SECOND", "0", "WHATSAPP_RATE_PER_SECOND must be at least 0.01, got '0'"),
        ("CHANNEL_ORDER", "whatsapp,fax", "CHANNEL_ORDER takes sms, whatsapp, email separated by commas, got 'fax'"),
        ("CHANNEL_ORDER", "sms,email,sms", "CHANNEL_ORDER names a channel twice: 'sms,email,sms'"),
        ("FHIR_CONTACT_CONSENT", "yes", "FHIR_CONTACT_CONSENT must be one of none, sms, email, both, got 'yes'"),
        ("ACUITY_CONTACT_CONSENT", "whatsapp", "ACUITY_CONTACT_CONSENT must be one of none, sms, email, both, got 'whatsapp'"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({**REQUIRED, name: value})
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("region", "language"), [("FR", "fr"), ("GB", "en"), ("US", "en"), ("DE", "de"), ("ES", "es"), ("IT", "it"), ("BR", "en")]
)
def test_the_clinics_language_follows_its_region_where_recall_speaks_it(region: str, language: str, tmp_path: Path) -> None:
    settings = Settings.from_env({**REQUIRED, "CLINIC_REGION": region}, instance_path=tmp_path)
    assert settings.clinic_language == language
    assert Settings(clinic_region=region).clinic_language == language  # built in code, the same rule


def test_clinic_language_overrides_the_regions(tmp_path: Path) -> None:
    assert (
        Settings.from_env({**REQUIRED, "CLINIC_REGION": "FR", "CLINIC_LANGUAGE": "EN"}, instance_path=tmp_path).clinic_language
        == "en"
    )


def test_the_channel_order_is_read_in_order_and_whatsapp_needs_a_sender() -> None:
    settings = Settings.from_env({**REQUIRED, "CHANNEL_ORDER": " WhatsApp, sms ,email"})
    assert settings.channel_order == ("whatsapp", "sms", "email")
    twilio = {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": "+15005550006"}
    with pytest.raises(ConfigError, match="TWILIO_WHATSAPP_FROM or TWILIO_MESSAGING_SERVICE_SID"):
        Settings.from_env({**REQUIRED, **twilio, "CHANNEL_ORDER": "whatsapp,sms"})


def test_what_a_booking_from_fhir_or_acuity_counts_as_consent_is_read_in_any_case(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {**REQUIRED, "FHIR_CONTACT_CONSENT": " SMS ", "ACUITY_CONTACT_CONSENT": "Both"}, instance_path=tmp_path
    )
    assert (settings.fhir_contact_consent, settings.acuity_contact_consent) == ("sms", "both")
    assert (Settings.defaults()["fhir_contact_consent"], Settings.defaults()["acuity_contact_consent"]) == ("none", "none")
