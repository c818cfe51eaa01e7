"""The dashboard reads as the front desk speaks: one heading, words for kinds and statuses, days in the reader's
format, and an empty chart that says why it is empty."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from sqlalchemy import select

from service.extensions import db
from service.models import Appointment, Reminder, User
from service.timeutil import utcnow
from tests.admin.conftest import STAFF
from tests.helpers import booking, paris, post_booking

PARIS = ZoneInfo("Europe/Paris")


def chart_day(value: date, language: str = "en") -> str:
    """A day as the chart's tooltips name it: "Sat, Dec 5, 2026", "sam. 5 déc. 2026"."""
    return format_skeleton("yMMMEd", value, locale=language)


def test_an_empty_chart_says_no_message_has_gone_out_yet(app, client, staff):
    page = staff.get("/admin/").get_data(as_text=True)
    assert "No messages have gone out yet." in page and "<svg" not in page
    post_booking(client, booking(paris(5)))
    with app.app_context():
        first = db.session.execute(select(Reminder).order_by(Reminder.id)).scalars().first()
        first.status, first.sent_at = "sent", utcnow()
        db.session.commit()
    page = staff.get("/admin/").get_data(as_text=True)
    assert "No messages have gone out yet." not in page and "<svg" in page


def test_the_dashboard_has_one_heading(staff):
    page = staff.get("/admin/").get_data(as_text=True)
    assert page.count("<h1") == 1 and "Today at Clinique Lumière</h1>" in page
    assert '<h4 class="mb-4">' not in page  # Flask-Admin's own title ("Dashboard") is not shown as well


def test_the_dashboard_names_kinds_statuses_and_days_in_words(app, client):
    import time_machine

    from tests.admin.conftest import sign_in
    from tests.helpers import local_day

    # At 10:00, a session tomorrow at 16:45 still has its day-before reminder ahead (after 16:45 it would not).
    with time_machine.travel(local_day(PARIS, 0, 10, 0), tick=False):
        assert sign_in(client, *STAFF).status_code == 302
        _names_kinds_statuses_and_days(app, client)


def _names_kinds_statuses_and_days(app, staff):
    post_booking(staff, booking(paris(1)))
    now = datetime.now(PARIS)
    with app.app_context():
        db.session.execute(select(Appointment)).scalar_one().status = "no_show"
        reminders = db.session.execute(select(Reminder).order_by(Reminder.id)).scalars().all()
        soon = next(r for r in reminders if r.kind == "reminder_24h")
        soon.status, soon.next_attempt_at = "pending", utcnow() + timedelta(minutes=10)
        gone = next(r for r in reminders if r is not soon)
        gone.status, gone.sent_at = "sent", utcnow()
        db.session.commit()
    page = staff.get("/admin/").get_data(as_text=True)
    assert "Reminder, the day before" in page and "reminder 24h" not in page
    assert "No-show" in page and "no-show" not in page
    assert f"{chart_day(now.date())}: 1 sent" in page and now.date().isoformat() not in page
    assert "1 session" in page and "1 sessions" not in page

    with app.app_context():
        db.session.execute(select(User).where(User.email == STAFF[0])).scalar_one().language = "fr"
        db.session.commit()
    french = staff.get("/admin/").get_data(as_text=True)
    assert chart_day(now.date(), "fr") in french  # "sam. 5 déc. 2026"


def test_every_panel_page_links_the_favicon_and_the_narrow_screen_stylesheet_and_both_are_served(staff):
    page = staff.get("/admin/patient/").get_data(as_text=True)
    for path, mimetype in (("/static/favicon.svg", "image/svg+xml"), ("/static/panel.css", "text/css")):
        assert f'href="{path}"' in page
        response = staff.get(path)
        assert response.status_code == 200 and response.mimetype == mimetype
    assert "overflow-x: auto" in staff.get("/static/panel.css").get_data(as_text=True)


def test_the_next_hours_list_gives_a_late_message_its_date_not_just_an_hour(app, client):
    import time_machine
    from babel.dates import format_time

    from tests.admin.conftest import sign_in
    from tests.helpers import local_day

    with time_machine.travel(local_day(PARIS, 1, 10, 0), tick=False):  # 10:00: "in ten minutes" is still today
        assert sign_in(client, *STAFF).status_code == 302
        post_booking(client, booking(paris(4)))
        now = utcnow()
        with app.app_context():
            reminders = db.session.execute(select(Reminder).order_by(Reminder.id)).scalars().all()
            on_time, late = reminders[0], reminders[1]
            on_time.status, on_time.next_attempt_at = "pending", now + timedelta(minutes=10)
            late.status, late.next_attempt_at = "pending", now - timedelta(days=2)
            db.session.commit()
        row = {r.split("</td>")[0]: r for r in client.get("/admin/").get_data(as_text=True).split("<tr><td>")}
    hour = format_time(now + timedelta(minutes=10), "short", tzinfo=PARIS, locale="en").replace("\u202f", " ")
    two_days_ago = format_skeleton("yMMMEd", now - timedelta(days=2), tzinfo=PARIS, locale="en")
    assert hour in row  # later today: the hour is enough
    assert any(cell.startswith(two_days_ago) for cell in row)  # two days late: the date says so
