"""Forgetting what is no longer needed, as the daily job's last duty: sign-ups that ended, reset
links that expired or were used, sessions that ended, log-in throttles whose window and lock have
run out, rate-limit hits older than any window, and the bodies of emails already delivered.

Each kind is kept `HCPAY_PURGE_AFTER_DAYS` after it stopped mattering (for support questions and
audits; the audit log itself is kept). A delivered email keeps its address, subject, kind and times:
only the body is dropped. Ages are measured from the start of the job's date (portal time), like
every other duty of the day, so a second run that day — even hours later — removes nothing more.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import and_, delete, or_, update
from sqlmodel import Session

from hcpay_app import clock
from hcpay_app.config import get_settings
from hcpay_app.models import (
    AuthSession,
    GuestReceiptToken,
    LoginThrottle,
    OutboundEmail,
    PasswordResetToken,
    PendingRegistration,
    RateLimitHit,
)

PURGED_BODY = "[removed: delivered more than the retention period ago]"
# Rate-limit windows are at most a day long; hits older than two are never counted again.
RATE_LIMIT_HORIZON = dt.timedelta(days=2)


@dataclasses.dataclass
class PurgeTally:
    signups: int = 0
    reset_links: int = 0
    sessions: int = 0
    throttles: int = 0
    rate_limit_hits: int = 0
    mail_bodies: int = 0

    @property
    def total(self) -> int:
        return sum(dataclasses.astuple(self))


def start_of(today: dt.date) -> dt.datetime:
    """Midnight starting `today` in the portal's time zone, in UTC."""
    return dt.datetime.combine(today, dt.time(), tzinfo=clock.portal_zone()).astimezone(dt.UTC)


def purge(session: Session, *, today: dt.date) -> PurgeTally:
    """Delete (or, for sent mail, empty) what had been over for the retention period when `today`
    began; commits."""
    settings = get_settings()
    now = start_of(today)
    before = now - dt.timedelta(days=settings.purge_after_days)
    session_cutoff = before - dt.timedelta(seconds=settings.session_absolute)
    throttle_cutoff = now - dt.timedelta(seconds=settings.lockout_window)
    tally = PurgeTally()

    def run(statement) -> int:
        return session.execute(statement.execution_options(synchronize_session=False)).rowcount or 0

    tally.signups = run(delete(PendingRegistration).where(PendingRegistration.expires_at <= before))
    tally.reset_links = run(delete(PasswordResetToken).where(PasswordResetToken.expires_at <= before))
    tally.reset_links += run(delete(GuestReceiptToken).where(GuestReceiptToken.expires_at <= before))
    tally.sessions = run(
        delete(AuthSession).where(
            or_(
                AuthSession.revoked_at <= before,
                # Past its absolute lifetime (any idle limit is shorter): over, revoked or not.
                AuthSession.created_at <= session_cutoff,
            )
        )
    )
    tally.throttles = run(
        delete(LoginThrottle).where(
            LoginThrottle.window_started_at <= throttle_cutoff,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        )
    )
    tally.rate_limit_hits = run(delete(RateLimitHit).where(RateLimitHit.at < now - RATE_LIMIT_HORIZON))
    tally.mail_bodies = run(
        update(OutboundEmail)
        .where(and_(OutboundEmail.sent_at <= before, OutboundEmail.body != PURGED_BODY))
        .values(body=PURGED_BODY)
    )
    session.commit()
    return tally
