"""`make bench`: each figure beside its goal, on this machine, against PostgreSQL from the environment.

    python bench/run.py [PART ...] [--baseline REV [--rounds N]]

PART is any of dispatch, statements, webhooks, admin, sweep, tick (all when none is named).

With `--baseline REV` (`make bench BASELINE=REV`) the same benchmarks also run against
the application as it was at REV, in the same sitting: REV is checked out into a
temporary `git worktree`, this tree's `bench/` is copied into it (the same harness
measures both), and each part runs in a fresh process for the baseline and for this
working tree in turn, alternating which goes first. The report puts the two side by
side with the change. A part that cannot run at the baseline (it needs something the
baseline did not have) shows "n/a" there. With `--rounds N` (`ROUNDS=N`) each part runs N
times a side, alternating, and each figure is the median of its runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Figure, machine  # noqa: E402 - after the path set-up

PARTS = ("dispatch", "statements", "webhooks", "admin", "sweep", "tick")


def _part(name: str) -> Callable[[], Any]:
    """The part's entry point, imported only when it runs (a baseline may lack what another part needs)."""
    from importlib import import_module

    module = {
        "dispatch": "bench.dispatch",
        "statements": "bench.statements",
        "webhooks": "bench.webhooks",
        "admin": "bench.admin_and_memory",
        "sweep": "bench.sweep_cost",
        "tick": "bench.tick_cost",
    }[name]
    return import_module(module).main  # type: ignore[no-any-return]


def run_part(name: str) -> tuple[list[Figure], str]:
    """Runs one part here; returns its figures and any note (the tick's query plan)."""
    result = _part(name)()
    note = ""
    if isinstance(result, tuple):  # tick_cost.main() returns (rows, plan)
        result, plan = result
        note = f"EXPLAIN ANALYZE of the due scan with 1,000,000 pending future reminders:\n{plan}"
    return [row if isinstance(row, Figure) else _figure(*row) for row in result], note


def _figure(label: str, value: str, goal: str) -> Figure:
    """A plain (label, value, goal) row: its first number, better lower for times and sizes, higher for rates."""
    found = re.match(r"\s*([0-9][0-9,]*\.?[0-9]*)\s*(\S*)", value)
    if not found:
        return Figure(label, value, goal)
    unit = found.group(2).rstrip(",")
    better = "higher" if unit.endswith("/s") else "lower" if unit in ("ms", "s", "MB", "statements") else None
    return Figure(label, value, goal, float(found.group(1).replace(",", "")), better)


def _print_rows(figures: list[Figure]) -> None:
    for f in figures:
        print(f"{f.label}: {f.value}   goal: {f.goal}", flush=True)


def _unit(name: str, out: Path) -> None:
    """Child process of a baseline run: one part, its figures written to `out` as JSON."""
    import service

    print(f"  ({name} with the application in {Path(service.__file__).resolve().parent.parent})", flush=True)
    figures, note = run_part(name)
    _print_rows(figures)
    out.write_text(json.dumps({"figures": [f._asdict() for f in figures], "note": note}))


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def _in_child(tree: Path, part: str, scratch: Path, tag: str) -> tuple[list[Figure] | None, str]:
    out = scratch / f"{tag}-{part}.json"
    log = scratch / f"{tag}-{part}.stderr"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with log.open("w") as err:
        code = subprocess.run(
            [sys.executable, str(tree / "bench" / "run.py"), "--unit", part, "--json", str(out)], cwd=tree, env=env, stderr=err
        ).returncode
    if code != 0 or not out.exists():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-6:])
        print(f"  {part} did not run for {tag} (exit {code}); its figures are n/a:\n{tail}", flush=True)
        return None, ""
    data = json.loads(out.read_text())
    return [Figure(**f) for f in data["figures"]], data["note"]


def _change(before: Figure | None, after: Figure | None) -> str:
    if before is None or after is None or before.number is None or after.number is None:
        return "n/a"
    if before.number == 0:
        return "same" if after.number == 0 else "n/a"
    pct = (after.number / before.number - 1) * 100
    if abs(pct) < 0.5:
        return "same"
    verdict = ""
    if after.better in ("higher", "lower"):
        verdict = " better" if (pct > 0) == (after.better == "higher") else " worse"
    return f"{pct:+.0f} %{verdict}"


def _median(runs: list[list[Figure] | None]) -> list[Figure] | None:
    """Figure by figure, the run with the median number (the lower of the middle two); None if no run worked."""
    done = [r for r in runs if r is not None]
    if not done:
        return None
    merged = []
    for figure in done[0]:
        same = sorted(
            (f for run in done for f in run if f.label == figure.label),
            key=lambda f: f.number if f.number is not None else 0.0,
        )
        merged.append(same[(len(same) - 1) // 2])
    return merged


def compare(rev: str, parts: list[str], rounds: int = 1) -> None:
    sha = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    short = _git("rev-parse", "--short", sha)
    head = _git("rev-parse", "--short", "HEAD")
    dirty = " + uncommitted changes" if _git("status", "--porcelain", "--untracked-files=no") else ""
    print(f"baseline: {rev} = {short}; now: this working tree ({head}{dirty}); {rounds} round(s)", flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="recall-bench-"))
    tree = scratch / "baseline"
    _git("worktree", "add", "--detach", str(tree), sha)
    try:
        shutil.rmtree(tree / "bench", ignore_errors=True)
        shutil.copytree(ROOT / "bench", tree / "bench", ignore=shutil.ignore_patterns("__pycache__"))
        runs: dict[str, dict[str, list[tuple[list[Figure] | None, str]]]] = {}
        turn = 0
        for part in parts:
            for _ in range(rounds):
                sides = [("baseline", tree), ("now", ROOT)]
                for tag, where in sides if turn % 2 == 0 else sides[::-1]:
                    print(f"\n[{tag}] {part}", flush=True)
                    runs.setdefault(part, {}).setdefault(tag, []).append(_in_child(where, part, scratch, tag))
                turn += 1
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)
    results = {
        part: {tag: (_median([figures for figures, _ in done]), done[-1][1]) for tag, done in sides.items()}
        for part, sides in runs.items()
    }
    print(f"\nmachine: {machine()}" + (f"; each figure the median of {rounds} rounds" if rounds > 1 else ""))
    print(f"\n| figure | goal | baseline ({short}) | now ({head}{dirty and '+'}) | change |\n|---|---|---|---|---|")
    for part in parts:
        before, _ = results[part]["baseline"]
        after, note = results[part]["now"]
        labels = list(dict.fromkeys([f.label for f in after or []] + [f.label for f in before or []]))
        old = {f.label: f for f in before or []}
        new = {f.label: f for f in after or []}
        for label in labels:
            b, a = old.get(label), new.get(label)
            goal = (a or b).goal  # type: ignore[union-attr]
            print(f"| {label} | {goal} | {b.value if b else 'n/a'} | {a.value if a else 'n/a'} | {_change(b, a)} |")
    notes = [results[p]["now"][1] for p in parts if results[p]["now"][1]]
    for note in notes:
        print("\n" + note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("parts", nargs="*", metavar="PART", help=", ".join(PARTS))
    parser.add_argument("--baseline", metavar="REV", help="also run against this git revision, side by side")
    parser.add_argument("--rounds", type=int, default=1, help="with --baseline: run each part this many times a side")
    parser.add_argument("--unit", choices=PARTS, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if unknown := set(args.parts) - set(PARTS):
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; the parts are {', '.join(PARTS)}")
    if args.unit:
        _unit(args.unit, args.json)
        return
    parts = [p for p in PARTS if p in args.parts] if args.parts else list(PARTS)
    if args.baseline:
        compare(args.baseline, parts, max(1, args.rounds))
        return
    print(f"machine: {machine()}")
    figures: list[Figure] = []
    notes = []
    for part in parts:
        rows, note = run_part(part)
        _print_rows(rows)
        figures += rows
        notes.append(note)
    for note in filter(None, notes):
        print("\n" + note)
    print("\n| measure | result | goal |\n|---|---|---|")
    for f in figures:
        print(f"| {f.label} | {f.value} | {f.goal} |")


if __name__ == "__main__":
    main()
