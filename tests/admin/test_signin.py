"""Issue 12, sign-in: limits that parallel guesses cannot race, per real client behind a proxy, no timing oracle for
unknown accounts, sessions that end everywhere, a second factor, and no common passwords."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from typing import Any

import pyotp
import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

import admin.passwords
from admin import mfa
from admin.auth import create_user
from service import create_app
from service.extensions import db
from service.models import AuditEvent, RecoveryCode, User
from service.settings import Settings
from service.timeutil import utcnow
from tests.admin.conftest import ADMIN, STAFF, csrf_token, sign_in

# The TOTP clock the tests hand the server (mfa.clock): this hour, 10 s into its first 30-s step. Never a calendar date,
# since the rest of sign-in (attempt limits, the half-signed-in step) reads the real clock.
T = datetime.now(UTC).replace(minute=0, second=10, microsecond=0)


# --- helpers ------------------------------------------------------------------------------------------------------


def post_with_token(client: Any, page: str, data: dict[str, str], url: str | None = None, **kwargs: Any) -> Any:
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url or page, data={**data, "csrf_token": token}, **kwargs)


def copy_session(source: Any, target: Any) -> None:
    """What a thief of the cookie holds: the same cookie in another client."""
    target.set_cookie("session", source.get_cookie("session").value)


def serve(app: Any) -> tuple[Any, str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def parallel_guesses(base_urls: list[str], email: str, n: int) -> list[int]:
    """n browsers each load the login page, then all post a wrong password at the same moment."""
    import requests

    sessions, tokens = [], []
    for i in range(n):
        s = requests.Session()
        tokens.append(csrf_token(s.get(base_urls[i % len(base_urls)] + "/login", timeout=10).text))
        sessions.append(s)
    barrier, codes = threading.Barrier(n), [0] * n

    def guess(i: int) -> None:
        barrier.wait()
        codes[i] = (
            sessions[i]
            .post(
                base_urls[i % len(base_urls)] + "/login",
                timeout=60,
                allow_redirects=False,
                data={"email": email, "password": f"wrong guess {i}", "csrf_token": tokens[i]},
            )
            .status_code
        )

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


@pytest.fixture
def other_app(settings: Settings) -> Any:
    """Another app on the same database, with other settings."""
    made = []

    def make(**overrides: Any) -> Any:
        made.append(create_app(settings.with_overrides(**overrides)))
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- the failed-login limit cannot be raced -------------------------------------------------------------------------


def test_parallel_wrong_passwords_get_at_most_ten_answers_before_429(app):
    server, url = serve(app)
    try:
        codes = parallel_guesses([url], ADMIN[0], 24)
    finally:
        server.shutdown()
    assert sorted(set(codes)) == [401, 429]
    assert sum(code != 429 for code in codes) <= 10


def _redis_or_skip(n: int) -> str:
    import redis

    uri = f"redis://127.0.0.1:6379/{n}"
    try:
        redis.Redis.from_url(uri, socket_connect_timeout=1).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return uri


def test_on_redis_the_limit_holds_across_two_app_instances(app, other_app):
    uri = _redis_or_skip(11)
    first, second = other_app(ratelimit_storage_uri=uri), other_app(ratelimit_storage_uri=uri)
    servers = [serve(first), serve(second)]
    try:
        codes = parallel_guesses([url for _, url in servers], ADMIN[0], 24)
    finally:
        for server, _ in servers:
            server.shutdown()
    assert sorted(set(codes)) == [401, 429]
    assert sum(code != 429 for code in codes) <= 10


# --- behind a proxy, each client has its own address ---------------------------------------------------------------


def test_behind_a_proxy_one_clients_failures_do_not_lock_another_out(other_app):
    proxied = other_app(proxy_hops=1)
    attacker, colleague = proxied.test_client(), proxied.test_client()
    for _ in range(10):
        assert sign_in(attacker, ADMIN[0], "guess", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 401
    assert sign_in(attacker, ADMIN[0], "guess", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert sign_in(colleague, *STAFF, HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 302


def test_without_proxy_hops_a_forged_forwarded_for_does_not_dodge_the_limit(client):
    for n in range(10):
        assert sign_in(client, STAFF[0], "guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 401
    assert sign_in(client, ADMIN[0], "guess", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429


def test_proxy_hops_is_read_from_the_environment_and_documented():
    base = {"RECALL_ENV": "test", "SECRET_KEY": "x" * 20}
    assert Settings.from_env(base).proxy_hops == 0
    assert Settings.from_env({**base, "PROXY_HOPS": "1"}).proxy_hops == 1
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    assert "PROXY_HOPS" in (root / "docs" / "deploy.md").read_text() and "PROXY_HOPS" in (root / "README.md").read_text()


# --- no timing oracle for unknown or inactive accounts --------------------------------------------------------------


class CountingHasher:
    def __init__(self, real: Any) -> None:
        self.real, self.verified = real, 0

    def verify(self, hash_: str, password: str) -> bool:
        self.verified += 1
        return bool(self.real.verify(hash_, password))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_an_unknown_or_inactive_account_costs_an_argon2_verification_like_a_known_one(app, client, monkeypatch):
    counting = CountingHasher(admin.passwords.hasher)
    monkeypatch.setattr(admin.passwords, "hasher", counting)
    with app.app_context():
        db.session.execute(select(User).where(User.email == STAFF[0])).scalar_one().active = False
        db.session.commit()
    for email in ("nobody@clinique.test", STAFF[0], ADMIN[0]):
        before = counting.verified
        response = sign_in(client, email, "wrong password here")
        assert response.status_code == 401 and b"Wrong email or password." in response.data
        assert counting.verified == before + 1, email
    assert sign_in(client, STAFF[0], STAFF[1]).status_code == 401  # inactive: even the right password


# --- sessions ------------------------------------------------------------------------------------------------------


def test_signing_in_starts_a_new_session_so_the_old_csrf_token_is_dead(client):
    before = csrf_token(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": STAFF[0], "password": STAFF[1], "csrf_token": before}).status_code == 302
    after = csrf_token(client.get("/logout").get_data(as_text=True))
    assert after != before
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert client.get("/admin/").status_code == 200
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302


def test_logout_by_get_only_shows_a_button_and_a_post_needs_its_csrf_token(staff):
    page = staff.get("/logout")
    assert page.status_code == 200 and b'method="post"' in page.data and b"Sign out</button>" in page.data
    assert staff.get("/admin/").status_code == 200
    assert staff.post("/logout").status_code == 400
    assert staff.get("/admin/").status_code == 200
    assert post_with_token(staff, "/logout", {}).headers["Location"] == "/login"
    assert staff.get("/admin/").status_code == 302


def test_the_panels_sign_out_button_posts_a_valid_csrf_token(staff):
    html = staff.get("/admin/").get_data(as_text=True)
    form = html[html.index('action="/logout"') :]
    token = re.search(r'value="([^"]+)" name="csrf_token"', form).group(1)
    # Flask-Admin adds a token of its own to its forms when a `csrf_token` global exists: a form must carry one only.
    assert staff.get("/admin/patient/new/").get_data(as_text=True).count('name="csrf_token"') == 2  # the form's, sign-out's
    assert staff.post("/logout", data={"csrf_token": token}).status_code == 302
    assert staff.get("/admin/").status_code == 302


def test_a_cookie_captured_before_logout_no_longer_opens_the_panel(app, staff):
    thief = app.test_client()
    copy_session(staff, thief)
    assert thief.get("/admin/").status_code == 200
    post_with_token(staff, "/logout", {})
    assert thief.get("/admin/").status_code == 302


def test_a_cookie_captured_before_a_password_change_no_longer_opens_the_panel(app, staff):
    thief = app.test_client()
    copy_session(staff, thief)
    response = post_with_token(
        staff, "/account/password", {"current": STAFF[1], "new": "a new long passphrase", "confirm": "a new long passphrase"}
    )
    assert response.status_code == 200 and b"Your password is changed" in response.data
    assert staff.get("/admin/").status_code == 200  # this browser stays signed in
    assert thief.get("/admin/").status_code == 302
    fresh = app.test_client()
    assert sign_in(fresh, STAFF[0], STAFF[1]).status_code == 401
    assert sign_in(fresh, STAFF[0], "a new long passphrase").status_code == 302


def test_a_cookie_captured_before_the_cli_sets_a_password_no_longer_opens_the_panel(app, staff):
    thief = app.test_client()
    copy_session(staff, thief)
    result = app.test_cli_runner().invoke(args=["users", "set-password", STAFF[0], "--password", "another long passphrase"])
    assert result.exit_code == 0, result.output
    assert thief.get("/admin/").status_code == 302 and staff.get("/admin/").status_code == 302


def test_a_cookie_captured_before_deactivation_no_longer_opens_the_panel(app, client, admin_client):
    desk = app.test_client()
    assert sign_in(desk, *STAFF).status_code == 302
    with app.app_context():
        staff_id = db.session.execute(select(User.id).where(User.email == STAFF[0])).scalar_one()
    edit = f"/admin/user/edit/?id={staff_id}"
    response = post_with_token(admin_client, edit, {"email": STAFF[0], "role": "staff"})  # "active" unchecked
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, staff_id).active is False
        db.session.get(User, staff_id).active = True  # even re-activated, the old cookie stays dead
        db.session.commit()
    assert desk.get("/admin/").status_code == 302


def test_the_users_details_page_shows_no_password_hash_or_totp_secret(app, admin_client):
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == STAFF[0])).scalar_one()
        user.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        db.session.commit()
        staff_id = user.id
    page = admin_client.get(f"/admin/user/details/?id={staff_id}").get_data(as_text=True)
    assert STAFF[0] in page and "$argon2" not in page and "JBSWY3DP" not in page


# --- the second factor ---------------------------------------------------------------------------------------------


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The server's clock, set by the test: TOTP codes never straddle a 30-s boundary by accident."""
    now = {"at": T}
    monkeypatch.setattr(mfa, "clock", lambda: now["at"])
    return now


def enrol(client: Any, app: Any, email: str, at: datetime) -> tuple[str, list[str]]:
    page = client.get("/account/mfa")
    assert page.status_code == 200 and b"<svg" in page.data
    with app.app_context():
        secret = db.session.execute(select(User.totp_secret).where(User.email == email)).scalar_one()
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page.get_data(as_text=True)
    token = csrf_token(page.get_data(as_text=True))
    done = client.post("/account/mfa", data={"code": pyotp.TOTP(secret).at(at), "csrf_token": token})
    assert done.status_code == 200, done.data
    return secret, re.findall(r'<li class="col-6 py-1">([^<]+)</li>', done.get_data(as_text=True))


def code_step(client: Any, code: str) -> Any:
    return post_with_token(client, "/login/code", {"code": code})


def test_enrolment_shows_a_qr_code_then_ten_recovery_codes_stored_only_as_digests(app, staff, frozen):
    _, codes = enrol(staff, app, STAFF[0], T)
    assert len(codes) == 10 and len(set(codes)) == 10 and all(len(c) == 19 for c in codes)
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == STAFF[0])).scalar_one()
        assert user.totp_enabled_at is not None
        digests = db.session.execute(select(RecoveryCode.digest).where(RecoveryCode.user_id == user.id)).scalars().all()
        assert len(digests) == 10 and not {c.replace("-", "") for c in codes} & set(digests)
        assert db.session.execute(select(AuditEvent.action).where(AuditEvent.action == "mfa-enrol")).scalar_one()
    assert b"Two-factor sign-in is on" in staff.get("/account/mfa").data  # the codes are never shown again


def test_a_wrong_code_does_not_turn_the_second_factor_on(app, staff, frozen):
    page = staff.get("/account/mfa").get_data(as_text=True)
    assert staff.post("/account/mfa", data={"code": "000000", "csrf_token": csrf_token(page)}).status_code == 401
    with app.app_context():
        assert db.session.execute(select(User.totp_enabled_at).where(User.email == STAFF[0])).scalar_one() is None


def test_with_totp_a_password_alone_does_not_open_the_panel_and_a_code_works_once(app, staff, frozen):
    secret, _ = enrol(staff, app, STAFF[0], T)
    post_with_token(staff, "/logout", {})
    response = sign_in(staff, *STAFF)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login/code")
    assert staff.get("/admin/").status_code == 302  # half signed in is not signed in
    frozen["at"] = T.replace(second=40)  # the next step: the enrolment's code is spent
    code = pyotp.TOTP(secret).at(frozen["at"])
    assert code_step(staff, "123456" if code != "123456" else "654321").status_code == 401
    assert code_step(staff, code).headers["Location"] == "/admin/"
    assert staff.get("/admin/").status_code == 200
    post_with_token(staff, "/logout", {})
    sign_in(staff, *STAFF)
    assert code_step(staff, code).status_code == 401  # the same code, replayed in its window
    frozen["at"] = T.replace(second=59)  # phone clocks drift: the previous step is still fine
    assert code_step(staff, pyotp.TOTP(secret).at(T.replace(second=40))).status_code == 401  # but not twice
    assert code_step(staff, pyotp.TOTP(secret).at(T.replace(minute=1, second=5))).status_code == 302  # nor the next one


def test_each_recovery_code_signs_in_once(app, staff, frozen):
    _, codes = enrol(staff, app, STAFF[0], T)
    post_with_token(staff, "/logout", {})
    sign_in(staff, *STAFF)
    assert code_step(staff, codes[3].upper()).headers["Location"] == "/admin/"
    post_with_token(staff, "/logout", {})
    sign_in(staff, *STAFF)
    assert code_step(staff, codes[3]).status_code == 401
    assert code_step(staff, codes[4]).status_code == 302


def test_code_attempts_are_limited_before_they_are_checked(app, staff, frozen):
    secret, _ = enrol(staff, app, STAFF[0], T)
    post_with_token(staff, "/logout", {})
    sign_in(staff, *STAFF)
    frozen["at"] = T.replace(second=45)
    right = pyotp.TOTP(secret).at(frozen["at"])
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    for _ in range(5):
        assert code_step(staff, wrong).status_code == 401
    assert code_step(staff, right).status_code == 429
    assert staff.get("/admin/").status_code == 302


def test_admins_must_enrol_before_reaching_the_panel_when_required(other_app, frozen):
    app = other_app(require_admin_mfa=True)
    owner = app.test_client()
    response = sign_in(owner, *ADMIN)
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/mfa")
    assert owner.get("/admin/").status_code == 302
    enrol(owner, app, ADMIN[0], T)
    assert owner.get("/admin/").status_code == 200
    desk = app.test_client()
    assert sign_in(desk, *STAFF).headers["Location"] == "/admin/"  # staff are not forced


def test_admin_mfa_is_required_by_default_in_production_only():
    base = {"SECRET_KEY": "a-long-random-production-key", "CLINIC_PHONE": "+33142868200"}
    assert Settings.from_env({**base, "RECALL_ENV": "production"}).admin_mfa_required is True
    assert Settings.from_env({**base, "RECALL_ENV": "development"}).admin_mfa_required is False
    assert Settings.from_env({**base, "RECALL_ENV": "production", "REQUIRE_ADMIN_MFA": "false"}).admin_mfa_required is False
    assert Settings(environment="production").admin_mfa_required and not Settings(environment="test").admin_mfa_required


def test_reset_mfa_for_a_lost_phone_clears_it_ends_sessions_and_is_audited(app, staff, frozen):
    enrol(staff, app, STAFF[0], T)
    result = app.test_cli_runner().invoke(args=["users", "reset-mfa", STAFF[0]])
    assert result.exit_code == 0, result.output
    assert staff.get("/admin/").status_code == 302
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == STAFF[0])).scalar_one()
        assert (user.totp_secret, user.totp_enabled_at) == (None, None)
        assert db.session.execute(select(func.count()).select_from(RecoveryCode)).scalar_one() == 0
        assert db.session.execute(select(AuditEvent.actor).where(AuditEvent.action == "mfa-reset")).scalar_one().startswith("cli")
    assert sign_in(staff, *STAFF).headers["Location"] == "/admin/"
    unknown = app.test_cli_runner().invoke(args=["users", "reset-mfa", "nobody@clinique.test"])
    assert unknown.exit_code != 0 and "no user" in unknown.output


# --- passwords -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["qwerty123456", "1q2w3e4r5t6y", "QWERTY123456"])
def test_common_passwords_are_refused_everywhere_a_password_is_set(app, staff, password):
    with app.app_context(), pytest.raises(ValueError, match="most common"):
        create_user("new@clinique.test", password, "staff", utcnow())
    result = app.test_cli_runner().invoke(args=["users", "create", "new@clinique.test", "--password", password])
    assert result.exit_code != 0 and "most common" in result.output
    result = app.test_cli_runner().invoke(args=["users", "set-password", STAFF[0], "--password", password])
    assert result.exit_code != 0 and "most common" in result.output
    response = post_with_token(staff, "/account/password", {"current": STAFF[1], "new": password, "confirm": password})
    assert response.status_code == 400 and b"most common" in response.data
    assert sign_in(app.test_client(), *STAFF).status_code == 302  # the old password still works


def test_short_passwords_are_refused_on_the_password_page(staff):
    response = post_with_token(staff, "/account/password", {"current": STAFF[1], "new": "short one", "confirm": "short one"})
    assert response.status_code == 400 and b"at least 12 characters" in response.data
