"""Benchmark: the event loop is never blocked. One client times a trivial event's round trip over
and over while 30 other clients log in at once (bcrypt at the production cost, 12, in worker
threads). Goal: ping p95 ≤ 100 ms under that load.

Raw socket.io clients (tests/support/raw_socket.py) rather than 31 browsers: on two cores, 31
Chromium tabs would measure Chromium, not the server.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

from tests.perf.bench_users import app_settings, make_user
from tests.support import server
from tests.support.raw_socket import ROOT, RawClient

LOGINS = 30
LOGIN_EVENT = f"{ROOT}.hcpay_app___state___login____login_state.login"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ping(client: RawClient) -> float:
    started = time.perf_counter()
    client.call(f"{ROOT}.set_is_hydrated", {"value": True}, path="/")
    return (time.perf_counter() - started) * 1000


def test_ping_while_30_members_log_in(record, monkeypatch):
    tmp = Path(tempfile.mkdtemp(prefix="hcpay-bench-loop-"))
    port = server.free_port()
    base = f"http://127.0.0.1:{port}"
    env = app_settings(monkeypatch, tmp, port, bcrypt_cost=12)  # the production cost: the point of the test
    # Thirty real members, all to be served: room for all of them in the bcrypt queue (a flood of
    # bogus log-ins is test_bench_login_flood.py).
    env["HCPAY_BCRYPT_QUEUE"] = str(LOGINS)
    users = [make_user(n) for n in range(LOGINS)]
    process = server.start(port, env, tmp / "app.log")
    try:
        pinger = RawClient(base, path="/")
        idle = [ping(pinger) for _ in range(50)]
        members = [RawClient(base, path="/") for _ in range(LOGINS)]
        answered: list[float] = []
        start = threading.Barrier(LOGINS + 1)

        def log_in(client: RawClient, user: dict) -> None:
            start.wait()
            began = time.perf_counter()
            frames = client.call(
                LOGIN_EVENT,
                {"form_data": {"username": user["username"], "password": user["password"]}},
                path="/",
                timeout=120,
            )
            assert any("_redirect" in str(frame) for frame in frames), frames
            answered.append(time.perf_counter() - began)

        threads = [threading.Thread(target=log_in, args=pair) for pair in zip(members, users, strict=True)]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.perf_counter()
        loaded = []
        while any(thread.is_alive() for thread in threads):
            loaded.append(ping(pinger))
        elapsed = time.perf_counter() - began
        for thread in threads:
            thread.join()
        assert len(answered) == LOGINS
        for client in [pinger, *members]:
            client.close()
    finally:
        server.stop(process)
    record(
        "event_loop_ping_during_30_logins",
        {
            "goal": "ping p95 <= 100 ms while 30 members log in (bcrypt cost 12)",
            "idle_ping_p50_ms": round(statistics.median(idle), 2),
            "idle_ping_p95_ms": round(percentile(idle, 0.95), 2),
            "loaded_ping_p50_ms": round(statistics.median(loaded), 2),
            "loaded_ping_p95_ms": round(percentile(loaded, 0.95), 2),
            "loaded_ping_max_ms": round(max(loaded), 2),
            "pings_during_logins": len(loaded),
            "all_30_logins_done_s": round(elapsed, 2),
            "met": percentile(loaded, 0.95) <= 100,
        },
    )
