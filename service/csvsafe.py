"""CSV cells that a spreadsheet shows as text, never runs as a formula (OWASP "CSV injection").

Excel and LibreOffice evaluate a cell that starts with `=`, `+`, `-` or `@` (and, after a tab or a carriage
return they skip, the same), so a patient named `=HYPERLINK("https://evil.example","Click")` would become a live
link in the front desk's spreadsheet. OWASP's rule: such a cell gets a leading `'`, which spreadsheets read as
"this is text" and Excel hides. A phone number `+33612345678` so shows as `+33612345678` instead of being
computed into `33612345678`. Numbers stored as numbers stay numbers: `-3` typed as an int is not a formula.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# The ASCII triggers, tab and CR, and the full-width forms some spreadsheets fold to ASCII.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: Any) -> Any:
    """The value to write in a CSV cell: text that would start a formula gets a leading apostrophe."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.lstrip(" \n").startswith(TRIGGERS) else text
