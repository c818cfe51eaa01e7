"""The clinic's reminder rules, message templates and tips, read once per process and kept until staff change them.

Every booking planned and every message composed needs them, and they change a few
times a year: reading them each time was 3 to 6 statements per webhook or send.

How fresh a cached copy is:

- **In this process**, an edit is seen by the very next message planned or composed.
  Any session that flushes a `ReminderRule`, `MessageTemplate` or `Tip` (the admin
  panel's views, a CLI command, a test), or runs an UPDATE, DELETE or INSERT on their
  tables, drops the cache when it commits or rolls back; until then that session reads
  the tables directly and nothing it sees is cached. A transaction that began before
  the last drop never fills the cache (its snapshot may predate the edit).
- **In other processes** (the other gunicorn workers, the scheduler) a copy is read
  again once it is `STALE_AFTER` seconds old: an edit reaches them within 10 s.

The cache is per engine (a process with two databases, like the test suite, keeps two).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time as clock_time
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from .domain.planning import DEFAULT_SESSION_RULES, SessionRule
from .domain.plans import DEFAULT_PLANS, Plan, area_key
from .domain.vocabulary import Channel
from .extensions import DbSession
from .models import MessageTemplate, ReminderRule, Tip, TreatmentPlan

STALE_AFTER = 10.0  # seconds: the bound on how long another process may use a copy from before an edit
MODELS = (ReminderRule, MessageTemplate, Tip, TreatmentPlan)
TABLES = frozenset(m.__tablename__ for m in MODELS)
_CHANGED = "recall.staff_content_changed"  # session.info: this session wrote one of the tables
_BEGAN = "recall.staff_content_began"  # session.info: the generation when its transaction began


@dataclass(frozen=True)
class TipRow:
    id: int
    category: str
    language: str
    text: str
    active: bool


@dataclass(frozen=True)
class StaffContent:
    """One consistent read of the three tables."""

    rules: tuple[SessionRule, ...]
    templates: Mapping[tuple[str, str, str], tuple[str | None, str]]  # (kind, channel, language) -> (subject, body)
    tips: tuple[TipRow, ...]  # in library order: position, then id
    tips_by_id: Mapping[int, TipRow] = field(default_factory=dict)
    # The kinds of the rules whose reminders are skipped for a session the patient has confirmed (decided at send time).
    skip_when_confirmed: frozenset[str] = frozenset()
    plans: Mapping[str, Plan] = field(default_factory=lambda: DEFAULT_PLANS)  # by area_key; `*` for any other area

    def active_tips(
        self, language: str, categories: tuple[str, ...] | None = None, *, exclude: str | None = None
    ) -> list[TipRow]:
        return [
            t
            for t in self.tips
            if t.active
            and t.language == language
            and (categories is None or t.category in categories)
            and (exclude is None or t.category != exclude)
        ]


@dataclass
class _Entry:
    content: StaffContent
    loaded_at: float
    generation: int


_clock = time.monotonic  # tests move it
_lock = threading.Lock()
_generation = 0
_cache: weakref.WeakKeyDictionary[Any, _Entry] = weakref.WeakKeyDictionary()


def load(session: DbSession) -> StaffContent:
    """Straight from the database: four statements."""
    rule_rows = session.execute(select(ReminderRule)).scalars().all()
    rules = (
        tuple(
            SessionRule(
                r.kind,
                Channel(r.channel),
                timedelta(minutes=r.offset_minutes),
                clock_time.fromisoformat(r.at_local_time) if r.at_local_time else None,
            )
            for r in rule_rows
            if r.enabled
        )
        if rule_rows
        else tuple(DEFAULT_SESSION_RULES)  # the shipped defaults until the clinic has rules of its own
    )
    templates = {
        (kind, channel, language): (subject, body)
        for kind, channel, language, subject, body in session.execute(
            select(
                MessageTemplate.kind,
                MessageTemplate.channel,
                MessageTemplate.language,
                MessageTemplate.subject,
                MessageTemplate.body,
            )
        )
    }
    tips = tuple(
        TipRow(i, category, language, text, bool(active))
        for i, category, language, text, active in session.execute(
            select(Tip.id, Tip.category, Tip.language, Tip.text, Tip.active).order_by(Tip.position, Tip.id)
        )
    )
    skip_when_confirmed = frozenset(r.kind for r in rule_rows if r.enabled and r.skip_when_confirmed)
    plans = {
        area_key(area): Plan(planned, interval, maintenance)
        for area, planned, interval, maintenance in session.execute(
            select(
                TreatmentPlan.area,
                TreatmentPlan.sessions_planned,
                TreatmentPlan.interval_days,
                TreatmentPlan.maintenance_sessions_planned,
            )
        )
    }
    # The shipped plans until the clinic has plans of its own, as with the rules.
    return StaffContent(rules, templates, tips, {t.id: t for t in tips}, skip_when_confirmed, plans or dict(DEFAULT_PLANS))


def get(session: DbSession) -> StaffContent:
    """The cached copy for this session's database, read again when stale or after an edit."""
    if session.info.get(_CHANGED):
        return load(session)  # this session's own edits, not yet committed: never cached
    engine = session.get_bind()
    with _lock:
        entry = _cache.get(engine)
        generation = _generation
    started = _clock()
    if entry is not None and entry.generation == generation and started - entry.loaded_at < STALE_AFTER:
        return entry.content
    content = load(session)
    began = session.info.get(_BEGAN)  # read after the load, which may have begun the transaction
    with _lock:
        if _generation == generation and began == generation and not session.info.get(_CHANGED):
            _cache[engine] = _Entry(content, started, generation)
    return content


def drop() -> None:
    """Forget every cached copy (all engines): the next use reads the tables again."""
    global _generation
    with _lock:
        _generation += 1
        _cache.clear()


@event.listens_for(Session, "after_begin")
def _began(session: Session, transaction: Any, connection: Any) -> None:
    if transaction.parent is None:  # the outermost transaction: its snapshot is what a load reads
        session.info[_BEGAN] = _generation


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, flush_context: Any) -> None:
    if any(isinstance(obj, MODELS) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True
        drop()


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    """Bulk writes (`session.execute(update(Tip)…)`, raw SQL naming a table) count as edits too."""
    if state.is_select:
        return
    statement = state.statement
    table = getattr(statement, "table", None)
    names = {getattr(table, "name", None)} if table is not None else None
    if names is None:
        text = str(getattr(statement, "text", "")).lower()
        names = {t for t in TABLES if t in text}
    if names & TABLES:
        state.session.info[_CHANGED] = True
        drop()


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_CHANGED, None):
        drop()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    if session.info.pop(_CHANGED, None):
        drop()
