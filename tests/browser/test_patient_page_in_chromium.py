"""The patient's page on a phone, 390 px wide, in Chromium: French and English, confirm then cancel, under the CSP.

RECALL_SCREENSHOTS_DIR (make screenshots) publishes the French page as docs/screenshots/patient-page-fr.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from service import create_app, links
from service.extensions import db
from service.models import Appointment, Patient
from service.runtime import get_settings
from tests.browser.chromium import CHROMIUM, chromium_page, served
from tests.browser.test_panel_in_chromium import no_csp_violation, shoot
from tests.conftest import make_settings
from tests.helpers import booking, paris, post_booking

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed here: the browser test cannot run"),
]
ADDRESS = "12 rue de la Paix, 75002 Paris"


def _course(number: int, starts: Any, **patient: Any) -> dict[str, Any]:
    body = booking(starts, event_id=f"evt-{patient['id']}-{number}", appointment_id=f"appt-{patient['id']}-{number}", **patient)
    body["appointment"]["area"] = "cuisses" if patient.get("language") == "fr" else "thighs"
    body["appointment"]["course"] = {"id": f"course-{patient['id']}", "sessions_planned": 6, "kind": "initial"}
    return body


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A clinic with two patients three sessions into a course of six, one reading French, one English."""
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'live.sqlite3'}", clinic_address=ADDRESS))
    client = app.test_client()
    paths: dict[str, str] = {}
    with app.app_context():
        from service.content.seed import seed_tips

        db.create_all()
        seed_tips(db.session)
        db.session.commit()
    for language, person in (
        ("fr", {"id": "pat-fr", "first_name": "Camille", "last_name": "Martin", "phone": "06 12 34 56 78", "language": "fr"}),
        ("en", {"id": "pat-en", "first_name": "Emma", "last_name": "Brown", "phone": "06 98 76 54 32", "language": "en"}),
    ):
        for number, days in enumerate((-14, -7, 5)):
            response = post_booking(client, _course(number, paris(days), **person))
            assert response.status_code == 200, response.get_json()
        with app.app_context():
            patient = db.session.execute(select(Patient).where(Patient.first_name == person["first_name"])).scalar_one()
            appointment = (
                db.session.execute(
                    select(Appointment).where(Appointment.patient_id == patient.id).order_by(Appointment.starts_at.desc())
                )
                .scalars()
                .first()
            )
            assert appointment is not None
            for past in patient.appointments:
                if past.id != appointment.id:
                    past.status = "completed"
            links.remember(appointment, get_settings())
            db.session.commit()
            paths[language] = links.manage_url(appointment.id, get_settings()).removeprefix(get_settings().public_base_url or "")
    with served(app) as base_url:
        yield base_url, paths


@pytest.fixture
def phone(live: tuple[str, dict[str, str]]) -> Iterator[Any]:
    with chromium_page(live[0], viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True) as page:
        outside: list[str] = []
        page.on("request", lambda r: r.url.startswith(live[0]) or outside.append(r.url))
        page.outside = outside
        yield page


def fits_the_screen(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone


@pytest.mark.parametrize(
    ("language", "progress", "confirm", "cancel", "yes_cancel"),
    [
        ("fr", "séance 3 sur 6", "Confirmer ma séance", "Annuler ma séance", "Oui, annuler ma séance"),
        ("en", "session 3 of 6", "Confirm my session", "Cancel my session", "Yes, cancel my session"),
    ],
)
def test_the_patient_confirms_then_cancels_on_a_phone(phone, live, tmp_path, language, progress, confirm, cancel, yes_cancel):
    from playwright.sync_api import expect

    page = phone
    page.goto(live[1][language])
    assert page.get_attribute("html", "lang") == language
    expect(page.locator(".session .what")).to_contain_text(progress)
    expect(page.locator("a.phone").first).to_have_attribute("href", "tel:+33142868200")
    expect(page.locator(".address")).to_have_text(ADDRESS)
    assert "Martin" not in page.content() and "Brown" not in page.content()
    fits_the_screen(page)
    no_csp_violation(page)
    shoot(page, f"patient-page-{language}.png", tmp_path, publish=language == "fr")

    page.get_by_role("button", name=confirm).click()
    expect(page.locator(".notice")).to_be_visible()
    expect(page.locator(".state.confirmed")).to_be_visible()
    expect(page.get_by_role("button", name=confirm)).to_have_count(0)
    no_csp_violation(page)

    page.locator("summary", has_text=cancel).click()
    page.fill("#reason", "Un empêchement" if language == "fr" else "Something came up")
    page.get_by_role("button", name=yes_cancel).click()
    expect(page.locator(".state.cancelled")).to_be_visible()
    expect(page.locator("form")).to_have_count(0)  # nothing left to do here but call or book again
    fits_the_screen(page)
    no_csp_violation(page)
    shoot(page, f"patient-page-cancelled-{language}.png", tmp_path, publish=False)
    assert page.outside == []  # no outside assets
