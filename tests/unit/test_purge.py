"""The daily job forgets what is over: ended sign-ups, reset links, sessions and log-in throttles,
old rate-limit hits, and the bodies of delivered mail — each after the retention period, and
nothing that still matters."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from hcpay_app.config import get_settings
from hcpay_app.models import (
    AuthSession,
    LoginThrottle,
    NoticeKind,
    OutboundEmail,
    PasswordResetToken,
    PendingRegistration,
    RateLimitHit,
)
from hcpay_app.services.jobs import daily, purge

DAY = dt.timedelta(days=1)


def ids(session, model) -> list[int]:
    session.expire_all()
    return sorted(session.exec(select(model.id)).all())


def test_what_is_over_goes_after_the_retention_period_and_nothing_else(session, member, registered_user, today):
    now = purge.start_of(today)  # ages count from the start of the job's date
    keep = dt.timedelta(days=get_settings().purge_after_days)
    old, recent = now - keep - DAY, now - keep + DAY
    user = registered_user.user_id
    rows = {
        "old signup": PendingRegistration(member_id=member.id, created_at=old, expires_at=old),
        "recent signup": PendingRegistration(member_id=member.id, created_at=recent, expires_at=recent),
        "old link": PasswordResetToken(token_hash="a" * 64, user_id=user, created_at=old, expires_at=old),
        "live link": PasswordResetToken(token_hash="b" * 64, user_id=user, created_at=now, expires_at=now + DAY),
        "old revoked": AuthSession(token_hash="c" * 64, user_id=user, created_at=old, last_seen_at=old, revoked_at=old),
        "recent revoked": AuthSession(
            token_hash="d" * 64, user_id=user, created_at=recent, last_seen_at=recent, revoked_at=recent
        ),
        "open throttle": LoginThrottle(username_key="someone", failures=2, window_started_at=now - DAY),
        "locked throttle": LoginThrottle(
            username_key="locked.one", failures=5, window_started_at=now - DAY, locked_until=now + DAY
        ),
        "current throttle": LoginThrottle(username_key="trying.now", failures=1, window_started_at=now),
        "old hit": RateLimitHit(bucket="register:x", at=now - 3 * DAY),
        "recent hit": RateLimitHit(bucket="register:x", at=now - dt.timedelta(hours=20)),
        "old mail": OutboundEmail(
            to_address="a@example.com",
            subject="s",
            body="old body",
            kind=NoticeKind.PAYMENT_RECEIPT,
            created_at=old,
            sent_at=old,
            attempts=1,
        ),
        "recent mail": OutboundEmail(
            to_address="b@example.com",
            subject="s",
            body="recent body",
            kind=NoticeKind.PAYMENT_RECEIPT,
            created_at=recent,
            sent_at=recent,
            attempts=1,
        ),
        "unsent mail": OutboundEmail(
            to_address="c@example.com",
            subject="s",
            body="queued body",
            kind=NoticeKind.PAYMENT_RECEIPT,
            created_at=old,
        ),
    }
    session.add_all(rows.values())
    session.commit()
    row_id = {name: row.id for name, row in rows.items()}
    sessions_before = ids(session, AuthSession)
    links_before = ids(session, PasswordResetToken)

    tally = purge.purge(session, today=today)

    assert (tally.signups, tally.reset_links, tally.sessions) == (1, 1, 1)
    assert (tally.throttles, tally.rate_limit_hits, tally.mail_bodies) == (1, 1, 1)
    assert ids(session, PendingRegistration) == [row_id["recent signup"]]
    assert ids(session, PasswordResetToken) == [i for i in links_before if i != row_id["old link"]]
    assert ids(session, AuthSession) == [i for i in sessions_before if i != row_id["old revoked"]]
    assert sorted(session.exec(select(LoginThrottle.username_key)).all()) == ["locked.one", "trying.now"]
    hits = ids(session, RateLimitHit)  # (signing up left recent hits of its own: kept too)
    assert row_id["recent hit"] in hits and row_id["old hit"] not in hits
    bodies = {m.to_address: m.body for m in session.exec(select(OutboundEmail)).all()}
    assert bodies["a@example.com"] == purge.PURGED_BODY
    assert (bodies["b@example.com"], bodies["c@example.com"]) == ("recent body", "queued body")

    assert purge.purge(session, today=today).total == 0  # nothing more the second time


def test_the_daily_job_purges_once_a_day(session, now, today):
    session.add(RateLimitHit(bucket="register:y", at=purge.start_of(today) - 3 * DAY))
    session.add(RateLimitHit(bucket="register:z", at=purge.start_of(today) - 2 * DAY + dt.timedelta(hours=1)))
    session.commit()
    summary = daily.run_daily(today, now)
    assert summary.purged == 1 and "purged=1" in summary.line()
    assert daily.run_daily(today, now + dt.timedelta(hours=5)).purged == 0  # later that day: nothing more
    assert len(ids(session, RateLimitHit)) == 1
