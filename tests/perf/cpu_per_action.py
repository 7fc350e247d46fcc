"""One simulated member, alone, repeating each action; the CPU the server side spent per action.

    python -m tests.perf.cpu_per_action CONFIG.json RESULT.json

Its own process for the same reason as load_members.py (Locust patches the standard library). The
member of locustfile.py logs in, then makes `rounds` visits, one action after another with no pause:
go to the dashboard, the history and Make a Payment, then the four steps of a card payment. After
the visits, each of those pages is loaded in full `rounds` times (a new tab, a reload), apart from
the visit's figure. Around each
action it reads the CPU time (user + system) of every process in CONFIG's `app_pids` (the app's
workers) and `backing_pids` (PostgreSQL's, Redis) from /proc, so the figure is what one action costs the server
whatever else the machine does — the figure that decides how many members two cores can serve.
"""

from __future__ import annotations

import collections
import json
import os
import statistics
import sys
import time
from pathlib import Path

import locust  # noqa: F401  (patches the standard library for gevent)
from locust.env import Environment

AMOUNT = {"form_data": {"other_amount": "5.00", "payment_date": ""}}  # "" is today
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def server_cpu_ms(pids: list[int]) -> float:
    """User + system CPU of `pids` and all their descendants (threads included), in ms."""
    total = 0.0
    for pid in _with_descendants(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) * TICK_MS  # utime, stime
    return total


def _with_descendants(pids: list[int]) -> set[int]:
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int(Path(entry, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            children[parent].append(int(entry.name))
    found, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, []))
    return found


def main(config_path: str, result_path: str) -> None:
    os.environ["HCPAY_LOAD_CONFIG"] = config_path
    config = json.loads(Path(config_path).read_text())
    from tests.perf import locustfile  # reads HCPAY_LOAD_CONFIG at import

    member = locustfile.Member(Environment(user_classes=[locustfile.Member]))
    member.wait = lambda: None  # no think time: one action after another
    member.on_start()
    failures: list[str] = []
    member.environment.events.request.add_listener(
        lambda name, exception=None, **_: failures.append(f"{name}: {exception}") if exception else None
    )
    actions = {
        "go to /dashboard": lambda: member.navigate("/dashboard"),
        "go to /history": lambda: member.navigate("/history"),
        "go to /pay": lambda: member.navigate("/pay"),
        "pay: choose another amount": lambda: member._quick("pick_amount", {"value": "other"}),
        "pay: submit amount": lambda: member._pay_step("submit_amount", AMOUNT, "method"),
        "pay: submit card": lambda: member._pay_step("submit_method", {"form_data": locustfile.CARD}, "review"),
        "pay: submit payment": lambda: member._pay_step("submit_payment", {}, "done"),
    }
    groups = {"app": config["app_pids"], "database": config["backing_pids"]}

    def spent_on(name: str, action) -> tuple[dict[str, float], float]:
        """Run one action: the CPU each group spent on it, and its wall time (ms)."""
        before_cpu = {group: server_cpu_ms(pids) for group, pids in groups.items()}
        before = time.perf_counter()
        if not action():
            failures.append(f"{name}: no answer")
        wall_ms = (time.perf_counter() - before) * 1000
        return {group: server_cpu_ms(pids) - before_cpu[group] for group, pids in groups.items()}, wall_ms

    def figures(by_group: dict[str, list[float]]) -> dict[str, float]:
        means = {group: statistics.fmean(by_group[group]) for group in groups}
        return {
            "server_cpu_ms_mean": round(sum(means.values()), 1),
            **{f"{group}_cpu_ms_mean": round(ms, 1) for group, ms in means.items()},
        }

    split: dict[str, dict[str, list[float]]] = collections.defaultdict(lambda: collections.defaultdict(list))
    wall: dict[str, list[float]] = collections.defaultdict(list)
    for round_number in range(config["warmup"] + config["rounds"]):
        for name, action in actions.items():
            spent, wall_ms = spent_on(name, action)
            if round_number >= config["warmup"]:
                wall[name].append(wall_ms)
                for group, ms in spent.items():
                    split[name][group].append(ms)
    result = {
        name: {**figures(split[name]), "wall_ms_median": round(statistics.median(wall[name]), 1)} for name in actions
    }
    result["_visit"] = {
        "server_cpu_ms_mean": round(sum(sum(statistics.fmean(v) for v in split[name].values()) for name in actions), 1),
        "wall_ms_median": round(sum(statistics.median(v) for v in wall.values()), 1),
    }
    loaded = {}  # a whole page load of each (a new tab, a reload): not part of the visit
    for path in ("/dashboard", "/history", "/pay"):
        by_group: dict[str, list[float]] = collections.defaultdict(list)
        for _ in range(config["rounds"]):
            spent, _wall_ms = spent_on(f"page {path}", lambda path=path: member.page(path))
            for group, ms in spent.items():
                by_group[group].append(ms)
        loaded[f"page {path} (loaded in full)"] = figures(by_group)
    result.update(loaded)
    member.on_stop()
    summary = {"actions": result, "rounds": config["rounds"], "failures": failures}
    Path(result_path).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
