"""One full cycle, as `reminders tick` runs it: plan what changed, sweep time-driven plans, send what is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .dispatcher import DispatchReport
from .jobs import dispatch_due, plan
from .planner import PlanResult


@dataclass(frozen=True)
class TickReport:
    plan: PlanResult
    dispatch: DispatchReport

    def summary(self) -> str:
        """What the tick did, in the words staff read in the outbox; every number counts rows, never below zero."""
        d, p = self.dispatch, self.plan
        return (
            f"planned {p.created}, updated {p.updated}, cancelled {p.cancelled + d.cancelled}, sent {d.sent}, "
            f"failed {d.failed}, deferred {d.deferred}, skipped {d.skipped}, retrying {d.retried}, recovered {d.recovered}"
        )


def tick(now: datetime) -> TickReport:
    return TickReport(plan=plan(now), dispatch=dispatch_due(now))
