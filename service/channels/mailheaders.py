"""What may reach an email header, and a policy that sends the RFC 8058 headers as they are.

Header injection: Python before 3.11.10 (CVE-2024-6923) turns an RFC 2047 encoded word that decodes to CR/LF
(`=?utf-8?q?Eve=0D=0ABcc=3A_x=40evil.example?=`) into a real line break when it folds a header, so a patient's
first name in a subject could add Bcc: or Reply-To:. We do not rely on the interpreter's fix: every value is
cleaned here first, with no control character and no encoded-word marker left for the folder to decode.

List-Unsubscribe: the default policy folds at 78 columns and, when one word is longer (our signed link is),
writes it as an encoded word, which mail providers do not read as a one-click link. It is ASCII and short
enough for one line (RFC 5322 allows 998), so it goes out raw.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.policy import EmailPolicy

# C0 (tab, CR, LF, NUL…), DEL, C1 (NEL U+0085…) and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ADDR_SPEC = re.compile(r"^[A-Za-z0-9.!#$%&'*+/^_`{|}~-]+@[A-Za-z0-9.-]+$")
RAW_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post"})
MAX_LINE = 998


class UnsafeHeader(ValueError):
    """A value that cannot be made safe for a header without changing where the mail goes."""


def header_text(value: str) -> str:
    """One line of plain text: control characters become spaces, encoded-word markers are removed."""
    text = _CONTROL.sub(" ", value)
    while "=?" in text or "?=" in text:  # removing one may join the pieces of another: "=?=??" -> "=?"
        text = text.replace("=?", "").replace("?=", "")
    return " ".join(text.split())


def mailbox(value: str) -> Address:
    """`Name <local@domain>` or `local@domain` as an Address: the display name cleaned, the address itself plain
    ASCII with nothing to decode, or refused (cleaning an address would send the mail somewhere else)."""
    text = value.strip()
    name, addr = "", text
    if text.endswith(">") and "<" in text:
        name, _, addr = text[:-1].rpartition("<")
    addr = addr.strip()
    if not _ADDR_SPEC.match(addr) or "=?" in addr or "?=" in addr:
        raise UnsafeHeader("not a plain email address")  # the address itself stays out of the logs
    local, _, domain = addr.rpartition("@")
    return Address(display_name=header_text(name.strip().strip('"')), username=local, domain=domain)


class RecallPolicy(EmailPolicy):
    """The standard SMTP policy, except the RFC 8058 headers are written on one line, never encoded."""

    def fold(self, name: str, value: str) -> str:
        if name.lower() in RAW_HEADERS:
            return f"{name}: {_raw(name, value)}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in RAW_HEADERS:
            return f"{name}: {_raw(name, value)}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


def _raw(name: str, value: str) -> str:
    text = str(value)
    if not text.isascii() or _CONTROL.search(text) or len(name) + 2 + len(text) > MAX_LINE:
        raise UnsafeHeader(f"{name} must be one line of ASCII")
    return text


POLICY = RecallPolicy(linesep="\r\n")
