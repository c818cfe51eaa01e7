"""One planning and dispatch cycle: what `reminders tick` and the scheduler's job both run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from .dispatcher import DispatchReport, Dispatcher
from .extensions import db
from .planner import PlanResult, plan_changed


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
    app = current_app
    settings = app.extensions["recall.settings"]
    plan = plan_changed(db.session, settings, now)
    db.session.commit()
    dispatcher = Dispatcher(db.session, app.extensions["recall.senders"], settings, pacer=app.extensions["recall.pacer"])
    return TickReport(plan=plan, dispatch=dispatcher.run(now))
