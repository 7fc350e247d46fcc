"""Forgot Password, Forgot Username and Change Password."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
import urllib.parse

import pytest
from sqlmodel import func, select

from hcpay_app.models import AuditEvent, PasswordResetToken, User
from hcpay_app.services.accounts import authn, recovery
from hcpay_app.services.adapters import crypto
from hcpay_app.services.common.errors import (
    AccountLocked,
    AuthenticationFailed,
    NotAllowed,
    ValidationError,
    VerificationFailed,
)

IP = "192.0.2.44"
MINUTE = dt.timedelta(minutes=1)
NEW_PASSWORD = "Pebble-Orchard-Saffron-58"


def request_reset(session, identifier, now):
    return recovery.request_password_reset(session, identifier=identifier, ip=IP, now=now)


def reset(session, token, now, password=NEW_PASSWORD):
    return recovery.reset_password(session, token=token, new_password=password, ip=IP, now=now)


def login(session, username, password, now):
    return authn.login(session, username=username, password=password, ip=IP, now=now)


def audit_actions(session) -> list[str]:
    return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]


@pytest.fixture
def reset_link(outbox):
    """The raw token from the newest reset email."""

    def read() -> str:
        messages = outbox("password_reset")
        assert messages, "no reset email"
        match = re.search(r"http://localhost:3000/reset-password\?token=(\S+)", messages[-1].body)
        assert match, messages[-1].body
        return urllib.parse.parse_qs(urllib.parse.urlsplit(match.group(0)).query)["token"][0]

    return read


def test_unknown_identifiers_get_the_same_answer_and_nothing_is_sent(session, registered_user, now, outbox):
    before = len(outbox())
    assert request_reset(session, "nobody.here", now) is None
    assert request_reset(session, "nobody@example.com", now) is None
    assert recovery.recover_username(session, email="nobody@example.com", ip=IP, now=now) is None
    assert len(outbox()) == before
    assert session.exec(select(func.count()).select_from(PasswordResetToken)).one() == 0
    # Known ones get the same (None) on screen; the email carries the result.
    assert request_reset(session, "renee.oneil", now) is None
    assert len(outbox()) == before + 1


@pytest.mark.parametrize("identifier", ["Renee.ONEIL", " renee.oneil@EXAMPLE.com "], ids=["username", "email"])
def test_reset_link_works_once(session, registered_user, now, outbox, reset_link, identifier):
    request_reset(session, identifier, now)
    [message] = outbox("password_reset")
    assert message.to_address == "Renee.ONeil@example.com"
    assert "renee.oneil" in message.body and "within 30 minutes" in message.body
    token = reset_link()
    stored = session.exec(select(PasswordResetToken)).one()
    assert stored.token_hash == crypto.hash_token(token) and token not in stored.token_hash
    assert recovery.reset_link_is_valid(session, token=token, now=now + MINUTE)

    reset(session, token, now + 2 * MINUTE)
    assert login(session, "renee.oneil", NEW_PASSWORD, now + 3 * MINUTE)[0] == registered_user.user_id
    with pytest.raises(AuthenticationFailed):
        login(session, "renee.oneil", registered_user.password, now + 3 * MINUTE)

    assert not recovery.reset_link_is_valid(session, token=token, now=now + 3 * MINUTE)
    with pytest.raises(VerificationFailed) as caught:
        reset(session, token, now + 3 * MINUTE, password="Another-Fresh-Passphrase-7")
    assert caught.value.message == recovery.LINK_DEAD
    assert login(session, "renee.oneil", NEW_PASSWORD, now + 4 * MINUTE)  # unchanged by the replay


def test_reset_link_expires_after_30_minutes(session, registered_user, now, reset_link):
    request_reset(session, "renee.oneil", now)
    token = reset_link()
    assert recovery.reset_link_is_valid(session, token=token, now=now + 30 * MINUTE - dt.timedelta(seconds=1))
    assert not recovery.reset_link_is_valid(session, token=token, now=now + 30 * MINUTE)
    with pytest.raises(VerificationFailed, match="expired or has already been used"):
        reset(session, token, now + 30 * MINUTE)


@pytest.mark.parametrize("which", ["none", "number", "empty", "short", "too-long", "never-issued"])
def test_junk_tokens_are_dead_links(session, registered_user, now, which):
    junk = {
        "none": None,
        "number": 7,
        "empty": "",
        "short": "short",
        "too-long": "x" * 101,
        "never-issued": crypto.new_token(),
    }[which]
    assert not recovery.reset_link_is_valid(session, token=junk, now=now)
    with pytest.raises(VerificationFailed):
        reset(session, junk, now)


def test_weak_new_password_refused_without_using_up_the_link(session, registered_user, now, reset_link):
    request_reset(session, "renee.oneil", now)
    token = reset_link()
    with pytest.raises(ValidationError) as caught:
        reset(session, token, now + MINUTE, password="password1234")
    assert set(caught.value.errors) == {"password"}
    with pytest.raises(ValidationError):
        reset(session, token, now + MINUTE, password="RenéeO’Neil-Dubois")  # built from the member's details
    assert recovery.reset_link_is_valid(session, token=token, now=now + MINUTE)
    reset(session, token, now + 2 * MINUTE)


def test_older_links_die_when_one_is_used(session, registered_user, now, reset_link):
    request_reset(session, "renee.oneil", now)
    first = reset_link()
    request_reset(session, "renee.oneil", now + MINUTE)
    second = reset_link()
    assert first != second
    reset(session, second, now + 2 * MINUTE)
    assert not recovery.reset_link_is_valid(session, token=first, now=now + 3 * MINUTE)


def test_reset_ends_every_session(session, registered_user, now, reset_link):
    _, other_device = login(session, "renee.oneil", registered_user.password, now)
    request_reset(session, "renee.oneil", now)
    reset(session, reset_link(), now + MINUTE)
    assert authn.resolve(session, registered_user.token, now=now + MINUTE) is None
    assert authn.resolve(session, other_device, now=now + MINUTE) is None


def test_reset_lifts_a_lockout(session, registered_user, now, reset_link):
    for _ in range(5):
        with contextlib.suppress(AuthenticationFailed, AccountLocked):
            login(session, "renee.oneil", "Wrong-Password", now)
    with pytest.raises(AccountLocked):
        login(session, "renee.oneil", registered_user.password, now + MINUTE)
    request_reset(session, "renee.oneil", now + MINUTE)
    reset(session, reset_link(), now + 2 * MINUTE)
    assert login(session, "renee.oneil", NEW_PASSWORD, now + 3 * MINUTE)[0] == registered_user.user_id


def test_reset_audit_and_notice(session, registered_user, now, outbox, reset_link):
    request_reset(session, "renee.oneil", now)
    reset(session, reset_link(), now + MINUTE)
    assert audit_actions(session)[-2:] == ["password_reset_requested", "password_reset"]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "password_reset")).one()
    assert (event.subject_user_id, event.ip) == (registered_user.user_id, IP)
    [notice] = outbox("password_changed")
    assert notice.to_address == "Renee.ONeil@example.com"


def test_reset_requests_are_rate_limited_quietly(session, registered_user, now, outbox):
    for attempt in range(5):
        request_reset(session, "renee.oneil", now + attempt * MINUTE)
    assert len(outbox("password_reset")) == 5
    assert request_reset(session, "renee.oneil", now + 6 * MINUTE) is None
    assert len(outbox("password_reset")) == 5
    request_reset(session, "renee.oneil", now + 61 * MINUTE)
    assert len(outbox("password_reset")) == 6


@pytest.mark.parametrize(
    "blank", [pytest.param("", id="empty"), pytest.param("   ", id="spaces"), pytest.param(None, id="none")]
)
def test_identifier_required(session, now, blank):
    with pytest.raises(ValidationError) as caught:
        request_reset(session, blank, now)
    assert set(caught.value.errors) == {"identifier"}


# --- change password ---------------------------------------------------------------------------


@pytest.fixture
def actor(session, registered_user, now):
    return authn.resolve(session, registered_user.token, now=now)


def change(session, actor, current, new, now):
    recovery.change_password(session, actor=actor, current_password=current, new_password=new, ip=IP, now=now)


def test_change_password_needs_the_current_one(session, registered_user, actor, now):
    with pytest.raises(ValidationError) as caught:
        change(session, actor, "Not-My-Password-9", NEW_PASSWORD, now)
    assert caught.value.errors == {"current_password": "Your current password is incorrect."}
    with pytest.raises(ValidationError) as caught:
        change(session, actor, registered_user.password, registered_user.password, now)
    assert caught.value.errors == {"new_password": "Choose a password different from your current one."}
    with pytest.raises(ValidationError) as caught:
        change(session, actor, registered_user.password, "password1234", now)
    assert set(caught.value.errors) == {"new_password"}
    assert login(session, "renee.oneil", registered_user.password, now)  # nothing changed


def test_repeated_wrong_current_passwords_end_this_session(session, registered_user, actor, now):
    _, other_device = login(session, "renee.oneil", registered_user.password, now)
    for attempt in range(4):
        with pytest.raises(ValidationError):
            change(session, actor, f"Not-My-Password-{attempt}", NEW_PASSWORD, now + attempt * MINUTE)
    assert authn.resolve(session, registered_user.token, now=now + 4 * MINUTE) is not None
    with pytest.raises(NotAllowed) as caught:
        change(session, actor, "Not-My-Password-4", NEW_PASSWORD, now + 4 * MINUTE)
    assert caught.value.message == "Too many incorrect passwords. For your security you have been logged out."
    assert authn.resolve(session, registered_user.token, now=now + 5 * MINUTE) is None
    assert authn.resolve(session, other_device, now=now + 5 * MINUTE) is not None  # only the guessing session ends
    assert "session_ended_wrong_passwords" in audit_actions(session)
    assert login(session, "renee.oneil", registered_user.password, now + 5 * MINUTE)  # password unchanged


def test_wrong_current_passwords_spread_beyond_the_window_do_not_end_the_session(session, registered_user, actor, now):
    for attempt in range(8):
        with pytest.raises(ValidationError):
            change(session, actor, "Not-My-Password", NEW_PASSWORD, now + attempt * 4 * MINUTE)
        authn.resolve(session, registered_user.token, now=now + attempt * 4 * MINUTE)  # keep it from idling out
    assert authn.resolve(session, registered_user.token, now=now + 29 * MINUTE) is not None


def test_change_password_keeps_this_session_and_ends_the_others(session, registered_user, actor, now, outbox):
    _, other_device = login(session, "renee.oneil", registered_user.password, now)
    change(session, actor, registered_user.password, NEW_PASSWORD, now + MINUTE)
    assert authn.resolve(session, registered_user.token, now=now + 2 * MINUTE) is not None
    assert authn.resolve(session, other_device, now=now + 2 * MINUTE) is None
    assert login(session, "renee.oneil", NEW_PASSWORD, now + 2 * MINUTE)
    assert session.get(User, registered_user.user_id).password_changed_at == now + MINUTE
    assert audit_actions(session)[-2] == "password_changed"
    assert [m.to_address for m in outbox("password_changed")] == ["Renee.ONeil@example.com"]


def test_reset_link_dies_when_the_password_changes(session, registered_user, actor, now, reset_link):
    request_reset(session, "renee.oneil", now)
    token = reset_link()
    change(session, actor, registered_user.password, NEW_PASSWORD, now + MINUTE)
    assert not recovery.reset_link_is_valid(session, token=token, now=now + 2 * MINUTE)
    with pytest.raises(VerificationFailed):
        reset(session, token, now + 2 * MINUTE, password="Another-Fresh-Passphrase-7")
    assert login(session, "renee.oneil", NEW_PASSWORD, now + 3 * MINUTE)


# --- forgot username ---------------------------------------------------------------------------


def test_recover_username(session, registered_user, now, outbox):
    recovery.recover_username(session, email="RENEE.ONEIL@example.com", ip=IP, now=now)
    [message] = outbox("username_reminder")
    assert message.to_address == "Renee.ONeil@example.com"
    assert "  • renee.oneil" in message.body
    assert "username_reminder_sent" in audit_actions(session)
    with pytest.raises(ValidationError) as caught:
        recovery.recover_username(session, email="not an email", ip=IP, now=now)
    assert set(caught.value.errors) == {"email"}


def test_recover_username_lists_every_account_on_a_shared_address(
    session, registered_user, add_member, register, renee, now, outbox
):
    add_member(member_number="123456789077", first_name="Sam", ssn="219550777", account_number="987654377")
    sam = dataclasses.replace(
        renee, member_number="123456789077", first_name="Sam", ssn="219550777", account_number="987654377"
    )
    register(row=sam, username="sam.family", password="Copper-Walrus-Juniper-17")
    recovery.recover_username(session, email="renee.oneil@example.com", ip=IP, now=now)
    body = outbox("username_reminder")[-1].body
    assert "• renee.oneil" in body and "• sam.family" in body


LONG_EMAIL = "renee.oneil.dubois@" + (
    "a-rather-long-subdomain.another-long-subdomain.yet-another-one.and-one-more-subdomain.example.com"
)


def test_reset_requests_are_limited_per_address_across_networks(session, registered_user, now, outbox):
    for attempt in range(7):
        recovery.request_password_reset(
            session, identifier="Renee.ONeil@example.com", ip=f"192.0.2.{attempt}", now=now + attempt * MINUTE
        )
    assert len(outbox("password_reset")) == 5


def test_reset_requests_for_a_long_address_are_rate_limited_too(session, add_member, register, renee, now, outbox):
    # Rate-limit buckets are stored cut to 120 characters; the look-up must use the same key.
    assert len("reset-id:" + LONG_EMAIL) > 120
    add_member(email=LONG_EMAIL)
    register(row=dataclasses.replace(renee, email=LONG_EMAIL))
    for attempt in range(7):  # a different network each time: only the per-address bucket can stop this
        recovery.request_password_reset(
            session, identifier=LONG_EMAIL, ip=f"192.0.2.{attempt}", now=now + attempt * MINUTE
        )
    assert len(outbox("password_reset")) == 5
