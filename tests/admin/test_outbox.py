"""The outbox as the front desk uses it: in words, soonest first from today, filtered, searched, each message readable."""

from __future__ import annotations

import re
from collections import namedtuple

from sqlalchemy import select, update

from service.extensions import db
from service.models import Patient, Reminder
from tests.admin.conftest import ADMIN, sign_in
from tests.helpers import booking, paris, post_booking, second_patient, tick

# The filters' positions in ReminderView.column_filters: Flask-Admin names them flt<n>_<position>.
STATUS, KIND, CHANNEL, DUE_BETWEEN, DUE_FROM, DUE_UNTIL, PATIENT = range(7)


def two_patients(client):
    post_booking(client, booking(paris(5)))  # Camille Martin, 06 12 34 56 78, SMS
    post_booking(client, second_patient(paris(6, 10, 0), email="sam@example.test", sms_consent=False, email_consent=True))


Row = namedtuple("Row", "id due_at")


def listing(client, **args):
    return client.get("/admin/reminder/", query_string=args).get_data(as_text=True)


def rows(page):
    return re.findall(r"<tr>\s*<td>\s*<input type=\"checkbox\" name=\"rowid\".*?</tr>", page, re.S)


def test_the_outbox_opens_on_what_is_due_from_today_soonest_first(app, client, staff):
    two_patients(client)
    with app.app_context():
        stale = db.session.execute(select(Reminder.id).where(Reminder.kind == "aftercare")).scalars().first()
        db.session.execute(update(Reminder).where(Reminder.id == stale).values(due_at=paris(-3)))
        db.session.commit()
        expected = list(db.session.execute(select(Reminder.id).where(Reminder.id != stale).order_by(Reminder.due_at)).scalars())
    page = listing(staff)
    shown = [int(i) for i in re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', page)]
    assert shown == expected  # soonest first, and the one due three days ago not among them
    assert "Showing what is due from today" in page
    everything = listing(staff, sort=0, desc=1)
    every = [int(i) for i in re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', everything)]
    assert stale in every and every[-1] == stale  # a sort asked for shows all, here newest first


def test_the_outbox_speaks_in_words_links_the_patient_and_shows_the_phone_whole(app, client, staff):
    two_patients(client)
    with app.app_context():
        patient_id = db.session.execute(select(Patient.id).where(Patient.last_name == "Martin")).scalar_one()
    page = listing(staff)
    for words in ("Reminder, the day before", "Booking confirmation", "Waiting", "SMS", "Email"):
        assert words in page
    assert "reminder_24h</td>" not in page and ">pending<" not in page
    assert f'href="/admin/patient/details/?id={patient_id}">Camille Martin</a>' in page
    assert "06 12 34 56 78" in page and "••" not in page
    assert '"Reminder, the day before"' in page and '"Waiting"' in page  # the filters' options, in words too


def test_each_filter_narrows_the_outbox(app, client, staff):
    two_patients(client)
    with app.app_context():
        by = {
            (last_name, kind, channel): Row(id, due_at)
            for id, due_at, kind, channel, last_name in db.session.execute(
                select(Reminder.id, Reminder.due_at, Reminder.kind, Reminder.channel, Patient.last_name).join(Patient)
            )
        }
        cancelled = by[("Martin", "reminder_2h", "sms")]
        db.session.execute(update(Reminder).where(Reminder.id == cancelled.id).values(status="cancelled"))
        db.session.commit()

    def ids(**args):
        return {int(i) for i in re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', listing(staff, **args))}

    assert ids(**{f"flt0_{STATUS}": "cancelled"}) == {cancelled.id}
    assert ids(**{f"flt0_{KIND}": "reminder_24h"}) == {r.id for k, r in by.items() if k[1] == "reminder_24h"}
    assert ids(**{f"flt0_{CHANNEL}": "email"}) == {r.id for k, r in by.items() if k[2] == "email"}
    assert ids(**{f"flt0_{PATIENT}": "tayl"}) == {r.id for k, r in by.items() if k[0] == "Taylor"}
    martin_day = paris(4).date().isoformat()  # the day before Camille's session: her 24 h reminder falls on it
    on_day = {r.id for r in by.values() if paris(4, 0, 0) <= r.due_at < paris(5, 0, 0)}
    assert on_day and ids(**{f"flt0_{DUE_BETWEEN}": f"{martin_day} to {martin_day}"}) == on_day
    after = paris(5).date().isoformat()
    assert ids(**{f"flt0_{DUE_FROM}": after}) == {r.id for r in by.values() if r.due_at >= paris(5, 0, 0)}
    assert ids(**{f"flt0_{DUE_UNTIL}": martin_day}) == {r.id for r in by.values() if r.due_at < paris(5, 0, 0)}


def test_staff_find_a_patients_messages_by_name_or_by_a_phone_typed_any_way(app, client, staff):
    two_patients(client)
    with app.app_context():
        martin = {r.id for r in db.session.execute(select(Reminder).join(Patient).where(Patient.last_name == "Martin")).scalars()}
        taylor = {r.id for r in db.session.execute(select(Reminder).join(Patient).where(Patient.last_name == "Taylor")).scalars()}
    typed_ways = (("0612345678", martin), ("06 12 34 56 78", martin), ("+44 7911 123456", taylor), ("Sam Taylor", taylor))
    for typed, expected in typed_ways:
        found = {int(i) for i in re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', listing(staff, search=typed))}
        assert found == expected, typed


def test_a_messages_page_shows_its_text_and_folds_the_technical_details_for_admins_only(app, client, staff):
    post_booking(client, booking(paris(5)))
    tick(app, paris(1, 9, 0))  # the confirmation goes out (console transport)
    with app.app_context():
        sent = db.session.execute(select(Reminder).where(Reminder.kind == "confirmation")).scalar_one()
        pending = db.session.execute(select(Reminder).where(Reminder.kind == "reminder_24h")).scalar_one()
        sent_id, sent_body, key = sent.id, sent.body, pending.dedupe_key
        pending_id = pending.id
    page = staff.get(f"/admin/reminder/details/?id={sent_id}").get_data(as_text=True)
    assert sent_body.split("\n")[0] in page and "Sent" in page
    page = staff.get(f"/admin/reminder/details/?id={pending_id}").get_data(as_text=True)
    assert "Not sent yet. If it were sent now, it would read:" in page and "rappel, rendez-vous le" in page
    assert "Technical details" not in page and key not in page
    with app.app_context():
        assert db.session.get(Reminder, pending_id).body is None  # showing it wrote nothing
    admin = app.test_client()
    sign_in(admin, *ADMIN)
    page = admin.get(f"/admin/reminder/details/?id={pending_id}").get_data(as_text=True)
    assert '<details class="mt-4" id="technical-details">' in page and key in page and "Lease held by" in page
