"""`make bench`: each figure beside its goal, on this machine, against PostgreSQL from the environment."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import admin_and_memory, dispatch, sweep_cost, tick_cost, webhooks
from bench.common import machine


def main() -> None:
    print(f"machine: {machine()}")
    rows = []
    if not sys.argv[1:] or "dispatch" in sys.argv[1:]:
        for label, value, goal in dispatch.main():
            rows.append((label, value, goal))
            print(f"{label}: {value}   goal: {goal}", flush=True)
    only = set(sys.argv[1:])  # e.g. `python bench/run.py webhooks admin` runs just those
    for name, module in (("dispatch", None), ("webhooks", webhooks), ("admin", admin_and_memory), ("sweep", sweep_cost)):
        if module is None or (only and name not in only):
            continue
        for label, value, goal in module.main():
            rows.append((label, value, goal))
            print(f"{label}: {value}   goal: {goal}", flush=True)
    tick_rows, plan = tick_cost.main()
    for label, value, goal in tick_rows:
        rows.append((label, value, goal))
        print(f"{label}: {value}   goal: {goal}", flush=True)
    print("\nEXPLAIN ANALYZE of the due scan with 1,000,000 pending future reminders:\n" + plan)
    print("\n| measure | result | goal |\n|---|---|---|")
    for label, value, goal in rows:
        print(f"| {label} | {value} | {goal} |")


if __name__ == "__main__":
    main()
