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
from hcpay_app.i18n.message import DateText, Msg
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
        return Msg("{count} min", count=max(1, math.ceil(seconds / 60)))
    if seconds < 86400:
        return Msg("{count} h", count=math.ceil(seconds / 3600))
    return Msg("{count} d", count=math.ceil(seconds / 86400))


def _when(moment: dt.datetime) -> str:
    """ "Nov 30 at 6:58 AM ET"."""
    return Msg("{day} at {time}", day=DateText(clock.local_date(moment), "MMM d"), time=clock.format_local_time(moment))


def _detail(kind: str, burst: Burst) -> str:
    """The member panel's line for returns or disputes: "3 returned payments within 5 d, last …"."""
    last = _when(burst.last)
    if burst.count == 1:
        if kind == "returns":
            return Msg("{count} returned payment, last {last}", count=1, last=last)
        return Msg("{count} card dispute, last {last}", count=1, last=last)
    span = span_words(burst.first, burst.last)
    if kind == "returns":
        return Msg.plural(
            "{count} returned payment within {span}, last {last}",
            "{count} returned payments within {span}, last {last}",
            burst.count,
            span=span,
            last=last,
        )
    return Msg.plural(
        "{count} card dispute within {span}, last {last}",
        "{count} card disputes within {span}, last {last}",
        burst.count,
        span=span,
        last=last,
    )


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
            span, last = span_words(burst.first, burst.last), _when(burst.last)
            if guests:
                detail = Msg.plural(
                    "{count} declined payment within {span} ({guests} by guests), last {last}",
                    "{count} declined payments within {span} ({guests} by guests), last {last}",
                    burst.count,
                    span=span,
                    guests=guests,
                    last=last,
                )
            else:
                detail = Msg.plural(
                    "{count} declined payment within {span}, last {last}",
                    "{count} declined payments within {span}, last {last}",
                    burst.count,
                    span=span,
                    last=last,
                )
            found[account_id].append(Flag("declines", Msg("Many declines"), detail))

    for kind, times_of, label in (("returns", _returns, Msg("Returns")), ("disputes", _disputes, Msg("Disputes"))):
        rule: Rule = getattr(limits, kind)
        for account_id, times in times_of(session, ids, since).items():
            burst = busiest(times, rule.window)
            if burst and burst.count >= rule.count:
                found[account_id].append(Flag(kind, label, _detail(kind, burst)))
    return dict(found)
