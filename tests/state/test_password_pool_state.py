"""Password work runs in its own threads: a log-in flood waiting on bcrypt can't take the threads
every other handler shares (issue 14, point 8)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlmodel import func, select

from hcpay_app.config import get_settings
from hcpay_app.db import session_scope
from hcpay_app.models import RateLimitHit
from hcpay_app.services.accounts import authn
from hcpay_app.state import base
from hcpay_app.state.dashboard import DashboardState
from hcpay_app.state.login import LoginState
from tests.state.state_harness import ALICE, Browser, fire, logged_in_browser

pytestmark = pytest.mark.asyncio


async def test_log_in_runs_in_the_password_pool(browser: Browser, monkeypatch):
    threads: list[str] = []
    real_login = authn.login

    def recording_login(session, **kwargs):
        threads.append(threading.current_thread().name)
        return real_login(session, **kwargs)

    monkeypatch.setattr(authn, "login", recording_login)
    await fire(browser, LoginState, "login", form_data={"username": ALICE.username, "password": ALICE.password})

    assert len(threads) == 1 and threads[0].startswith("hcpay-passwords")


async def test_the_dashboard_loads_while_every_password_thread_is_busy():
    member = await logged_in_browser(ALICE)
    pool = base.password_pool()
    released = threading.Event()
    started = threading.Semaphore(0)

    def hold_a_password_thread():
        started.release()
        released.wait(timeout=30)

    loop = asyncio.get_running_loop()
    held = [loop.run_in_executor(pool, hold_a_password_thread) for _ in range(pool._max_workers)]
    try:
        for _ in held:
            await asyncio.to_thread(started.acquire, timeout=10)
        # Every password thread is taken (a flood stuck on bcrypt); the member's dashboard still loads.
        await asyncio.wait_for(fire(member, DashboardState, "load"), timeout=20)
        assert member.state(DashboardState).loaded is True
    finally:
        released.set()
        await asyncio.gather(*held)


async def test_a_flood_from_one_address_is_refused_before_any_thread_or_database_work(monkeypatch):
    monkeypatch.setenv("HCPAY_LOGINS_PER_ADDRESS_PER_MINUTE", "3")
    get_settings.cache_clear()
    tab = Browser("/", ip="203.0.113.50")
    wrong = {"username": ALICE.username, "password": "Not-Her-Password-1"}
    for _ in range(3):
        await fire(tab, LoginState, "login", form_data=wrong)
    with session_scope() as s:
        hits_before = s.exec(select(func.count()).select_from(RateLimitHit)).one()

    out = await fire(tab, LoginState, "login", form_data=wrong)

    assert tab.state(LoginState).error == authn.TOO_MANY_FROM_HERE
    assert out.busy == []  # answered at once: no "Logging in…" step, no worker thread
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(RateLimitHit)).one() == hits_before
    other = Browser("/", ip="203.0.113.51")  # another address is not held back
    await fire(other, LoginState, "login", form_data={"username": ALICE.username, "password": ALICE.password})
    assert other.cookie()
