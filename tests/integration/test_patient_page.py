"""The patient's page, /r/<token>: over real HTTP where a patient's phone would use it, the rest through the test client.

A reminder's link, the page, confirm, cancel before and after the cutoff, another time, the providers' own pages for
Calendly and Cal.com bookings, and what a link previewer, a stranger or a flood of requests gets.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select, text
from werkzeug.serving import make_server

from admin.auth import create_user
from service import links
from service.domain.vocabulary import AppointmentStatus, TodoKind
from service.extensions import db, limiter
from service.models import Appointment, AuditEvent, OutboundEvent, Reminder, TodoItem, WebhookEvent
from service.runtime import get_settings
from service.timeutil import utcnow
from tests.admin.conftest import ADMIN, sign_in
from tests.helpers import book, booking, paris, post_booking, sent_bodies, tick
from tests.integration.test_replies import reply
from tests.providers import calcom, calendly, post_calcom, post_calendly

BASE = "https://recall.clinic.test"
ADDRESS = "12 rue de la Paix, 75002 Paris"
BOOKING_PAGE = "https://clinique.example/reserver"
RECEIVER = "https://booking.example/recall-events"


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return settings.with_overrides(clinic_address=ADDRESS, booking_url=BOOKING_PAGE, outbound_webhook_url=RECEIVER)


@pytest.fixture
def live(app: Any) -> Iterator[str]:
    """The same app on a real socket, on 127.0.0.1."""
    with app.app_context():
        limiter.reset()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def only_appointment(app: Any, source: str | None = None) -> Appointment:
    with app.app_context():
        query = select(Appointment).order_by(Appointment.id.desc())
        if source:
            query = query.where(Appointment.source == source)
        found = db.session.execute(query.limit(1)).scalar_one()
        db.session.expunge(found)
        return found


def link_for(app: Any, appointment_id: int, sms: list[str] | None = None) -> str:
    """The path of the patient's link: from a message that carried it, else as reminders will carry it."""
    for body in sms or []:
        found = re.search(re.escape(BASE) + r"(/r/[A-Za-z0-9_-]{16})", body)
        if found:
            return found.group(1)
    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment is not None
        links.remember(appointment, get_settings(app))
        db.session.commit()
        return links.manage_url(appointment_id, get_settings(app)).removeprefix(BASE)


def rows(app: Any, model: Any) -> list[Any]:
    with app.app_context():
        found = list(db.session.execute(select(model).order_by(model.id)).scalars())
        for row in found:
            db.session.expunge(row)
        return found


def everything(app: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that nothing changed."""
    with app.app_context():
        return {
            t.name: [tuple(r) for r in db.session.execute(text(f'SELECT * FROM "{t.name}" ORDER BY 1')).all()]
            for t in db.metadata.sorted_tables
        }


def test_a_reminders_link_opens_the_session_and_confirming_it_there_is_what_staff_see(app, client, fake_twilio, live):
    starts = paris(5)
    book(app, client, fake_twilio, booking(starts))
    appointment = only_appointment(app)
    tick(app, starts - timedelta(hours=24))
    path = link_for(app, appointment.id, sent_bodies(fake_twilio))

    browser = requests.Session()
    page = browser.get(live + path, timeout=10)
    assert page.status_code == 200
    html = page.text
    assert '<html lang="fr">' in html and '<meta name="robots" content="noindex' in html
    assert "Camille" in html and "Martin" not in html  # the first name, nothing more about the patient
    assert "06 12 34 56 78" not in html and "+33612345678" not in html
    assert "Clinique Lumière" in html and 'href="tel:+33142868200"' in html and "01 42 86 82 00" in html
    assert ADDRESS in html and "thighs" in html and "séance 1" in html
    assert "16:45" in html and str(starts.astimezone().year) in html
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["X-Robots-Tag"] == "noindex"
    assert page.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"] and "<script" not in html
    assert "https://" not in re.sub(r'href="https://[^"]*"', "", html).replace(BASE, "")  # no outside assets

    done = browser.post(live + path + "/confirm", data={"csrf_token": csrf(html)}, timeout=10, allow_redirects=False)
    assert done.status_code == 303 and done.headers["Location"].endswith(path)
    after = browser.get(live + path, timeout=10).text
    assert 'class="state confirmed"' in after and "/confirm" not in after  # no button to confirm twice
    again = browser.post(live + path + "/confirm", data={"csrf_token": csrf(after)}, timeout=10)
    assert again.status_code == 200  # a second confirmation: the page, nothing more done

    [event] = rows(app, OutboundEvent)
    assert event.type == "appointment.confirmed" and event.appointment_id == appointment.id
    assert event.payload["data"]["external_id"] == "appt-1" and "Camille" not in json.dumps(event.payload)
    assert [(a.actor, a.action, a.details) for a in rows(app, AuditEvent) if a.entity == "appointment"] == [
        ("patient", "confirm", {"via": "page"})
    ]
    with app.app_context():
        create_user(*ADMIN, role="admin", now=utcnow())
        db.session.commit()
    staff = app.test_client()
    assert sign_in(staff, *ADMIN).status_code == 302
    details = staff.get(f"/admin/appointment/details/?id={appointment.id}").get_data(as_text=True)
    shown = re.search(r"Confirmed by the patient</b>\s*</td>\s*<td>\s*([^<]*?)\s*</td>", details)
    assert shown and str(utcnow().year) in shown.group(1)  # when the patient confirmed, in words


def test_a_patient_cancels_a_generic_booking_its_reminders_stop_and_they_are_told_once(app, client, fake_twilio, live):
    starts = paris(4)
    book(app, client, fake_twilio, booking(starts))
    appointment = only_appointment(app)
    path = link_for(app, appointment.id)
    browser = requests.Session()
    html = browser.get(live + path, timeout=10).text
    assert "/cancel" in html and "/reschedule" in html

    form = {"csrf_token": csrf(html), "reason": "Un empêchement"}
    done = browser.post(live + path + "/cancel", data=form, timeout=10)
    assert done.status_code == 200 and 'class="state cancelled"' in done.text and "/cancel" not in done.text
    assert BOOKING_PAGE in done.text  # the next session: the clinic's booking page
    browser.post(live + path + "/cancel", data=form, timeout=10)  # sent twice: nothing more

    assert only_appointment(app).status == AppointmentStatus.CANCELLED
    [received] = [w for w in rows(app, WebhookEvent) if w.source == "patient"]
    assert received.outcome == "processed" and "Un empêchement" in (received.payload or "")
    assert [a.actor for a in rows(app, AuditEvent) if a.action == "cancel"] == ["patient"]
    [event] = rows(app, OutboundEvent)
    assert event.type == "appointment.cancelled_by_patient" and event.payload["data"]["appointment_id"] == appointment.id
    assert rows(app, TodoItem) == []  # four days ahead: not a late cancellation

    tick(app, paris(2, 10, 0))  # after the debounce, inside the allowed hours
    [notice] = sent_bodies(fake_twilio)
    assert "annul" in notice.lower()
    tick(app, starts - timedelta(hours=24))
    tick(app, starts - timedelta(hours=2))
    assert sent_bodies(fake_twilio) == []  # its reminders stopped
    assert all(r.status in ("cancelled", "sent", "delivered", "skipped") for r in rows(app, Reminder))


def test_a_cancellation_less_than_two_days_ahead_is_on_the_front_desks_list(app, client):
    starts = utcnow() + timedelta(hours=30)
    assert post_booking(client, booking(starts)).status_code == 200
    appointment = only_appointment(app)
    path = link_for(app, appointment.id)
    html = client.get(path).get_data(as_text=True)
    client.post(path + "/cancel", data={"csrf_token": csrf(html), "reason": "Malade"})
    [item] = rows(app, TodoItem)
    assert (item.kind, item.appointment_id, item.detail) == (TodoKind.LATE_CANCELLATION, appointment.id, "Malade")


def test_after_the_cutoff_the_page_gives_the_number_and_a_cancel_post_changes_nothing(app, client, live):
    starts = utcnow() + timedelta(hours=10)
    assert post_booking(client, booking(starts)).status_code == 200
    appointment = only_appointment(app)
    path = link_for(app, appointment.id)
    browser = requests.Session()
    html = browser.get(live + path, timeout=10).text
    assert "/cancel" not in html and 'href="tel:+33142868200"' in html
    assert "/confirm" in html and "/reschedule" in html  # still confirmable, and the clinic may still call back

    answer = browser.post(live + path + "/cancel", data={"csrf_token": csrf(html)}, timeout=10)
    assert answer.status_code == 200 and 'class="notice"' in answer.text
    assert only_appointment(app).status == AppointmentStatus.BOOKED
    assert rows(app, OutboundEvent) == [] and [w for w in rows(app, WebhookEvent) if w.source == "patient"] == []


def test_asking_for_another_time_puts_it_on_the_list_once_and_tells_the_booking_system(app, client):
    assert post_booking(client, booking(paris(6))).status_code == 200
    appointment = only_appointment(app)
    path = link_for(app, appointment.id)
    html = client.get(path).get_data(as_text=True)
    form = {"csrf_token": csrf(html), "days": ["tuesday", "friday"], "message": "Plutôt le matin"}
    first = client.post(path + "/reschedule", data=form, follow_redirects=True)
    second = client.post(path + "/reschedule", data=form, follow_redirects=True)
    assert first.status_code == second.status_code == 200
    assert first.get_data(as_text=True) != second.get_data(as_text=True)  # the second says it was already asked
    [item] = rows(app, TodoItem)
    assert item.kind == TodoKind.RESCHEDULE_REQUEST and item.detail == "Tuesday, Friday: Plutôt le matin"
    [event] = rows(app, OutboundEvent)
    assert event.type == "appointment.reschedule_requested" and event.payload["data"]["preferred_days"] == ["tuesday", "friday"]
    assert "matin" not in json.dumps(event.payload)  # the patient's words stay with the clinic
    assert only_appointment(app).status == AppointmentStatus.BOOKED


def test_a_calcom_booking_leads_to_calcoms_own_pages(app, client, live):
    body = calcom("booking_created", paris(7))
    assert post_calcom(client, body).status_code == 200
    appointment = only_appointment(app, "calcom")
    uid = body["payload"]["uid"]
    path = link_for(app, appointment.id)
    browser = requests.Session()
    html = browser.get(live + path, timeout=10).text
    assert f'href="https://app.cal.com/booking/{uid}?cancel=true"' in html
    assert f'href="https://app.cal.com/reschedule/{uid}"' in html
    for action, target in (("cancel", f"/booking/{uid}?cancel=true"), ("reschedule", f"/reschedule/{uid}")):
        answer = browser.post(live + path + f"/{action}", data={"csrf_token": csrf(html)}, timeout=10, allow_redirects=False)
        assert answer.status_code == 303 and answer.headers["Location"] == "https://app.cal.com" + target
    assert only_appointment(app, "calcom").status == AppointmentStatus.BOOKED  # Cal.com's webhook will say
    assert rows(app, OutboundEvent) == [] and rows(app, TodoItem) == []


def test_a_link_to_a_session_cal_com_moved_by_booking_anew_shows_the_new_time_and_its_pages(app, client):
    assert post_calcom(client, calcom("booking_created", paris(7))).status_code == 200
    path = link_for(app, only_appointment(app, "calcom").id)  # the link the first reminder carried
    assert post_calcom(client, calcom("booking_rescheduled", paris(9, 11, 30))).status_code == 200
    html = client.get(path).get_data(as_text=True)
    assert "11:30" in html and "16:45" not in html and "state cancelled" not in html
    assert 'href="https://app.cal.com/reschedule/bk_Q7wX1n2c"' in html


def test_a_calendly_booking_leads_to_calendlys_own_pages(app, client, live):
    body = calendly("invitee_created", paris(7))
    assert post_calendly(client, body).status_code == 200
    appointment = only_appointment(app, "calendly")
    path = link_for(app, appointment.id)
    browser = requests.Session()
    html = browser.get(live + path, timeout=10).text
    cancel_url, reschedule_url = body["payload"]["cancel_url"], body["payload"]["reschedule_url"]
    assert f'href="{cancel_url}"' in html and f'href="{reschedule_url}"' in html
    answer = browser.post(live + path + "/cancel", data={"csrf_token": csrf(html)}, timeout=10, allow_redirects=False)
    assert answer.status_code == 303 and answer.headers["Location"] == cancel_url
    assert only_appointment(app, "calendly").status == AppointmentStatus.BOOKED


def test_a_link_previewers_get_and_head_change_nothing(app, client, live):
    assert post_booking(client, booking(paris(3))).status_code == 200
    path = link_for(app, only_appointment(app).id)
    before = everything(app)
    for url in (path, path + "?utm_source=sms", path + "/confirm", path + "/cancel", path + "/reschedule"):
        requests.get(live + url, timeout=10)
        requests.head(live + url, timeout=10)
        requests.get(live + url, headers={"User-Agent": "WhatsApp/2.23 Preview", "Purpose": "prefetch"}, timeout=10)
    assert requests.head(live + path, timeout=10).status_code == 200
    assert everything(app) == before


def test_an_unknown_tampered_or_malformed_token_gets_one_page_in_both_languages(app, client):
    assert post_booking(client, booking(paris(3))).status_code == 200
    path = link_for(app, only_appointment(app).id)
    token = path.removeprefix("/r/")
    tampered = ("A" if token[0] != "A" else "B") + token[1:]
    answers = [client.get(f"/r/{t}") for t in (tampered, "x" * 16, "short", "with%20space%3Cscript%3E", token + "A")]
    assert {a.status_code for a in answers} == {404}
    assert len({a.get_data() for a in answers}) == 1  # nothing tells one from another
    page = answers[0].get_data(as_text=True)
    assert "Ce lien ne fonctionne pas" in page and "This link does not work" in page
    assert answers[0].headers["Cache-Control"] == "no-store" and answers[0].headers["X-Robots-Tag"] == "noindex"
    assert client.post(f"/r/{tampered}/cancel").status_code == 404


def test_a_post_without_its_csrf_token_is_refused_in_words_and_changes_nothing(app, client):
    assert post_booking(client, booking(paris(3), language="en")).status_code == 200
    path = link_for(app, only_appointment(app).id)
    client.get(path)
    before = everything(app)
    for action in ("confirm", "cancel", "reschedule"):
        answer = client.post(f"{path}/{action}", data={"reason": "x"})
        assert answer.status_code == 400
        assert "This form has expired or was not sent from this page" in answer.get_data(as_text=True)
    long = client.post(f"{path}/cancel", data={"csrf_token": csrf(client.get(path).get_data(as_text=True)), "reason": "x" * 501})
    assert long.status_code == 400 and "500 characters" in long.get_data(as_text=True)
    assert everything(app) == before


def test_too_many_requests_from_one_address_get_a_429_page_in_words(app, client):
    assert post_booking(client, booking(paris(3))).status_code == 200
    path = link_for(app, only_appointment(app).id)
    with app.app_context():
        limiter.reset()
    statuses = [client.get(path).status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429
    last = client.get("/r/" + "z" * 16)
    assert last.status_code == 429 and "Too many requests" in last.get_data(as_text=True)
    assert "Trop de demandes" in last.get_data(as_text=True)
    other = app.test_client()
    posts = [other.post(path + "/confirm", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code for _ in range(11)]
    assert posts[:10] == [400] * 10 and posts[10] == 429
    assert other.get(path, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200  # counted per address


def test_once_the_session_has_started_the_page_says_so_and_offers_the_booking_page(app, client):
    starts = utcnow() + timedelta(hours=3)
    assert post_booking(client, booking(starts)).status_code == 200
    path = link_for(app, only_appointment(app).id)
    token = csrf(client.get(path).get_data(as_text=True))  # the page as it was before the start
    with app.app_context():
        appointment = db.session.execute(select(Appointment)).scalar_one()
        appointment.starts_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    html = client.get(path).get_data(as_text=True)
    assert BOOKING_PAGE in html and "/confirm" not in html and "/cancel" not in html
    assert client.post(path + "/confirm", data={"csrf_token": token}).status_code == 303
    assert only_appointment(app).confirmed_at is None


def test_an_sms_oui_and_the_page_confirm_alike_and_once(app, client, fake_twilio):
    book(app, client, fake_twilio, booking(paris(5)))
    assert "confirmé" in reply(client, "OUI").get_data(as_text=True)
    assert "<Message>" in reply(client, "oui", sid="SMin2").get_data(as_text=True)  # answered again, changed no more
    path = link_for(app, only_appointment(app).id)
    html = client.get(path).get_data(as_text=True)
    assert 'class="state confirmed"' in html and "/confirm" not in html
    assert [e.type for e in rows(app, OutboundEvent)] == ["appointment.confirmed"]
    assert [a.details for a in rows(app, AuditEvent) if a.action == "confirm"] == [{"via": "sms"}]
