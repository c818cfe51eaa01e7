"""The front desk's To do list: each cause makes one item, the list says who, when and what in words, and "Done"
records who ended it, in the audit trail too, and marks a reply handled."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask_babel import force_locale
from sqlalchemy import select

from admin.wording import TODO_KIND
from service.domain.vocabulary import TodoKind
from service.extensions import db
from service.models import Appointment, AuditEvent, InboundMessage, TodoItem, User
from tests.admin.conftest import STAFF, csrf_token
from tests.fakes.twilio_api import twilio_error
from tests.helpers import book, booking, paris, post_booking, tick
from tests.integration.test_delivery_receipts import callback
from tests.integration.test_replies import reply

PARIS = ZoneInfo("Europe/Paris")


def items(app) -> list[tuple[str, str, str | None]]:
    with app.app_context():
        return [
            (i.kind, i.key.split(":")[0], i.done_by) for i in db.session.execute(select(TodoItem).order_by(TodoItem.id)).scalars()
        ]


def done(staff, item_id: int, *, token: str | None = None):
    token = token if token is not None else csrf_token(staff.get("/admin/todo/").get_data(as_text=True))
    return staff.post("/admin/todo/done/", data={"item": str(item_id), "csrf_token": token})


def the_item(app) -> TodoItem:
    with app.app_context():
        return db.session.execute(select(TodoItem)).scalar_one()


def test_a_free_text_reply_makes_one_item_however_often_twilio_posts_it(app, client, fake_twilio):
    book(app, client, fake_twilio, booking(paris(5)))
    reply(client, "Je serai en retard de 10 minutes", sid="SMfree1")
    reply(client, "Je serai en retard de 10 minutes", sid="SMfree1")  # Twilio retried the post
    reply(client, "OUI", sid="SMyes1")  # a confirmation needs nobody
    assert items(app) == [("reply", "reply", None)]


def test_an_sms_asking_for_another_time_is_a_reschedule_request_about_the_next_session(app, client, fake_twilio, staff):
    starts = paris(5)
    book(app, client, fake_twilio, booking(starts))
    reply(client, "R", sid="SMr1")
    assert items(app) == [("reschedule_request", "reply", None)]
    assert the_item(app).appointment_id is not None
    page = staff.get("/admin/todo/").get_data(as_text=True)
    assert "Asks for another time" in page and "Camille Martin" in page and "06 12 34 56 78" in page
    assert "“R”" in page


def test_a_no_show_makes_one_item_from_a_webhook_or_the_panel(app, client, staff):
    post_booking(client, booking(paris(-1), event_id="b1"))
    no_show = booking(paris(-1), event_id="ns1", type="appointment.no_show")
    post_booking(client, no_show)
    post_booking(client, no_show)  # the same post again
    post_booking(client, booking(paris(-1), event_id="ns2", type="appointment.no_show"))  # told again, another id
    assert items(app) == [("no_show", "no_show", None)]

    post_booking(client, booking(paris(-2), event_id="b2", appointment_id="appt-2"))
    with app.app_context():
        second = db.session.execute(select(Appointment.id).where(Appointment.external_id == "appt-2")).scalar_one()
    details = staff.get(f"/admin/appointment/details/?id={second}").get_data(as_text=True)
    staff.post(f"/admin/booking/mark/{second}", data={"csrf_token": csrf_token(details), "status": "no_show"})
    assert [k for k, *_ in items(app)] == ["no_show", "no_show"]


def test_an_invalid_number_makes_one_check_the_number_item_and_an_outage_none(app, client, fake_twilio, staff):
    starts = paris(10)
    book(app, client, fake_twilio, booking(starts))
    fake_twilio.fail_next(twilio_error(20500, 500, "Internal Server Error"))  # an outage: retried, nobody to call
    tick(app, starts - timedelta(hours=48))
    assert items(app) == []
    fake_twilio.fail_next(
        twilio_error(21211, 400, "The 'To' number +33612345678 is not a valid phone number."),
        twilio_error(21211, 400, "The 'To' number +33612345678 is not a valid phone number."),
    )
    tick(app, starts - timedelta(hours=24))
    tick(app, starts - timedelta(hours=2))  # the next reminder fails too: the same number, still one item
    assert items(app) == [("send_failure", "send_failure", None)]
    page = staff.get("/admin/todo/").get_data(as_text=True)
    assert "check the number or address" in page and "SMS: not a valid phone number" in page


def test_a_landline_reported_by_twilios_receipt_makes_a_check_the_number_item(app, client, fake_twilio, staff):
    starts = paris(10)
    book(app, client, fake_twilio, booking(starts))
    tick(app, starts - timedelta(hours=24))
    (message,) = fake_twilio.messages
    callback(client, message, "undelivered", error_code="30006")  # a landline: the number itself is wrong
    assert items(app) == [("send_failure", "send_failure", None)]
    assert "SMS: a landline, which cannot receive texts" in staff.get("/admin/todo/").get_data(as_text=True)


def test_the_list_says_who_when_and_what_in_words_in_french_for_a_french_user(app, client, staff):
    starts = paris(-1, 10, 30)
    post_booking(client, booking(starts, event_id="b1"))
    post_booking(client, booking(starts, event_id="ns1", type="appointment.no_show"))
    page = staff.get("/admin/todo/").get_data(as_text=True)
    assert "Did not come: call to book again" in page and "Camille Martin" in page and "06 12 34 56 78" in page
    assert f"{format_skeleton('yMMMEd', starts, tzinfo=PARIS, locale='en')}, 10:30 AM" in page
    assert f'href="/admin/patient/details/?id={the_item(app).patient_id}"' in page

    with app.app_context():
        db.session.execute(select(User).where(User.email == STAFF[0])).scalar_one().language = "fr"
        db.session.commit()
        with app.test_request_context(), force_locale("fr"):
            kind_in_french = str(TODO_KIND[TodoKind.NO_SHOW])  # as the French catalogue says it
    french = staff.get("/admin/todo/").get_data(as_text=True)
    assert f"{format_skeleton('yMMMEd', starts, tzinfo=PARIS, locale='fr')}, 10:30" in french and "AM" not in french
    assert kind_in_french in french and "no_show" not in french.replace('class="todo-no_show"', "")


def test_done_records_who_is_audited_leaves_the_open_list_and_marks_the_reply_handled(app, client, fake_twilio, staff):
    book(app, client, fake_twilio, booking(paris(5)))
    reply(client, "Puis-je venir avec ma fille ?", sid="SMq1")
    item = the_item(app)
    assert "Puis-je venir avec ma fille" in staff.get("/admin/todo/").get_data(as_text=True)

    response = done(staff, item.id)
    assert response.status_code == 303
    with app.app_context():
        ended = db.session.get(TodoItem, item.id)
        message = db.session.execute(select(InboundMessage)).scalar_one()
        audited = db.session.execute(select(AuditEvent.action, AuditEvent.entity, AuditEvent.actor)).all()
    assert ended.done_by == STAFF[0] and ended.done_at is not None
    assert message.handled_by == STAFF[0] and message.handled_at is not None
    assert ("done", "todo_item", STAFF[0]) in audited
    page = staff.get("/admin/todo/").get_data(as_text=True)
    open_part, done_part = page.split('id="todo-done"')
    assert "Puis-je venir" not in open_part and "Nothing to do." in open_part
    assert "Puis-je venir" in done_part and STAFF[0] in done_part


def test_marking_the_reply_handled_in_the_replies_view_ends_its_item(app, client, fake_twilio, staff):
    book(app, client, fake_twilio, booking(paris(5)))
    reply(client, "Merci, à bientôt", sid="SMthanks")
    with app.app_context():
        reply_id = db.session.execute(select(InboundMessage.id)).scalar_one()
    token = csrf_token(staff.get("/admin/inboundmessage/").get_data(as_text=True))
    staff.post("/admin/inboundmessage/action/", data={"action": "handled", "rowid": str(reply_id), "csrf_token": token})
    assert items(app) == [("reply", "reply", STAFF[0])]


def test_done_needs_the_csrf_token(app, client, staff):
    post_booking(client, booking(paris(-1), event_id="b1"))
    post_booking(client, booking(paris(-1), event_id="ns1", type="appointment.no_show"))
    item = the_item(app)
    done(staff, item.id, token="")
    done(staff, item.id, token="forged")
    assert the_item(app).done_at is None
    with app.app_context():
        assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "done")).first() is None


def test_the_dashboard_and_the_menu_count_what_is_open(app, client, staff):
    page = staff.get("/admin/").get_data(as_text=True)
    assert "0 items to do" in page and re.search(r'href="/admin/todo/">\s*To do</a>', page)
    post_booking(client, booking(paris(-1), event_id="b1"))
    post_booking(client, booking(paris(-1), event_id="ns1", type="appointment.no_show"))
    page = staff.get("/admin/").get_data(as_text=True)
    assert '<a href="/admin/todo/">1 item to do</a>' in page and "To do (1)" in page
    done(staff, the_item(app).id)
    assert "0 items to do" in staff.get("/admin/").get_data(as_text=True)
