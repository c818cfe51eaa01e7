"""An admin's first sign-in in production mode, in Chromium: password, enrolment by QR code, recovery codes, then the
code step at the next sign-in. Screenshots of the three pages (RECALL_SCREENSHOTS_DIR keeps them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest
from sqlalchemy import select

from admin import mfa
from admin.auth import create_user
from service import create_app
from service.extensions import db
from service.models import User
from service.timeutil import utcnow
from tests.browser.chromium import CHROMIUM, served
from tests.browser.test_panel_in_chromium import page as page  # the fixture, with this module's live_server
from tests.browser.test_panel_in_chromium import shoot
from tests.conftest import make_settings

ADMIN = ("owner@clinique.test", "staple battery horse")
T = datetime.now(UTC).replace(minute=0, second=5, microsecond=0)  # this hour's first 30-s step; never a calendar date
SERVED: dict[str, Any] = {}

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed here")]


@pytest.fixture
def live_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(mfa, "clock", lambda: T)  # the server thread's clock: codes never straddle a 30-s step
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'live.sqlite3'}", require_admin_mfa=True))
    with app.app_context():
        db.create_all()
        create_user(*ADMIN, role="admin", now=utcnow())
        db.session.commit()
    SERVED["app"] = app
    with served(app) as base_url:
        yield base_url


def test_an_admin_enrols_by_qr_code_then_signs_in_with_a_code(page, live_server, tmp_path):
    page.goto("/admin/")
    page.fill("#email", ADMIN[0])
    page.fill("#password", ADMIN[1])
    shoot(page, "signin-login.png", tmp_path)
    page.click("button[type=submit]")
    page.wait_for_url("**/account/mfa**")
    assert page.locator("figure svg").is_visible()
    shoot(page, "signin-enrol.png", tmp_path)
    with SERVED["app"].app_context():
        secret = db.session.execute(select(User.totp_secret).where(User.email == ADMIN[0])).scalar_one()
    page.fill("#code", pyotp.TOTP(secret).at(T))
    page.click("button[type=submit]")
    page.wait_for_selector("text=Your recovery codes")
    assert page.locator("ul.text-monospace li").count() == 10
    shoot(page, "signin-recovery-codes.png", tmp_path)
    page.click("text=continue to the panel")
    page.wait_for_url("**/admin/")

    page.click("text=Sign out")
    page.wait_for_url("**/login")
    page.fill("#email", ADMIN[0])
    page.fill("#password", ADMIN[1])
    page.click("button[type=submit]")
    page.wait_for_url("**/login/code**")
    shoot(page, "signin-code.png", tmp_path)
    page.fill("#code", pyotp.TOTP(secret).at(T, counter_offset=1))  # the next step: the enrolment's code is spent
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")
    assert page.locator("text=Sign out").is_visible()
