"""Recall: treatment-course reminders for clinics. `create_app` is the one place things are wired."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from . import csp
from .channels import EmailSender, Senders, SmsSender, WhatsAppSender
from .channels.console import ConsoleTransport
from .extensions import db, limiter, migrate
from .logs import configure_logging, init_request_ids
from .pacing import Pacer
from .runtime import Runtime, install
from .settings import Settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
MAX_BODY_BYTES = 1024 * 1024


def build_senders(settings: Settings) -> Senders:
    """Real providers where credentials exist; the console transport otherwise, so the demo runs anywhere."""
    console = ConsoleTransport()
    sms: SmsSender = console
    email: EmailSender = console
    whatsapp: WhatsAppSender = console
    if settings.twilio_configured:
        from .channels.twilio_sms import TwilioSmsSender
        from .channels.twilio_whatsapp import TwilioWhatsAppSender

        sms = twilio = TwilioSmsSender(
            settings.twilio_account_sid or "",
            settings.twilio_auth_token or "",
            from_number=settings.twilio_from_number,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            api_base_url=settings.twilio_api_base_url,
            status_callback_base=settings.public_base_url,
            timeout_seconds=settings.twilio_timeout_seconds,
            concurrency=settings.dispatch_concurrency,
        )
        whatsapp = TwilioWhatsAppSender(
            twilio,
            whatsapp_from=settings.twilio_whatsapp_from,
            messaging_service_sid=settings.twilio_messaging_service_sid,
        )
    if settings.smtp_configured:
        from .channels.smtp_email import SmtpEmailSender

        email = SmtpEmailSender(
            settings.smtp_host or "",
            settings.smtp_port,
            mail_from=settings.mail_from or "",
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )
    return Senders(sms=sms, email=email, whatsapp=whatsapp)


def _engine_options(url: str, concurrency: int = 8) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # One writer at a time: wait for the lock rather than fail while a send holds it.
        return {"connect_args": {"timeout": 30}, "hide_parameters": True}
    # Fail fast when the database is away: /healthz must say 503 promptly, jobs retry at their next run.
    # Every send thread holds a connection while it talks to the provider: the pool must have one for each.
    # hide_parameters: a database error quotes the row it refused, and rows hold patients' names and numbers.
    return {
        "pool_pre_ping": True,
        "hide_parameters": True,
        "pool_size": max(10, concurrency + 2),
        "max_overflow": 10,
        "pool_timeout": 10,
        "connect_args": {"connect_timeout": 5},
    }


def create_app(settings: Settings | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    settings = settings or Settings.from_env(instance_path=Path(app.instance_path))
    if settings.database_url.startswith("sqlite:///") and ":memory:" not in settings.database_url:
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

    secure_cookies = settings.environment == "production"
    app.config.update(
        SECRET_KEY=settings.secret_key,
        CLINIC_NAME=settings.clinic_name,
        # Health data behind these cookies: not readable by scripts, not sent cross-site, HTTPS-only in production.
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure_cookies,
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings.database_url, settings.dispatch_concurrency),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        JSON_SORT_KEYS=False,
    )
    runtime = Runtime(
        settings=settings,
        senders=build_senders(settings),
        pacer=Pacer(settings.sms_rate_per_second),
        whatsapp_pacer=Pacer(settings.whatsapp_rate_per_second),
    )
    install(app, runtime)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    limiter.init_app(app)

    from . import models  # noqa: F401 - register the tables with the metadata
    from .health import bp as health_bp
    from .metrics import bp as metrics_bp
    from .patient_page import bp as patient_page_bp
    from .unsubscribe import bp as unsubscribe_bp
    from .webhooks import bp as webhooks_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(unsubscribe_bp)
    app.register_blueprint(patient_page_bp)

    from admin import init_admin
    from admin.auth import init_auth

    from .i18n import init_i18n

    init_i18n(app)
    init_auth(app)
    init_admin(app)

    from .cli import register_cli

    register_cli(app)

    @app.get("/")
    def _home() -> ResponseReturnValue:
        # The front desk types the bare address: the panel, which sends whoever is signed out to the login.
        return redirect(url_for("admin.index"))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        # JSON for machines (webhooks, API); Flask-Admin pages render their own HTML errors.
        if exc.code == 413:
            return jsonify({"error": f"the body is larger than {MAX_BODY_BYTES // 1024} KiB", "details": []}), 413
        return exc

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Content-Security-Policy", csp.header())  # scripts: this site's, with this response's nonce
        if secure_cookies:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.path.startswith(("/admin", "/login")):
            headers.setdefault("Cache-Control", "no-store")  # patient pages must not linger in shared browsers' caches
        return response

    init_request_ids(app)
    configure_logging(settings.log_format)
    if settings.proxy_hops:
        # The client's address (for the sign-in limits) and scheme from the last PROXY_HOPS proxies' X-Forwarded-*;
        # with 0 these headers are ignored, so a client cannot pick the address it is counted under.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)  # type: ignore[method-assign]  # the documented way to wrap it
    return app
