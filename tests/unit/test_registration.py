"""Create Account: roster match → credentials → emailed code; the account exists only after the code."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import bcrypt
import pytest
from sqlmodel import Session, func, select

from hcpay_app import clock
from hcpay_app.config import get_settings
from hcpay_app.db import engine_for
from hcpay_app.models import (
    AuditEvent,
    AuthSession,
    PendingRegistration,
    RateLimitHit,
    User,
)
from hcpay_app.services.accounts import authn, registration
from hcpay_app.services.adapters import crypto
from hcpay_app.services.common.errors import (
    RateLimited,
    RosterMismatch,
    ValidationError,
    VerificationFailed,
)
from hcpay_app.services.jobs import roster

CLIENT = "198.51.100.7"
MINUTE = dt.timedelta(minutes=1)
STRONG_PASSWORD = "Violet-Kayak-Thunder-93"
OTHER_STRONG_PASSWORD = "Copper-Walrus-Juniper-17"
RENEE_EMAIL = "Renee.ONeil@example.com"  # the roster's address (conftest's RENEE)
SAM = {
    "member_number": "123456789099",
    "first_name": "Sam",
    "last_name": "Okafor",
    "date_of_birth": dt.date(1990, 1, 2),
    "ssn": "219550456",
    "email": "sam.okafor@example.com",
    "account_number": "987654399",
}


def details(row: roster.RosterRow, **overrides) -> dict[str, object]:
    typed: dict[str, object] = {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "date_of_birth": row.date_of_birth.isoformat(),
        "ssn": f"{row.ssn[:3]}-{row.ssn[3:5]}-{row.ssn[5:]}",
        "email": row.email,
    }
    typed.update(overrides)
    return typed


@pytest.fixture
def begin(session, renee):
    """`begin(now, today, row=renee, client_key=CLIENT, **typed)` → pending registration id."""

    def run(now, today, row=None, client_key=CLIENT, **overrides) -> int:
        return registration.start(
            session, **details(row or renee, **overrides), client_key=client_key, now=now, today=today
        )

    return run


@pytest.fixture
def sam(add_member, renee) -> roster.RosterRow:
    add_member(**SAM)
    return dataclasses.replace(renee, **SAM)


def credentials(session, pending_id, now, username="renee.oneil", password=STRONG_PASSWORD) -> str:
    return registration.choose_credentials(
        session, pending_id=pending_id, username=username, password=password, now=now
    )


def verify(session, pending_id, code, now):
    return registration.verify(session, pending_id=pending_id, code=code, ip=CLIENT, now=now)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def users(session) -> list[User]:
    return list(session.exec(select(User)).all())


def audit_actions(session) -> list[str]:
    return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]


# --- the happy path ----------------------------------------------------------------------------


def test_create_account_end_to_end(session, begin, member, now, today, outbox, latest_code):
    # The member types their email in different case and the SSN without dashes.
    pending_id = begin(
        now,
        today,
        email="RENEE.ONEIL@EXAMPLE.COM",
        ssn="219550123",
        first_name="renee",
        last_name="O'NEIL DUBOIS",
        date_of_birth="04/15/1985",
    )
    assert isinstance(pending_id, int)
    assert outbox() == [] and users(session) == []

    masked = credentials(session, pending_id, now + MINUTE, username="Renee.ONeil")
    assert masked == "R•••@example.com"
    assert users(session) == []  # nothing exists until the code is verified
    [message] = outbox("verification_code")
    assert message.to_address == RENEE_EMAIL  # the roster's address, not what was typed
    assert "expires in 10 minutes" in message.body
    code = latest_code()
    pending = session.get(PendingRegistration, pending_id)
    assert pending.code_hash == crypto.hash_code(code, pending_id) and code not in pending.code_hash
    assert STRONG_PASSWORD not in pending.password_hash

    user_id, token = verify(session, pending_id, f" {code[:3]} {code[3:]} ", now + 2 * MINUTE)

    user = session.get(User, user_id)
    assert (user.username, user.username_key, user.email) == ("Renee.ONeil", "renee.oneil", RENEE_EMAIL)
    assert user.member_id == member.id and user.role == "member"
    assert user.verified_at == now + 2 * MINUTE
    assert bcrypt.checkpw(STRONG_PASSWORD.encode(), user.password_hash.encode())
    assert user.password_hash.startswith("$2b$04$")  # the configured (test) cost
    who = authn.resolve(session, token, now=now + 3 * MINUTE)
    assert who is not None and who.user_id == user_id and who.username == "Renee.ONeil"
    assert session.exec(select(AuthSession.token_hash)).all() == [crypto.hash_token(token)]
    assert session.exec(select(func.count()).select_from(PendingRegistration)).one() == 0
    assert [m.kind for m in outbox()] == ["verification_code", "account_created"]
    assert outbox("account_created")[0].to_address == RENEE_EMAIL
    created = session.exec(select(AuditEvent).where(AuditEvent.action == "account_created")).one()
    assert (created.actor_user_id, created.subject_user_id, created.ip) == (user_id, user_id, CLIENT)

    # The new account logs in with what was chosen.
    assert (
        authn.login(session, username="renee.oneil", password=STRONG_PASSWORD, ip=CLIENT, now=now + 4 * MINUTE)[0]
        == user_id
    )


def test_ssn_never_stored_in_plaintext(session, db_path, db_url, registered_user, renee):
    session.close()
    engine_for(db_url).dispose()
    stored = b"".join(path.read_bytes() for path in db_path.parent.glob(db_path.name + "*"))
    assert registered_user.username.encode() in stored
    assert renee.ssn.encode() not in stored
    assert b"219-55-0123" not in stored
    assert registered_user.password.encode() not in stored


# --- the roster match --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"ssn": "219-55-9999"},  # someone else's (valid) SSN
        {"date_of_birth": "1985-04-16"},
        {"first_name": "Rene"},
        {"last_name": "O’Neil"},
        {"email": "renee.oneil@example.org"},
        {
            "first_name": "Jordan",
            "last_name": "Avery",
            "date_of_birth": "1988-07-14",
            "ssn": "212-48-7731",
            "email": "jordan@example.com",
        },  # not on the roster at all
    ],
    ids=["ssn", "dob", "first-name", "last-name", "email", "unknown-person"],
)
def test_every_mismatch_gets_the_same_message(session, begin, member, now, today, outbox, overrides):
    with pytest.raises(RosterMismatch) as caught:
        begin(now, today, **overrides)
    assert caught.value.message == registration.NO_MATCH_MESSAGE
    assert session.exec(select(func.count()).select_from(PendingRegistration)).one() == 0
    assert outbox() == []
    assert audit_actions(session) == ["registration_no_match"]


def test_existing_account_gets_the_same_message_and_the_member_an_email(
    session, begin, registered_user, now, today, outbox
):
    later = now + dt.timedelta(days=1)
    with pytest.raises(RosterMismatch) as caught:
        begin(later, clock.local_date(later), email=RENEE_EMAIL.upper())
    assert caught.value.message == registration.NO_MATCH_MESSAGE
    [warning] = outbox("duplicate_registration")
    assert warning.to_address == RENEE_EMAIL
    assert "already have one" in warning.body
    assert audit_actions(session)[-1] == "registration_duplicate"
    assert len(users(session)) == 1


def test_field_errors_are_collected_together(session, begin, member, now, today):
    with pytest.raises(ValidationError) as caught:
        begin(
            now,
            today,
            first_name="R2D2",
            date_of_birth=(today + dt.timedelta(days=1)).isoformat(),
            ssn="123",
            email="renee@",
        )
    assert set(caught.value.errors) == {"first_name", "date_of_birth", "ssn", "email"}
    assert caught.value.errors["date_of_birth"] == "Your date of birth must be in the past."
    # Typos are not counted against the device's attempts.
    assert session.exec(select(func.count()).select_from(RateLimitHit)).one() == 0

    pending_id = begin(now, today)
    with pytest.raises(ValidationError) as caught:
        credentials(session, pending_id, now, username="a b", password="password1234")
    assert set(caught.value.errors) == {"username", "password"}


def test_password_built_from_the_roster_details_refused(session, begin, member, now, today):
    pending_id = begin(now, today)
    with pytest.raises(ValidationError) as caught:
        credentials(session, pending_id, now, password="RenéeO’Neil-Dubois")
    assert caught.value.errors["password"].startswith("This password is too easy to guess.")


def test_registration_rate_limited_per_client(session, begin, member, now, today):
    limit = 10
    for attempt in range(limit):
        with pytest.raises(RosterMismatch):
            begin(now + attempt * MINUTE, today, client_key="203.0.113.9", first_name="Rene")
    with pytest.raises(RateLimited) as caught:
        begin(now + 11 * MINUTE, today, client_key="203.0.113.9")  # even with the right details
    assert caught.value.message == registration.TOO_MANY_ATTEMPTS
    assert isinstance(begin(now + 11 * MINUTE, today, client_key="203.0.113.10"), int)  # another device
    # The first attempt leaves the one-hour window.
    assert isinstance(begin(now + dt.timedelta(hours=1), today, client_key="203.0.113.9"), int)


# --- the one-time code -------------------------------------------------------------------------


def test_wrong_codes_count_down_and_then_exhaust(session, begin, member, now, today, latest_code):
    pending_id = begin(now, today)
    credentials(session, pending_id, now)
    code = latest_code()
    messages = []
    for _ in range(5):
        with pytest.raises(VerificationFailed) as caught:
            verify(session, pending_id, wrong(code), now)
        messages.append(caught.value.message)
    assert messages == [
        "That code isn't right. You have 4 tries left.",
        "That code isn't right. You have 3 tries left.",
        "That code isn't right. You have 2 tries left.",
        "That code isn't right. You have 1 try left.",
        "Too many incorrect codes. Select “Send a new code” to get another.",
    ]
    with pytest.raises(VerificationFailed, match="Too many incorrect codes"):
        verify(session, pending_id, code, now)  # the right code is no good any more
    assert users(session) == []

    registration.resend_code(session, pending_id=pending_id, now=now + 2 * MINUTE)
    fresh = latest_code()
    user_id, _ = verify(session, pending_id, fresh, now + 2 * MINUTE)
    assert session.get(User, user_id).username == "renee.oneil"


def test_malformed_code_is_a_field_error_and_costs_no_try(session, begin, member, now, today, latest_code):
    pending_id = begin(now, today)
    credentials(session, pending_id, now)
    with pytest.raises(ValidationError) as caught:
        verify(session, pending_id, "12ab56", now)
    assert caught.value.errors == {"code": "Enter the 6-digit code from the email."}
    assert session.get(PendingRegistration, pending_id).code_attempts == 0


def test_code_expires_after_ten_minutes(session, begin, member, now, today, latest_code):
    pending_id = begin(now, today)
    credentials(session, pending_id, now)
    code = latest_code()
    with pytest.raises(VerificationFailed) as caught:
        verify(session, pending_id, code, now + 10 * MINUTE)
    assert caught.value.message == "This code has expired. Select “Send a new code” to get another."
    assert users(session) == []
    registration.resend_code(session, pending_id=pending_id, now=now + 10 * MINUTE)
    user_id, _ = verify(session, pending_id, latest_code(), now + 19 * MINUTE)
    assert user_id


def test_code_still_good_just_before_ten_minutes(session, begin, member, now, today, latest_code):
    pending_id = begin(now, today)
    credentials(session, pending_id, now)
    user_id, _ = verify(session, pending_id, latest_code(), now + 10 * MINUTE - dt.timedelta(seconds=1))
    assert session.get(User, user_id) is not None


def test_new_code_replaces_the_old_one(session, begin, member, now, today, latest_code):
    pending_id = begin(now, today)
    credentials(session, pending_id, now)
    first = latest_code()
    for _ in range(20):  # draw until the new code differs (1 in a million that it doesn't)
        registration.resend_code(session, pending_id=pending_id, now=now + MINUTE)
        if latest_code() != first:
            break
        pending = session.get(PendingRegistration, pending_id)
        pending.code_sends, pending.code_sent_at = 0, now
        session.add(pending)
        session.commit()
    with pytest.raises(VerificationFailed, match="isn't right"):
        verify(session, pending_id, first, now + MINUTE)


def test_resend_cooldown_and_limit(session, begin, member, now, today, outbox):
    pending_id = begin(now, today)
    with pytest.raises(VerificationFailed, match="Choose your username and password first."):
        registration.resend_code(session, pending_id=pending_id, now=now)
    credentials(session, pending_id, now)  # send 1
    with pytest.raises(RateLimited) as caught:
        registration.resend_code(session, pending_id=pending_id, now=now)
    assert caught.value.message == "Please wait 61 seconds before asking for another code."
    with pytest.raises(RateLimited, match="Please wait 31 seconds"):
        registration.resend_code(session, pending_id=pending_id, now=now + dt.timedelta(seconds=30))
    for send in range(2, 6):  # sends 2–5, each after the cooldown
        assert registration.resend_code(session, pending_id=pending_id, now=now + (send - 1) * MINUTE) == (
            "R•••@example.com"
        )
    assert len(outbox("verification_code")) == 5
    with pytest.raises(RateLimited) as caught:
        registration.resend_code(session, pending_id=pending_id, now=now + 30 * MINUTE)
    assert caught.value.message == "We've sent the most codes we can for this sign-up. Please start again later."
    assert len(outbox("verification_code")) == 5


def test_choosing_credentials_again_does_not_bypass_the_send_limit(
    session, begin, member, now, today, outbox, latest_code
):
    pending_id = begin(now, today)
    credentials(session, pending_id, now)
    for send in range(2, 6):
        registration.resend_code(session, pending_id=pending_id, now=now + (send - 1) * MINUTE)
    for _ in range(5):
        with pytest.raises(VerificationFailed):
            verify(session, pending_id, wrong(latest_code()), now + 5 * MINUTE)
    with pytest.raises(RateLimited):
        credentials(session, pending_id, now + 5 * MINUTE)  # a 6th code and 5 fresh tries
    assert len(outbox("verification_code")) == 5


@pytest.mark.parametrize(
    "bogus", [pytest.param(None, id="none"), pytest.param("1", id="id-as-text"), pytest.param(10_000, id="unknown")]
)
def test_sign_up_session_expires_after_an_hour(session, begin, member, now, today, latest_code, bogus):
    pending_id = begin(now, today)
    with pytest.raises(VerificationFailed, match="sign-up session has expired"):
        credentials(session, pending_id, now + dt.timedelta(hours=1))
    with pytest.raises(VerificationFailed, match="sign-up session has expired"):
        verify(session, bogus, "123456", now)


def test_verify_before_credentials(session, begin, member, now, today):
    pending_id = begin(now, today)
    with pytest.raises(VerificationFailed, match="Choose your username and password first."):
        verify(session, pending_id, "123456", now)


def test_a_new_sign_up_replaces_the_members_earlier_one(session, begin, member, now, today, latest_code):
    first = begin(now, today)
    second = begin(now, today)
    with pytest.raises(VerificationFailed, match="sign-up session has expired"):
        credentials(session, first, now)
    live = select(PendingRegistration.id).where(PendingRegistration.expires_at > now)
    assert first != second and session.exec(live).all() == [second]  # one live sign-up per member
    credentials(session, second, now)
    verify(session, second, latest_code(), now)
    assert len(users(session)) == 1


def test_starting_again_buys_no_fresh_code_tries(session, begin, member, now, today, latest_code):
    """Code tries are capped per member over 24 hours, across every sign-up attempt: after the cap,
    even the right code is refused until the day has passed."""
    tries = 0
    while tries < registration.CODE_TRIES_PER_MEMBER_PER_DAY:
        moment = now + dt.timedelta(hours=tries // 5 * 1.5)  # a new attempt per hour keeps under the device limit
        pending = begin(moment, today)
        credentials(session, pending, moment)
        for _ in range(5):
            with pytest.raises(VerificationFailed):
                verify(session, pending, wrong(latest_code()), moment)
            tries += 1
    later = now + dt.timedelta(hours=4)
    pending = begin(later, today)
    credentials(session, pending, later)
    with pytest.raises(VerificationFailed) as refused:
        verify(session, pending, latest_code(), later)
    assert refused.value.message == registration.TOO_MANY_CODES_TODAY and users(session) == []
    next_day = now + dt.timedelta(hours=25)
    pending = begin(next_day, today)
    credentials(session, pending, next_day)
    verify(session, pending, latest_code(), next_day)
    assert len(users(session)) == 1


def test_code_sends_are_capped_per_member_over_a_day(session, begin, member, now, today, outbox):
    for attempt in range(registration.CODE_SENDS_PER_MEMBER_PER_DAY):
        moment = now + dt.timedelta(hours=1.5 * attempt)
        credentials(session, begin(moment, today), moment)
    sent = len(outbox("verification_code"))
    moment = now + dt.timedelta(hours=1.5 * registration.CODE_SENDS_PER_MEMBER_PER_DAY)
    pending = begin(moment, today)
    with pytest.raises(RateLimited) as refused:
        credentials(session, pending, moment)
    assert refused.value.message == registration.TOO_MANY_SENDS_TODAY
    assert len(outbox("verification_code")) == sent == registration.CODE_SENDS_PER_MEMBER_PER_DAY


def test_wrong_codes_sent_at_once_are_each_counted(session, begin, member, now, today, latest_code, db_url):
    pending = begin(now, today)
    credentials(session, pending, now)
    guess = wrong(latest_code())
    start = threading.Barrier(12, timeout=30)
    answers: list[str] = []

    def attempt() -> None:
        start.wait()
        with Session(engine_for(db_url)) as own:
            try:
                registration.verify(own, pending_id=pending, code=guess, ip=CLIENT, now=now)
            except VerificationFailed as exc:
                answers.append(exc.message)

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    session.expire_all()
    assert len(answers) == 12
    assert session.get(PendingRegistration, pending).code_attempts == get_settings().otp_max_tries
    with pytest.raises(VerificationFailed, match="Too many incorrect codes"):
        verify(session, pending, latest_code(), now)


# --- usernames ---------------------------------------------------------------------------------


def test_username_taken_case_insensitively(session, registered_user, sam, begin, now, today):
    pending_id = begin(now, today, row=sam)
    with pytest.raises(ValidationError) as caught:
        credentials(session, pending_id, now, username="RENEE.Oneil", password=OTHER_STRONG_PASSWORD)
    assert caught.value.errors == {"username": "That username is taken. Please choose another."}
    assert credentials(session, pending_id, now, username="sam.okafor", password=OTHER_STRONG_PASSWORD) == (
        "s•••@example.com"
    )


def test_username_claimed_while_waiting_for_the_code(session, member, sam, begin, now, today, outbox):
    renee_id = begin(now, today)
    sam_id = begin(now, today, row=sam)
    credentials(session, renee_id, now, username="sunny.day")
    renee_code = outbox("verification_code")[-1].body.split("code is ")[1][:6]
    credentials(session, sam_id, now, username="Sunny.Day", password=OTHER_STRONG_PASSWORD)
    sam_code = outbox("verification_code")[-1].body.split("code is ")[1][:6]
    assert outbox("verification_code")[-1].to_address == sam.email

    verify(session, sam_id, sam_code, now)
    with pytest.raises(ValidationError) as caught:
        verify(session, renee_id, renee_code, now)
    assert caught.value.errors == {"username": "That username was just taken. Please go back and choose another."}
    # Renée can pick another name and finish.
    credentials(session, renee_id, now + 2 * MINUTE, username="renee.2")
    renee_code = outbox("verification_code")[-1].body.split("code is ")[1][:6]
    user_id, _ = verify(session, renee_id, renee_code, now + 2 * MINUTE)
    assert session.get(User, user_id).member_id == member.id
