"""Headers every response carries; HSTS, in production, covers the subdomains too."""

from __future__ import annotations

from service import create_app
from tests.conftest import make_settings


def test_production_sends_hsts_for_a_year_with_subdomains(tmp_path):
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'p.sqlite3'}", environment="production"))
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"].split("script-src", 1)[1].split(";")[0]


def test_hsts_is_not_sent_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
