"""`make bench`: each figure beside its goal, on this machine, against PostgreSQL from the environment."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import dispatch, tick_cost
from bench.common import machine


def main() -> None:
    print(f"machine: {machine()}")
    rows = []
    for label, value, goal in dispatch.main():
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
