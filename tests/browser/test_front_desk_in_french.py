"""A French front desk's day in a real browser: sign in, book a new patient, read the confirmation on the timeline,
move the session and read the change notice, cancel it, and find the patient's messages in the outbox by name.

Playwright drives Debian's Chromium against a live server on 127.0.0.1 whose clinic speaks French. The server's
clock is moved (time-machine, ticking) to 10:00 tomorrow in Paris, so messages fall inside the allowed hours
whatever hour the suite runs at; the browser's own clock is not involved. With RECALL_SCREENSHOTS_DIR set
(make screenshots), the French screenshots refresh docs/screenshots.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from babel.dates import format_skeleton, format_time

from admin.auth import create_user
from service import create_app
from service.extensions import db
from service.timeutil import utcnow
from tests.browser.chromium import CHROMIUM, chromium_page, served
from tests.browser.test_panel_in_chromium import no_csp_violation, shoot
from tests.conftest import make_settings
from tests.helpers import PARIS, local_day

DESK = ("accueil@clinique.test", "cheval correct batterie agrafe")
OWNER = ("direction@clinique.test", "agrafe batterie cheval correct")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed here: the browser test cannot run"),
]


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A French clinic (CLINIC_LANGUAGE=fr), a staff account, the demo's patients, at 10:00 tomorrow in Paris."""
    with time_machine.travel(local_day(PARIS, 1, 10, 0), tick=True):
        app = create_app(
            make_settings(f"sqlite:///{tmp_path / 'desk.sqlite3'}", clinic_language="fr", sms_rate_per_second=1000.0)
        )
        with app.app_context():
            from service.content.seed import seed_tips
            from service.demo import seed_demo

            db.create_all()
            seed_tips(db.session)
            create_user(*DESK, role="staff", now=utcnow())
            create_user(*OWNER, role="admin", now=utcnow())
            db.session.commit()
            seed_demo(utcnow())
        with served(app) as base_url:
            yield base_url, app


@pytest.fixture
def browser_page(clinic: tuple[str, Any]) -> Iterator[Any]:
    with chromium_page(clinic[0], locale="fr-FR", viewport={"width": 1280, "height": 900}) as page:
        yield page


def send_due(app: Any) -> None:
    """The scheduler's next run, five minutes on: past the confirmation debounce, messages go out (console)."""
    from service.ticker import tick

    with app.app_context():
        tick(utcnow() + timedelta(minutes=5))


def said(moment: Any) -> str:
    """The time of day as French messages and pages say it ("16:45"), from Babel, not hard-coded."""
    return format_time(moment, "short", tzinfo=PARIS, locale="fr")


def test_a_french_front_desk_books_moves_and_cancels_a_session_and_reads_every_message(browser_page, clinic, tmp_path):
    from playwright.sync_api import expect

    page, (_, app) = browser_page, clinic
    page.goto("/")
    page.wait_for_url("**/login**")
    expect(page.locator("button[type=submit]")).to_have_text("Se connecter")
    page.fill("#email", DESK[0])
    page.fill("#password", DESK[1])
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")
    expect(page.locator("h1")).to_contain_text("Aujourd'hui à Clinique Lumière")
    no_csp_violation(page)
    shoot(page, "dashboard.png", tmp_path)

    # Book a session for a new patient, three days ahead at 16:45 (the patient's, and the clinic's, time).
    starts = local_day(PARIS, 3, 16, 45)
    page.goto("/admin/booking/")
    page.click("#new-patient")
    page.fill("#first_name", "Margaux")
    page.fill("#last_name", "Lefèvre")
    page.fill("#phone", "06 71 72 73 74")
    page.fill("#date", starts.astimezone(PARIS).date().isoformat())
    page.fill("#time", "16:45")
    page.fill("#area", "cuisses")
    shoot(page, "booking.png", tmp_path)
    page.click("#submit")
    expect(page.locator(".alert")).to_contain_text("Séance réservée")
    no_csp_violation(page)

    send_due(app)
    page.goto("/admin/patient/")
    page.locator("tr", has_text="Lefèvre").locator("a[title]").first.click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Confirmation de réservation")
    expect(timeline).to_contain_text("Clinique Lumière : ")  # the confirmation's own text, in French
    expect(timeline).to_contain_text(said(starts))
    expect(timeline).to_contain_text(format_skeleton("yMMMEd", starts, tzinfo=PARIS, locale="fr"))  # the session
    expect(page.locator("body")).to_contain_text("06 71 72 73 74")
    no_csp_violation(page)
    shoot(page, "patient.png", tmp_path)

    # Move it to 18:15 the same day: the change notice gives the new time.
    page.goto("/admin/appointment/")
    page.locator("tr", has_text="Lefèvre").locator(".move-session").first.click()
    page.fill("#time", "18:15")
    page.click("#submit")
    expect(page.locator(".alert")).to_contain_text("Séance déplacée")
    send_due(app)
    page.goto("/admin/patient/")
    page.locator("tr", has_text="Lefèvre").locator("a[title]").first.click()
    moved = local_day(PARIS, 3, 18, 15)
    notice = page.locator("#timeline tr", has_text="Avis de changement")
    expect(notice.first).to_contain_text("déplacé au")
    expect(notice.first).to_contain_text(said(moved))

    # Cancel it: the cancellation notice follows.
    page.goto("/admin/appointment/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("tr", has_text="Lefèvre").locator(".cancel-session").first.click()
    expect(page.locator(".alert")).to_contain_text("Séance annulée")
    send_due(app)

    # The outbox finds her messages by her name, in words, soonest first.
    page.goto("/admin/reminder/")
    page.fill("input[name=search]", "Lefèvre")
    page.keyboard.press("Enter")
    page.wait_for_url("**search=**")
    rows = page.locator("table.model-list tbody tr")
    expect(rows.filter(has_text="Confirmation de réservation")).to_have_count(1)
    expect(rows.filter(has_text="Avis de changement")).to_have_count(1)
    expect(rows.filter(has_text="Avis d'annulation")).to_have_count(1)
    assert rows.filter(has_text="Camille").count() == 0  # only hers
    no_csp_violation(page)
    shoot(page, "outbox.png", tmp_path)


def test_a_french_administrator_reads_the_shipped_templates_and_previews_one_in_french(browser_page, tmp_path):
    from playwright.sync_api import expect

    page = browser_page
    page.goto("/login")
    page.fill("#email", OWNER[0])
    page.fill("#password", OWNER[1])
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")
    page.goto("/admin/messagetemplate/")
    expect(page.locator("body")).to_contain_text("Confirmation de réservation")
    expect(page.locator("body")).to_contain_text("D'origine")
    shoot(page, "templates.png", tmp_path)
    page.goto("/admin/messagetemplate/new/")
    page.select_option("#language", "fr", force=True)  # select2 hides the native select
    page.fill("#body", "{{ clinic_name }} : à bientôt le {{ sessions_when }}. STOP pour ne plus recevoir de SMS")
    sample = local_day(PARIS, 3, 16, 45)  # the preview's sample session: three days ahead at 16:45
    expect(page.locator("#preview")).to_contain_text(format_skeleton("MMMMd", sample, tzinfo=PARIS, locale="fr"))
    expect(page.locator("#preview-meta")).to_contain_text("segment")
    no_csp_violation(page)
    shoot(page, "template-editor.png", tmp_path)
