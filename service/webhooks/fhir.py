"""HL7 FHIR R4 `Appointment` resources (alone or in a `Bundle`), authenticated with a bearer token.

The patient's phone, email and language come from the Patient participant, found
contained in the Appointment (`#ref`) or as an entry of the same Bundle
(`Patient/<id>` or its `fullUrl`). Errors are answered as an `OperationOutcome`, the
form a FHIR client expects.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from ..domain.events import AppointmentInfo, BookingEvent, EventType, PatientInfo, StatusEvent
from .errors import PayloadError, SignatureError
from .instants import between, instant, minutes
from .jsonbody import read_json
from .posts import (
    WebhookPost,
    bounded,
    contact_consent,
    digest_id,
    email_or_warning,
    language_of_locale,
    phone_or_warning,
    shape_checked,
)

SOURCE = "fhir"
STATUSES = {
    "booked": EventType.BOOKED,
    "cancelled": EventType.CANCELLED,
    "fulfilled": EventType.COMPLETED,
    "noshow": EventType.NO_SHOW,
    "entered-in-error": EventType.CANCELLED,
}


def verify(headers: Any, token: str) -> None:
    given = (headers.get("Authorization") or "").strip()
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not value:
        raise SignatureError("missing Authorization: Bearer <FHIR_WEBHOOK_TOKEN>")
    if not hmac.compare_digest(value.strip().encode(), token.encode()):
        raise SignatureError("the bearer token is not the one configured")


def operation_outcome(code: str, diagnostics: str, details: list[str] | None = None) -> dict[str, Any]:
    issues = [{"severity": "error", "code": code, "diagnostics": diagnostics}]
    issues += [{"severity": "error", "code": code, "diagnostics": d} for d in (details or [])]
    return {"resourceType": "OperationOutcome", "issue": issues}


# The OperationOutcome issue code for each problem the booking handler answers.
ISSUE_CODES = {"off": "transient", "signature": "security", "payload": "invalid", "unknown": "not-found", "upstream": "transient"}


def answer(status: int, problem: str, message: str, details: list[str]) -> ResponseReturnValue:
    """Every FHIR error is an OperationOutcome, the form a FHIR client expects."""
    return jsonify(operation_outcome(ISSUE_CODES[problem], message, details)), status, {"Content-Type": "application/fhir+json"}


def _resources(body: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The Appointments, and every Patient reachable by reference, from a resource or a Bundle."""
    kind = body.get("resourceType")
    if kind == "Appointment":
        return [body], {}
    if kind != "Bundle":
        raise PayloadError(f"expected an Appointment or a Bundle, got resourceType {kind!r}", ["resourceType"])
    appointments, patients = [], {}
    for index, entry in enumerate(body.get("entry") or []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise PayloadError(f"Bundle.entry[{index}] has no resource", [f"entry[{index}].resource"])
        if resource.get("resourceType") == "Appointment":
            appointments.append(resource)
        elif resource.get("resourceType") == "Patient":
            for key in (f"Patient/{resource.get('id')}", entry.get("fullUrl")):
                if key:
                    patients[str(key)] = resource
    if not appointments:
        raise PayloadError("the Bundle holds no Appointment", ["entry[].resource.resourceType"])
    return appointments, patients


def _patient_of(appt: dict[str, Any], bundled: dict[str, dict[str, Any]], where: str) -> dict[str, Any]:
    contained = {f"#{r.get('id')}": r for r in appt.get("contained") or [] if r.get("resourceType") == "Patient"}
    for index, participant in enumerate(appt.get("participant") or []):
        reference = str(((participant or {}).get("actor") or {}).get("reference") or "")
        if reference.startswith("#") or reference.startswith("Patient/") or "/Patient/" in reference:
            found = (
                contained.get(reference)
                or bundled.get(reference)
                or bundled.get("Patient/" + reference.rsplit("/Patient/", 1)[-1].removeprefix("Patient/"))
            )
            if found is None:
                raise PayloadError(
                    f"{where}.participant[{index}] refers to {reference} but that Patient is neither contained nor in the Bundle",
                    [f"{where}.participant[{index}].actor.reference: include the Patient so its telecom can be read"],
                )
            return found
    raise PayloadError(f"{where} has no Patient participant", [f"{where}.participant[].actor.reference: Patient/…"])


def _telecom(patient: dict[str, Any], *systems: str) -> str | None:
    points = [t for t in patient.get("telecom") or [] if isinstance(t, dict) and t.get("system") in systems and t.get("value")]
    points.sort(key=lambda t: (t.get("use") != "mobile", t.get("rank") or 99))
    return str(points[0]["value"]) if points else None


def _language(patient: dict[str, Any]) -> str | None:
    for comm in patient.get("communication") or []:
        language = (comm or {}).get("language") or {}
        for coding in language.get("coding") or []:
            if coding.get("code"):
                return language_of_locale(coding["code"])
        if language.get("text"):
            return language_of_locale(language["text"])
    return None


@shape_checked
def parse(raw: bytes, *, region: str, now: datetime, consent: str = "none") -> WebhookPost:
    """`consent` is FHIR_CONTACT_CONSENT: which contacts given with a booking count as consent (posts.contact_consent)."""
    body = read_json(raw)
    if not isinstance(body, dict):
        raise PayloadError("the body is not a FHIR resource", ["resourceType"])
    appointments, bundled = _resources(body)
    events: list[BookingEvent | StatusEvent] = []
    warnings: list[str] = []
    skipped: list[str] = []
    for index, appt in enumerate(appointments):
        where = "Appointment" if body.get("resourceType") == "Appointment" else f"Bundle.entry[{index}].Appointment"
        status = appt.get("status")
        if not appt.get("id"):
            raise PayloadError(f"{where}.id is missing", [f"{where}.id"])
        if status not in STATUSES:
            skipped.append(f"{where} {appt['id']} has status {status!r}, which changes no reminder")
            continue
        starts = instant(appt.get("start"), f"{where}.start")
        ends = instant(appt.get("end"), f"{where}.end") if appt.get("end") else None
        if appt.get("minutesDuration") is not None:
            duration = minutes(appt["minutesDuration"], f"{where}.minutesDuration")
        else:
            duration = between(starts, ends, f"{where}.end") if ends else 10
        patient = _patient_of(appt, bundled, where)
        name = (patient.get("name") or [{}])[0] or {}
        phone = phone_or_warning(_telecom(patient, "sms", "phone"), region, f"{where} patient telecom phone", warnings)
        email = email_or_warning(_telecom(patient, "email"), f"{where} patient telecom email", warnings)
        sms_consent, email_consent = contact_consent(consent, phone, email)
        meta = appt.get("meta") or {}
        events.append(
            BookingEvent(
                source=SOURCE,
                event_id=digest_id(appt["id"], meta.get("versionId"), meta.get("lastUpdated"), status, appt.get("start")),
                type=STATUSES[status],
                occurred_at=instant(meta["lastUpdated"], f"{where}.meta.lastUpdated") if meta.get("lastUpdated") else now,
                appointment=AppointmentInfo(
                    external_id=bounded(appt["id"], 255, f"{where}.id"),
                    starts_at=starts,
                    duration_minutes=duration,
                    treatment=str(((appt.get("appointmentType") or {}).get("text")) or "mesotherapy")[:100],
                    area="",
                    timezone=None,
                ),
                patient=PatientInfo(
                    external_id=str(patient.get("id")) if patient.get("id") else None,
                    first_name=str((name.get("given") or ["there"])[0]),
                    last_name=str(name.get("family") or ""),
                    phone=phone,
                    email=email,
                    timezone=None,
                    language=_language(patient),
                    sms_consent=sms_consent,  # FHIR carries no messaging consent: the clinic's setting says
                    email_consent=email_consent,
                ),
            )
        )
    event_id = digest_id(*(e.event_id for e in events)) if events else digest_id(raw)
    kind = "Bundle" if body.get("resourceType") == "Bundle" else f"Appointment.{appointments[0].get('status')}"
    if not events:
        return WebhookPost(event_id, kind, [], ignored="; ".join(skipped))
    return WebhookPost(event_id, kind, events, warnings=warnings + skipped)
