"""The outcome figures' arithmetic: rates, medians, interrupted courses, and clinic-local weeks and months."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from service.domain.outcomes import (
    CourseFact,
    Facts,
    MaintenanceFact,
    NudgeFact,
    Period,
    SessionFact,
    course_end,
    figures,
    median_days,
    months,
    rate,
    week_start,
    weeks,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.astimezone(PARIS).date()


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def session(
    starts_at: datetime, status: str = "completed", *, lead: timedelta = timedelta(days=3), **fields: object
) -> SessionFact:
    values: dict[str, object] = {
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=10),
        "session_status": status,
        "created_at": starts_at - lead,
        "status_changed_at": starts_at - lead,
        "confirmed": False,
        **fields,
    }
    return SessionFact(**values)  # type: ignore[arg-type]


def test_a_rate_with_nothing_to_divide_by_is_none_not_zero():
    assert rate(0, 0) is None
    assert rate(1, 4) == 0.25
    assert rate(0, 3) == 0.0


def test_the_median_lead_time_in_days_even_and_odd_counts_and_none_when_empty():
    assert median_days([]) is None
    assert median_days([timedelta(days=2)]) == 2.0
    assert median_days([timedelta(days=1), timedelta(days=10), timedelta(days=4)]) == 4.0
    assert median_days([timedelta(days=2), timedelta(days=5)]) == 3.5
    assert median_days([timedelta(hours=36)]) == 1.5


def test_weeks_start_on_monday_and_end_with_the_current_one():
    periods = weeks(TODAY, 12)
    assert len(periods) == 12
    assert periods[-1].start == week_start(TODAY) and periods[-1].start.weekday() == 0
    assert all(p.end - p.start == timedelta(days=7) for p in periods)
    assert all(b.start == a.end for a, b in pairwise(periods))
    assert periods[-1].start <= TODAY < periods[-1].end


def test_months_cover_every_week_and_at_least_three():
    periods = weeks(TODAY, 12)
    covering = months(TODAY, periods[0].start)
    assert len(covering) >= 3
    assert covering[0].start <= periods[0].start and covering[-1].end > TODAY
    assert all(b.start == a.end for a, b in pairwise(covering))
    assert len(months(TODAY, TODAY)) == 3  # one week back still shows three months
    assert len(months(TODAY, TODAY - timedelta(weeks=52))) >= 12


def test_iso_week_labels_across_a_year_end():
    # The ISO week holding the first Thursday of next January is week 1 of next year, even if it starts in December.
    next_year = TODAY.year + 1
    january_4 = date(next_year, 1, 4)
    first = Period("week", week_start(january_4), week_start(january_4) + timedelta(days=7))
    assert first.label == f"{next_year}-W01"
    december_28 = date(TODAY.year, 12, 28)  # always in the year's last ISO week
    last = Period("week", week_start(december_28), week_start(december_28) + timedelta(days=7))
    assert last.label.startswith(f"{TODAY.year}-W5")
    assert Period("month", date(next_year, 1, 1), date(next_year, 2, 1)).label == f"{next_year}-01"


def _clock_changes(year: int) -> list[date]:
    """The last Sundays of March and October: Paris changes its clocks on them."""
    found = []
    for month in (3, 10):
        last = date(year, month, 31)
        found.append(last - timedelta(days=(last.weekday() + 1) % 7))
    return found


def test_a_session_late_on_the_sunday_of_a_clock_change_stays_in_that_week():
    """Bucketing is by the clinic's wall clock: 23:30 on a Sunday is that week, though it is Monday in UTC+0 or not."""
    for sunday in _clock_changes(TODAY.year + 1):
        week = Period("week", week_start(sunday), week_start(sunday) + timedelta(days=7))
        assert week.holds(local(sunday, 23, 30), PARIS)
        assert not week.holds(local(sunday + timedelta(days=1), 0, 30), PARIS)
        assert week.holds(local(week.start, 0, 15), PARIS)  # 00:15 Monday Paris is still Sunday in UTC


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_every_instant_falls_in_exactly_one_of_consecutive_weeks_and_months(moment):
    day = moment.astimezone(PARIS).date()
    around = weeks(day + timedelta(days=14), 5)
    assert sum(p.holds(moment, PARIS) for p in around) == 1
    holding = next(p for p in around if p.holds(moment, PARIS))
    assert holding.start.weekday() == 0 and holding.start <= day < holding.end
    in_months = months(day + timedelta(days=40), day - timedelta(days=40))
    assert sum(p.holds(moment, PARIS) for p in in_months) == 1


def test_attendance_figures_held_no_shows_late_cancellations_confirmation_and_lead_time():
    week = weeks(TODAY, 2)[0]  # last week, entirely past
    monday = week.start
    facts = Facts(
        sessions=[
            session(local(monday, 10), "completed", confirmed=True, lead=timedelta(days=10)),
            session(local(monday + timedelta(days=1), 10), "booked", confirmed=True, lead=timedelta(days=4)),  # over
            session(local(monday + timedelta(days=2), 10), "no_show", lead=timedelta(days=6)),
            session(local(monday + timedelta(days=3), 10), "no_show", confirmed=True, lead=timedelta(days=2)),
            session(local(monday + timedelta(days=4), 10), "cancelled", status_changed_at=local(monday + timedelta(days=4), 7)),
            session(local(monday + timedelta(days=4), 14), "cancelled", lead=timedelta(days=20)),  # early
            session(local(monday + timedelta(days=4), 15), "cancelled", rescheduled=True, lead=timedelta(hours=1)),  # moved
        ]
    )
    got = figures(week, facts, NOW, PARIS)
    assert got["sessions_held"] == 2
    assert got["no_shows"] == 2
    assert got["no_show_rate"] == 0.5
    assert got["late_cancellations"] == 1
    assert got["confirmation_rate"] == 0.75
    assert got["median_lead_time_days"] == 5.0


def test_an_empty_period_has_zero_counts_and_no_rates():
    got = figures(weeks(TODAY, 1)[0], Facts(), NOW, PARIS)
    assert got["sessions_held"] == 0 and got["courses_completed"] == 0 and got["maintenance_due"] == 0
    assert got["no_show_rate"] is None and got["confirmation_rate"] is None and got["completion_rate"] is None
    assert got["median_lead_time_days"] is None


def test_a_booked_session_still_ahead_is_not_held():
    tomorrow = NOW + timedelta(days=1)
    assert (
        figures(Period("week", TODAY, TODAY + timedelta(days=7)), Facts([session(tomorrow, "booked")]), NOW, PARIS)[
            "sessions_held"
        ]
        == 0
    )


def test_courses_complete_at_their_plan_and_are_interrupted_28_days_after_their_last_session_short_of_it():
    last = NOW - timedelta(days=30)
    done = CourseFact(last - timedelta(weeks=5), last, 6, 6, False, last + timedelta(minutes=10))
    assert course_end(done, NOW) == ("completed", last + timedelta(minutes=10))
    short = CourseFact(last - timedelta(weeks=1), last, 2, 6, False, None)
    assert course_end(short, NOW) == ("interrupted", last + timedelta(days=28))
    # Recall closes a stalled course after 8 weeks: short of its plan, it is still interrupted, not completed.
    closed = CourseFact(last - timedelta(weeks=1), last, 2, 6, False, last + timedelta(weeks=8))
    assert course_end(closed, NOW + timedelta(weeks=8))[0] == "interrupted"  # type: ignore[index]
    assert course_end(CourseFact(last, last, 2, 6, True, None), NOW) is None  # something booked: still running
    recent = NOW - timedelta(days=20)
    assert course_end(CourseFact(recent, recent, 2, 6, False, None), NOW) is None  # not yet 28 days
    # Size unknown: interrupted until Recall closes it, then completed.
    assert course_end(CourseFact(last, last, 2, None, False, None), NOW) == ("interrupted", last + timedelta(days=28))
    assert course_end(CourseFact(last, last, 2, None, False, NOW), NOW) == ("completed", NOW)
    # A plan's own rhythm: weekly sessions, interrupted 7 + 14 days after the last one.
    assert course_end(CourseFact(last, last, 2, 6, False, None, timedelta(days=21)), NOW) == (
        "interrupted",
        last + timedelta(days=21),
    )


def test_completion_rate_is_completed_over_completed_and_interrupted():
    period = Period("month", TODAY - timedelta(days=400), TODAY + timedelta(days=1))
    last = NOW - timedelta(days=60)
    facts = Facts(
        courses=[
            CourseFact(last, last, 6, 6, False, last),
            CourseFact(last, last, 6, 6, False, last),
            CourseFact(last, last, 1, 6, False, None),
        ]
    )
    got = figures(period, facts, NOW, PARIS)
    assert (got["courses_started"], got["courses_completed"], got["courses_interrupted"]) == (3, 2, 1)
    assert got["completion_rate"] == 2 / 3


def test_maintenance_groups_and_bookings_within_60_days_either_side():
    due = TODAY - timedelta(days=100)
    period = Period("week", week_start(due), week_start(due) + timedelta(days=7))
    facts = Facts(
        maintenance=[
            MaintenanceFact(due, True, True, (due + timedelta(days=60),)),
            MaintenanceFact(due, True, True, (due + timedelta(days=61),)),
            MaintenanceFact(due, True, True, (due - timedelta(days=10),)),
            MaintenanceFact(due, False, False, (due + timedelta(days=5),)),
            MaintenanceFact(due, False, False, ()),
            MaintenanceFact(due, False, True, (due,)),  # reachable, not reminded (booked already): in neither group
        ]
    )
    got = figures(period, facts, NOW, PARIS)
    assert got["maintenance_due"] == 6
    assert (got["maintenance_reminded"], got["maintenance_reminded_booked"]) == (3, 2)
    assert (got["maintenance_unreachable"], got["maintenance_unreachable_booked"]) == (2, 1)


def test_nudges_count_patients_who_booked_within_7_days():
    sent = local(weeks(TODAY, 3)[0].start, 10)
    period = weeks(TODAY, 3)[0]
    facts = Facts(
        nudges=[
            NudgeFact(1, sent, (sent + timedelta(days=6),)),
            NudgeFact(1, sent + timedelta(days=1), ()),  # the second nudge to the same patient: one patient
            NudgeFact(2, sent, (sent + timedelta(days=8),)),
            NudgeFact(3, sent, (sent - timedelta(days=1),)),  # booked before the nudge
        ]
    )
    got = figures(period, facts, NOW, PARIS)
    assert (got["rebook_nudged"], got["rebook_booked"]) == (3, 1)
