"""Patterns worth a look, for the support console: many declined payments in a short time (card
testing through guest pay shows up here), bank payments returned, card disputes.

Read-only. Each flag is a burst: at least `count` events of one kind within any `window`, among
the events of the last `LOOKBACK`. The thresholds are named here (`Thresholds`, `thresholds()`):
many declines means the card guard's per-account cap within its hour
(`HCPAY_DECLINES_PER_ACCOUNT_PER_HOUR`, 5 by default), so every account the guard starts refusing
is flagged; tests and callers may pass their own. Console functions call this after checking the
agent (`console.require_staff`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import Session, select

from hcpay_app import clock
from hcpay_app.config import get_settings
from hcpay_app.models import Dispute, Payment, PaymentEvent, PaymentSource, PaymentStatus

LOOKBACK = dt.timedelta(days=90)  # older events never raise a flag


@dataclasses.dataclass(frozen=True)
class Rule:
    count: int
    window: dt.timedelta


DECLINE_WINDOW = dt.timedelta(hours=1)  # the card guard's per-account window
RETURNS = Rule(2, dt.timedelta(days=60))
DISPUTES = Rule(1, dt.timedelta(days=90))  # any dispute is worth a look


@dataclasses.dataclass(frozen=True)
class Thresholds:
    declines: Rule = Rule(5, DECLINE_WINDOW)
    returns: Rule = RETURNS
    disputes: Rule = DISPUTES


def thresholds() -> Thresholds:
    """The thresholds in force: declines at the card guard's per-account cap (a setting)."""
    return Thresholds(declines=Rule(get_settings().declines_per_account_per_hour, DECLINE_WINDOW))


@dataclasses.dataclass(frozen=True)
class Flag:
    kind: str  # "declines" | "returns" | "disputes"
    label: str  # the badge: "Many declines"
    detail: str  # the member panel: "9 declined payments within 2 min (9 by guests), last Nov 30 at 6:58 AM ET"


@dataclasses.dataclass(frozen=True)
class Burst:
    count: int
    first: dt.datetime
    last: dt.datetime
    members: tuple[int, ...]  # indexes into the sorted events, to count guests among them


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def busiest(times: Iterable[dt.datetime], window: dt.timedelta) -> Burst | None:
    """The largest set of events that fits within `window` (the earliest such, on a tie)."""
    ordered = sorted(_aware(t) for t in times)
    best: Burst | None = None
    start = 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] > window:
            start += 1
        size = end - start + 1
        if best is None or size > best.count:
            best = Burst(size, ordered[start], moment, tuple(range(start, end + 1)))
    return best


def span_words(first: dt.datetime, last: dt.datetime) -> str:
    """How long a burst lasted, rounded up: "2 min", "5 h", "12 d"."""
    seconds = (last - first).total_seconds()
    if seconds < 3600:
        return f"{max(1, math.ceil(seconds / 60))} min"
    if seconds < 86400:
        return f"{math.ceil(seconds / 3600)} h"
    return f"{math.ceil(seconds / 86400)} d"


def _when(moment: dt.datetime) -> str:
    return f"{clock.local_date(moment):%b %-d} at {clock.format_local_time(moment)}"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


Declines = dict[int, list[tuple[dt.datetime, bool]]]


def _declines(session: Session, account_ids: list[int], since: dt.datetime) -> Declines:
    """Declined payments (members', guests', autopay's) per account: (when, by a guest)."""
    rows = session.exec(
        select(Payment.billing_account_id, Payment.created_at, Payment.source).where(
            Payment.billing_account_id.in_(account_ids),
            Payment.status == PaymentStatus.DECLINED,
            Payment.created_at >= since,
        )
    ).all()
    found: dict[int, list[tuple[dt.datetime, bool]]] = defaultdict(list)
    for account_id, at, source in rows:
        found[account_id].append((_aware(at), source == PaymentSource.GUEST))
    return found


def _returns(session: Session, account_ids: list[int], since: dt.datetime) -> dict[int, list[dt.datetime]]:
    """When each account's bank payments came back returned (the step on the payment's timeline)."""
    rows = session.exec(
        select(Payment.billing_account_id, PaymentEvent.at)
        .join(PaymentEvent, PaymentEvent.payment_id == Payment.id)
        .where(
            Payment.billing_account_id.in_(account_ids),
            PaymentEvent.status == PaymentStatus.RETURNED,
            PaymentEvent.at >= since,
        )
    ).all()
    found: dict[int, list[dt.datetime]] = defaultdict(list)
    for account_id, at in rows:
        found[account_id].append(_aware(at))
    return found


def _disputes(session: Session, account_ids: list[int], since: dt.datetime) -> dict[int, list[dt.datetime]]:
    """When each account's card disputes were recorded (the processor's notice), since `since`."""
    rows = session.exec(
        select(Dispute.billing_account_id, Dispute.created_at).where(
            Dispute.billing_account_id.in_(account_ids), Dispute.created_at >= since
        )
    ).all()
    found: dict[int, list[dt.datetime]] = defaultdict(list)
    for account_id, at in rows:
        found[account_id].append(_aware(at))
    return found


def flags_for_accounts(
    session: Session, account_ids: Iterable[int], *, now: dt.datetime, limits: Thresholds | None = None
) -> dict[int, list[Flag]]:
    """Every flag of each account (accounts with none are left out), in two or three queries in all."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    limits = limits or thresholds()
    since = now - LOOKBACK
    found: dict[int, list[Flag]] = defaultdict(list)

    for account_id, events in _declines(session, ids, since).items():
        events.sort()
        burst = busiest([at for at, _guest in events], limits.declines.window)
        if burst and burst.count >= limits.declines.count:
            guests = sum(1 for i in burst.members if events[i][1])
            by_guests = f" ({guests} by guests)" if guests else ""
            found[account_id].append(
                Flag(
                    "declines",
                    "Many declines",
                    f"{_plural(burst.count, 'declined payment', 'declined payments')} within "
                    f"{span_words(burst.first, burst.last)}{by_guests}, last {_when(burst.last)}",
                )
            )

    for kind, times_of, label, one, many in (
        ("returns", _returns, "Returns", "returned payment", "returned payments"),
        ("disputes", _disputes, "Disputes", "card dispute", "card disputes"),
    ):
        rule: Rule = getattr(limits, kind)
        for account_id, times in times_of(session, ids, since).items():
            burst = busiest(times, rule.window)
            if burst and burst.count >= rule.count:
                within = f" within {span_words(burst.first, burst.last)}" if burst.count > 1 else ""
                found[account_id].append(
                    Flag(kind, label, f"{_plural(burst.count, one, many)}{within}, last {_when(burst.last)}")
                )
    return dict(found)
