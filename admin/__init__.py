"""The clinic's web panel (Flask-Admin). Built anew for each app: a module-global Admin breaks with several apps."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme


def init_admin(app: Flask) -> Admin:
    admin = Admin(app, name=app.extensions["recall.settings"].clinic_name, url="/admin", theme=Bootstrap4Theme())
    app.extensions["recall.admin"] = admin
    return admin
