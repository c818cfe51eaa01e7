"""Only signed-in staff reach the panel; admins alone reach settings; forms need their CSRF token; guessing is slowed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import AuditEvent, Patient
from tests.admin.conftest import ADMIN, STAFF, csrf_token, sign_in

PAGES = [
    "/admin/",
    "/admin/patient/",
    "/admin/appointment/",
    "/admin/reminder/",
    "/admin/inboundmessage/",
    "/admin/patient_import/",
    "/admin/course/",
]
ADMIN_PAGES = [
    "/admin/messagetemplate/",
    "/admin/reminderrule/",
    "/admin/tip/",
    "/admin/user/",
    "/admin/auditevent/",
    "/admin/webhookevent/",
]


@pytest.mark.parametrize("path", PAGES + ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", PAGES)
def test_staff_reach_the_daily_pages(staff, path):
    assert staff.get(path).status_code == 200


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_staff_are_refused_the_settings_that_admins_manage(staff, path):
    assert staff.get(path).status_code == 403


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admins_reach_the_settings(admin_client, path):
    assert admin_client.get(path).status_code == 200


def test_a_wrong_password_is_refused_in_words_and_signing_in_is_audited(app, client):
    response = sign_in(client, STAFF[0], "not the password")
    assert response.status_code == 401 and b"Wrong email or password." in response.data
    assert client.get("/admin/").status_code == 302
    assert sign_in(client, *STAFF).headers["Location"] == "/admin/"
    with app.app_context():
        assert db.session.execute(select(AuditEvent.action, AuditEvent.actor)).one() == ("login", STAFF[0])


def test_a_login_without_its_csrf_token_is_refused(client):
    response = client.post("/login", data={"email": STAFF[0], "password": STAFF[1]})
    assert response.status_code == 400 and b"expired or was not sent from this page" in response.data
    assert client.get("/admin/").status_code == 302


def test_an_admin_form_posted_without_its_csrf_token_saves_nothing(app, staff):
    staff.post("/admin/patient/new/", data={"first_name": "Forged", "phone": "0612345678", "language": "fr"})
    with app.app_context():
        assert db.session.execute(select(Patient)).first() is None
    token = csrf_token(staff.get("/admin/patient/new/").get_data(as_text=True))
    staff.post(
        "/admin/patient/new/",
        data={"first_name": "Real", "phone": "0612345678", "language": "fr", "timezone": "", "csrf_token": token},
    )
    with app.app_context():
        assert db.session.execute(select(Patient.first_name)).scalar_one() == "Real"


def test_more_than_ten_failed_logins_a_minute_from_one_address_answer_429(client):
    for _ in range(10):
        assert sign_in(client, STAFF[0], "guess").status_code == 401
    assert sign_in(client, STAFF[0], "guess").status_code == 429
    assert sign_in(client, *STAFF).status_code == 429  # even the right password waits out the minute


def test_more_than_ten_failed_logins_a_minute_on_one_account_answer_429_from_any_address(client):
    for n in range(10):
        assert sign_in(client, ADMIN[0], "guess", REMOTE_ADDR=f"203.0.113.{n}").status_code == 401
    assert sign_in(client, ADMIN[0], "guess", REMOTE_ADDR="198.51.100.7").status_code == 429
    assert sign_in(client, *STAFF, REMOTE_ADDR="198.51.100.8").status_code == 302  # other accounts are not locked out


def test_sessions_are_httponly_samesite_and_pages_carry_security_headers(client):
    response = sign_in(client, *STAFF)
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # this test app runs as "test"; production adds Secure (checked below)
    page = client.get("/admin/")
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"


def test_signing_out_ends_the_session(staff):
    token = csrf_token(staff.get("/logout").get_data(as_text=True))
    assert staff.post("/logout", data={"csrf_token": token}).status_code == 302
    assert staff.get("/admin/").status_code == 302


def test_users_are_created_from_the_command_line_with_a_hashed_password(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "nurse@clinique.test", "--role", "staff", "--password", "a long enough password"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        from service.models import User

        user = db.session.execute(select(User).where(User.email == "nurse@clinique.test")).scalar_one()
        assert user.password_hash.startswith("$argon2id$") and "a long enough password" not in user.password_hash
    short = app.test_cli_runner().invoke(args=["users", "create", "x@clinique.test", "--password", "short"])
    assert short.exit_code != 0 and "at least 12 characters" in short.output


def test_production_cookies_are_secure(settings):
    from service import create_app

    app = create_app(settings.with_overrides(environment="production"))
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
