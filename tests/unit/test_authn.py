"""Log in, lockout, sessions and log out."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib

import bcrypt
import pytest
from sqlalchemy import event
from sqlmodel import select

from hcpay_app.config import get_settings
from hcpay_app.db import engine_for
from hcpay_app.models import AuditEvent, AuthSession, LoginThrottle, User
from hcpay_app.services.accounts import authn
from hcpay_app.services.adapters import passwords
from hcpay_app.services.common.errors import AccountLocked, AuthenticationFailed, RateLimited, TryAgainSoon

IP = "203.0.113.5"
MINUTE = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)


def login(session, username, password, now):
    return authn.login(session, username=username, password=password, ip=IP, now=now)


def fail(session, username, password, now) -> str:
    with pytest.raises(AuthenticationFailed) as caught:
        login(session, username, password, now)
    return caught.value.message


def actions(session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all())


@pytest.fixture
def checkpw_calls(monkeypatch) -> list[bytes]:
    """Every bcrypt.checkpw call the services make (the password they checked)."""
    passwords._dummy_hash(4)  # build the cached placeholder hash first, as a warm process would have
    calls: list[bytes] = []
    real = bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        calls.append(password)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    return calls


def test_login_success_stores_only_the_token_hash(session, registered_user, now, db_path, db_url):
    later = now + dt.timedelta(hours=1)
    user_id, token = login(session, "  Renee.ONEIL ", registered_user.password, later)  # case and spaces forgiven
    assert user_id == registered_user.user_id
    assert len(token) >= 40
    rows = session.exec(select(AuthSession).where(AuthSession.user_id == user_id).order_by(AuthSession.id)).all()
    assert rows[-1].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert rows[-1].created_at == rows[-1].last_seen_at == later
    assert session.get(User, user_id).last_login_at == later
    event = actions(session, "login_succeeded")[-1]
    assert (event.actor_user_id, event.subject_user_id, event.ip) == (user_id, user_id, IP)

    session.close()
    engine_for(db_url).dispose()
    stored = b"".join(path.read_bytes() for path in db_path.parent.glob(db_path.name + "*"))
    assert hashlib.sha256(token.encode()).hexdigest().encode() in stored
    assert token.encode() not in stored


def test_unknown_user_and_wrong_password_look_and_cost_the_same(session, registered_user, now, checkpw_calls):
    wrong_password = fail(session, "renee.oneil", "Not-The-Password-1", now)
    assert len(checkpw_calls) == 1
    unknown_user = fail(session, "nobody.here", "Not-The-Password-1", now)
    assert len(checkpw_calls) == 2
    assert wrong_password == unknown_user == authn.LOGIN_FAILED
    for username, password in ((None, "x"), ("renee.oneil", None), ("", ""), (12, b"bytes")):
        before = len(checkpw_calls)
        assert fail(session, username, password, now) == authn.LOGIN_FAILED
        assert len(checkpw_calls) == before + 1
    login(session, "renee.oneil", registered_user.password, now)
    assert len(checkpw_calls) == 7


def test_password_over_72_bytes_is_an_ordinary_failure(session, member, register, now, checkpw_calls):
    password = "Violet-Kayak-Thunder-93 " * 3  # exactly 72 bytes: bcrypt's whole input
    register(password=password)
    checkpw_calls.clear()
    # bcrypt would ignore byte 73 on; the portal must not let that through.
    assert fail(session, "renee.oneil", password + "x", now) == authn.LOGIN_FAILED
    assert fail(session, "renee.oneil", "é" * 40, now) == authn.LOGIN_FAILED
    assert len(checkpw_calls) == 2
    assert all(len(call) <= 72 for call in checkpw_calls)  # over-long input is never handed to bcrypt
    assert login(session, "renee.oneil", password, now)[0]


def test_five_failures_lock_the_account(session, registered_user, now, checkpw_calls):
    for attempt in range(4):
        fail(session, "renee.oneil", f"Wrong-Password-{attempt}", now + attempt * MINUTE)
    fifth = now + 4 * MINUTE
    with pytest.raises(AccountLocked) as caught:
        login(session, "renee.oneil", "Wrong-Password-4", fifth)
    retry_at = fifth + dt.timedelta(minutes=15)
    assert caught.value.retry_at == retry_at
    assert "log-in is paused until 1:19 PM ET" in caught.value.message  # 17:19 UTC is 1:19 PM EDT in Boston

    # The right password is refused while locked, at the same bcrypt cost.
    calls = len(checkpw_calls)
    with pytest.raises(AccountLocked) as caught:
        login(session, "renee.oneil", registered_user.password, retry_at - SECOND)
    assert caught.value.retry_at == retry_at
    assert len(checkpw_calls) == calls + 1

    user_id, token = login(session, "renee.oneil", registered_user.password, retry_at)
    assert user_id == registered_user.user_id and token
    assert session.exec(select(LoginThrottle)).all() == []
    locked = actions(session, "account_locked")
    assert len(locked) == 1 and locked[0].subject_user_id == registered_user.user_id
    failed = actions(session, "login_failed")
    assert len(failed) == 5 and {e.subject_user_id for e in failed} == {registered_user.user_id}


def test_success_resets_the_count(session, registered_user, now):
    for attempt in range(4):
        fail(session, "renee.oneil", "Wrong-Password", now + attempt * SECOND)
    login(session, "renee.oneil", registered_user.password, now + 5 * SECOND)
    for attempt in range(4):
        fail(session, "renee.oneil", "Wrong-Password", now + (6 + attempt) * SECOND)  # 4 more: not locked
    with pytest.raises(AccountLocked):
        login(session, "renee.oneil", "Wrong-Password", now + 11 * SECOND)


def test_failures_older_than_the_window_do_not_count(session, registered_user, now):
    for attempt in range(4):
        fail(session, "renee.oneil", "Wrong-Password", now + attempt * SECOND)
    fail(session, "renee.oneil", "Wrong-Password", now + 15 * MINUTE)  # a new window starts here
    for attempt in range(3):
        fail(session, "renee.oneil", "Wrong-Password", now + 16 * MINUTE + attempt * SECOND)
    with pytest.raises(AccountLocked):
        login(session, "renee.oneil", "Wrong-Password", now + 17 * MINUTE)


def test_a_new_failure_after_the_lock_starts_a_fresh_count(session, registered_user, now):
    for _ in range(5):
        with contextlib.suppress(AuthenticationFailed, AccountLocked):
            login(session, "renee.oneil", "Wrong-Password", now)
    after = now + 15 * MINUTE
    assert fail(session, "renee.oneil", "Wrong-Password", after) == authn.LOGIN_FAILED
    throttle = session.exec(select(LoginThrottle)).one()
    assert (throttle.failures, throttle.locked_until) == (1, None)


def test_unknown_usernames_lock_too(session, registered_user, now, checkpw_calls):
    for _ in range(4):
        assert fail(session, "no.such.person", "Whatever-123", now) == authn.LOGIN_FAILED
    with pytest.raises(AccountLocked) as unknown:
        login(session, "NO.SUCH.PERSON", "Whatever-123", now)
    for _ in range(4):
        fail(session, "renee.oneil", "Whatever-123", now)
    with pytest.raises(AccountLocked) as known:
        login(session, "renee.oneil", "Whatever-123", now)
    assert unknown.value.message == known.value.message
    assert unknown.value.retry_at == known.value.retry_at
    assert len(checkpw_calls) == 10
    assert actions(session, "account_locked")[0].subject_user_id is None


# --- sessions ----------------------------------------------------------------------------------


def test_resolve_returns_who_is_logged_in(session, registered_user, now, member):
    who = authn.resolve(session, registered_user.token, now=now + MINUTE)
    assert who == authn.SessionUser(registered_user.user_id, member.id, "renee.oneil", "member", who.session_id, now)
    row = session.get(AuthSession, who.session_id)
    assert row.last_seen_at == now + MINUTE


def test_resolve_is_one_statement_within_the_last_seen_granularity(session, registered_user, now):
    """Every member event resolves its session: the session row and its user come in one read."""
    authn.resolve(session, registered_user.token, now=now + MINUTE)  # records last seen
    session.expunge_all()  # nothing from the identity map
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        who = authn.resolve(session, registered_user.token, now=now + MINUTE + dt.timedelta(seconds=1))
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert who is not None and who.user_id == registered_user.user_id and who.username == "renee.oneil"
    assert len(seen) == 1, seen


@pytest.mark.parametrize("junk", ["none", "number", "empty", "short", "too-long", "tampered"])
def test_resolve_finds_no_one_for_a_junk_token(session, registered_user, now, junk):
    token = {
        "none": None,
        "number": 42,
        "empty": "",
        "short": "short",
        "too-long": "x" * 101,
        "tampered": registered_user.token[:-1] + "!",
    }[junk]
    assert authn.resolve(session, token, now=now) is None


def test_idle_session_expires_after_15_minutes(session, registered_user, now):
    token = registered_user.token
    assert authn.resolve(session, token, now=now + 15 * MINUTE) is not None  # 15 minutes idle: still fine
    assert authn.resolve(session, token, now=now + 30 * MINUTE) is not None  # last seen at +15
    assert authn.resolve(session, token, now=now + 45 * MINUTE + SECOND) is None
    row = session.exec(select(AuthSession).where(AuthSession.user_id == registered_user.user_id)).one()
    assert row.revoked_at == now + 45 * MINUTE + SECOND
    assert authn.resolve(session, token, now=now + 46 * MINUTE) is None  # and it stays dead


def test_busy_session_still_ends_after_12_hours(session, registered_user, now):
    token = registered_user.token
    moment = now
    while moment + 10 * MINUTE <= now + dt.timedelta(hours=12):
        moment += 10 * MINUTE
        assert authn.resolve(session, token, now=moment) is not None, moment
    assert moment == now + dt.timedelta(hours=12)
    assert authn.resolve(session, token, now=moment + 10 * MINUTE) is None


def test_last_seen_is_written_at_most_every_30_seconds(session, registered_user, now):
    who = authn.resolve(session, registered_user.token, now=now + 20 * SECOND)
    assert session.get(AuthSession, who.session_id).last_seen_at == now
    authn.resolve(session, registered_user.token, now=now + 30 * SECOND)
    session.expire_all()
    assert session.get(AuthSession, who.session_id).last_seen_at == now + 30 * SECOND


def test_logout_revokes_the_token(session, registered_user, now):
    authn.logout(session, registered_user.token, ip=IP, now=now + MINUTE)
    assert authn.resolve(session, registered_user.token, now=now + MINUTE) is None
    assert len(actions(session, "logout")) == 1
    authn.logout(session, registered_user.token, ip=IP, now=now + 2 * MINUTE)  # replay: nothing happens
    authn.logout(session, "not-a-token", ip=IP, now=now)
    assert len(actions(session, "logout")) == 1


def test_each_login_issues_a_new_token(session, registered_user, now):
    _, first = login(session, "renee.oneil", registered_user.password, now + MINUTE)
    _, second = login(session, "renee.oneil", registered_user.password, now + MINUTE)
    assert len({registered_user.token, first, second}) == 3
    a = authn.resolve(session, first, now=now + 2 * MINUTE)
    b = authn.resolve(session, second, now=now + 2 * MINUTE)
    assert a.session_id != b.session_id and a.user_id == b.user_id
    authn.logout(session, first, ip=IP, now=now + 3 * MINUTE)
    assert authn.resolve(session, first, now=now + 3 * MINUTE) is None
    assert authn.resolve(session, second, now=now + 3 * MINUTE) is not None  # the other device stays in


def test_revoke_all_spares_only_the_named_session(session, registered_user, now):
    _, second = login(session, "renee.oneil", registered_user.password, now)
    _, third = login(session, "renee.oneil", registered_user.password, now)
    keep = authn.resolve(session, third, now=now)
    authn.revoke_all(session, registered_user.user_id, now=now, except_session_id=keep.session_id)
    session.commit()
    assert authn.resolve(session, registered_user.token, now=now) is None
    assert authn.resolve(session, second, now=now) is None
    assert authn.resolve(session, third, now=now) is not None


def test_audit_trail(session, registered_user, now):
    fail(session, "renee.oneil", "Wrong-Password", now)
    fail(session, "ghost", "Wrong-Password", now)
    login(session, "renee.oneil", registered_user.password, now)
    for _ in range(5):
        with contextlib.suppress(AuthenticationFailed, AccountLocked):
            login(session, "renee.oneil", "Wrong-Password", now + MINUTE)
    uid = registered_user.user_id
    events = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.subject_user_id) for e in events] == [
        ("account_created", uid),
        ("login_failed", uid),
        ("login_failed", None),
        ("login_succeeded", uid),
        *[("login_failed", uid)] * 5,
        ("account_locked", uid),
    ]
    assert all(e.ip for e in events)
    assert not any(registered_user.password in e.detail for e in events)


# --- floods -------------------------------------------------------------------------------------


def test_log_ins_from_one_address_are_capped_per_minute(session, registered_user, now, monkeypatch):
    monkeypatch.setenv("HCPAY_LOGINS_PER_ADDRESS_PER_MINUTE", "3")
    get_settings.cache_clear()
    for n in range(3):
        fail(session, f"someone.{n}", "Whatever-123", now)
    with pytest.raises(RateLimited) as refused:
        login(session, "renee.oneil", registered_user.password, now)
    assert refused.value.message == authn.TOO_MANY_FROM_HERE
    # Another address is not affected, and a minute later this one may try again.
    authn.login(session, username="renee.oneil", password=registered_user.password, ip="198.51.100.9", now=now)
    login(session, "renee.oneil", registered_user.password, now + MINUTE + SECOND)


def test_log_ins_for_the_whole_portal_are_capped_per_minute(session, registered_user, now, monkeypatch):
    monkeypatch.setenv("HCPAY_LOGINS_PER_MINUTE", "4")
    get_settings.cache_clear()
    for n in range(4):
        with pytest.raises(AuthenticationFailed):
            authn.login(session, username=f"someone.{n}", password="Whatever-123", ip=f"198.51.100.{n}", now=now)
    with pytest.raises(TryAgainSoon):
        authn.login(session, username="renee.oneil", password=registered_user.password, ip="203.0.113.77", now=now)


def test_a_full_bcrypt_queue_refuses_at_once_but_still_counts_the_attempt(session, registered_user, now, checkpw_calls):
    admission = passwords._admission(get_settings().bcrypt_queue)
    taken = 0
    while admission.acquire(blocking=False):  # every slot and queue place busy with other log-ins
        taken += 1
    try:
        with pytest.raises(TryAgainSoon) as refused:
            login(session, "renee.oneil", "Wrong-Password", now)
    finally:
        for _ in range(taken):
            admission.release()
    assert refused.value.message == passwords.BUSY_MESSAGE and checkpw_calls == []
    # Unchecked, yet counted: a flood can't dodge the lockout by outrunning bcrypt.
    assert session.exec(select(LoginThrottle)).one().failures == 1
    assert fail(session, "renee.oneil", "Wrong-Password", now) == authn.LOGIN_FAILED  # room again: served
    assert session.exec(select(LoginThrottle)).one().failures == 2
