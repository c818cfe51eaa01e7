"""Treatment plans: how many sessions a course of an area takes, and how far apart (pure; the shipped defaults).

A course's own size (from the booking system or the panel) wins; else the plan naming its area, trimmed and
case-insensitively; else the plan `*` (a small area). A maintenance course takes the plan's maintenance size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ANY_AREA = "*"


@dataclass(frozen=True)
class Plan:
    sessions_planned: int
    interval_days: int
    maintenance_sessions_planned: int


_SMALL = Plan(6, 7, 4)
_WHOLE_BODY = Plan(10, 7, 4)
# The clinic's guidance, used until it has plans of its own (migration 0009 seeds the same rows for staff to edit).
DEFAULT_PLANS: Mapping[str, Plan] = {
    ANY_AREA: _SMALL,
    **dict.fromkeys(("thighs", "abdomen", "arms", "buttocks", "knees"), _SMALL),
    **dict.fromkeys(("cuisses", "ventre", "bras", "fesses", "genoux"), _SMALL),
    **dict.fromkeys(("whole body", "corps entier"), _WHOLE_BODY),
}


def area_key(area: str | None) -> str:
    return " ".join((area or "").split()).lower()


def plan_for(plans: Mapping[str, Plan], area: str | None) -> Plan | None:
    """The plan for this area: its own, else `*`; None when the clinic has neither."""
    return plans.get(area_key(area)) or plans.get(ANY_AREA)


def sessions_planned(plan: Plan | None, own: int | None, kind: str) -> int | None:
    """The course's own size when it has one, else its plan's (the maintenance size for a maintenance course)."""
    if own:
        return own
    if plan is None:
        return None
    return plan.maintenance_sessions_planned if kind == "maintenance" else plan.sessions_planned
