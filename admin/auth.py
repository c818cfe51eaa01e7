"""Who may use the panel: Flask-Login sessions, Argon2id passwords, a CSRF-protected login that slows guessing down.

Sign-in attempts are limited per client address and per account (10 a minute, then 429), counted before the password
is checked (admin/login_limits.py), so parallel guesses cannot slip under the limit. Every session carries the user's
session version: signing out, a new password or a deactivation bump it and so end every session issued before.
With a second factor (admin/mfa.py), a correct password only opens the code step; the session is signed in after it.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired

from service.extensions import db
from service.i18n import _, _l
from service.models import AuditEvent, User
from service.runtime import get_settings
from service.settings import PANEL_LANGUAGES
from service.timeutil import utcnow

from . import mfa
from .login_limits import CODES, SIGN_IN, attempts, init_limits
from .passwords import WeakPassword, check_new_password, hasher, needs_rehash, verify
from .redirects import safe_next

bp = Blueprint("auth", __name__, template_folder="templates")
log = logging.getLogger(__name__)
ROLES = ("admin", "staff")
PENDING = "signin_pending"  # the session key of a password-checked, not yet signed-in user (second step)
PENDING_SECONDS = 600
__all__ = ["ROLES", "StaffUser", "bp", "check_password", "create_user", "hash_password", "hasher", "init_auth", "set_password"]


class StaffUser(UserMixin):
    """What Flask-Login keeps in the session: the id, role and session version, never the password hash."""

    def __init__(self, user: User) -> None:
        self.id = str(user.id)
        self.email = user.email
        self.role = user.role
        self.language = user.language
        self.session_version = user.session_version or 0

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(message=_l("Enter the email address you sign in with."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password."))])


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(message=_l("Enter the code from your authenticator app."))])


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(message=_l("Enter your current password."))])
    new = PasswordField(_l("New password"), validators=[DataRequired(message=_l("Enter a new password."))])
    confirm = PasswordField(_l("New password again"), validators=[DataRequired(message=_l("Enter the new password again."))])


class CsrfOnlyForm(FlaskForm):
    """A button that changes something: just the CSRF token."""


def _text(field: StringField) -> str:
    """A required field's text, once validate_on_submit has passed (DataRequired: never empty then)."""
    return field.data or ""


def hash_password(password: str) -> str:
    check_new_password(password)
    return hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    if not verify(user.password_hash, password):
        return False
    if needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def create_user(email: str, password: str, role: str, now: datetime) -> User:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    normalised = email.strip().lower()
    if db.session.execute(select(User.id).where(func.lower(User.email) == normalised)).first():
        raise ValueError(f"a user with the email {normalised} already exists")
    user = User(email=normalised, password_hash=hash_password(password), role=role, active=True, created_at=now)
    db.session.add(user)
    return user


def set_password(user: User, password: str) -> None:
    """A new password (raises WeakPassword) ends every session the user had."""
    user.password_hash = hash_password(password)
    user.session_version = (user.session_version or 0) + 1


def _find(email: str) -> User | None:
    return db.session.execute(select(User).where(func.lower(User.email) == email)).scalar_one_or_none()


def _too_many(template: str, message: str, **context: Any) -> ResponseReturnValue:
    return render_template(template, error=message, **context), 429, {"Retry-After": "60"}


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _invalid("auth/login.html", form)
        email = _text(form.email).strip().lower()
        # Counted before the password is checked; a refused attempt checks nothing.
        if not attempts().take(SIGN_IN, f"login-address:{request.remote_addr}", f"login-account:{email}"):
            log.info("sign-in refused: too many attempts")
            return _too_many("auth/login.html", _("Too many sign-in attempts; wait a minute and try again."), form=form)
        user = _find(email)
        # An unknown or inactive account is verified against a dummy hash: the same 300 ms as a real one.
        matches = verify(user.password_hash if user is not None and user.active else None, _text(form.password))
        if not matches or user is None:
            log.info("failed sign-in")
            return render_template("auth/login.html", form=form, error=_("Wrong email or password.")), 401
        if needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(_text(form.password))
        attempts().clear(SIGN_IN, f"login-account:{email}")
        if user.mfa_enabled or (user.role == "admin" and _settings().admin_mfa_required):
            db.session.commit()
            session.clear()
            session[PENDING] = {"user": user.id, "version": user.session_version, "at": int(time.time())}
            step = "auth.second_factor" if user.mfa_enabled else "auth.enrol"
            return redirect(url_for(step, next=request.args.get("next")))
        return _finish_login(user)
    return render_template("auth/login.html", form=form, error=None)


def _finish_login(user: User, how: str = "password") -> ResponseReturnValue:
    _sign_in(user, how)
    target = request.args.get("next") or ""
    # Only local paths: an open redirect after login is a phishing tool.
    return redirect(safe_next(target) or url_for("admin.index"))


def _sign_in(user: User, how: str) -> None:
    user.last_login_at = utcnow()
    db.session.add(
        AuditEvent(
            at=utcnow(),
            actor=user.email,
            action="login",
            entity="user",
            entity_id=str(user.id),
            details=None if how == "password" else {"with": how},
        )
    )
    db.session.commit()
    _new_session(user)


def _new_session(user: User) -> None:
    """A new session: the CSRF token and anything set before (a fixated cookie) do not carry over."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches this request's token
    login_user(StaffUser(user))


def _invalid(template: str, form: FlaskForm, **context: Any) -> ResponseReturnValue:
    """A form that did not validate: 400 for a missing or stale CSRF token, 401 for a missing field."""
    context.setdefault("form", form)
    return render_template(template, error=_form_error(form), **context), 400 if form.csrf_token.errors else 401


def _form_error(form: FlaskForm) -> str:
    if form.csrf_token.errors:
        return _("The form expired or was not sent from this page; please try again.")
    for field in form:
        if field.errors and field.name != "csrf_token":
            return f"{field.label.text}: {field.errors[0]}"
    return _("Please fill in both fields.")


def _settings() -> Any:
    return get_settings()


def _pending_user() -> User | None:
    """The user whose password was right a moment ago, still owing a code (or an enrolment)."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or int(time.time()) - int(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    user = db.session.get(User, int(pending.get("user", 0)))
    if user is None or not user.active or user.session_version != pending.get("version"):
        return None
    return user


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor() -> ResponseReturnValue:
    user = _pending_user()
    if user is None:
        return redirect(url_for("auth.login", next=request.args.get("next")))
    if not user.mfa_enabled:
        return redirect(url_for("auth.enrol", next=request.args.get("next")))
    form = CodeForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _invalid("auth/code.html", form)
        if not attempts().take(CODES, f"code-account:{user.id}"):
            return _too_many("auth/code.html", _("Too many codes tried; wait a minute and try again."), form=form)
        how = mfa.check_code(db.session, user, _text(form.code), mfa.clock())
        if how is None:
            db.session.rollback()
            return render_template("auth/code.html", form=form, error=_("That code is not right, or was already used.")), 401
        attempts().clear(CODES, f"code-account:{user.id}")
        return _finish_login(user, how)
    return render_template("auth/code.html", form=form, error=None)


def _enrolling_user() -> tuple[User | None, bool]:
    """Who is enrolling: the signed-in user, or one held at the door until they enrol (the second value)."""
    if current_user.is_authenticated:
        return db.session.get(User, int(current_user.id)), False
    user = _pending_user()
    return user, user is not None


@bp.route("/account/mfa", methods=["GET", "POST"])
def enrol() -> ResponseReturnValue:
    user, at_the_door = _enrolling_user()
    if user is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if user.mfa_enabled:
        if at_the_door:
            return redirect(url_for("auth.second_factor", next=request.args.get("next")))
        return render_template("auth/mfa_on.html", user=user, remaining=mfa.remaining_recovery_codes(db.session, user))
    if not user.totp_secret:  # kept until confirmed, so reloading the page shows the same QR code
        user.totp_secret = mfa.new_secret()
        db.session.commit()
    form = CodeForm()
    uri = mfa.provisioning_uri(user.totp_secret, user.email, _settings().clinic_name)
    page = {"form": form, "qr": mfa.qr_svg(uri), "secret": mfa.secret_groups(user.totp_secret), "forced": at_the_door}
    if request.method == "POST":
        if not form.validate_on_submit():
            return _invalid("auth/enrol.html", form, **page)
        if not attempts().take(CODES, f"code-account:{user.id}"):
            return _too_many("auth/enrol.html", _("Too many codes tried; wait a minute and try again."), **page)
        now = mfa.clock()
        if not mfa.verify_totp(db.session, user, _text(form.code), now):
            db.session.rollback()
            return render_template(
                "auth/enrol.html", error=_("That code is not right; check the phone's clock and try the next one."), **page
            ), 401
        attempts().clear(CODES, f"code-account:{user.id}")
        codes = mfa.enable(db.session, user, now)
        db.session.add(AuditEvent(at=utcnow(), actor=user.email, action="mfa-enrol", entity="user", entity_id=str(user.id)))
        db.session.commit()
        if at_the_door:
            _sign_in(user, "totp")
        return render_template("auth/recovery_codes.html", codes=codes)
    return render_template("auth/enrol.html", error=None, **page)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    user = db.session.get_one(User, int(current_user.id))  # login_required: the user exists
    form = PasswordChangeForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _invalid("auth/password.html", form)
        if not attempts().take(SIGN_IN, f"login-address:{request.remote_addr}", f"login-account:{user.email}"):
            return _too_many("auth/password.html", _("Too many attempts; wait a minute and try again."), form=form)
        if not check_password(user, _text(form.current)):
            return render_template("auth/password.html", form=form, error=_("The current password is not right.")), 401
        if _text(form.new) != _text(form.confirm):
            return render_template("auth/password.html", form=form, error=_("The two new passwords differ.")), 400
        try:
            set_password(user, _text(form.new))
        except WeakPassword as exc:
            return render_template("auth/password.html", form=form, error=_("New password: %(problem)s.", problem=exc)), 400
        db.session.add(AuditEvent(at=utcnow(), actor=user.email, action="password", entity="user", entity_id=str(user.id)))
        db.session.commit()
        _new_session(user)  # this browser stays signed in with the new version; every other session ends
        return render_template("auth/password.html", form=CsrfOnlyForm(), error=None, done=True)
    return render_template("auth/password.html", form=form, error=None)


@bp.route("/account/language", methods=["POST"])
@login_required
def choose_language() -> ResponseReturnValue:
    """The panel's language for this user, kept on their account so it follows them to any computer."""
    form = CsrfOnlyForm()
    language = request.form.get("language", "")
    back = redirect(safe_next(request.form.get("next")) or url_for("admin.index"))
    if not form.validate_on_submit() or language not in PANEL_LANGUAGES:
        return back
    user = db.session.get_one(User, int(current_user.id))
    user.language = language
    db.session.commit()
    return back


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> ResponseReturnValue:
    form = CsrfOnlyForm()
    if request.method == "GET":  # a link or an <img> cannot sign anyone out; a button can
        return render_template("auth/logout.html", form=form)
    if not form.validate_on_submit():
        return render_template("auth/logout.html", form=form, error=_("The form expired; please press the button again.")), 400
    if current_user.is_authenticated:
        user = db.session.get(User, int(current_user.id))
        if user is not None:
            user.session_version = (user.session_version or 0) + 1  # every copy of every cookie of this user is dead
            db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def _load_user(user_id: str) -> StaffUser | None:
    """The session's user, if still active and the session is not older than the last sign-out or password change."""
    uid, _, version = user_id.partition(":")
    if not (uid.isdigit() and version.isdigit()):
        return None  # a session from before session versions: signed out
    user = db.session.get(User, int(uid))
    if user is None or not user.active or (user.session_version or 0) != int(version):
        return None
    return StaffUser(user)


def init_auth(app: Flask) -> None:
    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.login_message = _l("Please sign in to use the clinic panel.")
    manager.session_protection = "strong"
    manager.user_loader(_load_user)
    manager.init_app(app)
    init_limits(app, get_settings(app).ratelimit_storage_uri)
    # The panel's sign-out button posts it. Not named csrf_token: Flask-Admin's forms would then carry two tokens.
    app.jinja_env.globals["signout_csrf_token"] = generate_csrf
    app.register_blueprint(bp)
