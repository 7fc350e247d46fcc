"""Benchmark: a log-in flood is absorbed. 200 bogus log-ins (unknown usernames, wrong passwords,
from 20 clients at once) arrive while a logged-in member loads the dashboard over and over (the
real DashboardState.load: session check, database, money summary). Goal: the member's p95 ≤ 100 ms.

What absorbs it: the bcrypt admission queue (HCPAY_BCRYPT_QUEUE) answers "try again" at once rather
than holding the threads every handler shares, and the per-address and portal-wide log-in rates
refuse before any work. bcrypt at the production cost, 12.
"""

from __future__ import annotations

import collections
import statistics
import tempfile
import threading
import time
from pathlib import Path

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.services.accounts import authn
from hcpay_app.state.dashboard import DashboardState
from hcpay_app.state.login import LoginState
from tests.perf.bench_users import app_settings, make_user
from tests.support import server
from tests.support.raw_socket import RawClient

ATTACKERS = 20
TRIES_EACH = 10  # 200 in all
# Full names as Reflex computes them, so a renamed or re-parented state can't silently miss.
LOGIN_EVENT = f"{LoginState.get_full_name()}.login"
DASHBOARD_LOAD = f"{DashboardState.get_full_name()}.load"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def load_dashboard(client: RawClient) -> float:
    """One dashboard load, timed until the answer carrying the dashboard's figures arrives (not until
    the raw client's sentinel: under load Reflex may answer the sentinel first)."""
    start = client.mark()
    began = time.perf_counter()
    client.emit(DASHBOARD_LOAD, {}, path="/dashboard")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = client.since(start)
        if any(DashboardState.get_full_name() in (frame.get("delta") or {}) for frame in answer):
            elapsed = (time.perf_counter() - began) * 1000
            assert "amount_due" in str(answer), answer  # the real figures came back
            return elapsed
        client.wait_for_frames(start + len(answer), timeout=0.5)  # sleeps until a frame arrives
    raise TimeoutError("the dashboard never answered")


def answer_kind(frames: list[dict]) -> str:
    text = str(frames)
    for kind, words in (
        ("wrong", "is incorrect"),
        ("locked", "Too many unsuccessful"),
        ("busy", "Many people are logging in"),
        ("rate", "Too many log-in attempts from this device"),
    ):
        if words in text:
            return kind
    return "other"


ROUNDS = 3  # floods in a row; the figure is the median round (one round's p95 varies by ±40 ms here)


def flood_round(base: str, viewer: RawClient, source: str) -> dict:
    """One flood of 200 bogus log-ins from `source` while `viewer` loads the dashboard over and over."""
    attackers = [RawClient(base, path="/", source_address=source) for _ in range(ATTACKERS)]
    kinds: collections.Counter[str] = collections.Counter()
    unexpected: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(ATTACKERS + 1)

    def flood(client: RawClient, n: int) -> None:
        start.wait()
        for k in range(TRIES_EACH):
            form = {"username": f"nobody.{source}.{n}.{k}", "password": f"Guess-{n}-{k}-Wrong"}
            frames = client.call(LOGIN_EVENT, {"form_data": form}, path="/", timeout=120)
            kind = answer_kind(frames)
            with lock:
                kinds[kind] += 1
                if kind == "other":
                    unexpected.append(str(frames)[:600])

    threads = [threading.Thread(target=flood, args=(c, n)) for n, c in enumerate(attackers)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    loaded = []
    while any(thread.is_alive() for thread in threads):
        loaded.append(load_dashboard(viewer))
    elapsed = time.perf_counter() - began
    for thread in threads:
        thread.join()
    for client in attackers:
        client.close()
    assert sum(kinds.values()) == ATTACKERS * TRIES_EACH and kinds["other"] == 0, (kinds, unexpected)
    return {
        "p50_ms": round(statistics.median(loaded), 2),
        "p95_ms": round(percentile(loaded, 0.95), 2),
        "max_ms": round(max(loaded), 2),
        "loads": len(loaded),
        "answers": dict(kinds),
        "lasted_s": round(elapsed, 2),
    }


def test_dashboard_stays_fast_during_200_bogus_log_ins(record, monkeypatch):
    tmp = Path(tempfile.mkdtemp(prefix="hcpay-bench-flood-"))
    port = server.free_port()
    base = f"http://127.0.0.1:{port}"
    env = app_settings(monkeypatch, tmp, port, bcrypt_cost=12)
    member = make_user(0)
    with session_scope() as session:
        _uid, token = authn.login(
            session, username=member["username"], password=member["password"], ip="bench", now=clock.utcnow()
        )
    process = server.start(port, env, tmp / "app.log")
    try:
        viewer = RawClient(base, auth_token=token, path="/dashboard")
        idle = [load_dashboard(viewer) for _ in range(30)]
        # Each round's attackers share one address of their own (127.0.0.11, .12, …): its per-address
        # log-in rate starts afresh, as a new attacker's would.
        rounds = [flood_round(base, viewer, f"127.0.0.{11 + n}") for n in range(ROUNDS)]
        viewer.close()
    finally:
        server.stop(process)
    median = sorted(rounds, key=lambda r: r["p95_ms"])[len(rounds) // 2]
    record(
        "dashboard_during_200_bogus_log_ins",
        {
            "goal": "member's dashboard load p95 <= 100 ms while 200 bogus log-ins arrive (bcrypt cost 12)",
            "idle_load_p50_ms": round(statistics.median(idle), 2),
            "idle_load_p95_ms": round(percentile(idle, 0.95), 2),
            "flood_load_p50_ms": median["p50_ms"],
            "flood_load_p95_ms": median["p95_ms"],
            "flood_load_max_ms": median["max_ms"],
            "loads_during_flood": median["loads"],
            "flood_answers": median["answers"],
            "flood_lasted_s": median["lasted_s"],
            "rounds_p95_ms": [r["p95_ms"] for r in rounds],
            "met": median["p95_ms"] <= 100,
        },
    )
