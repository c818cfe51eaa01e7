"""Put the shipped tip library in the database, where staff can edit it. Safe to run again."""

from __future__ import annotations

from sqlalchemy import insert, select

from ..extensions import DbSession
from ..models import Tip
from .tips import shipped_tip_rows


def seed_tips(session: DbSession) -> int:
    """Insert the shipped tips for each language that has none yet; returns how many were added."""
    have = set(session.execute(select(Tip.language).distinct()).scalars())
    rows = [r for r in shipped_tip_rows() if r["language"] not in have]
    if rows:
        session.execute(insert(Tip), rows)
    return len(rows)
