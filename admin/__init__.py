"""The clinic's web panel (Flask-Admin). Built anew for each app: a module-global Admin breaks with several apps."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_admin import Admin, expose
from flask_admin.theme import Bootstrap4Theme

from service.csp import action_handler, allow_handlers, nonce
from service.i18n import _l
from service.models import (
    Appointment,
    AuditEvent,
    Course,
    InboundMessage,
    MessageTemplate,
    OutboundEvent,
    Patient,
    Reminder,
    ReminderRule,
    Tip,
    TreatmentPlan,
    User,
    WebhookEvent,
)
from service.runtime import get_settings
from service.timeutil import utcnow

from .security import ProtectedIndexView


class DashboardView(ProtectedIndexView):
    @expose("/")
    def index(self) -> Any:
        from .dashboard import build_dashboard

        return self.render("admin/index.html", dash=build_dashboard(get_settings(), utcnow()))


def init_admin(app: Flask) -> Admin:
    from .booking import BookingView
    from .content import RuleView, TemplateView, TipView
    from .courses import CourseView
    from .imports import PatientImportView
    from .outbound import OutboundEventView
    from .outbox import ReminderView
    from .outcomes import OutcomesView
    from .patients import PatientView
    from .plans import PlanView
    from .records import AuditView, UserView, WebhookEventView
    from .replies import ReplyView
    from .sessions import AppointmentView
    from .todo import MENU_NAME, TodoView

    # One lazy string per menu group: Flask-Admin groups views by the category object it is given.
    patients_menu, sessions_menu, settings_menu = _l("Patients"), _l("Sessions"), _l("Settings")
    admin = Admin(
        app,
        name=get_settings(app).clinic_name,
        url="/admin",
        theme=Bootstrap4Theme(),
        index_view=DashboardView(name=_l("Dashboard"), url="/admin"),
        csp_nonce_generator=nonce,
    )
    admin.add_view(TodoView(name=MENU_NAME, endpoint="todo"))
    admin.add_view(PatientView(Patient, name=_l("All patients"), endpoint="patient", category=patients_menu))
    admin.add_view(PatientImportView(name=_l("Import from CSV"), endpoint="patient_import", category=patients_menu))
    admin.add_view(AppointmentView(Appointment, name=_l("All sessions"), endpoint="appointment", category=sessions_menu))
    admin.add_view(BookingView(name=_l("New session"), endpoint="booking", category=sessions_menu))
    admin.add_view(CourseView(Course, name=_l("Courses"), endpoint="course"))
    admin.add_view(ReminderView(Reminder, name=_l("Outbox"), endpoint="reminder"))
    admin.add_view(ReplyView(InboundMessage, name=_l("Replies"), endpoint="inboundmessage"))
    admin.add_view(OutcomesView(name=_l("Outcomes"), endpoint="outcomes", url="outcomes"))
    admin.add_view(TemplateView(MessageTemplate, name=_l("Templates"), endpoint="messagetemplate", category=settings_menu))
    admin.add_view(RuleView(ReminderRule, name=_l("Reminder rules"), endpoint="reminderrule", category=settings_menu))
    admin.add_view(TipView(Tip, name=_l("Tips"), endpoint="tip", category=settings_menu))
    admin.add_view(PlanView(TreatmentPlan, name=_l("Treatment plans"), endpoint="treatmentplan", category=settings_menu))
    admin.add_view(UserView(User, name=_l("Users"), endpoint="user", category=settings_menu))
    admin.add_view(AuditView(AuditEvent, name=_l("Audit trail"), endpoint="auditevent", category=settings_menu))
    admin.add_view(WebhookEventView(WebhookEvent, name=_l("Webhook log"), endpoint="webhookevent", category=settings_menu))
    admin.add_view(OutboundEventView(OutboundEvent, name=_l("Outbound events"), endpoint="outboundevent", category=settings_menu))
    # The action menus' inline handlers, one per action a view has: allowed by hash in the CSP, nothing else inline.
    allow_handlers(app, (action_handler(name) for view in admin._views for name in getattr(view, "_actions_data", {})))
    app.extensions["recall.admin"] = admin
    return admin
