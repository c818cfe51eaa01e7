"""What the clinic says: templates, the rules of when, and the tips, for administrators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from sqlalchemy import select, update
from wtforms.validators import ValidationError

from service.content.templates import DEFAULT_TEMPLATES
from service.domain.sms_encoding import sms_encoding
from service.domain.vocabulary import Channel
from service.extensions import db
from service.i18n import _, _l, ngettext, reader_language
from service.models import Appointment, MessageTemplate, ReminderRule
from service.rendering import SAMPLE_VARIABLES, TemplateProblem, format_phone, language_of, render_text, sample_variables
from service.runtime import get_settings
from service.timeutil import utcnow

from .security import AdminModelView, ConfirmForm, audit
from .validators import LANGUAGES
from .wording import CHANNEL, REMINDER_KIND, channel, reminder_kind

# Shipped kinds that are not reminders of their own: the panel says what each one is for.
TEMPLATE_KIND_WORDS = {
    "session_reminder": _l("Reminder before a session (every reminder rule)"),
    "reply_confirm": _l("Answer to a patient who confirms"),
    "reply_help": _l("Answer to HELP"),
    "reply_no_session": _l("Answer when no session is booked"),
    "reply_reschedule": _l("Answer to a patient who asks to reschedule"),
}
TEMPLATE_KINDS = list(dict.fromkeys(kind for kind, _c, _g in DEFAULT_TEMPLATES))  # in the order they are shipped
LANGUAGE_NAMES = dict(LANGUAGES)

# Variables only some kinds have: the save check renders every template with them too.
EXTRA_SAMPLES: dict[str, Any] = {"aftercare_tips": ["Drink water."], "due_date": "23 March 2027"}


def template_kind_words(kind: str) -> str:
    return str(TEMPLATE_KIND_WORDS[kind]) if kind in TEMPLATE_KIND_WORDS else reminder_kind(kind)


def preview_variables(language: str) -> dict[str, Any]:
    """What a sample patient's message says in `language`, dated from now and formatted as real messages are."""
    settings = get_settings()
    return {
        **sample_variables(language, utcnow(), ZoneInfo(settings.clinic_timezone)),
        "clinic_name": settings.clinic_name,
        "clinic_phone": format_phone(settings.clinic_phone) or SAMPLE_VARIABLES["clinic_phone"],
    }


def template_check(form: Any, field: Any) -> None:
    """A template that does not render with a sample patient cannot be saved."""
    try:
        render_text(field.data or "", {**SAMPLE_VARIABLES, **EXTRA_SAMPLES})
    except TemplateProblem as exc:
        names = ", ".join(sorted({*SAMPLE_VARIABLES, *EXTRA_SAMPLES}))
        raise ValidationError(_("%(problem)s. Variables you can use: %(names)s", problem=exc, names=names)) from None


@dataclass(frozen=True)
class TemplateEntry:
    """One (kind, channel, language) the clinic can send: the shipped text, and the clinic's own if it has one."""

    kind: str
    channel: str
    language: str
    shipped: tuple[str | None, str] | None
    override: MessageTemplate | None

    @property
    def kind_words(self) -> str:
        return template_kind_words(self.kind)

    @property
    def channel_words(self) -> str:
        return channel(self.channel)

    @property
    def language_words(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)


def template_entries() -> list[TemplateEntry]:
    """Every shipped template, then any the clinic wrote for a kind of its own (a reminder rule it added)."""
    overrides = {(t.kind, t.channel, t.language): t for t in db.session.execute(select(MessageTemplate)).scalars()}
    keys = list(DEFAULT_TEMPLATES) + sorted(k for k in overrides if k not in DEFAULT_TEMPLATES)
    return [TemplateEntry(*key, DEFAULT_TEMPLATES.get(key), overrides.get(key)) for key in keys]


def find_entry(kind: str | None, channel_name: str | None, language: str | None) -> TemplateEntry:
    for entry in template_entries():
        if (entry.kind, entry.channel, entry.language) == (kind, channel_name, language):
            return entry
    abort(404)


def with_own_kinds(form: Any, template: MessageTemplate | None) -> Any:
    """The clinic's own reminder rules (reminder_evening) may have a text of their own: their kinds are choices too."""
    kinds = set(db.session.execute(select(ReminderRule.kind)).scalars())
    if template is not None:
        kinds.add(template.kind)
    shipped = {value for value, _label in form.kind.choices}
    form.kind.choices = [*form.kind.choices, *((k, reminder_kind(k)) for k in sorted(kinds - shipped))]
    return form


class TemplateView(AdminModelView):
    """The shipped templates, each readable, customisable and revertible; the editor with a live preview."""

    column_labels = {"kind": _l("Message"), "channel": _l("Channel"), "language": _l("Language"), "subject": _l("Subject")}
    form_columns = ("kind", "channel", "language", "subject", "body")
    form_args = {
        "kind": {"label": _l("Message")},
        "channel": {"label": _l("Channel")},
        "language": {"label": _l("Language")},
        "subject": {"label": _l("Subject (emails)"), "validators": [template_check]},
        "body": {"label": _l("Text"), "validators": [template_check]},
    }
    # Lazy words: Flask-Admin builds the form once, and each reader sees the choices in their own language.
    form_choices = {
        "kind": [(k, TEMPLATE_KIND_WORDS.get(k) or REMINDER_KIND.get(k) or k) for k in TEMPLATE_KINDS],  # type: ignore[call-overload]
        "channel": list(CHANNEL.items()),
        "language": LANGUAGES,
    }
    create_template = edit_template = "admin/template_edit.html"

    @expose("/")
    def index_view(self) -> Any:
        """Every template the clinic sends, shipped or customised, instead of only the customised rows."""
        return self.render("admin/template_list.html", entries=template_entries(), form=ConfirmForm())

    @expose("/read/")
    def read_view(self) -> Any:
        entry = find_entry(request.args.get("kind"), request.args.get("channel"), request.args.get("language"))
        texts = [(str(_("Shipped text")), entry.shipped)] if entry.shipped else []
        if entry.override is not None:
            texts.insert(0, (str(_("The clinic's text, in use")), (entry.override.subject, entry.override.body)))
        variables = preview_variables(entry.language)
        subject, body = texts[0][1]
        try:
            example: tuple[str, str] | None = (render_text(subject, variables) if subject else "", render_text(body, variables))
        except TemplateProblem:
            example = None
        return self.render("admin/template_read.html", entry=entry, texts=texts, example=example, form=ConfirmForm())

    @expose("/customise/", methods=["POST"])
    def customise_view(self) -> Any:
        """Start the clinic's own version of a shipped template from the shipped text, and open it in the editor."""
        entry = find_entry(request.form.get("kind"), request.form.get("channel"), request.form.get("language"))
        if not ConfirmForm(request.form).validate():
            flash(_("The page had expired; nothing was changed. Please try again."), "error")
            return redirect(url_for(".index_view"))
        override = entry.override
        if override is None and entry.shipped is not None:
            subject, body = entry.shipped
            override = MessageTemplate(
                kind=entry.kind, channel=entry.channel, language=entry.language, subject=subject, body=body
            )
            db.session.add(override)
            db.session.flush()
            audit(
                "customise",
                MessageTemplate.__tablename__,
                override.id,
                kind=entry.kind,
                channel=entry.channel,
                language=entry.language,
            )
            db.session.commit()
        if override is None:
            abort(404)
        return redirect(url_for(".edit_view", id=override.id, url=url_for(".index_view")))

    @expose("/revert/", methods=["POST"])
    def revert_view(self) -> Any:
        """Drop the clinic's version: the shipped text is sent again from the next message."""
        entry = find_entry(request.form.get("kind"), request.form.get("channel"), request.form.get("language"))
        if not ConfirmForm(request.form).validate():
            flash(_("The page had expired; nothing was changed. Please try again."), "error")
        elif entry.override is not None:
            audit(
                "revert",
                MessageTemplate.__tablename__,
                entry.override.id,
                kind=entry.kind,
                channel=entry.channel,
                language=entry.language,
            )
            db.session.delete(entry.override)
            db.session.commit()
            flash(
                _(
                    "%(message)s (%(channel)s, %(language)s) is back to the shipped text.",
                    message=entry.kind_words,
                    channel=entry.channel_words,
                    language=entry.language_words,
                ),
                "success",
            )
        return redirect(url_for(".index_view"))

    @expose("/preview", methods=["POST"])
    def preview(self) -> Any:
        """Live preview while typing: the text a sample patient would get in the template's language, with its SMS
        encoding and segments."""
        variables = preview_variables(language_of(request.form.get("language") or get_settings().clinic_language))
        try:
            text = render_text(request.form.get("body", ""), variables)
            subject = render_text(request.form["subject"], variables) if request.form.get("subject") else ""
        except TemplateProblem as exc:
            return jsonify({"error": str(exc)})
        out: dict[str, Any] = {"text": text, "subject": subject, "length": len(text)}
        if request.form.get("channel", Channel.SMS) == Channel.SMS:
            encoding = sms_encoding(text)
            out.update(encoding=encoding.encoding, segments=encoding.segments)
            out["meta"] = ngettext(
                "%(encoding)s · %(num)d segment · %(length)d characters",
                "%(encoding)s · %(num)d segments · %(length)d characters",
                encoding.segments,
                encoding=encoding.encoding,
                length=len(text),
            )
        return jsonify(out)

    def create_form(self, obj: Any = None) -> Any:
        return with_own_kinds(super().create_form(obj), None)

    def edit_form(self, obj: Any = None) -> Any:
        return with_own_kinds(super().edit_form(obj), obj)

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.edit_template:
            model = kwargs.get("model")
            language = model.language if model is not None else reader_language()
            kwargs["sample"] = preview_variables(language_of(language))
            kwargs["index_url"] = url_for(".index_view")
        return super().render(template, **kwargs)


class RuleView(AdminModelView):
    column_list = ("kind", "channel", "offset_minutes", "at_local_time", "enabled", "skip_when_confirmed")
    column_labels = {
        "kind": _l("Kind"),
        "channel": _l("Channel"),
        "offset_minutes": _l("Minutes before the session"),
        "at_local_time": _l("At local time (HH:MM)"),
        "enabled": _l("On"),
        "skip_when_confirmed": _l("Skip when the patient has confirmed"),
    }
    column_descriptions = {
        "skip_when_confirmed": _l("When on, this reminder is not sent for a session the patient has already confirmed."),
    }
    form_choices = {"channel": [("sms", _l("SMS")), ("email", _l("Email"))]}
    column_formatters = {"kind": lambda v, c, m, n: reminder_kind(m.kind), "channel": lambda v, c, m, n: channel(m.channel)}

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if not model.kind.startswith("reminder_"):
            raise ValidationError(_("A session rule's kind starts with reminder_ (e.g. reminder_evening)."))
        if model.at_local_time:
            from datetime import time

            try:
                time.fromisoformat(model.at_local_time)
            except ValueError:
                raise ValidationError(_("At local time must look like 18:00.")) from None
            if model.offset_minutes % 1440:
                raise ValidationError(_("With a local time, the offset must be whole days (1440 = the day before)."))

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        # Every session ahead is planned again by the next planning run (within 5 minutes).
        db.session.execute(update(Appointment).where(Appointment.starts_at > utcnow()).values(needs_planning=True))
        super().after_model_change(form, model, is_created)


class TipView(AdminModelView):
    column_list = ("position", "category", "language", "text", "active")
    column_filters = ("category", "language", "active")
    column_default_sort = ("position", False)
    column_labels = {
        "position": _l("Order"),
        "category": _l("Category"),
        "language": _l("Language"),
        "text": _l("Text"),
        "active": _l("In use"),
    }
    form_choices = {
        "category": [
            ("aftercare", _l("Aftercare")),
            ("diet", _l("Diet")),
            ("exercise", _l("Exercise")),
            ("water", _l("Water retention")),
            ("circulation", _l("Circulation")),
        ],
        "language": LANGUAGES,
    }
    column_choices = form_choices
