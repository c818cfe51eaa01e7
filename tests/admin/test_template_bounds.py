"""A staff template that raises, or asks for too much work, is a clear message: in the preview, at save, at dispatch.

Before, anything but a TemplateError (range(100001)'s OverflowError, format_map's
TypeError) answered 500 in the editor and left the reminder to be retried forever.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from service.extensions import db
from service.models import MessageTemplate, Reminder, SendAttempt
from tests.admin.conftest import csrf_token
from tests.fakes.twilio_api import AUTH_TOKEN
from tests.helpers import booking, paris, post_booking, tick

BAD = [  # (template body, what the message must say)
    ("{{ range(100001)|list|length }}", "range() is given 100,001"),
    ("{{ '{first_name}'.format_map() }}", "text.format_map() is not available"),  # a TypeError in Jinja's own sandbox
    ("{{ 'x' * 10**9 }}", "would make about 1,000,000,000 characters"),
    ("{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}", "more than 10,000 steps"),
    ("{% for a in range(900) %}{{ first_name * 10 }}{% endfor %}", "longer than 10,000 characters"),
    ("{{ first_name|replace('', first_name * 900) }}", "the replace filter would make about"),
    ("{{ 1 / 0 }}", "ZeroDivisionError"),
]


@pytest.mark.parametrize(("body", "words"), BAD, ids=[w for _, w in BAD])
def test_the_preview_of_a_template_that_fails_answers_200_with_the_reason(app, admin_client, body, words):
    response = admin_client.post("/admin/messagetemplate/preview", data={"body": body, "channel": "sms"})
    assert response.status_code == 200
    assert words in response.get_json()["error"] and "does not render" in response.get_json()["error"]


@pytest.mark.parametrize(("body", "words"), BAD[:3], ids=[w for _, w in BAD[:3]])
def test_a_template_that_fails_cannot_be_saved_and_the_form_says_why(app, admin_client, body, words):
    token = csrf_token(admin_client.get("/admin/messagetemplate/new/").get_data(as_text=True))
    response = admin_client.post(
        "/admin/messagetemplate/new/",
        data={"kind": "confirmation", "channel": "sms", "language": "fr", "subject": "", "body": body, "csrf_token": token},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "does not render" in page and words.replace("'", "&#39;") in page
    with app.app_context():
        assert db.session.execute(select(MessageTemplate)).first() is None


def store_template(app, kind: str, body: str) -> None:
    """As if written before these checks existed, or straight into the database: the editor never saw it."""
    with app.app_context():
        db.session.add(MessageTemplate(kind=kind, channel="sms", language="fr", body=body))
        db.session.commit()


@pytest.mark.parametrize(("body", "words"), BAD[:2], ids=[w for _, w in BAD[:2]])
def test_a_reminder_whose_stored_template_raises_fails_once_with_the_reason_and_is_not_retried(
    app, client, fake_twilio, body, words
):
    store_template(app, "confirmation", body)
    assert post_booking(client, booking(paris(5))).status_code == 200
    tick(app, paris(1, 10, 0))
    tick(app, paris(1, 10, 30))  # a later tick, past any lease: nothing is tried again
    with app.app_context():
        confirmation = db.session.execute(select(Reminder).where(Reminder.kind == "confirmation")).scalar_one()
        assert confirmation.status == "failed", (confirmation.status, confirmation.status_reason)
        assert words in confirmation.status_reason
        assert db.session.execute(select(SendAttempt)).first() is None
    assert fake_twilio.messages == []


def test_a_reply_template_that_raises_still_answers_help_with_the_shipped_text(app, client):
    store_template(app, "reply_help", BAD[0][0])
    post_booking(client, booking(paris(5)))
    form = {"MessageSid": "SM" + "a" * 32, "From": "+33612345678", "To": "+15005550006", "Body": "AIDE"}
    url = "https://recall.clinic.test/webhooks/twilio/inbound"
    response = client.post(
        "/webhooks/twilio/inbound",
        data=form,
        headers={"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(url, form)},
    )
    assert response.status_code == 200
    assert "<Message>" in response.get_data(as_text=True) and "Clinique Lumière" in response.get_data(as_text=True)
