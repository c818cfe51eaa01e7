"""Domain events: the event types, the appointment status each leaves behind, and the value objects carrying them."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from service.domain.dispatch_rules import Cancel, NamedSession, Send, decide
from service.domain.events import (
    STATUS_AFTER,
    AppointmentInfo,
    BookingEvent,
    CourseInfo,
    EventType,
    PatientInfo,
    StatusEvent,
)
from service.domain.planning import Channel, Reach
from service.domain.quiet_hours import QuietHours

ROOT = Path(__file__).resolve().parents[2]
STARTS = datetime(2026, 3, 9, 15, 45, tzinfo=UTC)
OCCURRED = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def appointment_statuses_in_the_schema() -> set[str]:
    """What the appointment table's check constraint accepts, read from the migrations (the schema a clinic runs)."""
    found: list[str] = []
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        found += re.findall(r'"status IN \(([^)]*)\)", name=op\.f\("ck_appointment_status"\)', path.read_text())
    assert found, "no ck_appointment_status in the migrations"
    return set(ast.literal_eval(f"({found[-1]},)"))


def patient(**changes) -> PatientInfo:
    base = PatientInfo(
        external_id="pat-1",
        first_name="Camille",
        last_name="Martin",
        phone="+33612345678",
        email="camille@example.test",
        timezone="Europe/Paris",
        language="fr",
        sms_consent=True,
        email_consent=None,
    )
    return dataclasses.replace(base, **changes)


def appointment(**changes) -> AppointmentInfo:
    base = AppointmentInfo(
        external_id="appt-1",
        starts_at=STARTS,
        duration_minutes=10,
        treatment="mesotherapy",
        area="thighs",
        timezone="Europe/Paris",
    )
    return dataclasses.replace(base, **changes)


def event(**changes) -> BookingEvent:
    base = BookingEvent(
        source="generic",
        event_id="evt_1",
        type=EventType.BOOKED,
        occurred_at=OCCURRED,
        appointment=appointment(),
        patient=patient(),
    )
    return dataclasses.replace(base, **changes)


# --- event types -----------------------------------------------------------------------------------------------------


def test_the_event_types_are_the_five_lifecycle_steps_with_their_stored_spellings():
    assert {t.value for t in EventType} == {"booked", "rescheduled", "cancelled", "completed", "no_show"}
    assert EventType("no_show") is EventType.NO_SHOW
    assert f"{EventType.CANCELLED}" == "cancelled"  # a StrEnum formats as its value, as stored and logged
    assert EventType.BOOKED == "booked"


def test_an_unknown_event_type_is_refused():
    with pytest.raises(ValueError):
        EventType("canceled")  # one L: Calendly's spelling must be translated, not passed through


def test_every_type_the_generic_webhook_schema_accepts_is_an_event_type():
    schema = json.loads((ROOT / "service" / "webhooks" / "generic_booking.schema.json").read_text())
    accepted = schema["properties"]["type"]["enum"]
    assert sorted(EventType(t.removeprefix("appointment.")) for t in accepted) == sorted(EventType)


# --- the status each event leaves ---------------------------------------------------------------------------------------


def test_every_event_type_leaves_a_status_behind():
    assert set(STATUS_AFTER) == set(EventType)


def test_a_reschedule_leaves_the_appointment_booked_and_the_others_their_own_status():
    assert STATUS_AFTER == {
        EventType.BOOKED: "booked",
        EventType.RESCHEDULED: "booked",
        EventType.CANCELLED: "cancelled",
        EventType.COMPLETED: "completed",
        EventType.NO_SHOW: "no_show",
    }


def test_every_status_left_behind_is_one_the_appointment_table_accepts():
    assert set(STATUS_AFTER.values()) <= appointment_statuses_in_the_schema()


@pytest.mark.parametrize("kind", list(EventType))
def test_only_a_booking_or_a_reschedule_leaves_a_session_that_reminders_are_still_sent_for(kind):
    status = STATUS_AFTER[kind]
    decision = decide(
        channel=Channel.SMS,
        expires_at=None,
        sessions=[NamedSession(1, planned_start=STARTS, current_start=STARTS, current_status=status)],
        reach=Reach(sms=True, email=True),
        may_fall_back=False,
        zone=ZoneInfo("Europe/Paris"),
        window=QuietHours(8, 21),
        now=datetime(2026, 3, 8, 10, 0, tzinfo=UTC),
    )
    if kind in (EventType.BOOKED, EventType.RESCHEDULED):
        assert decision == Send(Channel.SMS)
    else:
        assert isinstance(decision, Cancel)


# --- value objects -------------------------------------------------------------------------------------------------------


def test_a_booking_event_is_immutable():
    booked = event()
    with pytest.raises(dataclasses.FrozenInstanceError):
        booked.type = EventType.CANCELLED  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        booked.appointment.starts_at = STARTS.replace(hour=9)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        booked.patient.phone = None  # type: ignore[misc]


def test_events_compare_and_hash_by_value_so_a_redelivery_is_the_same_event():
    assert event() == event()
    assert hash(event()) == hash(event())
    assert len({event(), event(), event(event_id="evt_2")}) == 2
    assert event() != event(type=EventType.RESCHEDULED)


def test_a_plain_booking_neither_replaces_nor_is_replaced_and_has_no_course_unless_told():
    booked = event()
    assert booked.replaces_external_id is None
    assert booked.replaced_by_external_id is None
    assert booked.appointment.course is None
    course = CourseInfo("course-7", sessions_planned=6, kind="initial")
    assert appointment(course=course).course == CourseInfo("course-7", 6, "initial")


def test_a_reschedule_arriving_as_a_new_booking_names_the_one_it_replaces():
    moved = event(type=EventType.RESCHEDULED, appointment=appointment(external_id="bk_new"), replaces_external_id="bk_old")
    assert (moved.appointment.external_id, moved.replaces_external_id) == ("bk_new", "bk_old")


def test_a_status_event_carries_only_the_external_id_and_what_became_of_it():
    mark = StatusEvent("calendly", "sha256:abc", EventType.NO_SHOW, OCCURRED, "https://api.calendly.com/invitees/INV4")
    assert {f.name for f in dataclasses.fields(mark)} == {"source", "event_id", "type", "occurred_at", "external_id"}
    assert STATUS_AFTER[mark.type] == "no_show"
    with pytest.raises(dataclasses.FrozenInstanceError):
        mark.external_id = "other"  # type: ignore[misc]
