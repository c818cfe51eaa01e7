"""The rules must stay testable without I/O: nothing under service/domain imports a framework or a provider."""

from __future__ import annotations

import ast
import sys
from importlib.util import resolve_name
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "service" / "domain"
BANNED = {"flask", "flask_sqlalchemy", "sqlalchemy", "twilio", "smtplib", "apscheduler", "requests", "service.models"}


@pytest.mark.parametrize("path", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_domain_module_imports_no_framework_database_or_provider(path):
    tree = ast.parse(path.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module)
    offending = {name for name in imported if any(name == b or name.startswith(b + ".") for b in BANNED)}
    assert offending == set()


def test_the_domain_package_is_not_empty():
    assert len(list(DOMAIN.glob("*.py"))) >= 5


# --- every import, relative ones included, must stay inside the domain or the standard library ----------------------

# Third-party libraries the domain may use: pure, no I/O. The domain modules import none today (only the standard library
# and each other); add a name here only for such a library, never for one that talks to a network, a disk or a framework.
PURE_THIRD_PARTY: frozenset[str] = frozenset()
PACKAGE = "service.domain"
# The standard library is allowed, less its I/O modules the rule above already bans.
STDLIB = frozenset(sys.stdlib_module_names) - BANNED


def module_name(path: Path) -> str:
    parts = path.relative_to(DOMAIN.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_leaving_the_domain(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """The imports in `source` (the text of `module`) that resolve outside service.domain, the standard library and
    PURE_THIRD_PARTY. Relative imports are resolved against the module's package; one climbing past the top is reported."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            try:
                base = resolve_name("." * node.level + (node.module or ""), package) if node.level else node.module or ""
            except (ImportError, ValueError):
                found.add("." * node.level + (node.module or "") + " (beyond the top-level package)")
                continue
            # `from .. import db` may import a module named db: judge `service.db`, not just `service`.
            found.update(f"{base}.{alias.name}" if alias.name != "*" else base for alias in node.names)

    def allowed(name: str) -> bool:
        if name == PACKAGE or name.startswith(PACKAGE + "."):
            return True
        top = name.partition(".")[0]
        return top in STDLIB or top in PURE_THIRD_PARTY

    return {name for name in found if not allowed(name)}


@pytest.mark.parametrize("path", sorted(DOMAIN.rglob("*.py")), ids=lambda p: str(p.relative_to(DOMAIN)))
def test_domain_module_imports_nothing_outside_the_domain_and_the_standard_library(path):
    source = path.read_text()
    assert imports_leaving_the_domain(source, module_name(path), is_package=path.name == "__init__.py") == set()


def test_module_names_are_resolved_from_their_path():
    assert module_name(DOMAIN / "dispatch_rules.py") == "service.domain.dispatch_rules"
    assert module_name(DOMAIN / "__init__.py") == "service.domain"


@pytest.mark.parametrize(
    ("source", "offending"),
    [
        ("from ..models import Appointment", {"service.models.Appointment"}),
        ("from .. import db", {"service.db"}),
        ("from ..extensions import db as _db", {"service.extensions.db"}),
        ("from ..webhooks.errors import PayloadError", {"service.webhooks.errors.PayloadError"}),
        ("from ... import anything", {"... (beyond the top-level package)"}),
        ("from service.models import Reminder", {"service.models.Reminder"}),
        ("from service import db", {"service.db"}),
        ("import service.models", {"service.models"}),
        ("import flask", {"flask"}),
        ("from sqlalchemy.orm import Session", {"sqlalchemy.orm.Session"}),
        ("import smtplib", {"smtplib"}),  # standard library, but I/O
        ("def later():\n    from ..models import Patient\n", {"service.models.Patient"}),  # hidden in a function
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..settings import Settings\n",
            {"service.settings.Settings"},
        ),
    ],
)
def test_the_checker_catches_imports_leaving_the_domain(source, offending):
    assert imports_leaving_the_domain(source, "service.domain.example") == offending


@pytest.mark.parametrize(
    "source",
    [
        "from .planning import Channel",
        "from . import quiet_hours",
        "from .quiet_hours import QuietHours, local_moment",
        "from service.domain.events import EventType",
        "from service import domain",
        "import service.domain.planning",
        "from __future__ import annotations",
        "from datetime import UTC, datetime\nfrom zoneinfo import ZoneInfo\nimport hashlib, random",
        "from collections.abc import Iterable",
    ],
)
def test_the_checker_lets_domain_and_standard_library_imports_through(source):
    assert imports_leaving_the_domain(source, "service.domain.example") == set()


def test_relative_imports_are_resolved_against_the_package_of_the_module_that_makes_them():
    # In the package's __init__, `.` is the domain itself; one level down in a subpackage, `..` still is.
    assert imports_leaving_the_domain("from . import planning", "service.domain", is_package=True) == set()
    assert imports_leaving_the_domain("from .. import db", "service.domain", is_package=True) == {"service.db"}
    assert imports_leaving_the_domain("from .. import planning", "service.domain.rules.sms") == set()
    assert imports_leaving_the_domain("from ... import db", "service.domain.rules.sms") == {"service.db"}
