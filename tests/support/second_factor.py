"""Staff second factor for tests: enrol a staff login through the real enrolment services and
produce the next code the server will accept (a later time step within ±1, else a recovery code),
so helpers can log staff in as often as a test needs, even on a frozen clock."""

from __future__ import annotations

import datetime as dt

import pyotp
from sqlmodel import Session, select

from hcpay_app.models import StaffFactor, StaffRecoveryCode
from hcpay_app.services.accounts import second_factor

SECRETS: dict[int, str] = {}
RECOVERY: dict[int, list[str]] = {}  # kept: each test database may have spent different ones


def enrol(session: Session, user_id: int, *, now: dt.datetime) -> str:
    """Enrol `user_id` through a fresh link; returns the authenticator secret."""
    token = second_factor.start_enrolment(session, user_id, now=now)
    session.commit()
    shown = second_factor.open_enrolment(session, token=token, now=now)
    code = pyotp.TOTP(shown.secret).at(now)
    RECOVERY[user_id] = second_factor.confirm_enrolment(session, token=token, code=code, ip="10.0.0.5", now=now)
    SECRETS[user_id] = shown.secret
    return shown.secret


def next_code(session: Session, user_id: int, *, now: dt.datetime) -> str:
    """A code the server accepts now: the earliest unused time step within ±1, else a recovery code."""
    session.expire_all()
    last = session.exec(select(StaffFactor.last_step).where(StaffFactor.user_id == user_id)).first()
    current = int(now.timestamp()) // second_factor.STEP_SECONDS
    step = current - 1 if last is None else max(current - 1, last + 1)
    if step <= current + 1:
        return pyotp.TOTP(SECRETS[user_id]).at(step * second_factor.STEP_SECONDS)
    spent = set(
        session.exec(
            select(StaffRecoveryCode.code_hash).where(
                StaffRecoveryCode.user_id == user_id, StaffRecoveryCode.used_at.is_not(None)
            )
        ).all()
    )
    for code in RECOVERY[user_id]:
        if second_factor._recovery_hash(code.replace("-", ""), user_id) not in spent:
            return code
    raise AssertionError("every recovery code of this staff login is spent")


def log_in(session: Session, *, username: str, password: str, ip: str, now: dt.datetime) -> tuple[int, str]:
    """`authn.login` for an enrolled staff login, completing the code step: (user id, session token)."""
    from hcpay_app.services.accounts import authn

    try:
        return authn.login(session, username=username, password=password, ip=ip, now=now)
    except authn.SecondFactorRequired as step:
        user_id = second_factor.read_challenge(step.challenge, now=now)
        code = next_code(session, user_id, now=now)
        return authn.complete_staff_login(session, challenge=step.challenge, code=code, ip=ip, now=now)
