"""Recovering access: Forgot Password, Forgot Username, and changing a password.

Requests always get the same answer whether or not the account exists; the email on file carries
the result. Reset links are single-use, expire, and die once the password changes.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse

from sqlmodel import Session, func, select, update

from hcpay_app import routes
from hcpay_app.config import get_settings
from hcpay_app.i18n import languages
from hcpay_app.i18n.message import Msg
from hcpay_app.models import LoginThrottle, Member, NoticeKind, PasswordResetToken, User
from hcpay_app.services.accounts import authn, templates
from hcpay_app.services.adapters import crypto, mailer, passwords
from hcpay_app.services.common import audit, ratelimit, validators
from hcpay_app.services.common.errors import (
    NotAllowed,
    ValidationError,
    VerificationFailed,
)

LINK_DEAD = Msg("This reset link has expired or has already been used. Please request a new one.")


def _allowed(session: Session, buckets: list[str], now: dt.datetime) -> bool:
    """Count a recovery request; False (silently) when a bucket is over its hourly limit."""
    limit = get_settings().recovery_requests_per_hour
    hour = dt.timedelta(hours=1)
    if ratelimit.any_reached(session, [(bucket, limit, hour) for bucket in buckets], now=now):
        return False
    for bucket in buckets:
        ratelimit.hit(session, bucket, now=now)
    return True


def _users_for(session: Session, identifier: str) -> list[User]:
    if "@" in identifier:
        return list(session.exec(select(User).where(func.lower(User.email) == identifier.casefold())).all())
    user = session.exec(select(User).where(User.username_key == validators.username_key(identifier))).first()
    return [user] if user else []


def request_password_reset(session: Session, *, identifier: object, ip: str, now: dt.datetime) -> None:
    """Email a reset link to the account named by username or email, if there is one."""
    ident = identifier.strip()[:254] if isinstance(identifier, str) else ""
    if not ident:
        raise ValidationError({"identifier": Msg("Enter your username or the email address on your account.")})
    if not _allowed(session, [f"reset-ip:{ip}", f"reset-id:{ident.casefold()}"], now):
        session.commit()
        return
    for user in _users_for(session, ident):
        issue_reset_link(session, user, now=now)
        audit.record(session, "password_reset_requested", now=now, subject_user_id=user.id, ip=ip)
    session.commit()


def issue_reset_link(session: Session, user: User, *, now: dt.datetime) -> None:
    """Queue a single-use reset link to the user's email (in the caller's transaction). Public
    requests reach this through the rate limits above; support calls it directly."""
    settings = get_settings()
    token = crypto.new_token()
    session.add(
        PasswordResetToken(
            token_hash=crypto.hash_token(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.reset_ttl),
        )
    )
    # The link opens the page in the member's own language, like the email itself.
    language = str(languages.parse(user.language) or languages.DEFAULT)
    path = languages.localized(routes.RESET_PASSWORD, language)
    link = f"{settings.base_url}{path}?{urllib.parse.urlencode({'token': token})}"
    mailer.enqueue_message(
        session,
        to=user.email,
        message=templates.password_reset(user.username, link, settings.reset_ttl // 60),
        kind=NoticeKind.PASSWORD_RESET,
        now=now,
        language=language,
    )


def recover_username(session: Session, *, email: object, ip: str, now: dt.datetime) -> None:
    """Email the username(s) registered to an address, if any."""
    address = validators.clean_email(email)
    if not _allowed(session, [f"username-ip:{ip}", f"username-id:{address.casefold()}"], now):
        session.commit()
        return
    users = _users_for(session, address)
    if users:
        mailer.enqueue_message(
            session,
            to=users[0].email,
            message=templates.username_reminder([u.username for u in users]),
            kind=NoticeKind.USERNAME_REMINDER,
            now=now,
        )
        audit.record(session, "username_reminder_sent", now=now, subject_user_id=users[0].id, ip=ip)
    session.commit()


def _valid_reset(session: Session, token: object, now: dt.datetime) -> tuple[PasswordResetToken, User] | None:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    row = session.exec(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == crypto.hash_token(token))
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or row.created_at < user.password_changed_at:
        return None
    return row, user


def reset_link_is_valid(session: Session, *, token: object, now: dt.datetime) -> bool:
    return _valid_reset(session, token, now) is not None


def _user_inputs(session: Session, user: User) -> list[str]:
    member = session.get(Member, user.member_id) if user.member_id else None
    extra = [member.first_name, member.last_name, str(member.date_of_birth.year)] if member else []
    return [user.username, user.email, *extra]


def _set_password(session: Session, user: User, new_password: str, now: dt.datetime) -> None:
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = now
    session.add(user)
    # Any outstanding reset link dies with the old password.
    session.exec(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )


def _notify_password_changed(session: Session, user: User, now: dt.datetime) -> None:
    mailer.enqueue_message(
        session,
        to=user.email,
        message=templates.password_changed(user.username),
        kind=NoticeKind.PASSWORD_CHANGED,
        now=now,
    )


def reset_password(session: Session, *, token: object, new_password: object, ip: str, now: dt.datetime) -> None:
    """Set a new password from a reset link, end every session and send a notice."""
    found = _valid_reset(session, token, now)
    if found is None:
        raise VerificationFailed(LINK_DEAD)
    _row, user = found
    password = validators.check_new_password(new_password, _user_inputs(session, user), field="password")
    _set_password(session, user, password, now)
    authn.revoke_all(session, user.id, now=now)
    # Proving control of the email also lifts a log-in lockout.
    session.exec(
        update(LoginThrottle)
        .where(LoginThrottle.username_key == user.username_key)
        .values(locked_until=None, failures=0)
    )
    audit.record(session, "password_reset", now=now, actor_user_id=user.id, subject_user_id=user.id, ip=ip)
    _notify_password_changed(session, user, now)
    session.commit()


def change_password(
    session: Session,
    *,
    actor: authn.SessionUser,
    current_password: object,
    new_password: object,
    ip: str,
    now: dt.datetime,
) -> None:
    """Settings → change password: needs the current one; ends every other session. Too many
    wrong current passwords end this session too (someone else may be holding it)."""
    settings = get_settings()
    user = session.get(User, actor.user_id)
    current = current_password if isinstance(current_password, str) else ""
    if not passwords.verify_password(current, user.password_hash):
        bucket = f"change-password:{user.id}"
        ratelimit.hit(session, bucket, now=now)
        window = dt.timedelta(seconds=settings.lockout_window)
        if ratelimit.exceeded(session, bucket, settings.lockout_threshold, now=now, window=window):
            authn.revoke_all(session, user.id, now=now, only_session_id=actor.session_id)
            audit.record(session, "session_ended_wrong_passwords", now=now, subject_user_id=user.id, ip=ip)
            session.commit()
            raise NotAllowed(Msg("Too many incorrect passwords. For your security you have been logged out."))
        session.commit()
        raise ValidationError({"current_password": Msg("Your current password is incorrect.")})
    password = validators.check_new_password(new_password, _user_inputs(session, user), field="new_password")
    if password == current:
        raise ValidationError({"new_password": Msg("Choose a password different from your current one.")})
    _set_password(session, user, password, now)
    authn.revoke_all(session, user.id, now=now, except_session_id=actor.session_id)
    audit.record(session, "password_changed", now=now, actor_user_id=user.id, subject_user_id=user.id, ip=ip)
    _notify_password_changed(session, user, now)
    session.commit()
