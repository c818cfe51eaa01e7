"""The outcomes page: whether the reminders change attendance, courses finished, maintenance booked.

The figures come from `service.outcomes.build_report`, the same function the `outcomes report` command prints;
this view only puts them in the reader's words (dates with `day`, percentages in the reader's locale) and draws
the weekly no-show and completion rates as an inline SVG (no script: the panel's CSP allows none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.dates import format_skeleton
from babel.numbers import format_decimal, format_percent
from flask_admin import expose

from service.domain.outcomes import FIGURES, RATES, Figure
from service.extensions import db
from service.i18n import _, _l, _locale, day
from service.outcomes import DEFINITIONS, PeriodFigures, Report, build_report
from service.runtime import get_settings
from service.timeutil import utcnow

from .security import ProtectedView

NONE = "—"  # a rate with nothing to divide by, or a median of nothing
LABELS = {
    "sessions_held": _l("Sessions held"),
    "no_shows": _l("No-shows"),
    "no_show_rate": _l("No-show rate"),
    "late_cancellations": _l("Late cancellations"),
    "confirmation_rate": _l("Confirmation rate"),
    "median_lead_time_days": _l("Median booking lead time (days)"),
    "courses_started": _l("Courses started"),
    "courses_completed": _l("Courses completed"),
    "courses_interrupted": _l("Courses interrupted"),
    "completion_rate": _l("Completion rate"),
    "maintenance_due": _l("Maintenance due"),
    "maintenance_reminded": _l("Reminded"),
    "maintenance_reminded_booked": _l("Reminded, booked within 60 days"),
    "maintenance_unreachable": _l("Could not be reminded"),
    "maintenance_unreachable_booked": _l("Could not be reminded, booked within 60 days"),
    "rebook_nudged": _l("Nudged to rebook"),
    "rebook_booked": _l("Booked within 7 days of a nudge"),
}
SECTIONS = (
    (_l("Attendance"), FIGURES[:6]),
    (_l("Courses"), FIGURES[6:10]),
    (_l("Maintenance"), FIGURES[10:15]),
    (_l("Nudges"), FIGURES[15:]),
)
CHART_WIDTH, CHART_HEIGHT, CHART_TOP = 600, 150, 10  # the plot's box in SVG units; 100 % at CHART_TOP


def shown(name: str, value: Figure) -> str:
    """A figure as the reader reads it: "12", "8 %" / "8 %", "3,5"; "—" when there is nothing to say."""
    if value is None:
        return NONE
    if name in RATES:
        return format_percent(value, locale=_locale())
    return format_decimal(value, locale=_locale())


@dataclass(frozen=True)
class Column:
    title: str  # the period in words
    key: str  # 2026-W49, 2026-12
    cells: dict[str, str]


def columns(lines: list[PeriodFigures], weekly: bool) -> list[Column]:
    out = []
    for line in lines:
        period = line.period
        title = (
            _("Week of %(day)s", day=day(period.start)) if weekly else format_skeleton("yMMMM", period.start, locale=_locale())
        )
        out.append(Column(title, period.label, {name: shown(name, line.values[name]) for name in FIGURES}))
    return out


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    tip: str  # the hover text: the week and the rate in words


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    points: list[Point]
    segments: list[str]  # SVG polyline "x,y x,y" runs, broken where a week has no rate


def series(report: Report, figure: str, name: str, colour: str) -> Series:
    step = CHART_WIDTH / max(1, len(report.weeks) - 1)
    points: list[Point] = []
    segments: list[str] = []
    run: list[str] = []
    for index, line in enumerate(report.weeks):
        value = line.values[figure]
        if value is None:
            if run:
                segments.append(" ".join(run))
            run = []
            continue
        x, y = round(index * step, 1), round(CHART_TOP + (CHART_HEIGHT - CHART_TOP) * (1 - float(value)), 1)
        tip = _("Week of %(day)s: %(figure)s %(value)s", day=day(line.period.start), figure=name, value=shown(figure, value))
        points.append(Point(x, y, tip))
        run.append(f"{x},{y}")
    if run:
        segments.append(" ".join(run))
    return Series(name, colour, points, segments)


class OutcomesView(ProtectedView):
    """Staff and admins: the clinic's own results, counted as the rest of the panel lists them."""

    @expose("/")
    def index(self) -> Any:
        settings = get_settings()
        report = build_report(db.session, settings.clinic_timezone, utcnow())
        return self.render(
            "admin/outcomes.html",
            report=report,
            sections=SECTIONS,
            labels=LABELS,
            definitions=DEFINITIONS,
            weeks=columns(report.weeks, weekly=True),
            months=columns(report.months, weekly=False),
            chart=[
                series(report, "no_show_rate", str(LABELS["no_show_rate"]), "#dc3545"),
                series(report, "completion_rate", str(LABELS["completion_rate"]), "#198754"),
            ],
            chart_size=(CHART_WIDTH, CHART_HEIGHT, CHART_TOP),
            axis=[(CHART_TOP + (CHART_HEIGHT - CHART_TOP) * (1 - share), shown("no_show_rate", share)) for share in (0, 0.5, 1)],
            first_week=day(report.weeks[0].period.start),
            last_week=day(report.weeks[-1].period.start),
        )
