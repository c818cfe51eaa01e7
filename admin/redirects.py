"""Where a sign-in may send the browser next: a path on this site, never another one.

An open redirect after login is a phishing tool: the link is ours, the page it ends on is not. Browsers drop tabs
and line breaks anywhere in a URL, trim spaces and control characters at its ends, and read `\\` as `/`, so
`/%09/evil.example` arrives as `//evil.example`, another host. The value is cleaned the way a browser would,
and only a path that starts with exactly one `/` and names no scheme or host is kept.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Whitespace of any kind (Unicode too), C0 and C1 controls, DEL: none belongs in a path we hand out.
_INVISIBLE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


def safe_next(value: str | None) -> str | None:
    """The same-origin relative path to go to after signing in, or None for "the dashboard"."""
    if not value:
        return None
    path = _INVISIBLE.sub("", value)
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return None
    return path
