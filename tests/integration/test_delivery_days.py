"""The dashboard's day counts follow the clinic's calendar, summer and winter, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime

from service.delivery_days import count_days
from service.extensions import db
from service.models import Patient, Reminder


def sent_at(*moments: datetime, status: str = "sent") -> None:
    patient = Patient(first_name="A", phone="+33612345678", language="fr")
    db.session.add(patient)
    db.session.flush()
    for n, moment in enumerate(moments):
        db.session.add(
            Reminder(
                patient_id=patient.id,
                kind="reminder_24h",
                channel="sms",
                dedupe_key=f"k{n}{status}",
                due_at=moment,
                next_attempt_at=moment,
                status=status,
                sent_at=moment,
                updated_at=moment,
            )
        )
    db.session.commit()


def test_a_message_sent_half_past_midnight_in_summer_counts_on_that_local_day(app):
    with app.app_context():
        # 22:30 UTC is 00:30 the next day in Paris in July (UTC+2), 23:30 the same day in January (UTC+1).
        sent_at(datetime(2026, 7, 10, 22, 30, tzinfo=UTC), datetime(2026, 1, 10, 22, 30, tzinfo=UTC))
        summer = count_days(db.session, "Europe/Paris", date(2026, 7, 10), date(2026, 7, 11))
        winter = count_days(db.session, "Europe/Paris", date(2026, 1, 10), date(2026, 1, 11))
    assert (summer[date(2026, 7, 10)]["sent"], summer[date(2026, 7, 11)]["sent"]) == (0, 1)
    assert (winter[date(2026, 1, 10)]["sent"], winter[date(2026, 1, 11)]["sent"]) == (1, 0)


def test_the_25_hour_day_of_the_autumn_change_keeps_its_last_hour(app):
    with app.app_context():
        # 25 October 2026 in Paris runs from 22:00 UTC the day before to 23:00 UTC: 25 hours.
        sent_at(
            datetime(2026, 10, 24, 22, 0, tzinfo=UTC),
            datetime(2026, 10, 25, 22, 59, tzinfo=UTC),
            datetime(2026, 10, 25, 23, 0, tzinfo=UTC),
        )
        days = count_days(db.session, "Europe/Paris", date(2026, 10, 24), date(2026, 10, 26))
    assert [days[date(2026, 10, d)]["sent"] for d in (24, 25, 26)] == [0, 2, 1]
