"""The panel in a real browser: Playwright driving Debian's Chromium against a live server on 127.0.0.1.

Set RECALL_SCREENSHOTS_DIR (make screenshots does) to refresh docs/screenshots.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from admin.auth import create_user
from service import create_app
from service.extensions import db
from service.timeutil import utcnow
from tests.browser.chromium import CHROMIUM, chromium_page, served
from tests.conftest import make_settings

ADMIN = ("owner@clinique.test", "staple battery horse")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Chromium is not installed here and could not be (make test runs "
        "apt-get install chromium where it can): the browser test cannot run",
    ),
]


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'live.sqlite3'}", sms_rate_per_second=1000.0))
    with app.app_context():
        from service.content.seed import seed_tips
        from service.demo import seed_demo
        from service.ticker import tick

        db.create_all()
        seed_tips(db.session)
        create_user(*ADMIN, role="admin", now=utcnow())
        db.session.commit()
        seed_demo(utcnow())
        tick(utcnow() - timedelta(days=1))  # some history for the dashboard and the timeline
    with served(app) as base_url:
        yield base_url


@pytest.fixture
def page(live_server: str) -> Iterator[Any]:
    with chromium_page(live_server, viewport={"width": 1280, "height": 900}) as page:
        yield page


def shoot(page: Any, name: str, tmp_path: Path, *, publish: bool = True) -> None:
    """A full-page screenshot; with RECALL_SCREENSHOTS_DIR set, published there (the README's are the French ones)."""
    target = tmp_path / name
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000  # a real picture, not an empty page
    folder = os.environ.get("RECALL_SCREENSHOTS_DIR")
    if folder and publish:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(target, Path(folder) / name)


def no_csp_violation(page: Any) -> None:
    """The page ran under its CSP and the browser refused nothing: what the policy allows is all the page needs."""
    assert page.evaluate("window.__csp") == [], page.url
    assert page.csp_console == [], page.url


def test_sign_in_create_a_patient_and_edit_a_template_with_live_preview(page, tmp_path):
    from playwright.sync_api import expect

    page.goto("/admin/patient/")
    assert "/login" in page.url  # not signed in: sent to the login page
    page.fill("#email", ADMIN[0])
    page.fill("#password", ADMIN[1])
    no_csp_violation(page)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/patient/")
    no_csp_violation(page)
    page.goto("/admin/")
    assert page.locator("text=Today at Clinique Lumière").is_visible()
    no_csp_violation(page)
    shoot(page, "dashboard.png", tmp_path, publish=False)

    page.goto("/admin/patient/new/")
    page.fill("#first_name", "Jeanne")
    page.fill("#last_name", "Roux")
    page.fill("#phone", "06 55 44 33 22")
    page.click("input[type=submit][value='Save']")
    page.wait_for_url("**/admin/patient/")
    row = page.locator("tr", has_text="Roux")
    assert "06 55 44 33 22" in row.inner_text()  # typed any way, shown as the clinic dials it

    page.goto("/admin/patient/")
    page.locator("tr", has_text="Martin").locator("a[title='View Record']").first.click()
    page.wait_for_selector("#timeline")
    assert page.locator("#timeline").inner_text().strip()
    no_csp_violation(page)
    shoot(page, "patient.png", tmp_path, publish=False)

    page.goto("/admin/messagetemplate/new/")
    preview, meta, error = page.locator("#preview"), page.locator("#preview-meta"), page.locator("#preview-error")
    page.fill("#body", "{{ clinic_name }}: see you at {{ session_time }}. Reply STOP to opt out")
    expect(preview).to_contain_text("Clinique Lumière: see you at")  # (no eval: the page's CSP forbids it)
    expect(meta).to_contain_text("GSM-7 · 1 segment")
    page.fill("#body", "{{ clinic_name }} ✨ {{ session_time }}")
    expect(meta).to_contain_text("UCS-2")
    page.fill("#body", "{{ clinic_name }} {{ sesion_time }}")
    expect(error).to_contain_text("sesion_time")
    page.fill("#body", "{{ clinic_name }}: see you at {{ session_time }}. Reply STOP to opt out")
    expect(error).to_have_text("")
    expect(preview).to_contain_text("see you at")
    no_csp_violation(page)
    shoot(page, "template-editor.png", tmp_path, publish=False)


def test_filters_confirm_prompts_and_action_menus_work_under_the_csp(page):
    """The bits Flask-Admin drives with scripts and inline handlers: they must run, and nothing else inline."""
    from playwright.sync_api import expect

    page.goto("/login")
    page.fill("#email", ADMIN[0])
    page.fill("#password", ADMIN[1])
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")

    page.goto("/admin/patient/")
    assert page.locator("button[title='Delete Record']").count() == 0  # patients are erased, never deleted
    before = page.locator("table.filters tr").count()
    page.click("text=Add Filter")
    page.locator("a.filter", has_text="Language").first.click()
    expect(page.locator("table.filters tr")).to_have_count(before + 1)  # bs4_filters.js added a filter row
    assert page.url.endswith("/admin/patient/")  # the inline `return false;` kept the link from navigating
    no_csp_violation(page)

    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto("/admin/tip/")
    rows = page.locator("table.model-list tbody tr").count()
    page.locator("button[title='Delete Record']").first.click()
    assert dialogs == ["Are you sure you want to delete this record?"]  # the confirm ran; dismissed, nothing deleted
    page.goto("/admin/tip/")
    assert page.locator("table.model-list tbody tr").count() == rows
    no_csp_violation(page)

    page.goto("/admin/reminder/")
    page.locator("input.action-checkbox").first.check()
    page.click("text=With selected")
    page.locator("a", has_text="Cancel").first.click()
    assert dialogs[-1] == "Cancel the selected reminders? They will not be sent."
    no_csp_violation(page)
