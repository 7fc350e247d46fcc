"""Server CPU per member action (tests/perf/cpu_per_action.py): one member alone, each action of a
visit repeated, and the CPU time the app's workers, PostgreSQL and Redis spent on it. Two cores give
2,000 ms of CPU a second; at about one action a second per member, this is what sets how many
members they can serve, and it is steadier than a load test's percentiles for telling two builds
apart. Run it alone with `.venv/bin/python -m pytest tests/perf/test_bench_action_cpu.py -q -s`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.perf.test_bench_members import MODES, NAMES, serving
from tests.perf.tools import run_tool
from tests.support import server

ROUNDS = int(os.environ.get("HCPAY_BENCH_ACTION_ROUNDS", "30"))
BACKING_PROCESSES = ("postgres", "redis-server")


def backing_pids() -> list[int]:
    """The throwaway PostgreSQL and Redis servers' processes (the test's own, on loopback)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                name = (entry / "comm").read_text().strip()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if name in BACKING_PROCESSES:
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize("mode", list(MODES))
def test_server_cpu_per_action(mode, record, monkeypatch):
    with serving(mode, monkeypatch, 1, "action-cpu") as (port, tmp, members, app_pid):
        config = {
            "host": f"http://127.0.0.1:{port}",
            "members": members,
            "names": NAMES,
            "timeout_s": 15,
            "app_pids": [app_pid],
            "backing_pids": backing_pids(),
            "rounds": ROUNDS,
            "warmup": 3,
        }
        config_path, out_path = tmp / "config.json", tmp / "result.json"
        config_path.write_text(json.dumps(config))
        run_tool(
            [sys.executable, "-m", "tests.perf.cpu_per_action", config_path, out_path],
            "tests/perf/cpu_per_action.py",
            cwd=server.ROOT,
            env=dict(os.environ),
            timeout=600,
        )
        result = json.loads(out_path.read_text())
    record(
        f"server_cpu_per_action_{mode}",
        {
            "mode": MODES[mode],
            "rounds": result["rounds"],
            "actions": result["actions"],
            "note": "one member alone; CPU of the app's workers, PostgreSQL and Redis per action",
        },
    )
    assert result["failures"] == [], result["failures"]
