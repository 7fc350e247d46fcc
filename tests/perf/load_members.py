"""Run the simulated members of locustfile.py in steps, headless, with Locust as a library.

    python -m tests.perf.load_members CONFIG.json RESULT.json

Its own process: Locust monkey-patches the standard library for gevent when imported, which must
never happen inside pytest (test_bench_members.py starts this module as a subprocess).

For each step of CONFIG's `steps` (numbers of concurrent members, rising), members are added at
`spawn_rate` a second (each new one opens the log-in page and logs in), then all of them act for
`hold_s` seconds. Every round trip of the step (arrivals included) is kept, per event: count, p50,
p95, max and failures; the goal is judged on those. Next to them, `settled` summarises the round
trips that began once every member of the step was on and `settle_s` more had passed: the load of
N members at work, without the burst of their arrival. A step that is overloaded (more than
`stop_failure_share` of its round trips failed, or p95 above `stop_p95_ms`) ends the run: bigger
steps would only add queueing.
"""

from __future__ import annotations

import collections
import json
import os
import sys
import time
from pathlib import Path

import gevent
import locust  # noqa: F401  (patches the standard library for gevent)
from locust.env import Environment


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def summary(times: list[float], failures: int) -> dict:
    return {
        "count": len(times),
        "p50_ms": round(percentile(times, 0.50), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1) if times else 0.0,
        "failures": failures,
    }


class StepRecorder:
    """Every round trip reported to Locust, kept per step."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = collections.defaultdict(list)
        self.failures: collections.Counter[str] = collections.Counter()
        self.errors: collections.Counter[str] = collections.Counter()
        self.began_at: list[tuple[float, float, bool]] = []  # (monotonic start, ms, failed)

    def __call__(self, request_type, name, response_time, response_length, exception=None, **_kwargs) -> None:
        self.times[name].append(response_time)
        self.began_at.append((time.monotonic() - response_time / 1000, response_time, exception is not None))
        if exception is not None:
            self.failures[name] += 1
            self.errors[f"{name}: {type(exception).__name__}: {str(exception)[:160]}"] += 1

    def result(self, members: int, seconds: float, goal_p95_ms: float) -> dict:
        every = [t for times in self.times.values() for t in times]
        failed = sum(self.failures.values())
        overall = summary(every, failed)
        return {
            "members": members,
            "seconds": round(seconds, 1),
            "round_trips_per_s": round(len(every) / seconds, 1) if seconds else 0.0,
            "page_loads_per_s": round(
                sum(len(t) for name, t in self.times.items() if name.startswith(("page ", "go to "))) / seconds, 1
            )
            if seconds
            else 0.0,
            **overall,
            "met": failed == 0 and bool(every) and overall["p95_ms"] <= goal_p95_ms,
            "events": {name: summary(times, self.failures[name]) for name, times in sorted(self.times.items())},
            "errors": dict(self.errors.most_common(10)),
        }

    def settled(self, since: float) -> dict:
        """The round trips that began at or after `since` (monotonic)."""
        kept = [(ms, failed) for began, ms, failed in self.began_at if began >= since]
        return summary([ms for ms, _failed in kept], sum(failed for _ms, failed in kept))


def run(config: dict) -> dict:
    from tests.perf import locustfile  # reads HCPAY_LOAD_CONFIG when imported

    env = Environment(user_classes=[locustfile.Member], host=config["host"])
    runner = env.create_local_runner()
    steps: list[dict] = []
    stopped_after = None
    if warm := config.get("warmup_members", 0):
        # A few members first, not counted: the app's first log-ins, queries and state loads of
        # each kind (imports, caches, connection pools) are start-up, not load. They stay on.
        runner.start(warm, spawn_rate=warm)
        gevent.sleep(config.get("warmup_s", 5))
    for members in config["steps"]:
        recorder = StepRecorder()
        env.events.request.add_listener(recorder)
        began, cpu = time.monotonic(), time.process_time()
        runner.start(members, spawn_rate=config["spawn_rate"])
        arrival_deadline = began + members / config["spawn_rate"] + 30
        while runner.user_count < members and time.monotonic() < arrival_deadline:
            gevent.sleep(0.2)
        settled_from = time.monotonic() + config.get("settle_s", 5)
        gevent.sleep(config["hold_s"])
        env.events.request.remove_listener(recorder)
        step = recorder.result(members, time.monotonic() - began, config["goal_p95_ms"])
        step["settled"] = recorder.settled(settled_from)
        step["members_running"] = runner.user_count
        # Locust's own share of one core: near 1.0, the figures measure the load generator too.
        step["generator_cpu_share"] = round((time.process_time() - cpu) / step["seconds"], 2)
        steps.append(step)
        settled = step["settled"]
        print(
            f"{members} members: {step['count']} round trips, p50 {step['p50_ms']} ms, p95 {step['p95_ms']} ms, "
            f"{step['failures']} failed (all on: p50 {settled['p50_ms']} ms, p95 {settled['p95_ms']} ms, "
            f"{settled['failures']} failed); Locust used {step['generator_cpu_share']:.0%} of a core",
            flush=True,
        )
        total = step["count"] or 1
        overloaded = step["failures"] / total > config["stop_failure_share"] or step["p95_ms"] > config["stop_p95_ms"]
        if overloaded and members != config["steps"][-1]:
            stopped_after = members
            break
    runner.quit()
    gevent.sleep(0.5)
    met = [s["members"] for s in steps if s["met"]]
    return {
        "steps": steps,
        "largest_members_met": max(met) if met else 0,
        "stopped_after_overloaded_step": stopped_after,
        "payments_confirmed": len(locustfile.CONFIRMED),
        "payment_references": locustfile.CONFIRMED,
    }


if __name__ == "__main__":
    config_path, out_path = sys.argv[1], sys.argv[2]
    os.environ["HCPAY_LOAD_CONFIG"] = config_path
    result = run(json.loads(Path(config_path).read_text()))
    Path(out_path).write_text(json.dumps(result, indent=2))
