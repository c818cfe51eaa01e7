"""What the clinic says: templates, the rules of when, and the tips, for administrators."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_admin import expose
from sqlalchemy import update
from wtforms.validators import ValidationError

from service.content.templates import DEFAULT_TEMPLATES
from service.domain.sms_encoding import sms_encoding
from service.domain.vocabulary import Channel
from service.extensions import db
from service.models import Appointment
from service.rendering import SAMPLE_VARIABLES, TemplateProblem, render_text
from service.runtime import get_settings
from service.timeutil import utcnow

from .security import AdminModelView
from .validators import LANGUAGES

TEMPLATE_KINDS = sorted({kind for kind, _, _ in DEFAULT_TEMPLATES})


# Variables only some kinds have, with sample values: the save check, the preview and the editor's list share them.
EXTRA_SAMPLES: dict[str, Any] = {"aftercare_tips": ["Drink water."], "due_date": "23 March 2027"}


def template_check(form: Any, field: Any) -> None:
    """A template that does not render with a sample patient cannot be saved."""
    try:
        render_text(field.data or "", {**SAMPLE_VARIABLES, **EXTRA_SAMPLES})
    except TemplateProblem as exc:
        names = ", ".join(sorted({*SAMPLE_VARIABLES, *EXTRA_SAMPLES}))
        raise ValidationError(f"{exc}. Variables you can use: {names}") from None


class TemplateView(AdminModelView):
    column_list = ("kind", "channel", "language", "subject", "updated_at")
    column_filters = ("kind", "channel", "language")
    form_columns = ("kind", "channel", "language", "subject", "body")
    form_choices = {
        "kind": [(k, k.replace("_", " ")) for k in TEMPLATE_KINDS],
        "channel": [("sms", "SMS"), ("email", "Email")],
        "language": LANGUAGES,
    }
    form_args = {"body": {"validators": [template_check]}, "subject": {"validators": [template_check]}}
    create_template = edit_template = "admin/template_edit.html"

    @expose("/preview", methods=["POST"])
    def preview(self) -> Any:
        """Live preview while typing: the text a sample patient would get, its SMS encoding and segments."""
        variables = {**SAMPLE_VARIABLES, **EXTRA_SAMPLES, "clinic_name": get_settings().clinic_name}
        try:
            text = render_text(request.form.get("body", ""), variables)
            subject = render_text(request.form["subject"], variables) if request.form.get("subject") else ""
        except TemplateProblem as exc:
            return jsonify({"error": str(exc)})
        out: dict[str, Any] = {"text": text, "subject": subject, "length": len(text)}
        if request.form.get("channel", Channel.SMS) == Channel.SMS:
            encoding = sms_encoding(text)
            out.update(encoding=encoding.encoding, segments=encoding.segments)
        return jsonify(out)

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.edit_template:
            kwargs["sample"] = {**SAMPLE_VARIABLES, **EXTRA_SAMPLES}
        return super().render(template, **kwargs)


class RuleView(AdminModelView):
    column_list = ("kind", "channel", "offset_minutes", "at_local_time", "enabled")
    column_labels = {"offset_minutes": "Minutes before the session", "at_local_time": "At local time (HH:MM)"}
    form_choices = {"channel": [("sms", "SMS"), ("email", "Email")]}

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if not model.kind.startswith("reminder_"):
            raise ValidationError("A session rule's kind starts with reminder_ (e.g. reminder_evening).")
        if model.at_local_time:
            from datetime import time

            try:
                time.fromisoformat(model.at_local_time)
            except ValueError:
                raise ValidationError("At local time must look like 18:00.") from None
            if model.offset_minutes % 1440:
                raise ValidationError("With a local time, the offset must be whole days (1440 = the day before).")

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        # Every session ahead is planned again by the next planning run (within 5 minutes).
        db.session.execute(update(Appointment).where(Appointment.starts_at > utcnow()).values(needs_planning=True))
        super().after_model_change(form, model, is_created)


class TipView(AdminModelView):
    column_list = ("position", "category", "language", "text", "active")
    column_filters = ("category", "language", "active")
    column_default_sort = ("position", False)
    form_choices = {
        "category": [(c, c) for c in ("aftercare", "diet", "exercise", "water", "circulation")],
        "language": LANGUAGES,
    }
