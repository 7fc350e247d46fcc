"""Log in, sessions and log out.

Unknown usernames and wrong passwords cost the same bcrypt work and get the same message. Failures
are counted per username key — known or not — so a lockout tells a stranger nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import and_, bindparam, delete, or_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select, update

from hcpay_app import clock
from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Msg
from hcpay_app.models import AuthSession, LoginThrottle, User
from hcpay_app.services.accounts import address_attempts, second_factor
from hcpay_app.services.adapters import crypto, passwords
from hcpay_app.services.common import audit, ratelimit, validators
from hcpay_app.services.common.errors import (
    AccountLocked,
    AuthenticationFailed,
    DomainError,
    RateLimited,
    TryAgainSoon,
)

LOGIN_FAILED = Msg("The username or password you entered is incorrect.")
TOO_MANY_FROM_HERE = Msg("Too many log-in attempts from this device. Please wait a minute and try again.")
MINUTE = dt.timedelta(minutes=1)
LAST_SEEN_GRANULARITY = dt.timedelta(seconds=30)


class SecondFactorRequired(DomainError):
    """The password of a staff login was right: the log-in continues with a code. `challenge` is
    the signed proof of the password step, kept by the server (never sent to the browser)."""

    def __init__(self, challenge: str):
        super().__init__(second_factor.ENTER_CODE)
        self.challenge = challenge


@dataclasses.dataclass(frozen=True)
class SessionUser:
    """Who is behind a valid session token."""

    user_id: int
    member_id: int | None
    username: str
    role: str
    session_id: int
    session_started_at: dt.datetime
    language: str = "en"  # what the member reads the portal in (follows them to any device)


def _login_key(username: object) -> str:
    return validators.username_key(username.strip())[:80] if isinstance(username, str) else ""


def _locked_message(until: dt.datetime) -> str:
    return Msg(
        "Too many unsuccessful log-in attempts. For your security, log-in is paused until {time}. "
        "You can also reset your password with Forgot Password.",
        time=clock.format_local_time(until),
    )


def open_session(session: Session, user_id: int, *, now: dt.datetime) -> str:
    """Create a session in the caller's transaction and return its raw token (shown once)."""
    token = crypto.new_token()
    session.add(AuthSession(token_hash=crypto.hash_token(token), user_id=user_id, created_at=now, last_seen_at=now))
    return token


def _claim_attempt(session: Session, key: str, now: dt.datetime) -> int | None:
    """Count one log-in attempt for `key` before any password work, atomically: make sure the
    throttle row exists, start a new window when the old one (or its lock) has run out, then add
    one in a single conditional UPDATE … RETURNING. Returns the attempt's number in the window, or
    None while the key is locked. Committed at once, so no row lock is held during bcrypt and a
    burst of attempts at the same moment is counted one by one (no lost update, no insert race)."""
    settings = get_settings()
    table = LoginThrottle.__table__
    dialect_insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        dialect_insert(table)
        .values(username_key=key, failures=0, window_started_at=now)
        .on_conflict_do_nothing(index_elements=[table.c.username_key])
    )
    window_start = now - dt.timedelta(seconds=settings.lockout_window)
    session.execute(
        update(table)
        .where(
            table.c.username_key == key,
            or_(
                and_(table.c.locked_until.is_(None), table.c.window_started_at <= window_start),
                table.c.locked_until <= now,
            ),
        )
        .values(failures=0, window_started_at=now, locked_until=None)
    )
    number = session.execute(
        update(table)
        .where(table.c.username_key == key, table.c.locked_until.is_(None))
        .values(failures=table.c.failures + 1)
        .returning(table.c.failures)
    ).scalar_one_or_none()
    session.commit()
    return number


def check_address_rate_at_once(ip: str, now: dt.datetime) -> None:
    """Before a log-in is handed to a worker thread: refuse at once, from this process's memory,
    an address already past its per-minute log-in rate (`address_attempts`). Raises RateLimited."""
    if address_attempts.over_limit(ip, get_settings().logins_per_address_per_minute, now=now):
        raise RateLimited(TOO_MANY_FROM_HERE)


def _check_login_rates(session: Session, ip: str, now: dt.datetime) -> None:
    """Per client address and for the whole portal, before any other work: a flood of log-ins is
    refused cheaply instead of queueing for bcrypt."""
    settings = get_settings()
    per_address = ratelimit.claim(
        session, f"login-ip:{ip}", settings.logins_per_address_per_minute, now=now, window=MINUTE
    )
    overall = per_address and ratelimit.claim(session, "login-all", settings.logins_per_minute, now=now, window=MINUTE)
    session.commit()
    if not per_address:
        raise RateLimited(TOO_MANY_FROM_HERE)
    if not overall:
        raise TryAgainSoon(passwords.BUSY_MESSAGE)


def _lock(session: Session, key: str, now: dt.datetime) -> dt.datetime:
    """Lock `key` (once: a lock already set keeps its time); returns until when."""
    table = LoginThrottle.__table__
    until = now + dt.timedelta(seconds=get_settings().lockout_duration)
    session.execute(
        update(table).where(table.c.username_key == key, table.c.locked_until.is_(None)).values(locked_until=until)
    )
    return session.exec(select(LoginThrottle.locked_until).where(LoginThrottle.username_key == key)).one() or until


def _refuse_locked(session: Session, key: str, now: dt.datetime) -> None:
    until = session.exec(select(LoginThrottle.locked_until).where(LoginThrottle.username_key == key)).first()
    passwords.burn_equal_work()
    until = until if until and until > now else now + dt.timedelta(seconds=get_settings().lockout_duration)
    raise AccountLocked(_locked_message(until), until)


def check_password_again(session: Session, user: User, password: object, *, now: dt.datetime) -> bool:
    """The password asked again before a sensitive change (adding a payment method): counted like
    log-in — each attempt claimed before the bcrypt work, locked after the threshold, for this
    account (a key of its own, so it doesn't lock the log-in). True when it matched; raises
    AccountLocked when locked."""
    key = f"reauth:{user.id}"
    number = _claim_attempt(session, key, now)
    if number is None or number > get_settings().lockout_threshold:
        if number is not None:
            _lock(session, key, now)
            session.commit()
        _refuse_locked(session, key, now)
    if passwords.verify_password(password if isinstance(password, str) else "", user.password_hash):
        session.execute(delete(LoginThrottle.__table__).where(LoginThrottle.__table__.c.username_key == key))
        session.commit()
        return True
    audit.record(session, "reauth_failed", now=now, actor_user_id=user.id, subject_user_id=user.id)
    if number >= get_settings().lockout_threshold:
        until = _lock(session, key, now)
        session.commit()
        raise AccountLocked(_locked_message(until), until)
    session.commit()
    return False


def login(session: Session, *, username: object, password: object, ip: str, now: dt.datetime) -> tuple[int, str]:
    """Check credentials and open a new session. Returns (user id, session token).

    Each attempt claims its number in the window before the password is checked; only the first
    `HCPAY_LOCKOUT_THRESHOLD` are checked at all, so however many arrive at once, a lockout starts
    after exactly that many failures.

    Staff (role support) never get a session here: a right password raises `SecondFactorRequired`
    (continue with `complete_staff_login`), or `AuthenticationFailed` before enrolment."""
    settings = get_settings()
    key = _login_key(username)
    _check_login_rates(session, ip, now)
    number = _claim_attempt(session, key, now)
    if number is None or number > settings.lockout_threshold:
        if number is not None:  # over the limit in a burst, before the attempt that locks has written
            _lock(session, key, now)
            session.commit()
        _refuse_locked(session, key, now)

    user = session.exec(select(User).where(User.username_key == key)).first() if key else None
    password_text = password if isinstance(password, str) else ""
    # A full bcrypt queue refuses with TryAgainSoon; the attempt it claimed still counts, so a
    # flood can't dodge the lockout by arriving faster than passwords can be checked.
    if not passwords.verify_password(password_text, user.password_hash if user else None):
        subject = user.id if user else None
        audit.record(session, "login_failed", now=now, subject_user_id=subject, ip=ip)
        if number >= settings.lockout_threshold:
            until = _lock(session, key, now)
            audit.record(session, "account_locked", now=now, subject_user_id=subject, ip=ip)
            session.commit()
            raise AccountLocked(_locked_message(until), until)
        session.commit()
        raise AuthenticationFailed(LOGIN_FAILED)

    session.execute(delete(LoginThrottle.__table__).where(LoginThrottle.__table__.c.username_key == key))
    if second_factor.is_staff(user):
        _password_step_for_staff(session, user, ip=ip, now=now)
    user.last_login_at = now
    session.add(user)
    token = open_session(session, user.id, now=now)
    audit.record(session, "login_succeeded", now=now, actor_user_id=user.id, subject_user_id=user.id, ip=ip)
    session.commit()
    return user.id, token


def _password_step_for_staff(session: Session, user: User, *, ip: str, now: dt.datetime) -> None:
    """Staff never get a session from a password alone: an unenrolled login is refused (told to
    use the enrolment link), an enrolled one continues with a code."""
    if not second_factor.is_enrolled(session, user.id):
        audit.record(session, "staff_login_not_enrolled", now=now, subject_user_id=user.id, ip=ip)
        session.commit()
        raise AuthenticationFailed(second_factor.NOT_ENROLLED)
    audit.record(session, "staff_password_accepted", now=now, subject_user_id=user.id, ip=ip)
    session.commit()
    raise SecondFactorRequired(second_factor.issue_challenge(user.id, now=now))


def _second_factor_key(user_id: int) -> str:
    return f"2fa:{user_id}"


def clear_lockouts(session: Session, user: User) -> None:
    """Support's unlock: forget the wrong passwords and, for staff, the wrong second-factor codes
    (the caller commits)."""
    keys = [user.username_key, _second_factor_key(user.id)]
    session.execute(delete(LoginThrottle).where(LoginThrottle.username_key.in_(keys)))


def _code_locked_message(until: dt.datetime) -> str:
    return Msg(
        "Too many wrong codes. For your security, log-in is paused until {time}. "
        "Use a recovery code after that if you don't have your phone.",
        time=clock.format_local_time(until),
    )


def complete_staff_login(
    session: Session, *, challenge: object, code: object, ip: str, now: dt.datetime
) -> tuple[int, str]:
    """The second step of a staff log-in: a current TOTP code (each accepted once) or an unspent
    recovery code. Wrong codes are counted per staff user with the same atomic claim as passwords,
    before the code is checked, so a burst locks after exactly the threshold."""
    settings = get_settings()
    user_id = second_factor.read_challenge(challenge, now=now)
    key = _second_factor_key(user_id)
    number = _claim_attempt(session, key, now)
    if number is None or number > settings.lockout_threshold:
        if number is not None:
            _lock(session, key, now)
            session.commit()
        until = session.exec(select(LoginThrottle.locked_until).where(LoginThrottle.username_key == key)).first()
        until = until if until and until > now else now + dt.timedelta(seconds=settings.lockout_duration)
        raise AccountLocked(_code_locked_message(until), until)
    user = session.get(User, user_id)
    kind = second_factor.check_code(session, user_id, code, now=now) if user is not None else None
    if kind is None:
        audit.record(session, "staff_code_failed", now=now, subject_user_id=user_id, ip=ip)
        if number >= settings.lockout_threshold:
            until = _lock(session, key, now)
            audit.record(session, "account_locked", now=now, subject_user_id=user_id, ip=ip)
            session.commit()
            raise AccountLocked(_code_locked_message(until), until)
        session.commit()
        raise AuthenticationFailed(second_factor.WRONG_CODE)
    session.execute(delete(LoginThrottle.__table__).where(LoginThrottle.__table__.c.username_key == key))
    user.last_login_at = now
    session.add(user)
    token = open_session(session, user.id, now=now)
    detail = "recovery code" if kind == "recovery" else "authenticator code"
    audit.record(
        session, "login_succeeded", now=now, actor_user_id=user.id, subject_user_id=user.id, ip=ip, detail=detail
    )
    session.commit()
    return user.id, token


def _token_hash(token: object) -> str | None:
    """What a session token is stored as; None for anything that cannot be one."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    return crypto.hash_token(token)


def _find(session: Session, token: object) -> AuthSession | None:
    key = _token_hash(token)
    return None if key is None else session.exec(select(AuthSession).where(AuthSession.token_hash == key)).first()


# The session and its user in one statement, built once: every member event starts here.
_SESSION_AND_USER = (
    select(AuthSession, User)
    .join(User, User.id == AuthSession.user_id)
    .where(AuthSession.token_hash == bindparam("key"))
)


def resolve(session: Session, token: object, *, now: dt.datetime) -> SessionUser | None:
    """The user behind a raw session token, or None when it is unknown, revoked, idle or too old."""
    settings = get_settings()
    key = _token_hash(token)
    if key is None:
        return None
    found = session.exec(_SESSION_AND_USER, params={"key": key}).first()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None:
        return None
    idle = now - row.last_seen_at > dt.timedelta(seconds=settings.session_idle)
    too_old = now - row.created_at > dt.timedelta(seconds=settings.session_absolute)
    if idle or too_old:
        row.revoked_at = now
        session.add(row)
        session.commit()
        return None
    if now - row.last_seen_at >= LAST_SEEN_GRANULARITY:
        row.last_seen_at = now
        session.add(row)
        session.commit()
    return SessionUser(user.id, user.member_id, user.username, user.role, row.id, row.created_at, str(user.language))


def logout(session: Session, token: object, *, ip: str, now: dt.datetime) -> None:
    """Revoke the session on the server: a replayed token gets nothing afterwards."""
    row = _find(session, token)
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = now
    session.add(row)
    audit.record(session, "logout", now=now, actor_user_id=row.user_id, subject_user_id=row.user_id, ip=ip)
    session.commit()


def revoke_all(
    session: Session,
    user_id: int,
    *,
    now: dt.datetime,
    except_session_id: int | None = None,
    only_session_id: int | None = None,
) -> None:
    """End live sessions of a user (in the caller's transaction): all, all but one, or just one."""
    query = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if except_session_id is not None:
        query = query.where(AuthSession.id != except_session_id)
    if only_session_id is not None:
        query = query.where(AuthSession.id == only_session_id)
    session.exec(query.values(revoked_at=now))
