"""Benchmark: concurrent members, with Locust speaking Reflex's websocket protocol (locustfile.py).

Members log in (the real LoginState.login), open the dashboard and the history (each a page load:
hydrate and the page's on_load handlers), and make a card payment through Make a Payment's events,
about one action a second each. The number of members rises in steps (25, 50, 100, 200; each
`HOLD_S` seconds after its members arrived), and for each step the p50, p95 and failures of every
event are kept. Goal: the largest step with p95 ≤ 250 ms and no failures, ≥ 100 members in the
scale-out mode.

Two modes, each against the app started on loopback (backend only: the websocket is all a member's
phone talks to after the first page; the frontend's weight is test_bench_frontend.py's):
- one worker on SQLite (`make run`);
- PostgreSQL + Redis with two workers (throwaway servers, as the scale-out e2e suite starts them).

Locust runs in its own process (load_members.py), on the same 2 cores as the app. bcrypt runs at
cost 4 here: each member logs in once, and the log-in's cost under a flood is
test_bench_login_flood.py's. The assertions are about correctness only (no failure at the smallest
step; every payment a member saw confirmed is in the database), never about timings.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from reflex.state import OnLoadInternalState, UpdateVarsInternalState
from sqlmodel import func, select

from hcpay_app import clock, migrations
from hcpay_app.config import get_settings
from hcpay_app.db import engine_for, session_scope
from hcpay_app.models import BillingAccount, MethodKind, Payment, PaymentStatus
from hcpay_app.state.dashboard import DashboardState
from hcpay_app.state.history import HistoryState
from hcpay_app.state.login import LoginState
from hcpay_app.state.pay import PayState
from hcpay_app.state.session import SessionState
from tests.perf.bench_users import make_user
from tests.perf.tools import run_tool
from tests.support import server, services
from tests.support.bills import issue_as_scheduled

STEPS = [int(n) for n in os.environ.get("HCPAY_BENCH_MEMBER_STEPS", "25,50,100,200").split(",")]
HOLD_S = float(os.environ.get("HCPAY_BENCH_HOLD_S", "20"))
GOAL_P95_MS = 250
WARMUP_MEMBERS = 2  # on for the first 5 s, not counted; then two of the first step's members
ROOT = SessionState.get_full_name().rsplit(".", 1)[0]
NAMES = {
    "root": ROOT,
    "session_state": SessionState.get_full_name(),
    "session_cookie_var": f"{SessionState.get_full_name()}.auth_token",
    "login_state": LoginState.get_full_name(),
    "pay_state": PayState.get_full_name(),
    "update_vars": f"{UpdateVarsInternalState.get_full_name()}.update_vars_internal",
    "on_load": f"{OnLoadInternalState.get_full_name()}.on_load_internal",
    "pages": {
        "/dashboard": DashboardState.get_full_name(),
        "/history": HistoryState.get_full_name(),
        "/pay": PayState.get_full_name(),
    },
}
MODES = {
    "sqlite_1_worker": "one worker on SQLite",
    "postgresql_redis_2_workers": "PostgreSQL + Redis, two workers",
}


@contextlib.contextmanager
def backing(mode: str):
    """The database (and Redis) of a mode: extra app settings."""
    if mode == "sqlite_1_worker":
        yield {}
        return
    with services.postgres() as admin, services.redis() as redis_url:
        yield {
            "DATABASE_URL": services.create_database(admin, "hcpay_load"),
            "REDIS_URL": redis_url,
            "GRANIAN_WORKERS": "2",
        }


def app_settings(monkeypatch, tmp: Path, port: int, *, bcrypt_cost: int, extra: dict[str, str]) -> dict[str, str]:
    """Point this process and the app at a fresh migrated database (SQLite in `tmp`, or `extra`'s)."""
    base = f"http://127.0.0.1:{port}"
    env = {
        "HCPAY_ENV": "test",
        "DATABASE_URL": f"sqlite:///{tmp / 'app.db'}",
        "HCPAY_SECRETS_FILE": str(tmp / "secrets.json"),
        "HCPAY_BASE_URL": base,
        "HCPAY_CORS_ORIGINS": base,
        "HCPAY_BCRYPT_COST": str(bcrypt_cost),
        "REFLEX_BACKEND_HOST": "127.0.0.1",
        **extra,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    migrations.upgrade()
    return env


def seed(members: int) -> list[dict]:
    """`members` verified members, each with the bills issued so far (the dashboard and history show them)."""
    users = [make_user(n) for n in range(members)]
    with session_scope() as session:
        for account in session.exec(select(BillingAccount)).all():
            issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        session.commit()
    return users


def run_locust(config: dict, tmp: Path) -> dict:
    config_path, out_path = tmp / "load.json", tmp / "load-result.json"
    config_path.write_text(json.dumps(config))
    budget = sum(n / config["spawn_rate"] + config["hold_s"] + 40 for n in config["steps"]) + 60
    finished = run_tool(
        [sys.executable, "-m", "tests.perf.load_members", config_path, out_path],
        "Locust (tests/perf/load_members.py)",
        cwd=server.ROOT,
        env={**os.environ, "HCPAY_LOAD_CONFIG": str(config_path)},
        timeout=budget,
    )
    print(finished.stdout)
    return json.loads(out_path.read_text())


def confirmed_in_database(references: list[str]) -> tuple[int, int]:
    """(of these references, how many are succeeded $5.00 card payments; all payments in the database)."""
    with session_scope() as session:
        landed = 0
        for chunk in range(0, len(references), 500):
            landed += session.exec(
                select(func.count())
                .select_from(Payment)
                .where(
                    Payment.reference.in_(references[chunk : chunk + 500]),
                    Payment.status == PaymentStatus.SUCCEEDED,
                    Payment.amount_cents == 500,  # the $5.00 each member typed
                    Payment.method_kind == MethodKind.CARD,
                )
            ).one()
        return landed, session.exec(select(func.count()).select_from(Payment)).one()


@contextlib.contextmanager
def serving(mode: str, monkeypatch, members: int, name: str) -> Iterator[tuple[int, Path, list[dict], int]]:
    """The app's backend in `mode` on a free loopback port, on a fresh database seeded with
    `members` members: (port, its scratch directory, the members, its process id). Stopped
    afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix=f"hcpay-bench-{name}-{mode}-"))
    port = server.free_port()
    with backing(mode) as extra:
        env = app_settings(monkeypatch, tmp, port, bcrypt_cost=4, extra=extra)
        seeded = seed(members)
        process = server.start(port, env, tmp / "app.log", backend_only=True, timeout=180)
        try:
            yield port, tmp, seeded, process.pid
        finally:
            server.stop(process)
            engine_for(get_settings().database_url).dispose()  # before its server stops
    get_settings.cache_clear()


@pytest.mark.parametrize("mode", list(MODES))
def test_concurrent_members(mode, record, monkeypatch):
    with serving(mode, monkeypatch, max(STEPS), "members") as (port, tmp, members, _pid):
        result = run_locust(
            {
                "host": f"http://127.0.0.1:{port}",
                "members": members,
                "names": NAMES,
                "steps": STEPS,
                "hold_s": HOLD_S,
                "spawn_rate": 25,
                "warmup_members": WARMUP_MEMBERS,
                "warmup_s": 5,
                "timeout_s": 15,
                "goal_p95_ms": GOAL_P95_MS,
                "stop_failure_share": 0.2,
                "stop_p95_ms": 5000,
            },
            tmp,
        )
        landed, in_database = confirmed_in_database(result["payment_references"])
    log = (tmp / "app.log").read_text(errors="replace")
    handler_failures = log.count("event handler failed")
    steps = result["steps"]
    record(
        f"concurrent_members_{mode}",
        {
            "goal": f"largest number of members with p95 <= {GOAL_P95_MS} ms and no failed round trip "
            "(>= 100 in the scale-out mode)",
            "mode": MODES[mode],
            "largest_members_met": result["largest_members_met"],
            "stopped_after_overloaded_step": result["stopped_after_overloaded_step"],
            "hold_s": HOLD_S,
            "payments_confirmed": result["payments_confirmed"],
            "payments_confirmed_found_in_database": landed,
            "payments_in_database": in_database,
            "handler_failures_in_app_log": handler_failures,
            "steps": [{k: v for k, v in step.items()} for step in steps],
            "met": result["largest_members_met"] >= 100 if mode != "sqlite_1_worker" else None,
            "note": "Locust and the app share the machine's 2 cores",
        },
    )
    smallest = steps[0]
    assert smallest["failures"] == 0, smallest["errors"]
    assert result["payments_confirmed"] > 0, "no member finished a payment"
    assert landed == result["payments_confirmed"], (landed, result["payments_confirmed"])
