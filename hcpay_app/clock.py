"""The one clock: every service takes `now`/`today` from here so tests and demos can move time.

Timestamps are timezone-aware UTC datetimes (SQLModel stores and returns them in UTC);
member-facing dates are calendar dates in the portal's time zone.

Outside production the clock can start at a chosen moment (`HCPAY_CLOCK_START`) and run on from
there. Several processes (an end-to-end test, the app server and its workers) share one clock by
also sharing `HCPAY_CLOCK_ANCHOR`: the real moment at which the clock read the start. Without an
anchor, each process would start its own clock when it first reads it, and they would drift apart.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Timed

_offset = dt.timedelta(0)


def _real_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@functools.cache
def _start_offset() -> dt.timedelta:
    """How far the configured start moves this process's clock from the real one (zero unless set)."""
    settings = get_settings()
    if settings.clock_start is None:
        return dt.timedelta(0)
    anchor = settings.clock_anchor or _real_now()
    return settings.clock_start - anchor


def utcnow() -> dt.datetime:
    """Current aware UTC time: the real time, moved to the configured start and by any `shift`."""
    offset = _start_offset()  # first: on first use it anchors the start to the real time now
    return _real_now() + offset + _offset


def portal_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().time_zone)


def local_date(moment: dt.datetime) -> dt.date:
    """The portal-zone calendar date of an aware timestamp."""
    return moment.astimezone(portal_zone()).date()


def today() -> dt.date:
    """Today's date in the portal's time zone."""
    return local_date(utcnow())


def shift(delta: dt.timedelta) -> None:
    """Move this process's clock by `delta` (demos and tests only)."""
    global _offset
    _offset += delta


def reset() -> None:
    """Undo every `shift` and re-read the configured start (after the settings changed)."""
    global _offset
    _offset = dt.timedelta(0)
    _start_offset.cache_clear()


def format_local_time(moment: dt.datetime) -> str:
    """A UTC timestamp as the member reads it, e.g. "7:45 PM ET"."""
    local = moment.astimezone(portal_zone())
    return Timed(local, (local.tzname() or "").replace("EST", "ET").replace("EDT", "ET"))
