"""How a text travels over SMS: GSM-7 or UCS-2, and how many billed segments.

One character outside GSM-7 (an emoji, a curly quote) turns the whole message
into UCS-2 and cuts a segment from 160 to 70 characters, which staff should see
before they save a template.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# 3GPP TS 23.038 basic character set (default alphabet) and its extension table.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsEncoding:
    encoding: str  # "GSM-7" | "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def sms_encoding(text: str) -> SmsEncoding:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        segments = 1 if units <= 160 else math.ceil(units / 153)
        return SmsEncoding("GSM-7", units, segments)
    units = len(text.encode("utf-16-le")) // 2
    segments = 1 if units <= 70 else math.ceil(units / 67)
    return SmsEncoding("UCS-2", units, segments)
