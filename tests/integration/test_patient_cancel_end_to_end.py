"""From a text message to the booking system, over real HTTP: the patient opens the link their reminder carried,
cancels a generic booking, gets the cancellation notice, and the clinic's booking system receives a signed
`appointment.cancelled_by_patient` it verifies with the standardwebhooks library."""

from __future__ import annotations

from datetime import timedelta

import requests

from tests.helpers import booking, paris, post_booking, sent_bodies, tick
from tests.integration.test_outbound_events import receiver, settings
from tests.integration.test_patient_page import BASE, csrf, link_for, live, only_appointment

__all__ = ["live", "receiver", "settings"]  # fixtures: the live server, and the receiver as OUTBOUND_WEBHOOK_URL


def test_a_patient_cancels_from_their_reminders_link_and_the_booking_system_hears_of_it(app, client, fake_twilio, receiver, live):
    starts = paris(4)
    assert post_booking(client, booking(starts)).status_code == 200
    tick(app, paris(1, 9, 0))  # the confirmation goes out, with the patient's link in it
    [confirmation] = sent_bodies(fake_twilio)
    appointment = only_appointment(app)
    path = link_for(app, appointment.id, [confirmation])
    assert BASE + path in confirmation  # the link came from the text the patient received

    phone = requests.Session()
    page = phone.get(live + path, timeout=10)
    assert page.status_code == 200 and "Camille" in page.text and "Martin" not in page.text
    done = phone.post(live + path + "/cancel", data={"csrf_token": csrf(page.text), "reason": "Empêchement"}, timeout=10)
    assert done.status_code == 200

    tick(app, paris(2, 10, 0))  # the next run: the cancellation notice, and the event posted
    [notice] = sent_bodies(fake_twilio)
    assert "annul" in notice.lower()
    [arrived] = [r for r in receiver.received if r.headers.get("webhook-id")]
    payload = arrived.verified()  # raises unless the signature verifies with the shared secret
    assert payload["type"] == "appointment.cancelled_by_patient"
    assert payload["data"]["appointment_id"] == appointment.id
    assert "Camille" not in arrived.body.decode() and "+336" not in arrived.body.decode()  # ids, not the patient

    tick(app, starts - timedelta(hours=24))
    tick(app, starts - timedelta(hours=2))
    assert sent_bodies(fake_twilio) == []  # its reminders stopped
    assert len(receiver.received) == 1  # delivered once: a 2xx ends it


def test_a_patient_who_texts_r_is_on_the_list_and_the_booking_system_hears_of_it(app, client, receiver):
    from tests.integration.test_replies import reply

    assert post_booking(client, booking(paris(4))).status_code == 200
    assert reply(client, "R").status_code == 200
    tick(app, paris(1, 9, 0))
    payload = next(r.verified() for r in receiver.received if r.verified()["type"].startswith("appointment.reschedule"))
    assert payload["data"]["appointment_id"] == only_appointment(app).id and payload["data"]["via"] == "sms"
