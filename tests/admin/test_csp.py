"""Every panel page's CSP: no inline script but this response's nonce, and every inline handler the page has is one
the policy names by hash. A script injected into a page (a patient's name, a template) cannot run."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from service.csp import source_hash
from service.demo import seed_demo
from service.extensions import db
from service.timeutil import utcnow

VIEWS = (
    "patient",
    "appointment",
    "course",
    "reminder",
    "inboundmessage",
    "messagetemplate",
    "reminderrule",
    "tip",
    "user",
    "auditevent",
    "webhookevent",
)


class Inline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.script_nonces: list[str | None] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.script_nonces.append(dict(attrs).get("nonce"))
        for name, value in attrs:
            if name.startswith("on") or (name == "href" and (value or "").strip().lower().startswith("javascript:")):
                self.handlers.append(value or "")


def script_src(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    (directive,) = [d.strip() for d in policy.split(";") if d.strip().startswith("script-src")]
    return directive


def pages(client) -> list[str]:
    urls = ["/admin/", "/admin/patient_import/"]
    for view in VIEWS:
        urls += [f"/admin/{view}/", f"/admin/{view}/new/", f"/admin/{view}/details/?id=1", f"/admin/{view}/edit/?id=1"]
    return urls


def test_every_panel_page_runs_only_its_own_nonced_scripts_and_the_handlers_the_policy_names(app, admin_client):
    with app.app_context():
        seed_demo(utcnow())
        db.session.commit()
    seen_nonces, checked = set(), 0
    for url in pages(admin_client):
        response = admin_client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        checked += 1
        directive = script_src(response)
        assert "'unsafe-inline'" not in directive and "'unsafe-eval'" not in directive, url
        (nonce,) = re.findall(r"'nonce-([A-Za-z0-9_-]{20,})'", directive)
        assert nonce not in seen_nonces, url  # fresh for every response
        seen_nonces.add(nonce)
        page = Inline()
        page.feed(response.get_data(as_text=True))
        assert page.script_nonces and all(n == nonce for n in page.script_nonces), (url, page.script_nonces)
        for handler in page.handlers:
            assert source_hash(handler) in directive, (url, handler)
    assert checked >= 30


def test_the_sign_in_page_has_the_policy_too_with_a_new_nonce_each_time(client):
    first, second = client.get("/login"), client.get("/login")
    for response in (first, second):
        assert "'unsafe-inline'" not in script_src(response) and "'nonce-" in script_src(response)
        assert "<script" not in response.get_data(as_text=True) or "nonce=" in response.get_data(as_text=True)
    assert script_src(first) != script_src(second)


def test_a_patient_named_like_a_script_is_shown_as_text_and_could_not_run(app, admin_client):
    from service.models import Patient

    with app.app_context():
        db.session.add(Patient(first_name="<script>alert(1)</script>", last_name="X", language="fr", created_at=utcnow()))
        db.session.commit()
    html = admin_client.get("/admin/patient/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
