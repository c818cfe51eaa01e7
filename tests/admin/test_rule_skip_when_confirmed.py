"""The rule form lets an administrator say a reminder is not needed once the patient has confirmed the session."""

from __future__ import annotations

from sqlalchemy import select

from service import staff_content
from service.extensions import db
from service.models import ReminderRule
from tests.admin.conftest import csrf_token


def test_an_admin_turns_on_skip_when_confirmed_in_the_rule_form_and_the_list_shows_it(app, admin_client):
    page = admin_client.get("/admin/reminderrule/new/").get_data(as_text=True)
    assert "Skip when the patient has confirmed" in page
    data = {"kind": "reminder_24h", "channel": "sms", "offset_minutes": "1440", "enabled": "y", "skip_when_confirmed": "y"}
    response = admin_client.post("/admin/reminderrule/new/", data={**data, "csrf_token": csrf_token(page)})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    with app.app_context():
        assert db.session.execute(select(ReminderRule.skip_when_confirmed)).scalar_one() is True
        assert staff_content.get(db.session).skip_when_confirmed == frozenset({"reminder_24h"})
    assert "Skip when the patient has confirmed" in admin_client.get("/admin/reminderrule/").get_data(as_text=True)
