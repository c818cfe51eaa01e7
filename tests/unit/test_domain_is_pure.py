"""The rules must stay testable without I/O: nothing under service/domain imports a framework or a provider."""

from __future__ import annotations

import ast
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
