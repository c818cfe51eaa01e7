"""Every admin page needs a signed-in user; some need an admin. Every change is written to the audit trail."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, flash, redirect, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from flask_admin import AdminIndexView, BaseView
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import FilterConverter
from flask_admin.form import SecureForm
from flask_admin.model import filters, typefmt
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.utils import secure_filename
from wtforms.validators import ValidationError

from service.csvsafe import safe_cell
from service.extensions import db
from service.i18n import _, _l, day, ngettext, reader_language, when, yes_no
from service.models import AuditEvent
from service.runtime import get_settings
from service.timeutil import utcnow

log = logging.getLogger(__name__)
# What a user reads when the database refuses a change: never the database's own words, which quote SQL and rows.
SAVE_FAILED = _l("The change could not be saved: it conflicts with data already recorded. Nothing was changed.")


def _moment(view: Any, value: datetime, name: str) -> str:
    """Any time column not formatted by its view: the clinic's wall clock, in the reader's words, to the minute."""
    return when(value if value.tzinfo else value.replace(tzinfo=UTC))


# Every list, detail page and export shows values as people say them: no ISO, UTC, microseconds or True/False.
READABLE = {
    type(None): lambda view, value, name: "",
    bool: lambda view, value, name: yes_no(value),
    datetime: _moment,
    date: lambda view, value, name: day(value),
}


def signed_in() -> bool:
    return bool(current_user.is_authenticated)


def is_admin() -> bool:
    return bool(current_user.is_authenticated and getattr(current_user, "is_admin", False))


def audit(action: str, entity: str, entity_id: object = None, **details: Any) -> None:
    """Record who did what; the caller commits it with the change itself."""
    db.session.add(
        AuditEvent(
            at=utcnow(),
            actor=getattr(current_user, "email", "system"),
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            details=details or None,
        )
    )


class ConfirmForm(SecureForm):
    """Just the CSRF token, for a button that changes something outside Flask-Admin's own forms."""


class _Guard:
    admin_only = False

    def is_accessible(self) -> bool:
        return is_admin() if self.admin_only else signed_in()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> ResponseReturnValue:
        if signed_in():  # signed in, but staff on an admin page
            return _("This page is for clinic administrators."), 403
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


class ProtectedIndexView(_Guard, AdminIndexView):
    pass


class ProtectedView(_Guard, BaseView):
    pass


class RecallFilterConverter(FilterConverter):
    """Our aware-UTC column type filters like any date-time."""

    @filters.convert("utcdatetime")
    def conv_utc_datetime(self, column: Any, name: str, **kwargs: Any) -> Any:
        return self.conv_datetime(column, name, **kwargs)


class ProtectedModelView(_Guard, ModelView):
    """CSRF on every form and action (Flask-Admin's SecureForm), an audit row for every change."""

    form_base_class = SecureForm
    filter_converter = RecallFilterConverter()
    column_type_formatters = {**typefmt.BASE_FORMATTERS, **READABLE}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, **READABLE}
    column_type_formatters_export = {**typefmt.EXPORT_FORMATTERS, **READABLE}
    page_size = 50
    can_view_details = True

    def __init__(self, model: type, **kwargs: Any) -> None:
        super().__init__(model, db, **kwargs)

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        audit(
            "create" if is_created else "update",
            model.__tablename__,
            model.id,
            fields=sorted(f.name for f in form if f.name != "csrf_token" and f.data != f.object_data),
        )
        db.session.commit()

    def handle_view_exception(self, exc: Exception) -> bool:
        """Our validators' words are shown; anything else is logged by type and the user reads a plain sentence.
        True tells Flask-Admin the message is flashed, so it does not add `str(exc)`, which quotes SQL."""
        if isinstance(exc, ValidationError):
            flash(str(exc), "error")
            return True
        if isinstance(exc, SQLAlchemyError):  # its text can quote the row (PostgreSQL's DETAIL): the types only
            log.error(
                "the database refused a change in %s: %s (%s)",
                self.endpoint,
                type(exc).__name__,
                type(getattr(exc, "orig", None)).__name__,
            )
        else:
            log.exception("a change failed in %s", self.endpoint)
        flash(SAVE_FAILED, "error")
        return True

    @action("delete", _l("Delete"), _l("Delete the selected records?"))
    def action_delete(self, ids: list[str]) -> None:
        """Flask-Admin's bulk delete flashes the database's error text after handling it: one by one here instead,
        each through delete_model, whose errors handle_view_exception words. Only where can_delete allows it."""
        deleted = sum(1 for pk in ids if (model := self.get_one(pk)) is not None and self.delete_model(model))
        if deleted:
            flash(ngettext("%(num)d record deleted.", "%(num)d records deleted.", deleted), "success")

    def after_model_delete(self, model: Any) -> None:
        audit("delete", model.__tablename__, model.id)
        db.session.commit()

    def get_export_value(self, model: Any, name: Any) -> Any:
        """Every exported cell, in every view and format: a name like `=HYPERLINK(…)` must not run in Excel."""
        return safe_cell(super().get_export_value(model, name))

    def _export_data(self) -> Any:
        audit("export", self.model.__tablename__, None, rows_limit=self.export_max_rows or "all")
        db.session.commit()
        return super()._export_data()

    def get_export_name(self, export_type: str = "csv") -> str:
        """`patients-2026-12-05-1645.csv`: the clinic's wall clock, as the front desk will look for it (Flask-Admin's
        name uses the server's clock, UTC in a container)."""
        local = utcnow().astimezone(ZoneInfo(get_settings().clinic_timezone))
        return f"{secure_filename(str(self.endpoint)).lower()}s-{local:%Y-%m-%d-%H%M}.{export_type}"

    def _export_csv(self, return_url: Any) -> Any:
        """Flask-Admin's CSV, made for Excel: a UTF-8 BOM (else Excel reads "Inès" as "InÃ¨s") and, for French readers,
        `;` between cells, the separator Excel expects where the decimal mark is a comma."""
        _count, rows = self._export_data()
        delimiter = ";" if reader_language() == "fr" else ","

        class _Line:
            def write(self, value: str) -> str:
                return value

        writer = csv.writer(_Line(), delimiter=delimiter)

        def generate() -> Iterator[str]:
            yield "\ufeff" + writer.writerow([str(title) for _, title in self._export_columns])
            for row in rows:  # every cell goes through get_export_value, hence safe_cell
                yield writer.writerow([self.get_export_value(row, name) for name, _ in self._export_columns])

        return Response(
            stream_with_context(generate()),
            headers={"Content-Disposition": f"attachment;filename={self.get_export_name('csv')}"},
            mimetype="text/csv",
        )


class AdminModelView(ProtectedModelView):
    admin_only = True
