"""The portal's one clock: a chosen start for tests and demos, shared by every process that is
given the same anchor, and refused in production."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import subprocess
import sys

import pytest

from hcpay_app import clock
from hcpay_app.config import (
    PROJECT_ROOT,
    SECRET_NAMES,
    ConfigurationError,
    get_settings,
    load_settings,
)

UTC = dt.UTC


@pytest.fixture
def started_at(monkeypatch):
    """Start the clock at a moment (optionally anchored) and restore the real one afterwards."""

    def start(moment: str, anchor: str | None = None) -> None:
        monkeypatch.setenv("HCPAY_CLOCK_START", moment)
        if anchor is None:
            monkeypatch.delenv("HCPAY_CLOCK_ANCHOR", raising=False)
        else:
            monkeypatch.setenv("HCPAY_CLOCK_ANCHOR", anchor)
        get_settings.cache_clear()
        clock.reset()

    yield start
    monkeypatch.delenv("HCPAY_CLOCK_START", raising=False)
    monkeypatch.delenv("HCPAY_CLOCK_ANCHOR", raising=False)
    get_settings.cache_clear()
    clock.reset()


def test_the_clock_starts_at_the_chosen_moment_and_runs_on(started_at):
    started_at("2027-01-29T20:00:00+00:00")
    first = clock.utcnow()
    assert dt.timedelta(0) <= first - dt.datetime(2027, 1, 29, 20, tzinfo=UTC) < dt.timedelta(seconds=5)
    assert clock.utcnow() >= first
    assert clock.today() == dt.date(2027, 1, 29)


def test_a_naive_start_is_portal_time(started_at):
    # 11:30 PM in Boston on Feb 28 is already March 1 in UTC: the member's date is still Feb 28.
    started_at("2027-02-28T23:30:00")
    assert clock.utcnow().date() == dt.date(2027, 3, 1)
    assert clock.today() == dt.date(2027, 2, 28)


def test_processes_given_the_same_anchor_read_the_same_clock(started_at):
    real = dt.datetime.now(UTC)
    anchor = real - dt.timedelta(hours=2)
    started_at("2027-04-30T13:00:00+00:00", str(anchor.timestamp()))
    # Two hours of real time have passed since the anchor, so two hours have passed on the clock too.
    assert abs(clock.utcnow() - dt.datetime(2027, 4, 30, 15, tzinfo=UTC)) < dt.timedelta(seconds=5)
    script = "from hcpay_app import clock; print(clock.utcnow().isoformat())"
    env_run = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    other = dt.datetime.fromisoformat(env_run.stdout.strip())
    assert abs(other - clock.utcnow()) < dt.timedelta(seconds=30)


def test_shift_moves_on_top_of_the_start_and_reset_returns_to_it(started_at):
    started_at("2028-02-29T12:00:00+00:00")
    clock.shift(dt.timedelta(days=1))
    assert clock.today() == dt.date(2028, 3, 1)
    clock.reset()
    assert clock.today() == dt.date(2028, 2, 29)


def test_without_a_start_the_clock_is_the_real_time():
    assert get_settings().clock_start is None or pytest.skip("the suite itself runs on a chosen clock")
    assert abs(clock.utcnow() - dt.datetime.now(UTC)) < dt.timedelta(seconds=5)


@pytest.mark.parametrize("value", ["next tuesday", "2027-13-01T00:00", "29/02/2028"])
def test_a_start_that_is_not_a_moment_is_refused_by_name(monkeypatch, value):
    monkeypatch.setenv("HCPAY_CLOCK_START", value)
    with pytest.raises(ConfigurationError, match="HCPAY_CLOCK_START must be an ISO 8601"):
        load_settings()


def test_production_refuses_a_moved_clock(monkeypatch):
    monkeypatch.setenv("HCPAY_ENV", "production")
    for name in SECRET_NAMES:
        monkeypatch.setenv(name, base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    monkeypatch.setenv("SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("HCPAY_CLOCK_START", "2027-01-29T20:00:00+00:00")
    with pytest.raises(ConfigurationError, match="HCPAY_CLOCK_START moves the portal's clock"):
        load_settings()
