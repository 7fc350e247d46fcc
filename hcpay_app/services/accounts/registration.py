"""Create Account: match the roster, choose credentials, verify a one-time code.

The account exists only once the code sent to the roster's email is verified. Every way the
personal details can fail to lead to a new account gets the same message, so a stranger learns
nothing about who is enrolled.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, delete, select, update

from hcpay_app.config import get_settings
from hcpay_app.i18n import languages
from hcpay_app.i18n.message import Msg
from hcpay_app.models import Member, NoticeKind, PendingRegistration, User
from hcpay_app.services.accounts import authn, templates
from hcpay_app.services.adapters import crypto, mailer, passwords
from hcpay_app.services.common import audit, ratelimit, validators
from hcpay_app.services.common.errors import (
    FieldChecks,
    RateLimited,
    RosterMismatch,
    ValidationError,
    VerificationFailed,
)

NO_MATCH_MESSAGE = Msg(
    "We couldn't create an account with the information you entered. Check that it matches your "
    "enrollment exactly, including the spelling of your name. If you already have an account, "
    "log in, or use Forgot Username or Forgot Password."
)
TOO_MANY_ATTEMPTS = Msg("Too many attempts from this device. For your security, please wait an hour and try again.")
PENDING_LIFETIME = dt.timedelta(hours=1)
# Per member, across every sign-up attempt: starting again never buys fresh code tries or sends.
MEMBER_WINDOW = dt.timedelta(hours=24)
CODE_TRIES_PER_MEMBER_PER_DAY = 10
CODE_SENDS_PER_MEMBER_PER_DAY = 6
TOO_MANY_CODES_TODAY = Msg(
    "Too many incorrect codes for this account today. For your security, please try again tomorrow."
)
TOO_MANY_SENDS_TODAY = Msg("We've sent the most codes we can for this account today. Please try again tomorrow.")
SESSION_EXPIRED = Msg("Your sign-up session has expired. Please start again.")
CHOOSE_FIRST = Msg("Choose your username and password first.")
NEW_CODE_TOO_MANY = Msg("Too many incorrect codes. Select “Send a new code” to get another.")


def _language(raw: object) -> str:
    """The language the new member chose (English unless it is one the portal offers)."""
    return str(languages.parse(raw) or languages.DEFAULT)


def start(
    session: Session,
    *,
    first_name: object,
    last_name: object,
    date_of_birth: object,
    ssn: object,
    email: object,
    client_key: str,
    now: dt.datetime,
    today: dt.date,
) -> int:
    """Step 1: check the personal details against the roster. Returns the pending registration id."""
    settings = get_settings()
    values = FieldChecks.collect(
        {
            "first_name": lambda: validators.clean_name(first_name, "first_name", "first name"),
            "last_name": lambda: validators.clean_name(last_name, "last_name", "last name"),
            "date_of_birth": lambda: validators.clean_date_of_birth(date_of_birth, today, settings.min_subscriber_age),
            "ssn": lambda: validators.clean_ssn(ssn),
            "email": lambda: validators.clean_email(email),
        }
    )
    bucket = f"register:{client_key}"
    window = dt.timedelta(hours=1)
    if ratelimit.exceeded(session, bucket, settings.registration_attempts_per_hour, now=now, window=window):
        raise RateLimited(TOO_MANY_ATTEMPTS)
    ratelimit.hit(session, bucket, now=now)

    member = session.exec(select(Member).where(Member.ssn_index == crypto.ssn_blind_index(values["ssn"]))).first()
    matches = (
        member is not None
        and validators.name_key(member.first_name) == validators.name_key(values["first_name"])
        and validators.name_key(member.last_name) == validators.name_key(values["last_name"])
        and member.date_of_birth == values["date_of_birth"]
        and member.email.casefold() == values["email"].casefold()
    )
    if not matches:
        audit.record(session, "registration_no_match", now=now, ip=client_key)
        session.commit()
        raise RosterMismatch(NO_MATCH_MESSAGE)
    if session.exec(select(User.id).where(User.member_id == member.id)).first() is not None:
        # Tell the real member by email, at the address on file; the screen says nothing new.
        mailer.enqueue_message(
            session,
            to=member.email,
            message=templates.duplicate_registration(member.first_name),
            kind=NoticeKind.DUPLICATE_REGISTRATION,
            now=now,
        )
        audit.record(session, "registration_duplicate", now=now, ip=client_key)
        session.commit()
        raise RosterMismatch(NO_MATCH_MESSAGE)

    # One live sign-up per member: a new one replaces any other (the per-member caps carry over).
    # (The earlier rows are ended, not deleted, so their ids are never handed out again.)
    session.exec(
        update(PendingRegistration)
        .where(PendingRegistration.member_id == member.id, PendingRegistration.expires_at > now)
        .values(expires_at=now)
    )
    pending = PendingRegistration(member_id=member.id, created_at=now, expires_at=now + PENDING_LIFETIME)
    session.add(pending)
    session.commit()
    return pending.id


def _live_pending(session: Session, pending_id: int | None, now: dt.datetime) -> tuple[PendingRegistration, Member]:
    pending = (  # read from the database, not the identity map: a newer sign-up may have replaced it
        session.exec(select(PendingRegistration).where(PendingRegistration.id == pending_id)).first()
        if isinstance(pending_id, int)
        else None
    )
    if pending is None or pending.expires_at <= now:
        raise VerificationFailed(SESSION_EXPIRED)
    newer = select(PendingRegistration.id).where(
        PendingRegistration.member_id == pending.member_id, PendingRegistration.id > pending.id
    )
    if session.exec(newer).first() is not None:  # two sign-ups started at once: only the newest lives
        raise VerificationFailed(SESSION_EXPIRED)
    return pending, session.get(Member, pending.member_id)


def _check_send_allowed(pending: PendingRegistration, now: dt.datetime) -> None:
    """A new code only after the cooldown and within the send limit, however it is asked for."""
    settings = get_settings()
    if pending.code_sends >= settings.otp_max_sends:
        raise RateLimited(Msg("We've sent the most codes we can for this sign-up. Please start again later."))
    cooldown = dt.timedelta(seconds=settings.otp_resend_cooldown)
    if pending.code_sent_at and now < pending.code_sent_at + cooldown:
        wait = int((pending.code_sent_at + cooldown - now).total_seconds()) + 1
        raise RateLimited(
            Msg.plural(
                "Please wait {count} second before asking for another code.",
                "Please wait {count} seconds before asking for another code.",
                wait,
            )
        )


def _send_code(
    session: Session, pending: PendingRegistration, member: Member, now: dt.datetime, language: str = "en"
) -> None:
    settings = get_settings()
    _check_send_allowed(pending, now)
    bucket = f"signup-code-send:{member.id}"
    if not ratelimit.claim(session, bucket, CODE_SENDS_PER_MEMBER_PER_DAY, now=now, window=MEMBER_WINDOW):
        session.commit()
        raise RateLimited(TOO_MANY_SENDS_TODAY)
    code = crypto.new_code()
    pending.code_hash = crypto.hash_code(code, pending.id)
    pending.code_expires_at = now + dt.timedelta(seconds=settings.otp_ttl)
    pending.code_attempts = 0
    pending.code_sends += 1
    pending.code_sent_at = now
    session.add(pending)
    mailer.enqueue_message(
        session,
        to=member.email,
        message=templates.verification_code(member.first_name, code, settings.otp_ttl // 60),
        kind=NoticeKind.VERIFICATION_CODE,
        now=now,
        language=_language(language),
    )


def choose_credentials(
    session: Session,
    *,
    pending_id: int | None,
    username: object,
    password: object,
    now: dt.datetime,
    language: str = "en",
) -> str:
    """Step 2: username and password; sends the code (in `language`, the one the member is
    signing up in). Returns the masked address it went to."""
    pending, member = _live_pending(session, pending_id, now)
    user_inputs = [member.first_name, member.last_name, member.email, str(member.date_of_birth.year)]
    values = FieldChecks.collect(
        {
            "username": lambda: validators.clean_username(username),
            "password": lambda: validators.check_new_password(password, [*user_inputs, str(username)]),
        }
    )
    key = validators.username_key(values["username"])
    if session.exec(select(User.id).where(User.username_key == key)).first() is not None:
        raise ValidationError({"username": Msg("That username is taken. Please choose another.")})
    pending.username = values["username"]
    pending.username_key = key
    pending.password_hash = passwords.hash_password(values["password"])
    _send_code(session, pending, member, now, language)
    session.commit()
    return crypto.mask_email(member.email)


def resend_code(session: Session, *, pending_id: int | None, now: dt.datetime, language: str = "en") -> str:
    """Send a fresh code (in `language`), after a cooldown and up to a limit. Returns the masked
    address."""
    pending, member = _live_pending(session, pending_id, now)
    if pending.password_hash is None:
        raise VerificationFailed(CHOOSE_FIRST)
    _send_code(session, pending, member, now, language)
    session.commit()
    return crypto.mask_email(member.email)


def verify(
    session: Session, *, pending_id: int | None, code: object, ip: str, now: dt.datetime, language: str = "en"
) -> tuple[int, str]:
    """Step 3: check the code, create the account and log in. Returns (user id, session token).
    The new login keeps `language` (the one the member signed up in) for its pages and emails."""
    settings = get_settings()
    pending, member = _live_pending(session, pending_id, now)
    clean = validators.clean_code(code)
    if pending.code_hash is None or pending.password_hash is None:
        raise VerificationFailed(CHOOSE_FIRST)
    if pending.code_expires_at is None or pending.code_expires_at <= now:
        raise VerificationFailed(Msg("This code has expired. Select “Send a new code” to get another."))
    # Claim the try before comparing, atomically, so tries sent at once are each counted.
    table = PendingRegistration.__table__
    tries = session.execute(
        update(table)
        .where(table.c.id == pending.id, table.c.code_attempts < settings.otp_max_tries)
        .values(code_attempts=table.c.code_attempts + 1)
        .returning(table.c.code_attempts)
    ).scalar_one_or_none()
    within_day = ratelimit.claim(
        session, f"signup-code-try:{member.id}", CODE_TRIES_PER_MEMBER_PER_DAY, now=now, window=MEMBER_WINDOW
    )
    session.commit()
    if not within_day:
        raise VerificationFailed(TOO_MANY_CODES_TODAY)
    if tries is None:
        raise VerificationFailed(NEW_CODE_TOO_MANY)
    if not crypto.same_hash(pending.code_hash, crypto.hash_code(clean, pending.id)):
        left = settings.otp_max_tries - tries
        if left <= 0:
            raise VerificationFailed(NEW_CODE_TOO_MANY)
        raise VerificationFailed(
            Msg.plural(
                "That code isn't right. You have {count} try left.",
                "That code isn't right. You have {count} tries left.",
                left,
            )
        )

    user = User(
        member_id=member.id,
        username=pending.username,
        username_key=pending.username_key,
        email=member.email,
        password_hash=pending.password_hash,
        verified_at=now,
        password_changed_at=now,
        created_at=now,
        last_login_at=now,
        language=_language(language),
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        taken = session.exec(select(User.id).where(User.member_id == member.id)).first() is not None
        if taken:
            raise RosterMismatch(NO_MATCH_MESSAGE) from None
        raise ValidationError(
            {"username": Msg("That username was just taken. Please go back and choose another.")}
        ) from None
    session.exec(delete(PendingRegistration).where(PendingRegistration.member_id == member.id))
    token = authn.open_session(session, user.id, now=now)
    audit.record(session, "account_created", now=now, actor_user_id=user.id, subject_user_id=user.id, ip=ip)
    mailer.enqueue_message(
        session,
        to=member.email,
        message=templates.account_created(member.first_name, user.username),
        kind=NoticeKind.ACCOUNT_CREATED,
        now=now,
        language=_language(language),
    )
    session.commit()
    return user.id, token
