"""Send what is due from the outbox: claim a batch, send each through a bounded pool, repeat.

What each part guarantees lives with it: `claims` (no two dispatchers hold one
row; dead leases are recovered), `sending` (nothing goes out for a session that
changed; every result recorded through `domain.lifecycle`), `pacing` (the provider's
rate and the clinic's daily cap). The only duplicate window is a crash between the
provider accepting and our commit with no status callback configured.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from . import claims
from .channels import Senders
from .domain.dispatch_rules import RetryPolicy
from .domain.vocabulary import Channel
from .extensions import DbSession
from .models import Reminder
from .pacing import Pacer, SmsBudget
from .sending import SendContext, send_one
from .settings import Settings

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    retried: int = 0
    skipped: int = 0
    cancelled: int = 0
    recovered: int = 0

    def count(self, outcome: str) -> None:
        if hasattr(self, outcome):
            setattr(self, outcome, getattr(self, outcome) + 1)


def sms_sent_since(db_session: DbSession, since: datetime) -> int:
    """What the clinic's daily SMS cap has used: each batch starts its budget from this count."""
    return int(
        db_session.execute(
            select(func.count()).select_from(Reminder).where(Reminder.sent_at >= since, Reminder.channel == Channel.SMS)
        ).scalar_one()
    )


class Dispatcher:
    """One per process; `run(now)` drains what is due at `now`."""

    def __init__(
        self,
        db_session: DbSession,
        senders: Senders,
        settings: Settings,
        *,
        worker: str | None = None,
        pacer: Pacer | None = None,
        whatsapp_pacer: Pacer | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.db_session = db_session
        self.context = SendContext(
            senders=senders,
            settings=settings,
            worker=worker or worker_name(),
            pacer=pacer or Pacer(settings.sms_rate_per_second),
            whatsapp_pacer=whatsapp_pacer or Pacer(settings.whatsapp_rate_per_second),
            budget=SmsBudget(settings.sms_daily_cap, 0),
            retry=retry or RetryPolicy(),
        )

    @property
    def settings(self) -> Settings:
        return self.context.settings

    @property
    def worker(self) -> str:
        return self.context.worker

    @property
    def lease(self) -> timedelta:
        return claims.lease_for(self.settings)

    def claim(self, now: datetime, limit: int) -> list[int]:
        return claims.claim(self.db_session, self.worker, now, limit, self.lease)

    def recover_expired(self, now: datetime) -> int:
        return claims.recover_expired(self.db_session, now)

    def send_one(self, reminder_id: int, now: datetime) -> str:
        return send_one(self.db_session, self.context, reminder_id, now)

    def sms_sent_since(self, since: datetime) -> int:
        return sms_sent_since(self.db_session, since)

    def concurrency(self) -> int:
        # SQLite has one writer and a send holds it: threads would only queue behind each other.
        return 1 if self.db_session.get_bind().dialect.name == "sqlite" else self.settings.dispatch_concurrency

    def _send_apart(self, bind: Engine, reminder_id: int, now: datetime) -> str:
        """Send on a database session of this thread's own, sharing the pacer, the cap and the lease owner's name."""
        with Session(bind=bind) as own:
            return send_one(own, self.context, reminder_id, now)

    def run(self, now: datetime, *, max_batches: int = 1000) -> DispatchReport:
        """Drain what is due: claim a batch, send it through a bounded pool, repeat until nothing is due."""
        report = DispatchReport(recovered=self.recover_expired(now))
        workers = self.concurrency()
        bind = self.db_session.get_bind()  # read here: Flask's scoped session is not reachable from pool threads
        assert isinstance(bind, Engine)
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dispatch") if workers > 1 else None
        try:
            for _ in range(max_batches):
                # Recount before each batch: other instances send too, and the cap is for the whole clinic.
                self.context.budget = SmsBudget(self.settings.sms_daily_cap, self.sms_sent_since(now - timedelta(days=1)))
                ids = self.claim(now, self.settings.dispatch_batch_size)
                if not ids:
                    break
                log.info("%s claimed %d due reminders", self.worker, len(ids))
                if pool is None:
                    outcomes = [self.send_one(reminder_id, now) for reminder_id in ids]
                else:
                    outcomes = list(pool.map(lambda reminder_id: self._send_apart(bind, reminder_id, now), ids))
                for outcome in outcomes:
                    report.count(outcome)
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
        return report
