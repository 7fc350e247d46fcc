"""The per-address log-in rate answered from memory (issue 14, point 8): it refuses only what the
shared, database-counted rate would refuse too, and forgets an address after a quiet minute."""

from __future__ import annotations

import datetime as dt

import pytest

from hcpay_app.config import get_settings
from hcpay_app.services.accounts import address_attempts, authn
from hcpay_app.services.common.errors import RateLimited

T0 = dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def empty_memory():
    address_attempts.forget_all()
    yield
    address_attempts.forget_all()


def test_the_attempt_past_the_limit_is_refused_and_others_are_left_to_the_database():
    answers = [address_attempts.over_limit("203.0.113.9", 3, now=T0 + dt.timedelta(seconds=i)) for i in range(5)]
    assert answers == [False, False, False, True, True]
    assert address_attempts.over_limit("198.51.100.7", 3, now=T0) is False  # another address: its own count


def test_a_quiet_minute_lets_the_address_in_again():
    for i in range(4):
        address_attempts.over_limit("203.0.113.9", 3, now=T0 + dt.timedelta(seconds=i))
    assert address_attempts.over_limit("203.0.113.9", 3, now=T0 + dt.timedelta(seconds=64)) is False


def test_memory_stays_bounded(monkeypatch):
    monkeypatch.setattr(address_attempts, "MAX_ADDRESSES", 50)
    for n in range(200):
        address_attempts.over_limit(f"10.0.{n // 250}.{n % 250}", 3, now=T0 + dt.timedelta(seconds=n))
    assert len(address_attempts._seen) <= 61  # only addresses seen within the last minute remain


def test_authn_refuses_with_the_devices_message(monkeypatch):
    monkeypatch.setenv("HCPAY_LOGINS_PER_ADDRESS_PER_MINUTE", "2")
    get_settings.cache_clear()
    authn.check_address_rate_at_once("203.0.113.9", T0)
    authn.check_address_rate_at_once("203.0.113.9", T0)
    with pytest.raises(RateLimited) as refused:
        authn.check_address_rate_at_once("203.0.113.9", T0)
    assert refused.value.message == authn.TOO_MANY_FROM_HERE
