"""Staff second factor: TOTP enrolment, codes, recovery codes and the log-in challenge.

Staff (role support) enrol an authenticator app through a single-use, expiring link that
`create-staff` prints (only the link's hash is stored). The TOTP secret is sealed with AES-GCM and
reaches the browser once, as the QR code and its text, during enrolment. Each accepted code moves
the stored time step forward in one conditional UPDATE, so a code is never accepted twice; recovery
codes are kept as keyed hashes and spent in one conditional UPDATE too. Counting wrong codes
toward a lockout is `authn.complete_staff_login`'s work.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import hmac
import secrets
import urllib.parse

import pyotp
import segno
from sqlmodel import Session, select, update

from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Msg
from hcpay_app.models import Role, StaffEnrolToken, StaffFactor, StaffRecoveryCode, User
from hcpay_app.services.adapters import crypto
from hcpay_app.services.common import audit, validators
from hcpay_app.services.common.errors import AuthenticationFailed, DomainError, ValidationError

ISSUER = "Health Connector Payments"
ENROL_TTL = dt.timedelta(hours=72)
CHALLENGE_TTL = dt.timedelta(minutes=5)
STEP_SECONDS = 30
RECOVERY_CODES = 10
LINK_DEAD = Msg("This enrolment link has expired or has already been used. Ask an administrator for a new one.")
NOT_ENROLLED = Msg(
    "Your staff log-in needs an authenticator app first. Open the enrolment link you were given to set it up."
)
ENTER_CODE = Msg("Enter the 6-digit code from your authenticator app, or a recovery code.")
WRONG_CODE = Msg("That code is not correct. Enter the current code from your authenticator app, or a recovery code.")
CHALLENGE_EXPIRED = Msg("Your log-in took too long. Please enter your username and password again.")
ENROL_WRONG_CODE = Msg("That code does not match. Check that your phone's time is right and enter the current code.")


@dataclasses.dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows once: the QR code (an SVG data URI) and the secret as text."""

    username: str
    secret: str
    provisioning_uri: str

    @functools.cached_property
    def qr_data_uri(self) -> str:
        # Drawn when shown (~45 ms of CPU), not for an enrolment confirmed without a page.
        return segno.make(self.provisioning_uri, error="m").svg_data_uri(scale=5, border=2)


def is_staff(user: User) -> bool:
    return user.role == Role.SUPPORT


def is_enrolled(session: Session, user_id: int) -> bool:
    enrolled = session.exec(select(StaffFactor.enrolled_at).where(StaffFactor.user_id == user_id)).first()
    return enrolled is not None


def staff_user_id(session: Session, username: str) -> int | None:
    """The id of the staff login named `username` (any case), or None."""
    user = session.exec(select(User).where(User.username_key == validators.username_key(username.strip()))).first()
    return user.id if user is not None and is_staff(user) else None


def enrol_link(token: str) -> str:
    return f"{get_settings().base_url}/staff/enrol?{urllib.parse.urlencode({'token': token})}"


def start_enrolment(session: Session, user_id: int, *, now: dt.datetime) -> str:
    """A new single-use enrolment link token for a staff user (in the caller's transaction); any
    earlier unused link dies. Returns the raw token (shown once, by the operator command)."""
    session.exec(
        update(StaffEnrolToken)
        .where(StaffEnrolToken.user_id == user_id, StaffEnrolToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = crypto.new_token()
    session.add(
        StaffEnrolToken(
            token_hash=crypto.hash_token(token), user_id=user_id, created_at=now, expires_at=now + ENROL_TTL
        )
    )
    return token


def _valid_link(session: Session, token: object, now: dt.datetime) -> tuple[StaffEnrolToken, User]:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise DomainError(LINK_DEAD)
    row = session.exec(select(StaffEnrolToken).where(StaffEnrolToken.token_hash == crypto.hash_token(token))).first()
    user = session.get(User, row.user_id) if row else None
    if row is None or row.used_at is not None or row.expires_at <= now or user is None or not is_staff(user):
        raise DomainError(LINK_DEAD)
    return row, user


def open_enrolment(session: Session, *, token: object, now: dt.datetime) -> Enrolment:
    """A fresh secret for the staff user behind a live link, sealed at rest, shown this once. It
    waits as the pending secret: an authenticator already in use keeps working until this one is
    confirmed, and opening the link again replaces only the unconfirmed one."""
    _row, user = _valid_link(session, token, now)
    secret = pyotp.random_base32()
    sealed = crypto.encrypt_totp_secret(secret, user.id)
    factor = session.exec(select(StaffFactor).where(StaffFactor.user_id == user.id)).first()
    factor = factor or StaffFactor(user_id=user.id)
    factor.pending_secret_encrypted = sealed
    session.add(factor)
    session.commit()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return Enrolment(user.username, secret, uri)


def _clean_code(code: object) -> str:
    return "".join(ch for ch in code if ch.isalnum()).lower()[:40] if isinstance(code, str) else ""


def _matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step (±1 around now) whose code is `code`, or None."""
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp, current = pyotp.TOTP(secret), int(now.timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _spend_step(session: Session, user_id: int, step: int) -> bool:
    """Accept the code of `step` once: only when it is later than the last accepted step."""
    table = StaffFactor.__table__
    moved = session.execute(
        update(table)
        .where(
            table.c.user_id == user_id,
            table.c.enrolled_at.is_not(None),
            (table.c.last_step.is_(None)) | (table.c.last_step < step),
        )
        .values(last_step=step)
    )
    return moved.rowcount == 1


def _recovery_hash(code: str, user_id: int) -> str:
    return hmac.new(get_settings().code_key, f"recovery:{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _new_recovery_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def confirm_enrolment(session: Session, *, token: object, code: object, ip: str, now: dt.datetime) -> list[str]:
    """Confirm the authenticator with a current code: the link is spent, the factor enrolled, and
    10 single-use recovery codes are made (returned once; only their hashes are kept)."""
    row, user = _valid_link(session, token, now)
    factor = session.exec(select(StaffFactor).where(StaffFactor.user_id == user.id)).first()
    if factor is None or factor.pending_secret_encrypted is None:
        raise DomainError(LINK_DEAD)
    cleaned = _clean_code(code)
    if not cleaned:
        raise ValidationError({"code": Msg("Enter the 6-digit code from your authenticator app.")})
    step = _matching_step(crypto.decrypt_totp_secret(factor.pending_secret_encrypted, user.id), cleaned, now)
    if step is None:
        raise ValidationError({"code": ENROL_WRONG_CODE}, ENROL_WRONG_CODE)
    spent = session.execute(
        update(StaffEnrolToken.__table__)
        .where(StaffEnrolToken.__table__.c.id == row.id, StaffEnrolToken.__table__.c.used_at.is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        session.rollback()
        raise DomainError(LINK_DEAD)
    factor.secret_encrypted, factor.pending_secret_encrypted = factor.pending_secret_encrypted, None
    factor.enrolled_at, factor.last_step = now, step
    session.add(factor)
    session.exec(update(StaffRecoveryCode).where(StaffRecoveryCode.user_id == user.id).values(used_at=now))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    for plain in codes:
        session.add(StaffRecoveryCode(user_id=user.id, code_hash=_recovery_hash(_clean_code(plain), user.id)))
    audit.record(
        session, "staff_second_factor_enrolled", now=now, actor_user_id=user.id, subject_user_id=user.id, ip=ip
    )
    session.commit()
    return codes


def check_code(session: Session, user_id: int, code: object, *, now: dt.datetime) -> str | None:
    """Accept a current TOTP code (once) or an unspent recovery code (spent now), in the caller's
    transaction. Returns "totp" or "recovery", or None when the code is wrong or already used."""
    cleaned = _clean_code(code)
    factor = session.exec(select(StaffFactor).where(StaffFactor.user_id == user_id)).first()
    if factor is None or factor.enrolled_at is None or factor.secret_encrypted is None or not cleaned:
        return None
    step = _matching_step(crypto.decrypt_totp_secret(factor.secret_encrypted, user_id), cleaned, now)
    if step is not None:
        return "totp" if _spend_step(session, user_id, step) else None
    table = StaffRecoveryCode.__table__
    spent = session.execute(
        update(table)
        .where(
            table.c.user_id == user_id,
            table.c.code_hash == _recovery_hash(cleaned, user_id),
            table.c.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return "recovery" if spent.rowcount == 1 else None


def recovery_codes_left(session: Session, user_id: int) -> int:
    rows = session.exec(
        select(StaffRecoveryCode.id).where(StaffRecoveryCode.user_id == user_id, StaffRecoveryCode.used_at.is_(None))
    ).all()
    return len(rows)


# ---- the log-in challenge: proof that the password step passed, kept server-side -------------


def _challenge_mac(user_id: int, issued: int) -> str:
    return hmac.new(get_settings().code_key, f"staff-login:{user_id}:{issued}".encode(), hashlib.sha256).hexdigest()


def issue_challenge(user_id: int, *, now: dt.datetime) -> str:
    """A signed, short-lived note that `user_id` passed the password step at `now`."""
    issued = int(now.timestamp())
    return f"{user_id}.{issued}.{_challenge_mac(user_id, issued)}"


def read_challenge(challenge: object, *, now: dt.datetime) -> int:
    """The user id of a genuine, unexpired challenge; refused otherwise."""
    parts = challenge.split(".") if isinstance(challenge, str) else []
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise AuthenticationFailed(CHALLENGE_EXPIRED)
    user_id, issued = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(_challenge_mac(user_id, issued), parts[2]):
        raise AuthenticationFailed(CHALLENGE_EXPIRED)
    age = int(now.timestamp()) - issued
    if age < 0 or age > CHALLENGE_TTL.total_seconds():
        raise AuthenticationFailed(CHALLENGE_EXPIRED)
    return user_id
