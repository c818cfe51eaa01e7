"""Spanish, German and Italian patients, end to end: the language read from the booking, the reminder in it through the
fake Twilio API, and the tip library in every language on a database migrated before they existed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from service import create_app
from service.content.tips import SHIPPED_TIPS
from service.domain.sms_encoding import sms_encoding
from service.extensions import db
from service.models import Appointment, Patient
from service.runtime import get_settings
from service.timeutil import utcnow
from tests.conftest import make_settings
from tests.helpers import booking, paris, post_booking, tick
from tests.integration import test_fhir as fhir_posts
from tests.integration.test_patient_page import csrf, link_for
from tests.providers import calcom, post_calcom


@pytest.mark.parametrize(
    ("locale", "language", "words"),
    [
        ("es-MX", "es", "le recordamos su cita del"),
        ("de-AT", "de", "Erinnerung an Ihren Termin am"),
        ("it-CH", "it", "promemoria, appuntamento"),
    ],
)
def test_a_calcom_attendees_locale_brings_reminders_in_their_language(app, client, fake_twilio, locale, language, words):
    starts = paris(5)
    body = calcom("booking_created", starts)
    for person in body["payload"]["attendees"]:
        person["language"] = {"locale": locale}
    assert post_calcom(client, body).status_code == 200
    with app.app_context():
        assert db.session.execute(select(Patient.language)).scalar_one() == language
    tick(app, starts - timedelta(hours=24))
    (reminder,) = [m for m in fake_twilio.messages if words in m["body"]]
    assert "STOP" in reminder["body"] and sms_encoding(reminder["body"]).encoding == "GSM-7"


def test_a_fhir_patient_in_a_language_recall_does_not_write_gets_the_clinics(app, client):
    body = fhir_posts.appointment(paris(5))
    body["contained"][0]["communication"] = [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "pt-BR"}]}}]
    fhir_posts.post(client, body)
    with app.app_context():
        language = db.session.execute(select(Patient.language)).scalar_one()
    assert language == get_settings(app).clinic_language and language in ("fr", "en")


def test_migration_0010_adds_the_new_languages_tips_to_a_library_that_has_only_english_and_french(tmp_path: Path):
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'old.sqlite3'}"))
    with app.app_context():
        upgrade(revision="0009")
        db.session.execute(text("DELETE FROM tip WHERE language NOT IN ('en', 'fr')"))  # as 0002 left it before 0010
        db.session.execute(text("UPDATE tip SET text = 'Edited by staff' WHERE language = 'fr' AND position = 1"))
        db.session.commit()
        upgrade()
        counts = dict(db.session.execute(text("SELECT language, COUNT(*) FROM tip GROUP BY language")).all())
        assert counts == {language: len(SHIPPED_TIPS) for language in ("en", "fr", "es", "de", "it")}
        edited = db.session.execute(text("SELECT text FROM tip WHERE language = 'fr' AND position = 1")).scalar_one()
        assert edited == "Edited by staff"
        downgrade(revision="0009")
        assert set(db.session.execute(text("SELECT DISTINCT language FROM tip")).scalars()) == {"en", "fr"}


@pytest.mark.parametrize(
    ("language", "hello", "confirm", "thanks", "day"),
    [
        ("es", "Hola, Camille:", "Confirmar mi cita", "Gracias: su cita está confirmada.", "sábado"),
        ("de", "Hallo Camille,", "Meinen Termin bestätigen", "Danke: Ihr Termin ist bestätigt.", "Samstag"),
        ("it", "Buongiorno Camille,", "Confermare il mio appuntamento", "Grazie: il suo appuntamento è confermato.", "sabato"),
    ],
)
def test_the_patients_page_speaks_their_language(app, client, language, hello, confirm, thanks, day):
    assert post_booking(client, booking(paris(6), language=language)).status_code == 200
    with app.app_context():
        appointment_id = db.session.execute(select(Appointment.id)).scalar_one()
    path = link_for(app, appointment_id)
    html = client.get(path).get_data(as_text=True)
    assert hello in html and confirm in html and day in html  # the days to choose from, in their words
    done = client.post(path + "/confirm", data={"csrf_token": csrf(html)}, follow_redirects=True)
    assert thanks in done.get_data(as_text=True)


def test_a_german_clinics_new_patients_read_german_and_its_staff_read_the_panel_in_english(settings, fake_twilio):
    """CLINIC_LANGUAGE=de (a German region's default): a booking that names no language, or one Recall does not
    speak (pt-BR), gets German messages; the panel, which speaks French and English, falls back to English."""
    from admin.auth import create_user
    from tests.admin.conftest import STAFF, sign_in
    from tests.conftest import _empty_tables
    from tests.helpers import sent_bodies

    app = create_app(settings.with_overrides(clinic_language="de"))  # the fake Twilio's, with a German clinic
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.create_all()
        else:
            _empty_tables()
        create_user(*STAFF, role="staff", now=utcnow())
        db.session.commit()
    try:
        client = app.test_client()
        assert post_booking(client, booking(paris(5), language=None)).status_code == 200
        other = booking(paris(6), event_id="e2", appointment_id="a2", id="p2", phone="+33699887766", language="pt-BR")
        assert post_booking(client, other).status_code == 200
        tick(app, paris(1, 9, 0))
        bodies = sent_bodies(fake_twilio)
        assert len(bodies) == 2 and all("gebucht" in b for b in bodies)  # "Ihr Termin … ist gebucht"
        with app.app_context():
            assert sorted(db.session.execute(select(Patient.language)).scalars()) == ["de", "de"]
        assert sign_in(client, *STAFF).status_code == 302
        assert "All patients" in client.get("/admin/patient/").get_data(as_text=True)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
