"""safe_next: only a path of this site survives, whatever a browser would make of the rest."""

from __future__ import annotations

import pytest

from admin.redirects import safe_next


@pytest.mark.parametrize(
    "value",
    [
        "//evil.example",
        "/\t/evil.example",
        "/\r\n/evil.example",
        "\r\n//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        " //evil.example",
        "/\x00/evil.example",
        "/\u3000/evil.example",
        "/\u2028/evil.example",
        "/\x85/evil.example",
        "/\u200b/evil.example",
        "evil.example",
        "",
        None,
        "/ok\\..\\\\evil.example",
    ],
)
def test_safe_next_refuses_anything_that_leaves_the_site(value):
    assert safe_next(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/admin/", "/admin/"),
        ("/admin/patient/?search=Martin&page=2", "/admin/patient/?search=Martin&page=2"),
        ("/admin/patient/details/?id=3#timeline", "/admin/patient/details/?id=3#timeline"),
        (" /admin/reminder/\t", "/admin/reminder/"),
        ("/admin/?url=https://elsewhere.example", "/admin/?url=https://elsewhere.example"),
    ],
)
def test_safe_next_keeps_a_path_of_this_site(value, expected):
    assert safe_next(value) == expected
