"""The scale-out run really is one: two backend workers, member state in Redis, data in PostgreSQL —
and a member's journey works whichever worker serves each event."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Page, expect

from hcpay_app.db import get_engine
from tests.e2e.harness import APP_ENV, ON_POSTGRES, PORT, log_in_as

pytestmark = [pytest.mark.core, pytest.mark.skipif(not ON_POSTGRES, reason="scale-out run only")]


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _parent(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
    except OSError:
        return ""


def backend_workers() -> list[str]:
    """Worker processes of the app under test: children of its `reflex run` process (or of the
    launcher that serves a build made earlier in the run, `tests.support.prebuilt_backend`)."""
    pids = [p.name for p in Path("/proc").iterdir() if p.name.isdigit()]
    app = [
        pid
        for pid in pids
        if ("reflex run" in (line := _cmdline(pid)) or "prebuilt_backend run" in line)
        and f"--backend-port {PORT}" in line
    ]
    main = [pid for pid in app if _parent(pid) not in app]
    assert len(main) == 1, app
    return [pid for pid in app if _parent(pid) == main[0]]


def test_two_workers_keep_member_state_in_redis_and_data_in_postgresql(page: Page, new_user):
    assert len(backend_workers()) == 2
    assert get_engine().dialect.name == "postgresql"

    log_in_as(page, new_user)
    expect(page.get_by_text("Amount due")).to_be_visible()
    # The worker serving the tab holds its state between events and writes it to Redis when its
    # lease ends (half the lock's 10 s expiry), or sooner if another worker asks for it.
    store, deadline, keys = redis.Redis.from_url(APP_ENV["REDIS_URL"]), time.monotonic() + 20, []
    while not any(b"session_state" in key for key in keys) and time.monotonic() < deadline:
        time.sleep(0.5)
        keys = store.keys("*")
    assert any(b"session_state" in key for key in keys), keys[:20]

    # A reload opens a new websocket that may land on the other worker: the session carries over.
    for _ in range(3):
        page.reload()
        expect(page.get_by_text("Amount due")).to_be_visible()
        assert page.url.rstrip("/").endswith("/dashboard")  # not sent back to log in
