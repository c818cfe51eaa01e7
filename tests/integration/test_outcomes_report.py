"""The outcomes report over a clinic of known sessions, courses, maintenance patients and nudges: the same exact
figures from `outcomes report` (JSON and CSV), on /admin/outcomes/, and as /metrics gauges after housekeeping."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from admin.auth import create_user
from service.confirmations import confirm
from service.extensions import db
from service.jobs import housekeeping
from service.models import Appointment, Course, Patient, Reminder
from service.runtime import get_settings
from tests.admin.conftest import STAFF, sign_in
from tests.helpers import PARIS
from tests.integration.test_metrics import samples, value

# "Now" is this week's Wednesday at noon in Paris: last week is wholly past, this week has a session still ahead.
_today = datetime.now(PARIS).date()
MONDAY = _today - timedelta(days=_today.weekday())
NOW = datetime(MONDAY.year, MONDAY.month, MONDAY.day, 12, 0, tzinfo=PARIS).astimezone(UTC) + timedelta(days=2)


def monday(weeks_back: int) -> date:
    return MONDAY - timedelta(weeks=weeks_back)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Clinic:
    counter: int = 0

    def patient(self, **fields: Any) -> Patient:
        self.counter += 1
        values = {"first_name": f"P{self.counter}", "phone": f"+3361234{self.counter:04d}", "sms_consent": True, **fields}
        patient = Patient(**values)
        db.session.add(patient)
        db.session.flush()
        return patient

    def session(
        self, patient: Patient, starts_at: datetime, status: str, *, lead: timedelta, course: Course | None = None, **fields: Any
    ) -> Appointment:
        self.counter += 1
        appt = Appointment(
            patient_id=patient.id,
            course_id=course.id if course else None,
            source="generic",
            external_id=f"a{self.counter}",
            starts_at=starts_at,
            local_starts_at=starts_at.astimezone(PARIS).replace(tzinfo=None),
            timezone="Europe/Paris",
            duration_minutes=10,
            status=status,
            created_at=starts_at - lead,
            slot_changed_at=fields.pop("slot_changed_at", starts_at - lead),
            needs_planning=False,
            **fields,
        )
        db.session.add(appt)
        db.session.flush()
        return appt

    def course(self, patient: Patient, **fields: Any) -> Course:
        course = Course(patient_id=patient.id, area="cuisses", **fields)
        db.session.add(course)
        db.session.flush()
        return course

    def sent(self, patient: Patient, kind: str, sent_at: datetime, course: Course | None = None) -> None:
        self.counter += 1
        db.session.add(
            Reminder(
                patient_id=patient.id,
                course_id=course.id if course else None,
                kind=kind,
                channel="sms",
                dedupe_key=f"test:{self.counter}",
                due_at=sent_at,
                next_attempt_at=sent_at,
                status="delivered",
                sent_at=sent_at,
            )
        )


FAR = NOW + timedelta(days=70)  # sessions booked in answer to a message: beyond every period of the report


def build(app: Any) -> dict[str, dict[str, Any]]:
    """The clinic; returns the expected figures, by period label, that differ from zero / none."""
    clinic = Clinic()
    last = monday(1)
    with app.app_context():
        settings = get_settings()
        # Last week: attendance.
        p = clinic.patient()
        held = clinic.session(p, at(last, 10), "completed", lead=timedelta(days=10))
        confirm(db.session, held, settings, held.starts_at - timedelta(days=1), via="sms")  # "OUI" by SMS
        over = clinic.session(p, at(last + timedelta(days=1), 10), "booked", lead=timedelta(days=4))  # passed, not marked
        confirm(db.session, over, settings, over.starts_at - timedelta(hours=20), via="page")  # the patient's page
        clinic.session(p, at(last + timedelta(days=2), 10), "no_show", lead=timedelta(days=6))
        missed = clinic.session(p, at(last + timedelta(days=3), 10), "no_show", lead=timedelta(days=2))
        confirm(db.session, missed, settings, missed.starts_at - timedelta(days=1), via="sms")
        late = at(last + timedelta(days=4), 10)
        clinic.session(p, late, "cancelled", lead=timedelta(days=9), slot_changed_at=late - timedelta(hours=3))
        early = at(last + timedelta(days=4), 14)
        clinic.session(p, early, "cancelled", lead=timedelta(days=9), slot_changed_at=early - timedelta(days=3))
        moved = at(last + timedelta(days=4), 16)  # moved to another time an hour before: not a cancellation
        clinic.session(
            p, moved, "cancelled", lead=timedelta(days=9), slot_changed_at=moved - timedelta(hours=1), replaced_by_external_id="x"
        )
        # This week: one session still ahead (Thursday).
        clinic.session(p, at(MONDAY + timedelta(days=3), 10), "booked", lead=timedelta(days=3))

        # A course of 2 completed (weeks -3 and -2) and a course of 6 interrupted after its first (week -7): weekly, as plans say.
        done = clinic.course(clinic.patient(), sessions_planned=2)
        first, second = at(monday(3) + timedelta(days=1), 10), at(monday(2) + timedelta(days=1), 10)
        clinic.session(done.patient, first, "completed", lead=timedelta(days=7), course=done)
        clinic.session(done.patient, second, "completed", lead=timedelta(days=7), course=done)
        done.started_at, done.completed_at = first, second + timedelta(minutes=10)
        stalled = clinic.course(clinic.patient(), sessions_planned=6)
        only = at(monday(7) + timedelta(days=1), 10)
        clinic.session(stalled.patient, only, "completed", lead=timedelta(days=7), course=stalled)
        stalled.started_at = only

        # Maintenance due on Wednesday 10 weeks ago: two reminded, two who could not be, one neither.
        due = monday(10) + timedelta(days=2)
        year_ago = at(due, 10) - timedelta(days=365)

        def maintenance(**patient: Any) -> Patient:
            who = clinic.patient(**patient)
            course = clinic.course(who, started_at=year_ago, completed_at=year_ago, maintenance_due_on=due)
            if patient.get("sms_consent", True) and not patient.get("sms_opted_out_at"):
                clinic.sent(who, "maintenance_due", at(due, 10), course)
            return who

        def booked(who: Patient, days_after_due: int) -> None:
            clinic.session(who, FAR, "booked", lead=FAR - at(due + timedelta(days=days_after_due), 11))

        booked(maintenance(), 20)  # reminded, booked in time
        booked(maintenance(), 65)  # reminded, booked too late
        booked(maintenance(sms_consent=False), 30)  # no consent: booked anyway
        maintenance(sms_consent=True, sms_opted_out_at=year_ago)  # opted out, no booking
        neither = clinic.patient()  # reachable, but no reminder went out (its reminder was cancelled)
        clinic.course(neither, started_at=year_ago, completed_at=year_ago, maintenance_due_on=due)

        # Two patients nudged last week to finish a course; one booked 3 days later.
        nudged = clinic.patient()
        clinic.sent(nudged, "rebook", at(last, 10))
        clinic.session(nudged, FAR, "booked", lead=FAR - (at(last, 10) + timedelta(days=3)))
        clinic.sent(clinic.patient(), "rebook", at(last + timedelta(days=1), 10))
        db.session.commit()

    return {
        week_label(last): {
            "sessions_held": 2,
            "no_shows": 2,
            "no_show_rate": 0.5,
            "late_cancellations": 1,
            "confirmation_rate": 0.75,
            "median_lead_time_days": 5.0,
            "rebook_nudged": 2,
            "rebook_booked": 1,
        },
        week_label(MONDAY): {"median_lead_time_days": 3.0},
        week_label(monday(2)): {
            "sessions_held": 1,
            "median_lead_time_days": 7.0,
            "no_show_rate": 0.0,
            "confirmation_rate": 0.0,
            "courses_completed": 1,
            "completion_rate": 1.0,
        },
        week_label(monday(3)): {
            "sessions_held": 1,
            "median_lead_time_days": 7.0,
            "no_show_rate": 0.0,
            "confirmation_rate": 0.0,
            "courses_started": 1,
        },
        week_label(monday(4)): {
            # The plan's interval (7 days) + 1 + 14 days after week -7's Tuesday: the Wednesday of week -4, the day the
            # front desk's "course interrupted" item appears.
            "courses_interrupted": 1,
            "completion_rate": 0.0,
        },
        week_label(monday(7)): {
            "sessions_held": 1,
            "median_lead_time_days": 7.0,
            "no_show_rate": 0.0,
            "confirmation_rate": 0.0,
            "courses_started": 1,
        },
        week_label(monday(10)): {
            "maintenance_due": 5,
            "maintenance_reminded": 2,
            "maintenance_reminded_booked": 1,
            "maintenance_unreachable": 2,
            "maintenance_unreachable_booked": 1,
        },
    }


RATES = {"no_show_rate", "confirmation_rate", "completion_rate", "median_lead_time_days"}


def expected_week(expected: dict[str, dict[str, Any]], label: str, name: str) -> Any:
    return expected.get(label, {}).get(name, None if name in RATES else 0)


def run_report(app: Any, fmt: str) -> str:
    result = app.test_cli_runner().invoke(args=["outcomes", "report", "--format", fmt, "--at", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    return str(result.output)


@pytest.fixture
def expected(app: Any) -> dict[str, dict[str, Any]]:
    return build(app)


def test_the_json_report_gives_exactly_the_expected_figures_per_week_and_month(app, expected):
    report = json.loads(run_report(app, "json"))
    assert [w["period"] for w in report["weeks"]] == [week_label(monday(n)) for n in range(11, -1, -1)]
    for week in report["weeks"]:
        for name, got in week["figures"].items():
            assert got == expected_week(expected, week["period"], name), (week["period"], name)
    assert len(report["months"]) >= 3
    # Each month holds exactly the weeks' counts of what happened in it: the same sessions, counted once.
    totals = {name: sum(w["figures"][name] for w in report["weeks"]) for name in ("sessions_held", "no_shows", "maintenance_due")}
    assert (
        {name: sum(m["figures"][name] for m in report["months"]) for name in totals}
        == totals
        == {
            "sessions_held": 5,
            "no_shows": 2,
            "maintenance_due": 5,
        }
    )
    by_month = {m["period"]: m["figures"] for m in report["months"]}
    friday, nudged = monday(1) + timedelta(days=4), monday(1)  # the late cancellation; the nudge that was answered
    assert by_month[f"{friday.year}-{friday.month:02d}"]["late_cancellations"] == 1
    assert by_month[f"{nudged.year}-{nudged.month:02d}"]["rebook_booked"] == 1
    assert set(report["definitions"]) == set(report["weeks"][0]["figures"])
    assert "24 hours" in report["definitions"]["late_cancellations"]


def test_the_csv_report_has_one_row_per_period_and_figure_with_the_same_numbers(app, expected):
    rows = list(csv.DictReader(io.StringIO(run_report(app, "csv"))))
    weekly = [r for r in rows if r["period_kind"] == "week"]
    assert len(weekly) == 12 * 17
    for row in weekly:
        want = expected_week(expected, row["period"], row["figure"])
        assert row["value"] == ("" if want is None else str(want)), (row["period"], row["figure"])
        assert row["definition"]
    assert {r["period_kind"] for r in rows} == {"week", "month"}


def test_the_page_shows_the_same_figures_the_definitions_and_the_chart(app, client, expected):
    with app.app_context():
        create_user(*STAFF, role="staff", now=NOW)
        db.session.commit()
    with time_machine.travel(NOW, tick=False):
        assert sign_in(client, *STAFF).status_code == 302
        page = client.get("/admin/outcomes/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)

    def cell(period: str, name: str) -> str:
        found = re.search(rf'data-period="{period}" data-figure="{name}">([^<]*)<', html)
        assert found, (period, name)
        return found.group(1)

    last = week_label(monday(1))
    assert cell(last, "sessions_held") == "2"
    assert cell(last, "no_shows") == "2"
    assert cell(last, "no_show_rate") == "50%"  # the clinic reads English in tests; French would read "50 %"
    assert cell(last, "confirmation_rate") == "75%"
    assert cell(last, "late_cancellations") == "1"
    assert cell(last, "median_lead_time_days") == "5"
    assert cell(week_label(monday(4)), "completion_rate") == "0%"
    assert cell(week_label(monday(2)), "completion_rate") == "100%"
    assert cell(week_label(MONDAY), "no_show_rate") == "—"  # nothing held or missed yet this week
    assert cell(week_label(monday(10)), "maintenance_reminded_booked") == "1"
    assert "less than 24 hours before their start" in html  # the definitions are on the page
    assert "<svg" in html and "<polyline" in html and "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_the_housekeeping_job_puts_this_and_last_weeks_figures_on_metrics(app, client, expected):
    with app.app_context(), time_machine.travel(NOW, tick=False):
        assert housekeeping(NOW)["outcome_gauges"] > 0
        scrape = samples(client.get("/metrics").get_data(as_text=True))
    assert value(scrape, "recall_outcome", week="last", figure="no_shows") == 2
    assert value(scrape, "recall_outcome", week="last", figure="no_show_rate") == 0.5
    assert value(scrape, "recall_outcome", week="last", figure="rebook_booked") == 1
    assert value(scrape, "recall_outcome", week="current", figure="median_lead_time_days") == 3.0
    assert ("recall_outcome", (("figure", "no_show_rate"), ("week", "current"))) not in scrape  # no rate of nothing
    outcome_labels = {label for name, labels in scrape if name == "recall_outcome" for label, _ in labels}
    assert outcome_labels == {"week", "figure"}  # no patient, session or message in a label


def test_the_report_refuses_a_bad_format_in_words(app):
    result = app.test_cli_runner().invoke(args=["outcomes", "report", "--format", "xml"])
    assert result.exit_code == 2 and "xml" in result.output
    with app.app_context():
        assert db.session.execute(select(Appointment)).first() is None
