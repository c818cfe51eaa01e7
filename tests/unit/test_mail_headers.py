"""What reaches an email header: one line of text, nothing an old Python would decode into a line break."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest

from service.channels import EmailMessageSpec
from service.channels.mailheaders import UnsafeHeader, header_text, mailbox
from service.channels.smtp_email import build_mime

INJECTED = "=?utf-8?q?Eve=0D=0ABcc=3A_x=40evil.example?="


@pytest.mark.parametrize(
    "dirty",
    [
        INJECTED,
        "Eve\r\nBcc: x@evil.example",
        "Eve\nBcc: x",
        "Eve\x00\x1b[31m",
        "Eve\x85Bcc",
        "Eve\u2028Bcc",
        "Eve\u2029Bcc",
        "Eve\tBcc",
        "=?=??=utf-8?q?x?=",
        "Eve\x7f\x9f",
    ],
)
def test_header_text_has_no_control_character_and_no_encoded_word(dirty):
    clean = header_text(dirty)
    assert "=?" not in clean and "?=" not in clean
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in clean)


def test_header_text_keeps_a_normal_subject():
    assert header_text("Votre rendez-vous chez Clinique Lumière, Zoë ?") == "Votre rendez-vous chez Clinique Lumière, Zoë ?"


def test_mailbox_cleans_the_display_name_and_refuses_an_address_it_would_have_to_change():
    assert str(mailbox("Clinique Lumière <rappels@clinique.test>").addr_spec) == "rappels@clinique.test"
    assert mailbox(f"{INJECTED} <a@b.test>").display_name == header_text(INJECTED)
    for bad in ("=?utf-8?q?x=0D=0ABcc=3A_y?=@b.test", "a\r\nBcc: x@evil.example", "a b@c.test", "no-at-sign"):
        with pytest.raises(UnsafeHeader):
            mailbox(bad)


def test_the_built_message_has_one_subject_line_and_no_bcc_on_this_very_python():
    spec = EmailMessageSpec(
        to="p@example.test",
        subject=f"Hello {INJECTED} and more words " * 3,
        text="x",
        headers={"List-Unsubscribe": "<https://recall.test/unsubscribe/" + "a" * 120 + ">"},
    )
    # No sys.version check: the defence is ours, and holds on 3.11.7 as on a fixed Python.
    raw = build_mime(spec, "Clinique <c@clinique.test>", message_id="<1@clinique.test>").as_bytes()
    parsed = message_from_bytes(raw, policy=default)
    assert parsed["Bcc"] is None and len(parsed.get_all("Subject")) == 1
    assert b"List-Unsubscribe: <https://recall.test/unsubscribe/" + b"a" * 120 + b">\r\n" in raw
