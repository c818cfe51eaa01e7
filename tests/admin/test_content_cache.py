"""Rules, templates and tips are cached per process (service/staff_content.py): an edit in the panel is used by the
very next message planned or sent, another process's copy is at most STALE_AFTER seconds old, and a warm cache
really spares the queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select, text

from service import staff_content
from service.extensions import db
from service.models import Reminder
from tests.helpers import booking, paris, post_booking, tick

from .conftest import csrf_token


def _rows(app: Any, phone: str) -> dict[str, Reminder]:
    with app.app_context():
        rows = db.session.execute(select(Reminder).where(Reminder.patient.has(phone=phone))).scalars().all()
        db.session.expunge_all()
        return {r.kind: r for r in rows}


def _book(client: Any, n: int) -> str:
    phone = f"+3361234560{n}"
    body = booking(paris(5, 10 + n), event_id=f"evt-{n}", appointment_id=f"appt-{n}", id=f"pat-{n}", phone=phone)
    assert post_booking(client, body).status_code == 200
    return phone


def _new(admin_client: Any, view: str, data: dict[str, str]) -> None:
    token = csrf_token(admin_client.get(f"/admin/{view}/new/").get_data(as_text=True))
    response = admin_client.post(f"/admin/{view}/new/", data={**data, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]


def test_a_template_saved_in_the_panel_is_used_by_the_very_next_message(app, client, admin_client):
    first = _book(client, 1)
    tick(app, paris(1, 9, 0))  # the first confirmation goes out with the shipped template, and fills the cache
    assert "NOUVEAU" not in (_rows(app, first)["confirmation"].body or "")

    _new(
        admin_client,
        "messagetemplate",
        {"kind": "confirmation", "channel": "sms", "language": "fr", "subject": "", "body": "NOUVEAU {{ clinic_name }}"},
    )
    second = _book(client, 2)
    tick(app, paris(1, 9, 10))
    assert _rows(app, second)["confirmation"].body == "NOUVEAU Clinique Lumière"

    with app.app_context():  # an edit of the saved template, through the panel's edit form
        template_id = db.session.execute(text("SELECT id FROM message_template")).scalar_one()
    page = admin_client.get(f"/admin/messagetemplate/edit/?id={template_id}").get_data(as_text=True)
    response = admin_client.post(
        f"/admin/messagetemplate/edit/?id={template_id}",
        data={
            "kind": "confirmation",
            "channel": "sms",
            "language": "fr",
            "subject": "",
            "body": "ENCORE {{ clinic_name }}",
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 302
    third = _book(client, 3)
    tick(app, paris(1, 9, 20))
    assert _rows(app, third)["confirmation"].body == "ENCORE Clinique Lumière"


def test_a_rule_saved_in_the_panel_plans_the_very_next_booking(app, client, admin_client):
    before = _book(client, 1)  # planned by the shipped rules, which are now cached
    assert {"reminder_24h", "reminder_2h"} <= set(_rows(app, before))
    _new(admin_client, "reminderrule", {"kind": "reminder_3h", "channel": "sms", "offset_minutes": "180", "enabled": "y"})
    after = _book(client, 2)
    kinds = set(_rows(app, after))
    assert "reminder_3h" in kinds and not kinds & {"reminder_24h", "reminder_2h", "reminder_48h"}


def test_another_process_edit_is_seen_once_the_copy_is_stale(app, monkeypatch):
    with app.app_context():
        assert staff_content.get(db.session).templates == {}
        db.session.commit()
        with db.engine.begin() as conn:  # as another process would: no Session of this one sees it
            conn.execute(
                text(
                    "INSERT INTO message_template (kind, channel, language, body, updated_at) VALUES ('x', 'sms', 'en', 'X', :t)"
                ),
                {"t": paris(0)},
            )
        assert staff_content.get(db.session).templates == {}  # still the copy from before the edit
        db.session.commit()
        later = staff_content._clock() + staff_content.STALE_AFTER + 1
        monkeypatch.setattr(staff_content, "_clock", lambda: later)
        assert staff_content.get(db.session).templates == {("x", "sms", "en"): (None, "X")}


def _statements(engine: Any) -> tuple[list[str], Any]:
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()).lower())

    event.listen(engine, "before_cursor_execute", listen)
    return seen, lambda: event.remove(engine, "before_cursor_execute", listen)


def _reads_content(statements: list[str]) -> list[str]:
    return [s for s in statements if any(f"from {t}" in s for t in staff_content.TABLES)]


def test_a_warm_cache_spares_the_queries_of_a_booking_and_of_a_send(app, client):
    with app.app_context():
        engine = db.engine
    seen, stop = _statements(engine)
    _book(client, 1)
    first = list(seen)
    seen.clear()
    _book(client, 2)
    second = list(seen)
    stop()
    assert _reads_content(first), first  # a cold cache reads the rules and the tips
    assert not _reads_content(second), second
    assert len(second) <= len(first) - len(_reads_content(first)), (first, second)

    seen, stop = _statements(engine)
    tick(app, paris(1, 9, 0))  # both confirmations: the templates are read once, for the first
    stop()
    assert len(_reads_content(seen)) <= 3, _reads_content(seen)
    assert not any(
        "from message_template" in s for s in seen[seen.index(next(s for s in seen if "insert into send_attempt" in s)) :]
    )
