"""A reminder's status changes only in `service/domain/lifecycle.py`, an outbound event's only in
`service/domain/outbound_lifecycle.py`: read every other source and find no other writer.

The lifecycle's transitions check where a reminder starts from; a status written anywhere else would skip that check
(and the next rule about it would have to be restated there). This reads the sources, as the purity test reads
imports: assignments, keyword arguments, row dictionaries and setattr naming the lifecycle's columns.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OWNER = ROOT / "service" / "domain" / "lifecycle.py"
OUTBOUND_OWNER = ROOT / "service" / "domain" / "outbound_lifecycle.py"
SOURCES = sorted(p for folder in ("service", "admin") for p in (ROOT / folder).rglob("*.py") if p not in (OWNER, OUTBOUND_OWNER))
# The columns only the lifecycle writes. `status` is also an appointment's: a variable holding one is named `…appt`.
OWNED = {"status", "status_reason", "leased_by", "lease_until"}
# Constructors whose `status` is their own (a receipt's word from the provider, a booking's state).
OTHER_STATUSES = {"DeliveryEvent", "Appointment", "jsonify"}
REMINDER_ROW = {"kind", "dedupe_key", "patient_id"}


def _targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        found = list(node.targets)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        found = [node.target]
    else:
        return []
    flat: list[ast.expr] = []
    while found:
        target = found.pop()
        if isinstance(target, ast.Tuple | ast.List):
            found.extend(target.elts)
        else:
            flat.append(target)
    return flat


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def status_writes(source: str) -> list[str]:
    """Where `source` writes a lifecycle column itself, as `line: what`."""
    tree = ast.parse(source)
    imports_reminder = any(isinstance(n, ast.ImportFrom) and any(a.name == "Reminder" for a in n.names) for n in ast.walk(tree))
    found: list[str] = []
    for node in ast.walk(tree):
        for target in _targets(node):
            if isinstance(target, ast.Attribute) and target.attr in OWNED:
                owner = target.value.id if isinstance(target.value, ast.Name) else ""
                if target.attr == "status" and owner.endswith(("appt", "appointment")):
                    continue
                found.append(f"{node.lineno}: assigns .{target.attr}")
        if isinstance(node, ast.Call):
            name = _call_name(node)
            for keyword in node.keywords:
                if keyword.arg in OWNED and name not in OTHER_STATUSES:
                    found.append(f"{node.lineno}: {name}({keyword.arg}=…)")
            if name == "setattr" and len(node.args) > 1:
                field = node.args[1]
                if isinstance(field, ast.Constant) and field.value in OWNED:
                    found.append(f"{node.lineno}: setattr(…, {ast.unparse(field)}, …)")
        if imports_reminder and isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if keys & REMINDER_ROW:  # a row for an INSERT, not a view's labels
                found.extend(f"{node.lineno}: a row {{{key!r}: …}}" for key in sorted(keys & OWNED))
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_but_the_lifecycle_sets_a_reminder_status(path):
    assert status_writes(path.read_text()) == []


# An outbound event's own columns, beyond `status` (which the check above already finds written anywhere else).
OUTBOUND_OWNED = {"delivered_at"}


def outbound_writes(source: str) -> list[str]:
    """Where `source` writes an outbound event's status column (`status` is found by `status_writes`)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        for target in _targets(node):
            if isinstance(target, ast.Attribute) and target.attr in OUTBOUND_OWNED:
                found.append(f"{node.lineno}: assigns .{target.attr}")
        if isinstance(node, ast.Call):
            found.extend(f"{node.lineno}: {_call_name(node)}({k.arg}=…)" for k in node.keywords if k.arg in OUTBOUND_OWNED)
    return found


@pytest.mark.parametrize("path", [*SOURCES, OWNER], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_but_the_outbound_lifecycle_settles_an_outbound_event(path):
    assert outbound_writes(path.read_text()) == []


def test_the_outbound_lifecycle_sets_event_statuses_and_nothing_of_a_reminder():
    source = OUTBOUND_OWNER.read_text()
    writes = {w.split(": ", 1)[1] for w in status_writes(source) + outbound_writes(source)}
    assert {"assigns .status", "assigns .delivered_at"} <= writes
    assert writes <= {"assigns .status", "assigns .delivered_at"}  # no reason, no lease: those are a reminder's
    imported = {a.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not imported & {"Reminder", "lifecycle", "ReminderStatus"}


def test_the_lifecycle_is_where_statuses_are_set():
    assert {"assigns .status", "assigns .status_reason"} <= {w.split(": ", 1)[1] for w in status_writes(OWNER.read_text())}


@pytest.mark.parametrize(
    "source",
    [
        "row.status = 'sent'",
        "row.status, row.status_reason = 'failed', why",
        "reminder.leased_by = reminder.lease_until = None",
        "row.status_reason += ' again'",
        "session.execute(update(Reminder).values(status='cancelled'))",
        "setattr(row, 'status', 'pending')",
        "event.status = OutboundStatus.DELIVERED",
        "session.execute(update(OutboundEvent).values(status='failed'))",
        "from .models import Reminder\nrows.append({'status': 'pending', 'kind': kind})",
        "from .models import Reminder\nrows.append({'patient_id': 1, 'status_reason': None})",
    ],
)
def test_the_check_finds_a_status_written_elsewhere(source):
    assert status_writes(source)


@pytest.mark.parametrize(
    "source",
    [
        "appt.status = status",
        "DeliveryEvent(status=status, provider_message_id=sid)",
        "return jsonify(status='ok')",
        "{'status': 'duplicate', 'event_id': event_id}",  # a webhook's answer, in a module without reminders
        "from .models import Reminder\ncolumn_labels = {'status_reason': 'Why', 'due_at': 'Due'}",
        "if row.status == ReminderStatus.PENDING: lifecycle.cancel(row, why)",
    ],
)
def test_the_check_lets_other_statuses_and_reads_be(source):
    assert status_writes(source) == []
