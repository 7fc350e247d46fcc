"""Card testing: declines counted per session, account, address and card fingerprint, each capped,
and the cap refusing before the processor is asked again."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from hcpay_app.config import get_settings
from hcpay_app.models import RateLimitHit
from hcpay_app.services.common.errors import RateLimited
from hcpay_app.services.payments import card_guard
from hcpay_app.services.payments.card_guard import Payer

CARD = "4000000000000002"
OTHER_CARD = "4000000000009995"


def decline(session, payer: Payer, now: dt.datetime, times: int = 1) -> None:
    for _ in range(times):
        card_guard.check(session, payer, now=now)
        card_guard.record_decline(session, payer, now=now)
    session.commit()


def refused(session, payer: Payer, now: dt.datetime) -> bool:
    try:
        card_guard.check(session, payer, now=now)
    except RateLimited as exc:
        assert exc.message == card_guard.TOO_MANY_DECLINES
        return True
    return False


def test_declines_are_capped_per_session(session, now):
    cap = get_settings().declines_per_session
    payer = Payer("session-a", "198.51.100.1", account_id=1, card_fingerprint="")
    decline(session, payer, now, cap - 1)
    assert not refused(session, payer, now)
    decline(session, payer, now)
    assert refused(session, payer, now)
    assert not refused(session, Payer("session-b", "198.51.100.2", account_id=2), now)


def test_declines_are_capped_per_account_across_sessions_for_an_hour(session, now):
    cap = get_settings().declines_per_account_per_hour
    for n in range(cap):
        decline(session, Payer(f"session-{n}", f"198.51.100.{n}", account_id=7), now)
    assert refused(session, Payer("fresh-session", "203.0.113.1", account_id=7), now)
    assert not refused(session, Payer("fresh-session", "203.0.113.1", account_id=8), now)
    assert not refused(session, Payer("later", "203.0.113.1", account_id=7), now + dt.timedelta(minutes=61))


def test_declines_are_capped_per_client_address(session, now):
    cap = get_settings().declines_per_address_per_hour
    for n in range(cap):
        decline(session, Payer(f"session-{n}", "192.0.2.50", account_id=100 + n), now)
    assert refused(session, Payer("new", "192.0.2.50", account_id=999), now)
    assert not refused(session, Payer("new", "192.0.2.51", account_id=999), now)


def test_declines_are_capped_per_card_by_fingerprint_for_a_day(session, now):
    cap = get_settings().declines_per_card_per_day
    card = card_guard.fingerprint(CARD)
    for n in range(cap):
        decline(session, Payer(f"s{n}", f"198.51.100.{n}", account_id=n, card_fingerprint=card), now)
    assert refused(session, Payer("s-new", "203.0.113.9", account_id=50, card_fingerprint=card), now)
    other = card_guard.fingerprint(OTHER_CARD)
    assert not refused(session, Payer("s-new", "203.0.113.9", account_id=50, card_fingerprint=other), now)
    assert not refused(
        session, Payer("s-new", "203.0.113.9", account_id=50, card_fingerprint=card), now + 2 * card_guard.DAY
    )


def test_the_fingerprint_is_keyed_and_never_the_number(session, now, monkeypatch):
    print_one = card_guard.fingerprint(CARD)
    assert print_one == card_guard.fingerprint(CARD) and CARD not in print_one and CARD[-4:] not in print_one
    decline(session, Payer("s", "198.51.100.1", card_fingerprint=print_one), now)
    assert all(CARD not in hit.bucket for hit in session.exec(select(RateLimitHit)).all())
    monkeypatch.setenv("HCPAY_INDEX_KEY", "A" * 43 + "=")
    get_settings.cache_clear()
    assert card_guard.fingerprint(CARD) != print_one  # without the key, guesses can't be matched
