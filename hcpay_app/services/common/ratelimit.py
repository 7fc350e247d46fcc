"""Sliding-window attempt counting kept in the database, so every worker sees the same counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import bindparam, case
from sqlmodel import Session, delete, func, select

from hcpay_app.models import RateLimitHit

MAX_BUCKET = 120


def _key(bucket: str) -> str:
    """Buckets are stored and looked up by the same (bounded) key."""
    return bucket[:MAX_BUCKET]


# Built once: log-in and every payment ask it for several buckets.
_RECENT = select(func.count()).where(RateLimitHit.bucket == bindparam("bucket"), RateLimitHit.at > bindparam("since"))


def count_recent(session: Session, bucket: str, *, now: dt.datetime, window: dt.timedelta) -> int:
    return session.exec(_RECENT, params={"bucket": _key(bucket), "since": now - window}).one()


def hit(session: Session, bucket: str, *, now: dt.datetime) -> None:
    """Count one attempt (in the caller's transaction) and drop hits older than a day."""
    key = _key(bucket)
    session.add(RateLimitHit(bucket=key, at=now))
    session.exec(delete(RateLimitHit).where(RateLimitHit.bucket == key, RateLimitHit.at < now - dt.timedelta(days=1)))


def exceeded(session: Session, bucket: str, limit: int, *, now: dt.datetime, window: dt.timedelta) -> bool:
    return count_recent(session, bucket, now=now, window=window) >= limit


def any_reached(session: Session, limits: Iterable[tuple[str, int, dt.timedelta]], *, now: dt.datetime) -> bool:
    """Whether any (bucket, limit, window) has reached its limit, as `exceeded` for each, in one
    statement: a card payment checks four buckets, and each count was a round trip."""
    limits = [(_key(bucket), limit, window) for bucket, limit, window in limits]
    if not limits:
        return False
    windows = sorted({window for _bucket, _limit, window in limits})
    in_window = [func.sum(case((RateLimitHit.at > now - window, 1), else_=0)) for window in windows]
    rows = session.exec(
        select(RateLimitHit.bucket, *in_window)
        .where(RateLimitHit.bucket.in_(sorted({bucket for bucket, _limit, _window in limits})))
        .where(RateLimitHit.at > now - windows[-1])
        .group_by(RateLimitHit.bucket)
    ).all()
    counts = {row[0]: dict(zip(windows, row[1:], strict=True)) for row in rows}
    return any(counts.get(bucket, {}).get(window, 0) >= limit for bucket, limit, window in limits)


def claim(session: Session, bucket: str, limit: int, *, now: dt.datetime, window: dt.timedelta) -> bool:
    """Count one attempt first, then see whether it is within `limit` (in the caller's transaction,
    which should commit either way). Counting before checking means attempts racing each other can
    never all slip under the limit: each sees at least itself, so a burst errs toward refusing."""
    hit(session, bucket, now=now)
    session.flush()
    return count_recent(session, bucket, now=now, window=window) <= limit
