"""The booking systems Recall takes webhooks from: one entry each, served by the one handler (handler.py).

An entry says where the webhook lives, which settings turn it on, how the sender proves who it is, how its body
becomes a `WebhookPost` (Acuity's fetch of the appointment it names included) and, for FHIR, how an error is worded.
"""

from __future__ import annotations

from . import acuity, calcom, calendly, fhir, generic
from .handler import Provider

PROVIDERS: tuple[Provider, ...] = (
    Provider(
        source=generic.SOURCE,
        path="/generic",
        endpoint="generic_booking",
        configured=lambda s: bool(s.booking_webhook_secret),
        off="the generic webhook is off: BOOKING_WEBHOOK_SECRET is not set",
        verify=lambda s, headers, raw, now: generic.verify(headers, raw, s.booking_webhook_secret or "", now),
        parse=lambda s, raw, now: generic.parse(raw, region=s.clinic_region),
        rejected_status=400,  # Recall's own contract: a body breaking its schema is a bad request
    ),
    Provider(
        source=calcom.SOURCE,
        path="/calcom",
        endpoint="calcom_booking",
        configured=lambda s: bool(s.calcom_webhook_secret),
        off="the calcom webhook is off: CALCOM_WEBHOOK_SECRET is not set",
        verify=lambda s, headers, raw, now: calcom.verify(headers, raw, s.calcom_webhook_secret or ""),
        parse=lambda s, raw, now: calcom.parse(raw, region=s.clinic_region, now=now),
    ),
    Provider(
        source=calendly.SOURCE,
        path="/calendly",
        endpoint="calendly_booking",
        configured=lambda s: bool(s.calendly_webhook_signing_key),
        off="the calendly webhook is off: CALENDLY_WEBHOOK_SIGNING_KEY is not set",
        verify=lambda s, headers, raw, now: calendly.verify(headers, raw, s.calendly_webhook_signing_key or "", now),
        parse=lambda s, raw, now: calendly.parse(raw, region=s.clinic_region, now=now),
    ),
    Provider(
        source=acuity.SOURCE,
        path="/acuity",
        endpoint="acuity_booking",
        configured=lambda s: bool(s.acuity_api_key and s.acuity_user_id),
        off="the acuity webhook is off: ACUITY_USER_ID and ACUITY_API_KEY must be set",
        verify=lambda s, headers, raw, now: acuity.verify(headers, raw, s.acuity_api_key or ""),
        # Acuity posts ids only: the appointment's current state is fetched from its API (502 when unreachable).
        parse=lambda s, raw, now: acuity.parse(
            raw,
            base_url=s.acuity_api_base_url,
            user_id=s.acuity_user_id or "",
            api_key=s.acuity_api_key or "",
            region=s.clinic_region,
            now=now,
            consent=s.acuity_contact_consent,
        ),
    ),
    Provider(
        source=fhir.SOURCE,
        path="/fhir",
        endpoint="fhir_appointment",
        configured=lambda s: bool(s.fhir_webhook_token),
        off="the FHIR webhook is off: FHIR_WEBHOOK_TOKEN is not set",
        verify=lambda s, headers, raw, now: fhir.verify(headers, s.fhir_webhook_token or ""),
        parse=lambda s, raw, now: fhir.parse(raw, region=s.clinic_region, now=now, consent=s.fhir_contact_consent),
        answer=fhir.answer,
    ),
)
