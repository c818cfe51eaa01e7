"""A course's size and rhythm: its own, else its area's treatment plan. The one place the lookup is made.

Plans are read with the rules and templates (`staff_content`, cached per process, dropped on an edit): the planner
asks for every course of every patient it plans.
"""

from __future__ import annotations

from . import staff_content
from .domain import plans
from .extensions import DbSession
from .models import Course


def plan_of(db_session: DbSession, course: Course) -> plans.Plan | None:
    return plans.plan_for(staff_content.get(db_session).plans, course.area)


def planned_sessions(db_session: DbSession, course: Course) -> int | None:
    """How many sessions the course takes: its own `sessions_planned`, else its area's plan."""
    return plans.sessions_planned(plan_of(db_session, course), course.sessions_planned, course.kind)


def interval_days(db_session: DbSession, course: Course) -> int | None:
    """Days between two sessions of the course, from its area's plan (None: the clinic has no plan for it)."""
    plan = plan_of(db_session, course)
    return plan.interval_days if plan else None
