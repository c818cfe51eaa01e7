"""Who may use the panel: Flask-Login sessions, Argon2id passwords, a CSRF-protected login that slows guessing down.

Failed logins are limited per address and per account (more than 10 a minute
answers 429), so neither one IP nor a botnet against one account can guess freely.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from service.extensions import db, limiter
from service.models import AuditEvent, User
from service.timeutil import utcnow

from .redirects import safe_next

bp = Blueprint("auth", __name__, template_folder="templates")
log = logging.getLogger(__name__)
hasher = PasswordHasher()  # Argon2id with the library's current parameters
FAILED_LOGINS_PER_MINUTE = "10 per minute"
ROLES = ("admin", "staff")


class StaffUser(UserMixin):
    """What Flask-Login keeps in the session: the id and role, never the password hash."""

    def __init__(self, user: User) -> None:
        self.id = str(user.id)
        self.email = user.email
        self.role = user.role

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(message="Enter the email address you sign in with.")])
    password = PasswordField("Password", validators=[DataRequired()])


def hash_password(password: str) -> str:
    return hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def create_user(email: str, password: str, role: str, now: datetime) -> User:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 12:
        raise ValueError("the password must be at least 12 characters long")
    normalised = email.strip().lower()
    if db.session.execute(select(User.id).where(func.lower(User.email) == normalised)).first():
        raise ValueError(f"a user with the email {normalised} already exists")
    user = User(email=normalised, password_hash=hash_password(password), role=role, active=True, created_at=now)
    db.session.add(user)
    return user


def _account_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()


def _failed(response: Any) -> bool:
    return bool(response.status_code == 401)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(FAILED_LOGINS_PER_MINUTE, methods=["POST"], deduct_when=_failed, scope="login-address",
               error_message="Too many failed sign-ins from this address; wait a minute and try again.")
@limiter.limit(FAILED_LOGINS_PER_MINUTE, methods=["POST"], deduct_when=_failed, key_func=_account_key,
               scope="login-account", error_message="Too many failed sign-ins for this account; wait a minute.")
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("auth/login.html", form=form, error=_form_error(form)), 400 if form.csrf_token.errors else 401
        email = form.email.data.strip().lower()
        user = db.session.execute(select(User).where(func.lower(User.email) == email)).scalar_one_or_none()
        if user is None or not user.active or not check_password(user, form.password.data):
            log.info("failed sign-in")
            return render_template("auth/login.html", form=form, error="Wrong email or password."), 401
        user.last_login_at = utcnow()
        db.session.add(AuditEvent(at=utcnow(), actor=user.email, action="login", entity="user", entity_id=str(user.id)))
        db.session.commit()
        login_user(StaffUser(user))
        target = request.args.get("next") or ""
        # Only local paths: an open redirect after login is a phishing tool.
        return redirect(safe_next(target) or url_for("admin.index"))
    return render_template("auth/login.html", form=form, error=None)


def _form_error(form: LoginForm) -> str:
    if form.csrf_token.errors:
        return "The form expired or was not sent from this page; please try again."
    for field in (form.email, form.password):
        if field.errors:
            return f"{field.label.text}: {field.errors[0]}"
    return "Please fill in both fields."


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> ResponseReturnValue:
    logout_user()
    return redirect(url_for("auth.login"))


def init_auth(app: Flask) -> None:
    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.login_message = "Please sign in to use the clinic panel."
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(user_id: str) -> StaffUser | None:
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return StaffUser(user) if user is not None and user.active else None

    manager.init_app(app)
    app.register_blueprint(bp)
