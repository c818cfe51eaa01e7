"""FHIR and Acuity say nothing about consent: FHIR_CONTACT_CONSENT / ACUITY_CONTACT_CONSENT decide whether a contact
given with a booking counts as consent, recorded with the source and the time; a STOP is never undone by a booking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Patient
from service.runtime import get_settings, override
from tests.fakes.acuity_api import FakeAcuity
from tests.helpers import paris, tick
from tests.integration import test_acuity as acuity_posts
from tests.integration import test_fhir as fhir_posts
from tests.integration.test_replies import reply
from tests.providers import ACUITY_KEY, ACUITY_USER


def configure(app, **changes) -> None:
    override(app, settings=get_settings(app).with_overrides(**changes))


def the_patient(app) -> Patient:
    with app.app_context():
        patient = db.session.execute(select(Patient)).scalar_one()
        db.session.expunge(patient)
        return patient


@pytest.fixture
def acuity(app) -> Iterator[FakeAcuity]:
    server = FakeAcuity(ACUITY_USER, ACUITY_KEY).start()
    configure(app, acuity_api_base_url=server.base_url)
    yield server
    server.stop()


def test_a_fhir_booking_with_fhir_contact_consent_sms_is_reminded_with_no_staff_action(app, client, fake_twilio):
    configure(app, fhir_contact_consent="sms")
    starts = paris(5)
    assert fhir_posts.post(client, fhir_posts.appointment(starts)).get_json()["status"] == "processed"
    patient = the_patient(app)
    assert (patient.sms_consent, patient.sms_consent_source) == (True, "webhook:fhir")
    assert patient.sms_consent_at is not None
    assert not patient.email_consent  # `sms` says nothing about email
    tick(app, starts - timedelta(hours=24))
    reminders = [m for m in fake_twilio.messages if "16:45" in m["body"] and "rappel" in m["body"]]
    assert len(reminders) == 1 and reminders[0]["to"] == "+33612345678"


def test_with_the_default_a_fhir_booking_waits_for_staff_to_record_consent(app, client, fake_twilio, smtp_server):
    starts = paris(5)
    fhir_posts.post(client, fhir_posts.appointment(starts))
    patient = the_patient(app)
    assert not patient.sms_consent and not patient.email_consent and patient.sms_consent_at is None
    tick(app, starts - timedelta(hours=24))
    assert fake_twilio.messages == [] and smtp_server.received == []


def test_fhir_contact_consent_both_counts_the_email_too(app, client, fake_twilio, smtp_server):
    configure(app, fhir_contact_consent="both")
    starts = paris(5)
    fhir_posts.post(client, fhir_posts.appointment(starts))
    patient = the_patient(app)
    assert (patient.sms_consent, patient.email_consent, patient.email_consent_source) == (True, True, "webhook:fhir")
    tick(app, starts - timedelta(hours=48))  # the 48 h reminder goes by email
    assert len(smtp_server.received) >= 1


def test_a_patient_who_sent_stop_and_is_booked_again_through_fhir_stays_opted_out(app, client, fake_twilio):
    configure(app, fhir_contact_consent="sms")
    first = paris(5)
    fhir_posts.post(client, fhir_posts.appointment(first))
    assert reply(client, "STOP").status_code == 200
    stopped_at = the_patient(app).sms_opted_out_at
    assert stopped_at is not None
    body = fhir_posts.appointment(paris(8, 10, 0))
    body["id"] = "appt-again"
    assert fhir_posts.post(client, body).get_json()["status"] == "processed"
    assert the_patient(app).sms_opted_out_at == stopped_at  # the booking's consent does not undo the STOP
    fake_twilio.messages.clear()
    tick(app, first - timedelta(hours=24))
    tick(app, paris(8, 10, 0) - timedelta(hours=24))
    assert fake_twilio.messages == []


@pytest.mark.parametrize("setting", ["sms", "both"])
def test_an_acuity_booking_with_acuity_contact_consent_is_reminded_by_sms_with_no_staff_action(
    app, client, fake_twilio, acuity, setting
):
    configure(app, acuity_contact_consent=setting)
    starts = paris(5)
    acuity.appointments["1001"] = acuity_posts.appointment(starts)
    assert acuity_posts.post(client, "scheduled").get_json()["status"] == "processed"
    patient = the_patient(app)
    assert (patient.sms_consent, patient.sms_consent_source, patient.email_consent) == (True, "webhook:acuity", True)
    tick(app, starts - timedelta(hours=24))
    assert [m["to"] for m in fake_twilio.messages if "reminder of your appointment" in m["body"]] == ["+33612345678"]


def test_with_the_default_an_acuity_booking_is_reminded_by_email_only_as_before(app, client, fake_twilio, smtp_server, acuity):
    starts = paris(5)
    acuity.appointments["1001"] = acuity_posts.appointment(starts)
    acuity_posts.post(client, "scheduled")
    patient = the_patient(app)
    assert (bool(patient.sms_consent), patient.email_consent, patient.email_consent_source) == (False, True, "webhook:acuity")
    tick(app, starts - timedelta(hours=24))
    assert fake_twilio.messages == [] and smtp_server.received  # the SMS reminder goes by email instead
