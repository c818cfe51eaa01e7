"""Accounts, the audit trail and the webhook log: administrators' records."""

from __future__ import annotations

from markupsafe import escape

from service.i18n import _l

from . import wording
from .security import AdminModelView


class UserView(AdminModelView):
    column_list = ("email", "role", "active", "last_login_at", "created_at")
    column_exclude_list = ("password_hash",)
    column_details_list = ("email", "role", "active", "totp_enabled_at", "last_login_at", "created_at")  # no hash, no secret
    column_labels = {
        "email": _l("Email"),
        "role": _l("Role"),
        "active": _l("Active"),
        "language": _l("Language"),
        "totp_enabled_at": _l("Two-factor since"),
        "last_login_at": _l("Last sign-in"),
        "created_at": _l("Created"),
    }
    form_columns = ("email", "role", "active")  # deactivating ends the user's sessions (service/models.py)
    form_choices = {"role": [("staff", _l("Staff")), ("admin", _l("Administrator"))]}
    column_choices = form_choices
    can_create = False  # `flask --app wsgi users create` sets the password; nobody types one into a web form


class AuditView(AdminModelView):
    column_list = ("at", "actor", "action", "entity", "entity_id", "details")
    column_labels = {
        "at": _l("When"),
        "actor": _l("Who"),
        "action": _l("Action"),
        "entity": _l("Record"),
        "entity_id": _l("Record number"),
        "details": _l("Details"),
    }
    column_filters = ("actor", "action", "entity", "at")
    column_default_sort = ("at", True)
    can_create = can_edit = can_delete = False


class WebhookEventView(AdminModelView):
    column_list = ("received_at", "source", "event_type", "outcome", "error")
    column_labels = {
        "received_at": _l("Received"),
        "source": _l("From"),
        "event_type": _l("Event"),
        "outcome": _l("Outcome"),
        "error": _l("Why refused"),
    }
    column_filters = ("source", "outcome", "received_at")
    column_default_sort = ("received_at", True)
    can_create = can_edit = can_delete = False
    column_formatters = {
        "error": lambda v, c, m, n: escape((m.error or "")[:200]),
        "source": lambda v, c, m, n: wording.source(m.source),
    }
