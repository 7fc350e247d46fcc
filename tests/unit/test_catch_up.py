"""The background worker's catch-up: every day missed while the app was down runs once, in order."""

from __future__ import annotations

import datetime as dt

from hcpay_app.services.jobs import daily


def test_catch_up_runs_each_missed_day_once(session, monkeypatch):
    ran: list[dt.date] = []
    monkeypatch.setattr(daily, "run_daily", lambda day=None, **_: ran.append(day) or daily.DailySummary(day))
    assert [s.date for s in daily.catch_up(dt.date(2026, 3, 10))] == [dt.date(2026, 3, 10)]
    assert daily.catch_up(dt.date(2026, 3, 10)) == []  # a restart the same day repeats nothing
    daily.catch_up(dt.date(2026, 3, 13))  # down for two days
    assert ran == [dt.date(2026, 3, 10), dt.date(2026, 3, 11), dt.date(2026, 3, 12), dt.date(2026, 3, 13)]
    assert daily.last_completed(session) == dt.date(2026, 3, 13)


def test_catch_up_is_bounded_after_long_downtime(session, monkeypatch):
    ran: list[dt.date] = []
    monkeypatch.setattr(daily, "run_daily", lambda day=None, **_: ran.append(day) or daily.DailySummary(day))
    daily.catch_up(dt.date(2026, 1, 1))
    daily.catch_up(dt.date(2026, 6, 1), max_days=31)
    assert len(ran) == 1 + 31 and ran[-1] == dt.date(2026, 6, 1)
