"""Templates in the panel: every shipped one listed and readable, customised from its shipped text, reverted to it,
and previewed as a real message would read, dates in the template's language."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import select

from service.content.templates import DEFAULT_TEMPLATES
from service.extensions import db
from service.messages import find_template
from service.models import AuditEvent, MessageTemplate, ReminderRule
from tests.admin.conftest import csrf_token

PARIS = ZoneInfo("Europe/Paris")
CONFIRMATION_FR = {"kind": "confirmation", "channel": "sms", "language": "fr"}


def page(client, url: str, **params) -> str:
    response = client.get(url, query_string=params or None)
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def post(client, url: str, **data):
    token = csrf_token(client.get("/admin/messagetemplate/").get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def overrides(app) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        rows = db.session.execute(select(MessageTemplate)).scalars()
        return [(t.kind, t.channel, t.language, t.body) for t in rows]


def test_the_list_shows_every_shipped_template_when_the_clinic_has_customised_none(app, admin_client):
    listing = page(admin_client, "/admin/messagetemplate/")
    assert "There are no items in the table." not in listing
    assert listing.count('class="template-shipped"') == len(DEFAULT_TEMPLATES)
    assert "Booking confirmation" in listing and "Answer to HELP" in listing and "Français" in listing
    assert "Customise" in listing and "Revert to the shipped text" not in listing


def test_reading_a_shipped_template_shows_its_text_and_a_sample_patients_message(app, admin_client):
    reading = page(admin_client, "/admin/messagetemplate/read/", **CONFIRMATION_FR)
    shipped = DEFAULT_TEMPLATES[("confirmation", "sms", "fr")][1]
    assert shipped in reading
    assert "Clinique Lumière : rendez-vous confirmé le" in reading  # rendered for a sample patient


def test_customise_starts_from_the_shipped_text_and_revert_brings_the_shipped_text_back(app, admin_client):
    shipped_subject, shipped_body = DEFAULT_TEMPLATES[("confirmation", "sms", "fr")]
    opened = post(admin_client, "/admin/messagetemplate/customise/", **CONFIRMATION_FR)
    assert opened.status_code == 302 and "/admin/messagetemplate/edit/" in opened.headers["Location"]
    assert overrides(app) == [("confirmation", "sms", "fr", shipped_body)]
    editor = page(admin_client, opened.headers["Location"])
    assert shipped_body in editor and "Preview for a sample patient" in editor

    with app.app_context():  # the clinic changes its copy; messages now use it
        db.session.execute(select(MessageTemplate)).scalar_one().body = "NOUVEAU {{ clinic_name }}"
        db.session.commit()
        assert find_template(db.session, "confirmation", "sms", "fr") == (None, "NOUVEAU {{ clinic_name }}")
    listing = page(admin_client, "/admin/messagetemplate/")
    assert listing.count('class="template-customised"') == 1 and "Revert to the shipped text" in listing

    reverted = post(admin_client, "/admin/messagetemplate/revert/", **CONFIRMATION_FR)
    assert reverted.status_code == 302
    assert overrides(app) == []
    with app.app_context():
        assert find_template(db.session, "confirmation", "sms", "fr") == (shipped_subject, shipped_body)
        actions = db.session.execute(select(AuditEvent.action).where(AuditEvent.entity == "message_template")).scalars()
        assert {"customise", "revert"} <= set(actions)
    listing = page(admin_client, "/admin/messagetemplate/")
    assert listing.count('class="template-shipped"') == len(DEFAULT_TEMPLATES) and "back to the shipped text" in listing


def test_customise_and_revert_need_the_pages_csrf_token(app, admin_client):
    assert admin_client.post("/admin/messagetemplate/customise/", data=CONFIRMATION_FR).status_code == 302
    assert overrides(app) == []


def test_the_preview_of_a_french_template_says_the_date_in_french(app, admin_client):
    before = datetime.now(UTC)
    body = DEFAULT_TEMPLATES[("confirmation", "sms", "fr")][1]
    preview = admin_client.post("/admin/messagetemplate/preview", data={"body": body, "channel": "sms", "language": "fr"})
    text = preview.get_json()["text"]
    after = datetime.now(UTC)
    # The sample session is a few days ahead of now, at 16:45 the clinic's time, as Babel says it in French.
    expected = {
        f"le {format_date((moment.astimezone(PARIS) + timedelta(days=days)).date(), 'full', locale='fr')} à 16:45"
        for moment in (before, after)
        for days in range(1, 8)
    }
    assert any(words in text for words in expected), text
    assert "PM" not in text and not any(month in text for month in ("January", "March", "December"))
    assert preview.get_json()["meta"].startswith("GSM-7 · 2 segments")  # the sample patient's link makes two


def test_a_reminder_rule_of_the_clinics_own_can_have_its_own_text_listed_beside_the_shipped_ones(app, admin_client):
    with app.app_context():
        db.session.add(ReminderRule(kind="reminder_evening", channel="sms", offset_minutes=1440, at_local_time="18:00"))
        db.session.commit()
    form = admin_client.get("/admin/messagetemplate/new/").get_data(as_text=True)
    assert 'value="reminder_evening"' in form
    data = {"kind": "reminder_evening", "channel": "sms", "language": "en", "subject": "", "body": "See you tomorrow"}
    assert admin_client.post("/admin/messagetemplate/new/", data={**data, "csrf_token": csrf_token(form)}).status_code == 302
    listing = page(admin_client, "/admin/messagetemplate/")
    assert "Reminder evening" in listing and listing.count('class="template-customised"') == 1
    with app.app_context():
        assert find_template(db.session, "reminder_evening", "sms", "en") == (None, "See you tomorrow")
