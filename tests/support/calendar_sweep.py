"""The calendar sweep: run the suites with the whole process tree under libfaketime at hard dates.

Each date moves the test process, the app server it starts, Node and Chromium together by one
relative offset (`faketime -f +SECONDS`): with an absolute `@DATE`, each process would start its own
clock at DATE when it started, and they would drift apart. The end-to-end harness is told to leave
the app's own clock alone (`HCPAY_E2E_CLOCK_START=system`), so the app reads the faked time.

    python -m tests.support.calendar_sweep                 # every date, unit + state + core e2e
    python -m tests.support.calendar_sweep --only friday-before-a-1st --suites unit
    python -m tests.support.calendar_sweep --at 2027-06-30T16:00-04:00

Prints one line per suite and date with its time, then a table; exits non-zero if any run failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Hard dates, as a member in Boston reads the clock (each moment carries its UTC offset).
DATES: dict[str, str] = {
    # A bank debit takes two business days: paid on the last business days of a month, it settles
    # in the next, after the next bills are issued.
    "thursday-before-a-1st": "2027-04-29T14:00:00-04:00",
    "friday-before-a-1st": "2027-01-29T15:00:00-05:00",
    # Bills are due on the 23rd; late fees and grace clocks start from it.
    "the-23rd": "2027-03-23T09:30:00-04:00",
    # Near midnight in Boston the UTC date is already the next day.
    "feb-28-near-midnight": "2027-02-28T23:50:00-05:00",
    "feb-29-near-midnight": "2028-02-29T23:50:00-05:00",
    # 2 AM EST becomes 3 AM EDT; 2 AM EDT becomes 1 AM EST again (1:00–2:00 happens twice).
    "dst-spring-forward": "2027-03-14T01:50:00-05:00",
    "dst-fall-back": "2027-11-07T01:20:00-04:00",
    "new-years-eve-23-59": "2026-12-31T23:59:00-05:00",
}
# The date `make test` runs everything at.
CI_DATE = "friday-before-a-1st"

SUITES: dict[str, list[str]] = {
    "unit": ["-m", "pytest", "tests/unit", "tests/state", "-q", "-p", "no:playwright", "-n", "auto"],
    "e2e": ["-m", "pytest", "tests/e2e", "-q", "-m", "core"],
}


@dataclasses.dataclass
class Run:
    label: str
    moment: dt.datetime
    suite: str
    seconds: float
    passed: bool
    summary: str


def offset_to(moment: dt.datetime) -> int:
    """Whole seconds from the real time now to `moment`, for `faketime -f +SECONDS`."""
    return round((moment - dt.datetime.now(dt.UTC)).total_seconds())


def faketime_command(moment: dt.datetime, command: list[str]) -> list[str]:
    faketime = shutil.which("faketime")
    if faketime is None:
        raise SystemExit("libfaketime is not installed: run `make system-packages` (Debian package faketime)")
    return [faketime, "-f", f"{offset_to(moment):+d}s", *command]


def run_suite(label: str, moment: dt.datetime, suite: str, extra: list[str]) -> Run:
    env = {**os.environ, "HCPAY_E2E_CLOCK_START": "system"}
    command = faketime_command(moment, [sys.executable, *SUITES[suite], *extra])
    print(f"== {label} ({moment.isoformat()}): {suite}", flush=True)
    started = time.monotonic()
    lines: list[str] = []
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        for line in process.stdout:  # streamed, so a long run shows its progress
            print(line, end="", flush=True)
            if line.strip():
                lines.append(line.strip())
    seconds = time.monotonic() - started
    summary = lines[-1] if lines else "(no output)"
    print(f"   {label}, {suite}: {summary} [{seconds:.0f} s]", flush=True)
    return Run(label, moment, suite, seconds, process.returncode == 0, summary)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=sorted(DATES), help="sweep only these named dates")
    parser.add_argument("--at", action="append", default=[], help="also sweep this ISO 8601 moment (with its offset)")
    parser.add_argument(
        "--suites", default="unit,e2e", help="comma-separated: unit (unit + state), e2e (core journeys)"
    )
    parser.add_argument("pytest_args", nargs="*", help="passed on to pytest (after --)")
    args = parser.parse_args(argv)
    chosen = {name: DATES[name] for name in (args.only or DATES)}
    chosen.update({value: value for value in args.at})
    suites = [s.strip() for s in args.suites.split(",") if s.strip()]
    unknown = set(suites) - set(SUITES)
    if unknown:
        parser.error(f"unknown suites: {', '.join(sorted(unknown))}")
    runs = [
        run_suite(label, dt.datetime.fromisoformat(value), suite, args.pytest_args)
        for label, value in chosen.items()
        for suite in suites
    ]
    print("\n| date | moment (Boston) | suite | result | time |\n|---|---|---|---|---|")
    for run in runs:
        print(
            f"| {run.label} | {run.moment.isoformat()} | {run.suite} | "
            f"{'passed' if run.passed else 'FAILED'}: {run.summary} | {run.seconds:.0f} s |"
        )
    return 0 if all(run.passed for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
