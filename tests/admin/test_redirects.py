"""After signing in, `next` may only lead to a page of this site: every known way of naming another host is refused."""

from __future__ import annotations

import zlib
from urllib.parse import urljoin, urlsplit

from tests.admin.conftest import STAFF, csrf_token

# As they arrive in a query string: what an attacker puts in a phishing link.
BYPASSES = [
    "//evil.example/phish",
    "/%09/evil.example/phish",
    "/%0d%0a/evil.example/phish",
    "%0d%0a//evil.example/phish",
    "/%0a/evil.example",
    "/\\evil.example/phish",
    "/%5Cevil.example/phish",
    "\\\\evil.example/phish",
    "%5C%5Cevil.example",
    "https:evil.example",
    "https://evil.example/phish",
    "https:/evil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "%20//evil.example",
    "/%20/evil.example",
    "%2F%2Fevil.example",
    "/%00/evil.example",
    "/%E3%80%80/evil.example",
    "/%C2%85/evil.example",
    "/%E2%80%A8/evil.example",
    "evil.example/phish",
    "/%09%09/evil.example",
]


def browser_host(location: str) -> str:
    """The host a browser would go to: it drops tabs and line breaks and reads a backslash as a slash."""
    cleaned = "".join(c for c in location if c not in "\t\r\n").replace("\\", "/").strip()
    return urlsplit(urljoin("http://localhost/login", cleaned)).netloc


def sign_in_with_next(app, query: str):
    # Each sign-in from an address of its own: every attempt counts against the address, and this test makes 23.
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"192.0.2.{zlib.crc32(query.encode()) % 250 + 1}"
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post(f"/login?next={query}", data={"email": STAFF[0], "password": STAFF[1], "csrf_token": token})


def test_signing_in_from_a_phishing_link_lands_on_the_dashboard(app):
    for query in BYPASSES:
        response = sign_in_with_next(app, query)
        assert response.status_code == 302, query
        location = response.headers["Location"]
        assert location == "/admin/", (query, location)
        assert browser_host(location) == "localhost"


def test_signing_in_goes_back_to_the_page_that_asked(app):
    response = sign_in_with_next(app, "/admin/patient/%3Fsearch%3DMartin")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/patient/?search=Martin"
