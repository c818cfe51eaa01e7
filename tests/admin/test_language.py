"""The panel in the reader's language: each user's own choice, else the clinic's; dates and words follow it."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_skeleton, format_time
from sqlalchemy import select

from service import create_app
from service.demo import seed_demo
from service.extensions import db
from service.models import Appointment, User
from service.timeutil import utcnow
from tests.admin.conftest import STAFF, sign_in
from tests.conftest import make_settings


def csrf_token(html: str) -> str:
    """The top bar's token (sign-out and language buttons share one form)."""
    found = re.search(r'type="hidden" value="([^"]+)" name="csrf_token"', html)
    assert found, "no top-bar form in the page"
    return found.group(1)


def set_language(app, email: str, language: str | None) -> None:
    with app.app_context():
        db.session.execute(select(User).where(User.email == email)).scalar_one().language = language
        db.session.commit()


def test_a_user_who_chose_french_reads_the_panel_and_flask_admin_in_french(app, staff):
    set_language(app, STAFF[0], "fr")
    page = staff.get("/admin/patient/").get_data(as_text=True)
    assert "Tous les patients" in page and "Prénom" in page and "Nom" in page  # Recall's strings
    assert "Il n&#39;y a aucun élément dans le tableau." in page and "Créer" in page  # Flask-Admin's own
    assert "All patients" not in page and "There are no items" not in page


def test_the_language_switch_is_kept_on_the_account(app, staff):
    page = staff.get("/admin/patient/").get_data(as_text=True)
    assert "All patients" in page
    answer = staff.post("/account/language", data={"language": "fr", "next": "/admin/patient/", "csrf_token": csrf_token(page)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/patient/")
    assert "Tous les patients" in staff.get("/admin/patient/").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(User.language).where(User.email == STAFF[0])).scalar_one() == "fr"


def test_the_language_switch_needs_the_forms_token_and_a_language_recall_has(app, staff):
    page = staff.get("/admin/patient/").get_data(as_text=True)
    staff.post("/account/language", data={"language": "fr"})  # no CSRF token: a forged post
    staff.post("/account/language", data={"language": "xx", "csrf_token": csrf_token(page)})
    with app.app_context():
        assert db.session.execute(select(User.language).where(User.email == STAFF[0])).scalar_one() is None


def test_the_language_switch_never_sends_the_browser_to_another_site(app, staff):
    page = staff.get("/admin/patient/").get_data(as_text=True)
    answer = staff.post("/account/language", data={"language": "fr", "next": "//evil.example/", "csrf_token": csrf_token(page)})
    assert answer.headers["Location"].endswith("/admin/")


@pytest.fixture
def french_clinic(app, database_url):
    """The same clinic's database (and accounts) served with CLINIC_LANGUAGE=fr, as a French region gives by default."""
    french = create_app(make_settings(database_url, clinic_language="fr"))
    yield french
    with french.app_context():
        db.engine.dispose()


def test_without_a_choice_users_read_the_clinics_language_and_new_patients_speak_it(french_clinic):
    client = french_clinic.test_client()
    assert sign_in(client, *STAFF).status_code == 302
    form = client.get("/admin/patient/new/").get_data(as_text=True)
    assert "Prénom" in form
    assert '<option selected value="fr">' in form or 'value="fr" selected' in form  # the new patient's language


def test_a_signed_out_browser_reads_the_sign_in_page_in_its_own_language(app, client):
    assert "Se connecter" in client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "de-DE"}).get_data(as_text=True)  # not one Recall speaks
    assert "Sign in" in page  # the clinic's (English in these tests)


def test_session_times_read_in_french_in_the_patients_zone(app, staff):
    set_language(app, STAFF[0], "fr")
    with app.app_context():
        seed_demo(utcnow())
        appt = db.session.execute(select(Appointment).order_by(Appointment.starts_at.desc())).scalars().first()
        starts, zone = appt.starts_at, appt.timezone
    local = ZoneInfo(zone)
    day = format_skeleton("yMMMEd", starts, tzinfo=local, locale="fr")
    expected = f"{day}, {format_time(starts, 'short', tzinfo=local, locale='fr')}"
    page = staff.get("/admin/appointment/").get_data(as_text=True)
    assert expected in page  # e.g. "mer. 9 déc. 2026, 16:45"
    assert starts.strftime("%Y-%m-%d") not in page and (starts + timedelta(0)).isoformat() not in page
