"""One full cycle, as `reminders tick` runs it: plan what changed, sweep time-driven plans, send what is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .dispatcher import DispatchReport
from .jobs import dispatch_due, plan_changes, plan_sweep
from .planner import PlanResult


@dataclass(frozen=True)
class TickReport:
    plan: PlanResult
    dispatch: DispatchReport

    def summary(self) -> str:
        d = self.dispatch
        return (
            f"planned {self.plan.created}, sent {d.sent}, failed {d.failed}, deferred {d.deferred} "
            f"(retrying {d.retried}, skipped {d.skipped}, cancelled {d.cancelled + self.plan.cancelled}, recovered {d.recovered})"
        )


def tick(now: datetime) -> TickReport:
    plan = PlanResult()
    plan += plan_changes(now) or PlanResult()
    plan += plan_sweep(now) or PlanResult()
    return TickReport(plan=plan, dispatch=dispatch_due(now))
