"""Every list and detail page reads as people speak: no ISO or UTC times, no microseconds, no Python reprs, no
True/False/None, no internal columns, in English and in French."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from service.demo import seed_demo
from service.extensions import db
from service.models import User
from service.timeutil import utcnow
from tests.admin.conftest import ADMIN
from tests.helpers import paris, tick

CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)
DETAIL_LINK = re.compile(r'href="(/admin/[a-z]+/details/\?id=\d+[^"]*)"')
UNREADABLE = {
    "an ISO or database timestamp": re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}"),
    "microseconds": re.compile(r"\d{2}:\d{2}:\d{2}\.\d"),
    "a UTC offset": re.compile(r"[+-]00:00|\bUTC\b"),
    "a Python repr": re.compile(r"<[A-Z][A-Za-z]+ [^>]*>"),
    "a raw boolean or None": re.compile(r"^(True|False|None)$"),
}
INTERNAL = (
    "dedupe_key",
    "leased_by",
    "lease_until",
    "external_id",
    "local_starts_at",
    "needs_planning",
    "replan_at",
    "session_version",
    "totp_secret",
    "password_hash",
    "slot_changed_at",
    "last_event_at",
)
VIEWS = (
    "patient",
    "appointment",
    "course",
    "reminder",
    "inboundmessage",
    "tip",
    "reminderrule",
    "user",
    "auditevent",
    "webhookevent",
)


@pytest.fixture
def clinic(app):
    with app.app_context():
        seed_demo(utcnow())
    tick(app, paris(1, 9, 0))  # some messages go out (console transport), so the outbox has sent rows


def cells(html: str) -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", " ", cell)).strip() for cell in CELL.findall(html)]


def problems(html: str) -> list[str]:
    """What a reader should not meet; the folded technical details (admins only) are for engineers, and exempt."""
    html = re.sub(r'<details[^>]*id="technical-details".*?</details>', "", html, flags=re.S)
    found = []
    for text in cells(html):
        for what, pattern in UNREADABLE.items():
            if pattern.search(text):
                found.append(f"{what}: {text[:80]!r}")
        found += [
            f"an internal column: {name}"
            for name in INTERNAL
            if name in text or text == name.replace("_", " ").title()  # Flask-Admin's default header
        ]
    return found


def pages(client) -> list[str]:
    seen = []
    for view in VIEWS:
        listing = client.get(f"/admin/{view}/")
        assert listing.status_code == 200, view
        html = listing.get_data(as_text=True)
        seen.append((f"/admin/{view}/", html))
        for link in list(dict.fromkeys(DETAIL_LINK.findall(html)))[:3]:
            detail = client.get(unescape(link))
            assert detail.status_code == 200, link
            seen.append((link, detail.get_data(as_text=True)))
    return seen


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_page_shows_raw_times_reprs_booleans_or_internal_columns(app, admin_client, clinic, language):
    with app.app_context():
        db.session.execute(select(User).where(User.email == ADMIN[0])).scalar_one().language = language
        db.session.commit()
    found = {url: problems(html) for url, html in pages(admin_client)}
    assert {url: p for url, p in found.items() if p} == {}
    assert len(found) > len(VIEWS)  # detail pages were reached too


def test_the_checker_sees_each_kind_of_unreadable_cell():
    html = "".join(
        f"<td>{cell}</td>"
        for cell in ("2026-12-09 15:45:00", "16:45:00.123456", "09:00 UTC", "&lt;Patient 1&gt;", "True", "Dedupe Key")
    )
    assert len(problems(html)) == 6
    assert problems("<td>mer. 9 déc. 2026, 16:45</td><td>Oui</td><td>Camille Martin</td>") == []
