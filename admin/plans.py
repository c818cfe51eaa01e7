"""Treatment plans: how many sessions a course of each area takes, and how far apart; `*` is any other area."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from wtforms.validators import ValidationError

from service.domain.plans import ANY_AREA, area_key
from service.extensions import db
from service.i18n import _, _l
from service.models import Course, Patient

from .security import AdminModelView


class PlanView(AdminModelView):
    column_list = ("area", "sessions_planned", "interval_days", "maintenance_sessions_planned")
    column_default_sort = ("area", False)
    column_labels = {
        "area": _l("Area"),
        "sessions_planned": _l("Sessions in a course"),
        "interval_days": _l("Days between sessions"),
        "maintenance_sessions_planned": _l("Sessions in a maintenance course"),
    }
    column_descriptions = {
        "area": _l("As the booking system or the panel names it, in any case; * is any area no plan names."),
        "sessions_planned": _l("Used for a course whose number of sessions was not given."),
        "interval_days": _l("A course with nothing booked is nudged this many days after its last session, plus one."),
    }
    form_columns = ("area", "sessions_planned", "interval_days", "maintenance_sessions_planned")
    form_args = {
        "area": {"label": _l("Area")},
        "sessions_planned": {"label": _l("Sessions in a course")},
        "interval_days": {"label": _l("Days between sessions")},
        "maintenance_sessions_planned": {"label": _l("Sessions in a maintenance course")},
    }

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        model.area = area_key(model.area) or ANY_AREA
        for name in ("sessions_planned", "interval_days", "maintenance_sessions_planned"):
            value = getattr(model, name)
            if value is None or not 0 < value <= 365:
                raise ValidationError(_("Numbers of sessions and days are whole numbers from 1 to 365."))

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        _replan_open_courses()
        super().after_model_change(form, model, is_created)

    def after_model_delete(self, model: Any) -> None:
        _replan_open_courses()
        super().after_model_delete(model)


def _replan_open_courses() -> None:
    """Patients with a course still open are planned again by the next sweep: their nudges follow the new plan."""
    db.session.execute(
        update(Patient)
        .where(Patient.id.in_(select(Course.patient_id).where(Course.completed_at.is_(None))))
        .values(replan_at=None)
        .execution_options(synchronize_session=False)
    )
