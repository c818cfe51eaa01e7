"""Where a booking webhook's time goes: cProfile over signed generic bookings, in-process (Flask's test client), on
PostgreSQL. Not a throughput figure (no server, one thread): the share of each step in one request.

    python bench/profile_webhook.py [COUNT]
"""

from __future__ import annotations

import cProfile
import logging
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_settings, counting_statements, fresh_database, make_app
from bench.webhooks import SECRET, signed
from service.extensions import db

# (label, file suffix, function): the steps of a booking, each with its callees.
STEPS = (
    ("the whole request (Flask test client)", "flask/app.py", "wsgi_app"),
    ("the booking handler: verify, parse, store, apply, answer", "service/webhooks/__init__.py", "generic_booking"),
    ("the booking handler: verify, parse, store, apply, answer", "service/webhooks/handler.py", "handle"),
    ("  verify the signature", "service/webhooks/generic.py", "verify"),
    ("  parse and validate (JSON Schema)", "service/webhooks/generic.py", "parse"),
    ("  accept: store the delivery, apply it, commit", "service/webhooks/intake.py", "accept"),
    ("    apply_booking_event", "service/ingest.py", "apply_booking_event"),
    ("      upsert_patient", "service/ingest.py", "upsert_patient"),
    ("      the course", "service/ingest.py", "_course_for"),
    ("      plan_patient (planning inline)", "service/planner.py", "plan_patient"),
    ("        wanted_for_patient (the rules)", "service/planner.py", "wanted_for_patient"),
    ("    commit", "sqlalchemy/orm/session.py", "commit"),
    ("all SQL round trips (psycopg cursor.execute)", "psycopg/cursor.py", "execute"),
    ("all ORM flushes", "sqlalchemy/orm/session.py", "flush"),
)


def main(count: int = 300) -> None:
    logging.disable(logging.WARNING)
    with fresh_database() as url:
        app = make_app(bench_settings(url, booking_webhook_secret=SECRET))
        client = app.test_client()
        with app.app_context():
            engine = db.engine

        def post(i: int) -> None:
            method, path, data, headers = signed(i)
            assert client.open(path, method=method, data=data, headers=headers).status_code == 200

        for i in range(20):  # warm: imports, compiled statements, the per-process caches
            post(i)
        profile = cProfile.Profile()
        started = time.perf_counter()
        with counting_statements(engine) as statements:
            profile.enable()
            for i in range(20, 20 + count):
                post(i)
            profile.disable()
        elapsed = time.perf_counter() - started
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    stats = pstats.Stats(profile)
    per = {}
    for (filename, _, name), (_, _, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        for label, suffix, function in STEPS:
            if name == function and filename.endswith(suffix):
                per[label] = per.get(label, 0.0) + cumulative
    total = per.get(STEPS[0][0]) or elapsed
    print(
        f"{count} bookings in {elapsed:.2f} s under cProfile: {elapsed / count * 1000:.1f} ms each, "
        f"{statements.total / count:.1f} statements each\n"
    )
    print("| step | ms per booking | share |\n|---|---|---|")
    for label in dict.fromkeys(label for label, _, _ in STEPS):
        if label in per:
            print(f"| {label} | {per[label] / count * 1000:.2f} | {per[label] / total * 100:.0f} % |")
    print("\nTop 25 functions by own time:")
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main(int(sys.argv[1]) if sys.argv[1:] else 300)
