"""The suite passes whatever moment the machine's clock reads: the time-sensitive tests, run again at moments
that have broken reminder code before (midnight UTC, late evening in Paris, both clock changes, 29 February)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MOMENTS = [
    "2026-12-03T00:00:00+00:00",  # midnight UTC: 01:00 in Paris, still the previous day in New York
    "2027-01-14T23:30:00+01:00",  # 23:30 in Paris: "tomorrow" is an hour away
    "2027-03-28T01:30:00+01:00",  # half an hour before Paris springs forward
    "2027-10-31T02:30:00+01:00",  # the repeated half hour after Paris falls back
    "2028-02-29T23:30:00+01:00",  # a leap day, late
    "2027-10-26T08:30:00+00:00",  # five days before Europe falls back: sessions booked now are after the change
]
TIME_SENSITIVE = [
    "tests/unit",
    "tests/integration/test_session_reminders.py",
    "tests/integration/test_one_message_per_session.py",
    "tests/integration/test_care.py",
    "tests/integration/test_sweep.py",
    "tests/integration/test_walking_skeleton.py",
    "tests/integration/test_email.py",
    "tests/integration/test_calendly.py",
    "tests/integration/test_calcom.py",
    "tests/integration/test_jobs.py",
    "tests/integration/test_replies.py",
    "tests/integration/test_tick_summary.py",
    "tests/integration/test_notices.py",
    "tests/integration/test_dispatch_safety.py",
    "tests/integration/test_preview.py",
    "tests/admin/test_dashboard.py",
    "tests/admin/test_booking.py",
    "tests/admin/test_outbox.py",
    "tests/admin/test_timeline.py",
    "tests/admin/test_courses_panel.py",
    "tests/admin/test_todo.py",
    "tests/integration/test_patient_page.py",
    "tests/integration/test_manage_links.py",
    "tests/integration/test_staff_digest.py",
    "tests/integration/test_outbound_events.py",
]


@pytest.mark.slow
@pytest.mark.parametrize("moment", MOMENTS)
def test_the_time_sensitive_tests_pass_at(moment: str) -> None:
    env = {**os.environ, "RECALL_TEST_CLOCK": moment}
    env.pop("TEST_DATABASE_URL", None)  # SQLite is enough to show the clock's effect, and twice as fast
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m", "not slow", *TIME_SENSITIVE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"at {moment}:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
