"""CSV import of patients: a preview with every row's problems in words, then all rows or none.

Columns: first_name, last_name, phone, email, timezone, language, sms_consent,
email_consent (yes/no). The file is checked again when the import is confirmed,
so what was previewed is exactly what is saved.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import HiddenField

from service.contacts import ContactError, normalise_email, normalise_phone
from service.extensions import db
from service.i18n import _, _l, ngettext
from service.models import Patient
from service.rendering import LANGUAGES
from service.runtime import get_settings
from service.timeutil import utcnow

from .security import ProtectedView, audit
from .validators import TIMEZONES

COLUMNS = ("first_name", "last_name", "phone", "email", "timezone", "language", "sms_consent", "email_consent")
YES, NO = {"yes", "y", "true", "1", "oui"}, {"no", "n", "false", "0", "non", ""}
MAX_ROWS = 5000


@dataclass
class Parsed:
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, what is wrong)


def parse_patients(text: str, region: str, existing_phones: set[str], existing_emails: set[str], language: str = "en") -> Parsed:
    """The rows, checked; `language` is the clinic's, for rows that name none."""
    result = Parsed()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("first_name", "phone", "email") if c not in (reader.fieldnames or [])]
    if reader.fieldnames is None or "first_name" in missing or (("phone" in missing) and ("email" in missing)):
        result.errors.append(
            (
                1,
                _(
                    "the header must name first_name and phone or email; expected columns: %(columns)s",
                    columns=", ".join(COLUMNS),
                ),
            )
        )
        return result
    seen_phones, seen_emails = set(existing_phones), set(existing_emails)
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            result.errors.append((line, _("more than %(num)d rows: split the file", num=MAX_ROWS)))
            break
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        problems: list[str] = []
        if not row.get("first_name"):
            problems.append(_("first_name is empty"))
        phone = email = None
        try:
            phone = normalise_phone(row["phone"], region) if row.get("phone") else None
        except ContactError:
            problems.append(_("phone: %(value)s is not a mobile number we can text", value=row["phone"][:40]))
        try:
            email = normalise_email(row["email"]) if row.get("email") else None
        except ContactError:
            problems.append(_("email: %(value)s is not an email address", value=row["email"][:80]))
        if not phone and not email and not problems:
            problems.append(_("a phone or an email is needed to remind this patient"))
        if phone and phone in seen_phones:
            problems.append(_("phone %(phone)s is already a patient's (or earlier in this file)", phone=phone))
        if email and email in seen_emails:
            problems.append(_("email %(email)s is already a patient's (or earlier in this file)", email=email))
        zone = row.get("timezone") or None
        if zone and zone not in TIMEZONES:
            problems.append(_("timezone %(zone)s is not a time zone like Europe/Paris", zone=zone))
        row_language = (row.get("language") or language).lower()[:2]
        if row_language not in LANGUAGES:
            problems.append(
                _("language %(value)s must be one of %(choices)s", value=row.get("language"), choices=", ".join(LANGUAGES))
            )
        consents = {}
        for name in ("sms_consent", "email_consent"):
            value = (row.get(name) or "").lower()
            if value not in YES | NO:
                problems.append(_("%(column)s must be yes or no, not %(value)s", column=name, value=row.get(name)))
            consents[name] = value in YES
        if problems:
            result.errors.extend((line, p) for p in problems)
            continue
        seen_phones.add(phone) if phone else None
        seen_emails.add(email) if email else None
        result.rows.append(
            {
                "first_name": row["first_name"],
                "last_name": row.get("last_name", ""),
                "phone": phone,
                "email": email,
                "timezone": zone,
                "language": row_language,
                **consents,
            }
        )
    return result


class UploadForm(FlaskForm):
    file = FileField(_l("CSV file"))
    content = HiddenField()


class PatientImportView(ProtectedView):
    @expose("/", methods=["GET", "POST"])
    def index(self) -> Any:
        form = UploadForm()
        parsed = text = None
        if request.method == "POST":
            if not form.validate_on_submit():
                flash(_("The form expired or was not sent from this page; please try again."), "error")
                return self.render("admin/patient_import.html", form=form, parsed=None, columns=COLUMNS), 400
            upload = form.file.data
            text = upload.read().decode("utf-8-sig", "replace") if upload else (form.content.data or "")
            parsed = self._parse(text)
            if request.form.get("confirm") == "yes":
                return self._import(parsed)
            form.content.data = text
        return self.render("admin/patient_import.html", form=form, parsed=parsed, columns=COLUMNS)

    def _parse(self, text: str) -> Parsed:
        phones = {p for p in db.session.execute(select(Patient.phone).where(Patient.phone.is_not(None))).scalars() if p}
        emails = {e for e in db.session.execute(select(Patient.email).where(Patient.email.is_not(None))).scalars() if e}
        settings = get_settings()
        return parse_patients(text, settings.clinic_region, phones, emails, settings.clinic_language)

    def _import(self, parsed: Parsed) -> Any:
        if parsed.errors or not parsed.rows:
            flash(_("Nothing was imported: the file has problems. Fix them and preview again."), "error")
            return redirect(url_for(".index"))
        now, who = utcnow(), f"import:{current_user.email}"
        for row in parsed.rows:
            db.session.add(
                Patient(
                    **row,
                    sms_consent_at=now if row["sms_consent"] else None,
                    sms_consent_source=who if row["sms_consent"] else None,
                    email_consent_at=now if row["email_consent"] else None,
                    email_consent_source=who if row["email_consent"] else None,
                    created_at=now,
                )
            )
        audit("import", "patient", None, rows=len(parsed.rows))
        db.session.commit()
        flash(ngettext("%(num)d patient imported.", "%(num)d patients imported.", len(parsed.rows)), "success")
        return redirect(url_for("patient.index_view"))
