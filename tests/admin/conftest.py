"""Staff and admin accounts, and a signed-in client that carries the CSRF token like a browser would."""

from __future__ import annotations

import re
from typing import Any

import pytest

from admin.auth import create_user
from service.extensions import db, limiter
from service.timeutil import utcnow

STAFF = ("desk@clinique.test", "correct horse battery")
ADMIN = ("owner@clinique.test", "staple battery horse")


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html
    )
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: Any, email: str, password: str, **environ: Any) -> Any:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        **({"environ_base": environ} if environ else {}),
    )


@pytest.fixture(autouse=True)
def _accounts(app: Any) -> None:
    with app.app_context():
        limiter.reset()
        create_user(*STAFF, role="staff", now=utcnow())
        create_user(*ADMIN, role="admin", now=utcnow())
        db.session.commit()


@pytest.fixture
def staff(client: Any) -> Any:
    assert sign_in(client, *STAFF).status_code == 302
    return client


@pytest.fixture
def admin_client(client: Any) -> Any:
    assert sign_in(client, *ADMIN).status_code == 302
    return client
