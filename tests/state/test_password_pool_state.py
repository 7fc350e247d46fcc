"""Password work runs in its own threads: a log-in flood waiting on bcrypt can't take the threads
every other handler shares (issue 14, point 8)."""

from __future__ import annotations

import asyncio
import threading

import pytest

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
