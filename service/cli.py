"""`flask --app wsgi …` commands: reminders tick, scheduler, serve, patients export/erase, demo seed, content, users,
outcomes report."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .runtime import get_settings
from .timeutil import utcnow

reminders = AppGroup("reminders", help="Plan and send reminders.")
demo = AppGroup("demo", help="The demo clinic.")
content = AppGroup("content", help="The shipped tip library.")
outcomes = AppGroup("outcomes", help="Whether the messages work: attendance, courses, maintenance, nudges.")


def _parse_at(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date-time", param_hint="--at") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@reminders.command("tick")
@click.option("--at", "at", help="Act as if the clock read this ISO 8601 instant (default: now; naive means UTC).")
def tick_command(at: str | None) -> None:
    """Run one planning and dispatch cycle and print a summary line."""
    from .ticker import tick

    report = tick(_parse_at(at))
    click.echo(report.summary())


@reminders.command("preview")
@click.option("--at", "at", help="What would go out at this ISO 8601 instant (default: now; naive means UTC).")
@click.option("--phone", help="Only this patient: the number as typed (06 12 34 56 78, +33 6 12 34 56 78, …).")
@click.option("--patient", "patient_id", type=int, help="Only this patient, by the number in the panel's address.")
def preview_command(at: str | None, phone: str | None, patient_id: int | None) -> None:
    """List what a dispatch would send at that moment, with its full text; changes nothing and sends nothing."""
    from .extensions import db
    from .preview import describe, preview

    moment = _parse_at(at)
    settings = get_settings()
    ids = [p.id for p in _patients_for(phone, None)] if phone else None
    if patient_id is not None:
        ids = [i for i in ids if i == patient_id] if ids is not None else [patient_id]
    try:
        click.echo(describe(preview(db.session, settings, moment, ids), settings, moment))
    finally:
        db.session.rollback()  # nothing was written; nothing is kept


@outcomes.command("report")
@click.option("--weeks", default=12, show_default=True, type=click.IntRange(1, 260), help="How many ISO weeks back.")
@click.option("--format", "fmt", default="json", show_default=True, type=click.Choice(["json", "csv"]))
@click.option("--at", "at", help="Report as if the clock read this ISO 8601 instant (default: now).")
def outcomes_report_command(weeks: int, fmt: str, at: str | None) -> None:
    """Print the outcome figures per week and per month, with their definitions (UTF-8; CSV with commas)."""
    from .extensions import db
    from .outcomes import as_csv, as_json, build_report

    report = build_report(db.session, get_settings().clinic_timezone, _parse_at(at), weeks=weeks)
    db.session.rollback()  # read only
    click.echo(as_csv(report) if fmt == "csv" else as_json(report), nl=fmt == "json")


@demo.command("seed")
def seed_command() -> None:
    """Create the demo clinic's patients and sessions, and once a panel account (development only; safe to run again)."""
    from .demo import NotDevelopment, seed_demo, seed_demo_account

    try:
        account = seed_demo_account(utcnow())  # first: nothing is seeded outside development
    except NotDevelopment as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(seed_demo(utcnow()))
    if account.password:
        click.echo(f"demo account (development only): {account.email}  password: {account.password}")
        click.echo("  shown this once: only its hash is kept.")
    else:
        click.echo(
            f"demo account: {account.email} (its password was shown when it was created; "
            f"to set a new one: flask --app wsgi users set-password {account.email})"
        )


@content.command("seed")
def content_seed_command() -> None:
    """Add the shipped aftercare and lifestyle tips for languages that have none (safe to run again)."""
    from .content.seed import seed_tips
    from .extensions import db

    added = seed_tips(db.session)
    db.session.commit()
    click.echo(f"tips: {added} added")


patients = AppGroup("patients", help="A patient's data: export it, erase it (GDPR).")


def _patients_for(phone: str | None, email: str | None) -> list[Any]:
    from .contacts import ContactError
    from .extensions import db
    from .privacy import find_patients

    try:
        found = find_patients(db.session, phone=phone, email=email, region=get_settings().clinic_region)
    except ContactError as exc:
        raise click.UsageError(str(exc)) from None
    if not found:
        raise click.ClickException("no patient has this " + ("number" if phone else "address"))
    return found


@patients.command("export")
@click.option("--phone", help="The patient's number, E.164 (+33611223344) or national.")
@click.option("--email", help="The patient's email address.")
def patients_export_command(phone: str | None, email: str | None) -> None:
    """Print all we hold about the patient as JSON (several patients sharing the contact: a JSON list)."""
    from .extensions import db
    from .privacy import export_patient

    exported = [export_patient(db.session, p) for p in _patients_for(phone, email)]
    click.echo(json.dumps(exported[0] if len(exported) == 1 else exported, ensure_ascii=False, indent=2))


@patients.command("erase")
@click.option("--phone", help="The patient's number, E.164 (+33611223344) or national.")
@click.option("--email", help="The patient's email address.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def patients_erase_command(phone: str | None, email: str | None, yes: bool) -> None:
    """Erase the patient's personal data, cancel what is pending, and never message this contact again."""
    from .extensions import db
    from .privacy import erase_patient

    found = _patients_for(phone, email)
    if not yes:
        click.confirm(
            f"Erase {len(found)} patient(s) (ids {', '.join(str(p.id) for p in found)})? This cannot be undone", abort=True
        )
    try:
        actor = f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # a container user with no passwd entry
        actor = "cli"
    for patient in found:
        done = erase_patient(db.session, patient, actor=actor, now=utcnow())
        db.session.commit()
        click.echo(
            f"erased patient {done.patient_id}: {done.cancelled} pending cancelled, {done.bodies_removed} messages "
            f"and {done.replies_removed} replies emptied, {done.payloads_removed} webhook payloads removed"
        )


todo = AppGroup("todo", help="The front desk's to-do list.")


@todo.command("digest")
@click.option("--at", "at", help="Act as if the clock read this ISO 8601 instant (default: now; naive means UTC).")
def todo_digest_command(at: str | None) -> None:
    """Email the open items to STAFF_DIGEST_EMAIL, as the 08:00 job does: once a day, only when some are open."""
    from .jobs import staff_digest

    click.echo(f"staff digest: {staff_digest(_parse_at(at))}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(todo)
    app.cli.add_command(patients)
    app.cli.add_command(reminders)
    app.cli.add_command(demo)
    app.cli.add_command(content)
    app.cli.add_command(users)
    app.cli.add_command(outcomes)

    @app.cli.command("scheduler")
    def scheduler_command() -> None:
        """Run the scheduler's jobs in the foreground (one such process per deployment)."""
        from .scheduler import build_scheduler

        real_app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types the proxy as Flask
        port = get_settings(real_app).scheduler_metrics_port
        if port:
            from .metrics import serve_scheduler_metrics

            serve_scheduler_metrics(real_app, port)
            click.echo(f"scheduler: metrics on :{port}/metrics")
        click.echo(
            "scheduler: dispatch every 30 s, planning every 5 min, sweep daily at 09:00 and housekeeping at 03:00 "
            "clinic time; Ctrl-C stops"
        )
        build_scheduler(real_app, blocking=True).start()

    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True)
    def serve_command(host: str, port: int) -> None:
        """Serve the app with the scheduler in-process when SCHEDULER_ENABLED (the demo's way; use gunicorn in production)."""
        real_app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types the proxy as Flask
        if get_settings(real_app).scheduler_enabled:
            from .scheduler import build_scheduler

            build_scheduler(real_app, blocking=False).start()
            click.echo("scheduler: running in-process")
        from werkzeug.serving import run_simple

        from .logs import quiet_static_assets

        quiet_static_assets()
        run_simple(host, port, real_app, threaded=True, use_reloader=False)


users = AppGroup("users", help="Staff accounts for the admin panel.")


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "staff"]), default="staff", show_default=True)
@click.option("--password", help="Prompted for (hidden, twice) when not given.")
def users_create_command(email: str, role: str, password: str | None) -> None:
    """Create a staff account; the password is stored as an Argon2id hash."""
    from admin.auth import create_user

    from .extensions import db

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, password, role, utcnow())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"created {role} {user.email}")


def _user(email: str) -> Any:
    from sqlalchemy import func, select

    from .extensions import db
    from .models import User

    user = db.session.execute(select(User).where(func.lower(User.email) == email.strip().lower())).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"no user has the email {email.strip().lower()}")
    return user


def _cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # a container user with no passwd entry
        return "cli"


@users.command("set-password")
@click.argument("email")
@click.option("--password", help="Prompted for (hidden, twice) when not given.")
def users_set_password_command(email: str, password: str | None) -> None:
    """Give a user a new password; every session they had ends."""
    from admin.auth import set_password

    from .extensions import db
    from .models import AuditEvent

    user = _user(email)
    if password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        set_password(user, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.add(AuditEvent(at=utcnow(), actor=_cli_actor(), action="password", entity="user", entity_id=str(user.id)))
    db.session.commit()
    click.echo(f"new password set for {user.email}; their sessions are ended")


@users.command("reset-mfa")
@click.argument("email")
def users_reset_mfa_command(email: str) -> None:
    """Forget a user's second factor (a lost phone): they enrol again at their next sign-in; their sessions end."""
    from admin import mfa

    from .extensions import db
    from .models import AuditEvent

    user = _user(email)
    mfa.reset(db.session, user)
    db.session.add(AuditEvent(at=utcnow(), actor=_cli_actor(), action="mfa-reset", entity="user", entity_id=str(user.id)))
    db.session.commit()
    click.echo(f"second factor reset for {user.email}; they set it up again at their next sign-in")
