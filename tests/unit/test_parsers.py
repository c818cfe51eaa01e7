"""Each booking system's parser called directly on the bytes it would receive: no HTTP, no database, no app.

The payloads are the realistic ones in tests/fixtures (see /work/shared/protocol-facts.md), changed where a case needs it.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from service.domain.events import BookingEvent, EventType, StatusEvent
from service.webhooks import acuity, calcom, calendly, fhir, generic
from service.webhooks.errors import PayloadError
from tests.providers import load

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # handed to the parsers that need a "now"; nothing reads the clock


def raw(body: Any) -> bytes:
    return json.dumps(body).encode()


def only_booking(post) -> BookingEvent:
    assert len(post.events) == 1
    (event,) = post.events
    assert isinstance(event, BookingEvent)
    return event


def refused(parse, *args, **kwargs) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        parse(*args, **kwargs)
    return caught.value


def names(error: PayloadError, field: str) -> bool:
    return field in error.message or any(field in d for d in error.details)


# --- generic (Recall's own contract) ------------------------------------------------------------------------------------


def generic_body(**changes: Any) -> dict[str, Any]:
    body = {
        "id": "evt_1",
        "type": "appointment.booked",
        "occurred_at": "2026-03-01T10:00:00+01:00",
        "appointment": {
            "id": "appt-1",
            "starts_at": "2026-03-05T16:45:00+01:00",
            "duration_minutes": 15,
            "treatment": "mesotherapy",
            "area": "thighs",
            "course": {"id": "course-1", "sessions_planned": 6, "kind": "initial"},
        },
        "patient": {
            "id": "pat-1",
            "first_name": "Camille",
            "last_name": "Martin",
            "phone": "06 12 34 56 78",
            "email": "Camille@Example.TEST",
            "timezone": "Europe/Paris",
            "language": "fr",
            "sms_consent": True,
            "email_consent": False,
        },
    }
    body.update(changes)
    return copy.deepcopy(body)


def test_a_generic_booking_becomes_one_booked_event_in_utc_with_an_e164_phone():
    post = generic.parse(raw(generic_body()), region="FR")
    assert (post.event_id, post.event_type, post.ignored, post.warnings) == ("evt_1", "booked", None, [])
    event = only_booking(post)
    assert (event.source, event.event_id, event.type) == ("generic", "evt_1", EventType.BOOKED)
    assert event.occurred_at.astimezone(UTC) == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    appt = event.appointment
    assert appt.external_id == "appt-1"
    assert appt.starts_at.astimezone(UTC) == datetime(2026, 3, 5, 15, 45, tzinfo=UTC)
    assert (appt.duration_minutes, appt.treatment, appt.area, appt.timezone) == (15, "mesotherapy", "thighs", "Europe/Paris")
    assert (appt.course.external_id, appt.course.sessions_planned, appt.course.kind) == ("course-1", 6, "initial")
    pat = event.patient
    assert pat.phone == "+33612345678"
    assert pat.email == "Camille@example.test"  # the domain is lower-cased, the local part kept
    assert (pat.external_id, pat.first_name, pat.last_name) == ("pat-1", "Camille", "Martin")
    assert (pat.language, pat.timezone, pat.sms_consent, pat.email_consent) == ("fr", "Europe/Paris", True, False)


def test_a_national_number_is_read_in_the_clinics_region():
    body = generic_body()
    body["patient"]["phone"] = "07911 123456"
    assert only_booking(generic.parse(raw(body), region="GB")).patient.phone == "+447911123456"
    body["patient"]["phone"] = "+44 7911 123456"
    assert only_booking(generic.parse(raw(body), region="FR")).patient.phone == "+447911123456"


@pytest.mark.parametrize("kind", list(EventType))
def test_each_generic_event_type_maps_onto_its_domain_type(kind):
    assert only_booking(generic.parse(raw(generic_body(type=f"appointment.{kind.value}")), region="FR")).type is kind


def test_the_generic_defaults_fill_what_a_minimal_body_leaves_out():
    body = {
        "id": "evt_2",
        "type": "appointment.booked",
        "occurred_at": "2026-03-01T09:00:00Z",
        "appointment": {"id": "appt-2", "starts_at": "2026-03-05T15:45:00Z"},
        "patient": {"id": "pat-2", "first_name": "Sam"},
    }
    event = only_booking(generic.parse(raw(body), region="FR"))
    assert (event.appointment.duration_minutes, event.appointment.treatment, event.appointment.area) == (10, "mesotherapy", "")
    assert event.appointment.course is None
    assert (event.patient.phone, event.patient.email, event.patient.timezone, event.patient.language) == (None, None, None, None)
    assert (event.patient.last_name, event.patient.sms_consent, event.patient.email_consent) == ("", None, None)


def _pop(path: str):
    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = body
        for key in parents:
            target = target[key]
        target.pop(last)

    return change


def _set(path: str, value: Any):
    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = body
        for key in parents:
            target = target[key]
        target[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_pop("appointment.starts_at"), "appointment: 'starts_at' is a required property"),
        (_pop("patient"), "(body): 'patient' is a required property"),
        (_set("type", "appointment.moved"), "type: 'appointment.moved' is not one of"),
        (_set("appointment.duration_minutes", "ten"), "appointment.duration_minutes"),
        (_set("patient.phone", "call me"), "patient.phone"),
        (_set("patient.phone", "01 00 00"), "patient.phone"),
        (_set("patient.email", "camille-at-example"), "patient.email"),
        (_set("patient.timezone", "Paris"), "patient.timezone"),
        (_set("appointment.starts_at", "2026-03-05T16:45:00"), "appointment.starts_at needs a UTC offset"),
        (_set("appointment.starts_at", "0001-01-01T00:00:00+14:00"), "appointment.starts_at is out of range"),
        (_set("occurred_at", "yesterday"), "occurred_at is not an ISO 8601 date-time"),
    ],
)
def test_a_generic_body_breaking_the_contract_is_refused_naming_the_field(change, field):
    body = generic_body()
    change(body)
    assert names(refused(generic.parse, raw(body), region="FR"), field)


def test_a_generic_body_that_is_not_json_is_refused():
    assert refused(generic.parse, b'{"id": "evt_1", ', region="FR").message == "the body is not valid JSON"


# --- Cal.com -----------------------------------------------------------------------------------------------------------


def test_a_calcom_booking_becomes_a_booked_event_for_the_attendee():
    post = calcom.parse(raw(load("calcom/booking_created.json")), region="FR")
    assert post.event_type == "BOOKING_CREATED"
    assert post.ignored is None and post.warnings == []
    event = only_booking(post)
    assert (event.source, event.type, event.event_id) == ("calcom", EventType.BOOKED, post.event_id)
    assert event.occurred_at == datetime(2026, 3, 2, 9, 15, 4, 120000, tzinfo=UTC)
    appt = event.appointment
    assert appt.external_id == "bk_9fA2kLm3"
    assert appt.starts_at == datetime(2026, 3, 9, 15, 45, tzinfo=UTC)
    assert (appt.duration_minutes, appt.treatment, appt.area) == (10, "mesotherapy-session", "thighs")
    assert appt.timezone == "Europe/Paris"
    pat = event.patient
    assert (pat.first_name, pat.last_name, pat.phone, pat.email) == ("Camille", "Martin", "+33612345678", "camille@example.test")
    assert (pat.language, pat.timezone, pat.external_id) == ("fr", "Europe/Paris", None)
    assert (pat.sms_consent, pat.email_consent) == (True, True)  # an SMS reminder number was asked for
    assert event.replaces_external_id is None


def test_a_calcom_reschedule_is_a_new_booking_replacing_the_old_uid():
    event = only_booking(calcom.parse(raw(load("calcom/booking_rescheduled.json")), region="FR"))
    assert event.type is EventType.RESCHEDULED
    assert (event.appointment.external_id, event.replaces_external_id) == ("bk_Q7wX1n2c", "bk_9fA2kLm3")
    assert event.appointment.starts_at == datetime(2026, 3, 11, 10, 30, tzinfo=UTC)


def test_a_calcom_cancellation_is_a_cancelled_event_for_the_same_uid():
    event = only_booking(calcom.parse(raw(load("calcom/booking_cancelled.json")), region="FR"))
    assert (event.type, event.appointment.external_id) == (EventType.CANCELLED, "bk_9fA2kLm3")


def test_only_a_calcom_reschedule_replaces_a_booking_and_never_itself():
    cancelled = load("calcom/booking_cancelled.json")
    cancelled["payload"]["rescheduleUid"] = "bk_older"  # a cancelled booking that was itself once moved
    assert only_booking(calcom.parse(raw(cancelled), region="FR")).replaces_external_id is None
    created = load("calcom/booking_created.json")
    created["payload"]["fromReschedule"] = "bk_older"
    assert only_booking(calcom.parse(raw(created), region="FR")).replaces_external_id is None
    rescheduled = load("calcom/booking_rescheduled.json")
    rescheduled["payload"]["rescheduleUid"] = rescheduled["payload"]["uid"]
    assert only_booking(calcom.parse(raw(rescheduled), region="FR")).replaces_external_id is None


def test_the_same_calcom_delivery_twice_has_the_same_id_and_another_trigger_another():
    created = load("calcom/booking_created.json")
    first = calcom.parse(raw(created), region="FR").event_id
    assert calcom.parse(json.dumps(created, indent=2).encode(), region="FR").event_id == first
    created["triggerEvent"] = "BOOKING_CANCELLED"
    assert calcom.parse(raw(created), region="FR").event_id != first


def test_other_calcom_triggers_are_acknowledged_without_events():
    post = calcom.parse(raw(load("calcom/meeting_ended.json")), region="FR")
    assert post.events == []
    assert post.ignored == "MEETING_ENDED is not used"


def test_a_calcom_phone_only_in_the_booking_form_is_read_nationally_and_implies_no_sms_consent():
    body = load("calcom/booking_created.json")
    payload = body["payload"]
    del payload["attendees"][0]["phoneNumber"], payload["smsReminderNumber"], payload["endTime"]
    payload["responses"]["attendeePhoneNumber"]["value"] = "06 12 34 56 78"
    payload["length"] = 30
    event = only_booking(calcom.parse(raw(body), region="FR"))
    assert event.patient.phone == "+33612345678"
    assert event.patient.sms_consent is None
    assert event.appointment.duration_minutes == 30  # from `length` when there is no endTime


def test_an_unusable_calcom_phone_is_dropped_with_a_warning_not_refused():
    body = load("calcom/booking_created.json")
    body["payload"]["attendees"][0]["phoneNumber"] = "not a number"
    post = calcom.parse(raw(body), region="FR")
    assert only_booking(post).patient.phone is None
    assert len(post.warnings) == 1 and post.warnings[0].startswith("attendee phone:")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p.pop("uid"), "payload.uid"),
        (lambda p: p.update(attendees=[]), "payload.attendees"),
        (lambda p: p.update(attendees=["camille@example.test"]), "payload.attendees"),
        (lambda p: p.pop("startTime"), "payload.startTime is missing"),
        (lambda p: p.update(startTime="2026-03-09 15:45"), "payload.startTime needs a UTC offset"),
        (lambda p: p.update(endTime="2026-03-09T15:00:00Z"), "payload.endTime must be after the start"),
        (lambda p: p.update(uid="x" * 256), "payload.uid must be 1 to 255 characters"),
    ],
)
def test_a_calcom_booking_missing_what_a_reminder_needs_is_refused_naming_the_field(change, field):
    body = load("calcom/booking_created.json")
    change(body["payload"])
    assert names(refused(calcom.parse, raw(body), region="FR"), field)


def test_a_calcom_body_without_a_payload_object_is_refused():
    assert names(refused(calcom.parse, raw({"triggerEvent": "BOOKING_CREATED", "payload": []}), region="FR"), "payload")


def test_a_calcom_body_of_an_unexpected_shape_is_a_payload_error_not_a_crash():
    body = load("calcom/booking_created.json")
    body["payload"]["attendees"][0]["name"] = 42
    error = refused(calcom.parse, raw(body), region="FR")
    assert error.message == "the body does not have the shape this provider sends"
    assert error.details and error.details[0].startswith("AttributeError")


# --- Calendly ----------------------------------------------------------------------------------------------------------


def test_a_calendly_invitee_becomes_a_booked_event_keyed_by_the_invitee_uri():
    post = calendly.parse(raw(load("calendly/invitee_created.json")), region="FR")
    event = only_booking(post)
    assert (event.source, event.type, post.event_type) == ("calendly", EventType.BOOKED, "invitee.created")
    appt = event.appointment
    assert appt.external_id == "https://api.calendly.com/scheduled_events/EVT9/invitees/INV4"
    assert appt.starts_at == datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
    assert (appt.duration_minutes, appt.treatment, appt.timezone) == (10, "Mesotherapy session", "Europe/London")
    pat = event.patient
    assert (pat.first_name, pat.last_name, pat.phone, pat.email) == ("Sam", "Taylor", "+447911123456", "sam@example.test")
    assert (pat.timezone, pat.language, pat.sms_consent) == ("Europe/London", None, True)
    assert event.occurred_at == datetime(2026, 3, 2, 10, 0, 11, tzinfo=UTC)
    assert (event.replaces_external_id, event.replaced_by_external_id) == (None, None)


def test_the_two_halves_of_a_calendly_reschedule_name_each_other():
    new = only_booking(calendly.parse(raw(load("calendly/invitee_created_rescheduled.json")), region="FR"))
    old = only_booking(calendly.parse(raw(load("calendly/invitee_canceled_rescheduled.json")), region="FR"))
    assert new.type is EventType.RESCHEDULED and old.type is EventType.CANCELLED
    assert new.replaces_external_id == old.appointment.external_id
    assert old.replaced_by_external_id == new.appointment.external_id
    assert old.replaces_external_id is None and new.replaced_by_external_id is None


def test_a_plain_calendly_cancellation_is_replaced_by_nothing():
    body = load("calendly/invitee_canceled_rescheduled.json")
    body["payload"]["rescheduled"] = False  # a stray new_invitee without the flag is not a reschedule
    event = only_booking(calendly.parse(raw(body), region="FR"))
    assert (event.type, event.replaced_by_external_id) == (EventType.CANCELLED, None)
    body["payload"].update(rescheduled=True, new_invitee=None)
    assert only_booking(calendly.parse(raw(body), region="FR")).replaced_by_external_id is None


def test_a_calendly_no_show_is_a_status_event_for_the_invitee():
    post = calendly.parse(raw(load("calendly/invitee_no_show_created.json")), region="FR")
    (mark,) = post.events
    assert isinstance(mark, StatusEvent)
    assert (mark.type, mark.source) == (EventType.NO_SHOW, "calendly")
    assert mark.external_id == "https://api.calendly.com/scheduled_events/EVT9/invitees/INV4"
    assert mark.occurred_at == datetime(2026, 3, 5, 14, 20, tzinfo=UTC)


def test_a_calendly_invitee_without_a_text_reminder_number_has_no_phone_and_no_sms_consent():
    body = load("calendly/invitee_created.json")
    body["payload"]["text_reminder_number"] = None
    pat = only_booking(calendly.parse(raw(body), region="FR")).patient
    assert (pat.phone, pat.sms_consent) == (None, None)


@pytest.mark.parametrize("field", ["first_name", "last_name", "name"])
def test_a_calendly_name_that_is_not_text_is_refused_naming_it(field):
    body = load("calendly/invitee_created.json")
    body["payload"].pop("first_name", None)  # so that `name` is read too
    body["payload"][field] = {"given": "Camille"}
    assert names(refused(calendly.parse, raw(body), region="FR"), f"payload.{field}")


def test_other_calendly_events_are_acknowledged_without_events():
    post = calendly.parse(raw({"event": "routing_form_submission.created", "payload": {}}), region="FR")
    assert post.events == [] and post.ignored == "routing_form_submission.created is not used"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p.pop("uri"), "payload.uri"),
        (lambda p: p.pop("scheduled_event"), "payload.scheduled_event"),
        (lambda p: p["scheduled_event"].pop("start_time"), "payload.scheduled_event.start_time is missing"),
        (lambda p: p["scheduled_event"].update(start_time="2026-03-05T14:00:00"), "payload.scheduled_event.start_time needs"),
        (lambda p: p["scheduled_event"].update(end_time="2026-03-07T14:00:00Z"), "payload.scheduled_event.end_time must be"),
    ],
)
def test_a_calendly_invitee_missing_what_a_reminder_needs_is_refused_naming_the_field(change, field):
    body = load("calendly/invitee_created.json")
    change(body["payload"])
    assert names(refused(calendly.parse, raw(body), region="FR"), field)


def test_a_calendly_no_show_without_its_invitee_is_refused_naming_it():
    body = load("calendly/invitee_no_show_created.json")
    del body["payload"]["invitee"]
    assert names(refused(calendly.parse, raw(body), region="FR"), "payload.invitee")


# --- FHIR R4 -------------------------------------------------------------------------------------------------------------


def test_a_fhir_appointment_with_a_contained_patient_prefers_the_mobile_and_reads_the_language():
    post = fhir.parse(raw(load("fhir/appointment_contained.json")), region="FR", now=NOW)
    assert post.event_type == "Appointment.booked"
    event = only_booking(post)
    assert (event.source, event.type) == ("fhir", EventType.BOOKED)
    assert event.occurred_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # meta.lastUpdated, not now
    appt = event.appointment
    assert (appt.external_id, appt.duration_minutes, appt.treatment, appt.timezone) == ("appt-88", 10, "Mésothérapie", None)
    assert appt.starts_at == datetime(2026, 3, 9, 15, 45, tzinfo=UTC)
    pat = event.patient
    assert pat.phone == "+33612345678"  # the mobile, not the home line listed first
    assert (pat.external_id, pat.first_name, pat.last_name, pat.email) == ("pat", "Camille", "Martin", "camille@example.test")
    assert (pat.language, pat.sms_consent, pat.email_consent) == ("fr", None, None)


def test_a_fhir_bundle_finds_the_patient_among_its_entries_and_reports_what_it_skipped():
    post = fhir.parse(raw(load("fhir/bundle.json")), region="FR", now=NOW)
    assert post.event_type == "Bundle"
    event = only_booking(post)
    assert event.appointment.external_id == "appt-90"
    assert event.appointment.duration_minutes == 10  # from end - start when there is no minutesDuration
    assert (event.patient.external_id, event.patient.phone, event.patient.language) == ("p-12", "+447911123456", "en")
    assert any("appt-91" in w and "'proposed'" in w for w in post.warnings)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("booked", EventType.BOOKED),
        ("cancelled", EventType.CANCELLED),
        ("fulfilled", EventType.COMPLETED),
        ("noshow", EventType.NO_SHOW),
        ("entered-in-error", EventType.CANCELLED),
    ],
)
def test_fhir_statuses_map_onto_domain_types(status, kind):
    body = load("fhir/appointment_contained.json")
    body["status"] = status
    assert only_booking(fhir.parse(raw(body), region="FR", now=NOW)).type is kind


def test_a_new_fhir_version_of_the_same_appointment_is_a_new_event():
    body = load("fhir/appointment_contained.json")
    first = only_booking(fhir.parse(raw(body), region="FR", now=NOW)).event_id
    body["meta"] = {"versionId": "2", "lastUpdated": "2026-03-02T10:00:00Z"}
    assert only_booking(fhir.parse(raw(body), region="FR", now=NOW)).event_id != first


def test_a_fhir_appointment_without_last_updated_happened_at_the_now_given():
    body = load("fhir/appointment_contained.json")
    del body["meta"]
    assert only_booking(fhir.parse(raw(body), region="FR", now=NOW)).occurred_at == NOW


def test_a_fhir_appointment_in_a_status_that_changes_no_reminder_is_ignored():
    body = load("fhir/appointment_contained.json")
    body["status"] = "proposed"
    post = fhir.parse(raw(body), region="FR", now=NOW)
    assert post.events == [] and "'proposed'" in post.ignored


def _no_patient(body: dict[str, Any]) -> None:
    body["participant"] = [p for p in body["participant"] if p["actor"]["reference"].startswith("Practitioner/")]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.update(resourceType="Patient"), "resourceType"),
        (lambda b: b.pop("id"), "Appointment.id is missing"),
        (lambda b: b.pop("start"), "Appointment.start is missing"),
        (lambda b: b.update(start="2026-03-09T15:45:00"), "Appointment.start needs a UTC offset"),
        (lambda b: b.update(minutesDuration=0), "Appointment.minutesDuration must be 1 to"),
        (lambda b: b.update(contained=[]), "Appointment.participant[0] refers to #pat"),
        (_no_patient, "Appointment has no Patient participant"),
    ],
)
def test_a_fhir_appointment_that_cannot_be_used_is_refused_naming_the_element(change, field):
    body = load("fhir/appointment_contained.json")
    change(body)
    assert names(refused(fhir.parse, raw(body), region="FR", now=NOW), field)


def test_a_fhir_bundle_error_names_the_entry():
    body = load("fhir/bundle.json")
    body["entry"][0]["resource"]["start"] = "soon"
    assert names(refused(fhir.parse, raw(body), region="FR", now=NOW), "Bundle.entry[0].Appointment.start")
    body = load("fhir/bundle.json")
    body["entry"] = [body["entry"][2]]
    assert names(refused(fhir.parse, raw(body), region="FR", now=NOW), "the Bundle holds no Appointment")


# --- Acuity ------------------------------------------------------------------------------------------------------------


def test_an_acuity_notification_is_read_as_its_action_and_appointment_id():
    form = b"action=scheduled&id=1001&calendarID=7&appointmentTypeID=42"
    assert acuity.read_form(form) == ("scheduled", "1001")
    assert acuity.read_form(b"action=appointment.canceled&id=1001") == ("appointment.canceled", "1001")


@pytest.mark.parametrize("form", [b"action=scheduled", b"id=1001", b"action=scheduled&id=abc", b"", b"\xff\xfe=\x00"])
def test_an_acuity_notification_without_an_action_and_a_numeric_id_is_refused(form):
    error = refused(acuity.read_form, form)
    assert error.message in ("action and a numeric id are required", "the body is not a form")


def test_acuity_refusals_say_what_was_received():
    error = refused(acuity.read_form, b"action=scheduled&appointment=1001")
    assert error.details == ["received: ['action', 'appointment']"]


def test_an_acuity_appointment_becomes_a_booked_event_read_in_the_clinics_region():
    post = acuity.to_post("scheduled", load("acuity/appointment.json"), region="FR", now=NOW)
    event = only_booking(post)
    assert (event.source, event.type, event.occurred_at) == ("acuity", EventType.BOOKED, NOW)
    appt = event.appointment
    assert appt.external_id == "1001"
    assert appt.starts_at.astimezone(UTC) == datetime(2026, 3, 5, 15, 45, tzinfo=UTC)  # "+0100", no colon
    assert (appt.duration_minutes, appt.treatment, appt.area, appt.timezone) == (
        10,
        "Mésothérapie - séance",
        "thighs",
        "Europe/Paris",
    )
    pat = event.patient
    assert (pat.first_name, pat.last_name, pat.phone, pat.email) == ("Camille", "Martin", "+33612345678", "camille@example.test")
    assert (pat.timezone, pat.language, pat.sms_consent, pat.email_consent) == ("Europe/Paris", None, None, True)


@pytest.mark.parametrize(
    ("action", "changes", "kind"),
    [
        ("rescheduled", {}, EventType.RESCHEDULED),
        ("changed", {}, EventType.BOOKED),
        ("scheduled", {"canceled": True}, EventType.CANCELLED),  # Acuity's current state wins over the action
        ("rescheduled", {"canceled": True}, EventType.CANCELLED),
        ("changed", {"noShow": True}, EventType.NO_SHOW),
    ],
)
def test_the_acuity_event_type_follows_the_state_fetched(action, changes, kind):
    appt = load("acuity/appointment.json") | changes
    assert only_booking(acuity.to_post(action, appt, region="FR", now=NOW)).type is kind


def test_changed_echoing_rescheduled_is_the_same_delivery():
    appt = load("acuity/appointment.json")
    rescheduled = acuity.to_post("rescheduled", appt, region="FR", now=NOW).event_id
    assert acuity.to_post("changed", appt, region="FR", now=NOW).event_id == rescheduled
    moved = appt | {"datetime": "2026-03-06T16:45:00+0100"}
    assert acuity.to_post("changed", moved, region="FR", now=NOW).event_id != rescheduled


def test_an_acuity_appointment_falls_back_to_the_calendars_zone_and_a_ten_minute_session():
    appt = load("acuity/appointment.json") | {"timezone": "Paris", "calendarTimezone": "America/New_York", "duration": ""}
    event = only_booking(acuity.to_post("scheduled", appt, region="FR", now=NOW))
    assert (event.appointment.timezone, event.patient.timezone) == ("America/New_York", "America/New_York")
    assert event.appointment.duration_minutes == 10


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"datetime": None}, "appointment.datetime is missing"),
        ({"datetime": "March 5, 2026 4:45pm"}, "appointment.datetime is not an ISO 8601 date-time"),
        ({"duration": "ten"}, "appointment.duration must be a whole number of minutes"),
        ({"duration": "1441"}, "appointment.duration must be 1 to"),
        ({"id": ""}, "appointment.id must be 1 to 255 characters"),
    ],
)
def test_an_acuity_appointment_that_cannot_be_used_is_refused_naming_the_field(changes, field):
    appt = load("acuity/appointment.json") | changes
    assert names(refused(acuity.to_post, "scheduled", appt, region="FR", now=NOW), field)
