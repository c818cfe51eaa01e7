"""One full cycle, as `reminders tick` runs it: plan what changed, sweep time-driven plans, send what is due, then post
the outbound events that are due (those the sends just made among them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .dispatcher import DispatchReport
from .jobs import deliver_events, dispatch_due, plan
from .outbound_delivery import DeliveryReport
from .planner import PlanResult


@dataclass(frozen=True)
class TickReport:
    plan: PlanResult
    dispatch: DispatchReport
    events: DeliveryReport

    def summary(self) -> str:
        """What the tick did, in the words staff read in the outbox; every number counts rows, never below zero."""
        d, p = self.dispatch, self.plan
        line = (
            f"planned {p.created}, updated {p.updated}, cancelled {p.cancelled + d.cancelled}, sent {d.sent}, "
            f"failed {d.failed}, deferred {d.deferred}, skipped {d.skipped}, retrying {d.retried}, recovered {d.recovered}"
        )
        return f"{line}; {self.events}" if self.events.posted else line


def tick(now: datetime) -> TickReport:
    planned, dispatched = plan(now), dispatch_due(now)
    return TickReport(plan=planned, dispatch=dispatched, events=deliver_events(now))
