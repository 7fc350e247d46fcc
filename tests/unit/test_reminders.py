"""Settings → Reminders and the notifications center: reminders 7 and 2 days before a due date by
default (or the member's own days and channels), none when turned off or already paid, one
past-due notice the day after a missed due date — each exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from hcpay_app.models import (
    BillingAccount,
    NoticeKind,
    Notification,
    ReminderPreference,
)
from hcpay_app.services.accounts import notices
from hcpay_app.services.billing import reminders
from hcpay_app.services.billing.reminders import Preferences
from hcpay_app.services.common.errors import NotAllowed, ValidationError
from hcpay_app.services.common.messages import Message
from tests.unit.autopay_helpers import (
    NOW,
    PREMIUM,
    TODAY,
    at,
    emails_to,
    enroll,
    notices_of,
    on_day,
    pay_binder,
    roster_row,
    run_days,
    save_card,
    turn_on,
)
from tests.unit.billing_helpers import pay

D = dt.date
DUE = D(2026, 3, 23)  # April's invoice


@pytest.fixture
def avery(session):
    """Coverage from Mar 1, March paid, April's $512.50 due Mar 23."""
    member = enroll(session, roster_row(0))
    pay_binder(session, member)
    return member


def reminders_in_app(session, member):
    return [(on_day(n.created_at), n.title) for n in notices_of(session, member.user_id, "payment_reminder")]


def reminders_by_email(session, member):
    return [(on_day(m.created_at), m.subject) for m in emails_to(session, member.email, "payment_reminder")]


def save(session, member, **fields):
    values = {"enabled": True, "by_email": True, "in_app": True, "days_before": [7, 2], "now": NOW}
    values.update(fields)
    return reminders.save(session, member.who, **values)


# ---- preferences -----------------------------------------------------------------------------------


def test_reminders_are_on_by_default_7_and_2_days_before(session, avery):
    assert reminders.get(session, avery.who) == Preferences(True, True, True, (7, 2))
    run_days(TODAY, DUE)
    expected = [(D(2026, 3, 16), "Premium due in 7 days"), (D(2026, 3, 21), "Premium due in 2 days")]
    assert reminders_in_app(session, avery) == expected
    assert reminders_by_email(session, avery) == expected
    first = notices_of(session, avery.user_id, "payment_reminder")[0]
    assert first.body.startswith("Your April 2026 premium of $512.50 is due Mar 23, 2026.")
    assert emails_to(session, avery.email, "payment_reminder")[0].to_address == "avery@example.com"


def test_preferences_are_saved_and_read_back(session, avery):
    saved = save(session, avery, by_email=True, in_app=False, days_before=[1, 14, 7, 14])
    assert saved == Preferences(True, True, False, (14, 7, 1)) == reminders.get(session, avery.who)
    again = save(session, avery, by_email=False, in_app=True, days_before=[3])
    assert again == Preferences(True, False, True, (3,))
    rows = session.exec(select(ReminderPreference).where(ReminderPreference.user_id == avery.user_id)).all()
    assert len(rows) == 1 and rows[0].days_before == "3"


def test_days_other_than_the_offered_ones_are_ignored(session, avery):
    assert save(session, avery, days_before=[7, "2", True, 4, 30, 2.0, 5]).days_before == (7, 5)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"days_before": []}, "days_before"),
        ({"days_before": ["7", 4, True]}, "days_before"),
        ({"days_before": "7,2"}, "days_before"),
        ({"by_email": False, "in_app": False}, "channels"),
    ],
)
def test_turned_on_reminders_need_a_day_and_a_channel(session, avery, fields, field):
    with pytest.raises(ValidationError) as refused:
        save(session, avery, **fields)
    assert set(refused.value.errors) == {field}
    assert reminders.get(session, avery.who) == Preferences(True, True, True, (7, 2))


def test_turning_reminders_off_needs_nothing_else(session, avery):
    assert save(session, avery, enabled=False, by_email=False, in_app=False, days_before=[]) == Preferences(
        False, False, False, ()
    )


@pytest.mark.parametrize("notice_id", [2**63, -1, 0])
def test_marking_an_out_of_range_notice_read_marks_nothing(session, avery, notice_id):
    notices.notify(
        session,
        avery.user_id,
        Message("t", "b"),
        kind=NoticeKind.PAYMENT_REMINDER,
        now=NOW,
        link="/pay",
        by_email=False,
    )
    session.commit()
    notices.mark_read(session, avery.who, notice_id, now=NOW)
    assert all(n.read_at is None for n in session.exec(select(Notification)).all())


def test_preferences_are_a_members_own(session):
    with pytest.raises(NotAllowed):
        reminders.get(session, None)
    with pytest.raises(NotAllowed):
        reminders.save(session, None, enabled=True, by_email=True, in_app=True, days_before=[7], now=NOW)


# ---- the daily job honours them ----------------------------------------------------------------------


def test_email_only_reminders_on_the_members_days(session, avery):
    save(session, avery, in_app=False, days_before=[5, 1])
    run_days(TODAY, DUE)
    assert reminders_in_app(session, avery) == []
    assert reminders_by_email(session, avery) == [
        (D(2026, 3, 18), "Premium due in 5 days"),
        (D(2026, 3, 22), "Premium due in 1 day"),
    ]


def test_in_app_only_reminders(session, avery):
    save(session, avery, by_email=False, days_before=[14, 3])
    run_days(TODAY, DUE)
    # 14 days before Mar 23 was Mar 9, before the job ran; 3 days before is Mar 20.
    assert reminders_in_app(session, avery) == [(D(2026, 3, 20), "Premium due in 3 days")]
    assert reminders_by_email(session, avery) == []


def test_no_reminders_when_turned_off(session, avery):
    save(session, avery, enabled=False, by_email=False, in_app=False, days_before=[])
    run_days(TODAY, DUE)
    assert reminders_in_app(session, avery) == [] and reminders_by_email(session, avery) == []


def test_each_reminder_goes_out_once_however_often_the_job_runs(session, avery):
    run_days(TODAY, DUE)
    run_days(D(2026, 3, 16), D(2026, 3, 16))
    run_days(D(2026, 3, 21), D(2026, 3, 21))
    save(session, avery, days_before=[7, 2, 1])  # adding a day later doesn't repeat the others
    run_days(D(2026, 3, 21), D(2026, 3, 22))
    assert [d for d, _t in reminders_in_app(session, avery)] == [D(2026, 3, 16), D(2026, 3, 21), D(2026, 3, 22)]


def test_no_reminder_for_an_invoice_already_paid(session, avery):
    pay(session, session.get(BillingAccount, avery.account_id), PREMIUM, D(2026, 3, 12))
    run_days(TODAY, D(2026, 3, 31))
    assert reminders_in_app(session, avery) == [] and notices_of(session, avery.user_id, "past_due") == []


def test_a_reminder_names_what_is_still_unpaid(session, avery):
    pay(session, session.get(BillingAccount, avery.account_id), 20000, D(2026, 3, 12))
    run_days(TODAY, D(2026, 3, 16))
    assert notices_of(session, avery.user_id, "payment_reminder")[0].body.startswith(
        "Your April 2026 premium of $312.50 is due Mar 23, 2026."
    )


def test_no_reminders_with_automatic_payments_unless_asked_for(session, avery):
    turn_on(session, avery, save_card(session, avery))
    assert reminders.get(session, avery.who).enabled is False
    run_days(TODAY, DUE)
    assert reminders_in_app(session, avery) == []


def test_members_with_automatic_payments_can_ask_for_reminders(session, avery):
    turn_on(session, avery, save_card(session, avery))
    assert save(session, avery).enabled is True
    run_days(TODAY, DUE)
    # Mar 16: April still unpaid; Mar 21: Automatic Payments paid it on Mar 18, nothing to remind.
    assert reminders_in_app(session, avery) == [(D(2026, 3, 16), "Premium due in 7 days")]


# ---- past-due notices --------------------------------------------------------------------------------


def test_a_past_due_notice_the_day_after_a_missed_due_date_once(session, avery):
    run_days(TODAY, D(2026, 3, 31))
    run_days(D(2026, 3, 24), D(2026, 3, 24))
    notes = notices_of(session, avery.user_id, "past_due")
    assert [on_day(n.created_at) for n in notes] == [D(2026, 3, 24)]
    assert notes[0].body.startswith("We haven't received $512.50 for April 2026, due Mar 23, 2026.")
    assert [on_day(m.created_at) for m in emails_to(session, avery.email, "past_due")] == [D(2026, 3, 24)]


def test_no_past_due_notice_when_paid_on_the_due_date(session, avery):
    pay(session, session.get(BillingAccount, avery.account_id), PREMIUM, DUE)
    run_days(TODAY, D(2026, 3, 31))
    assert notices_of(session, avery.user_id, "past_due") == []


# ---- the notifications center --------------------------------------------------------------------------


def test_notifications_center_counts_lists_and_marks_read(session, avery):
    other = enroll(session, roster_row(1))
    pay_binder(session, other)
    run_days(TODAY, D(2026, 3, 21))
    assert notices.unread_count(session, avery.who) == 2
    listed = notices.recent(session, avery.who)
    assert [n.title for n in listed] == ["Premium due in 2 days", "Premium due in 7 days"]  # newest first
    assert listed[0].when == "Mar 21, 2026 1:00 PM ET" and listed[0].unread
    theirs = notices.recent(session, other.who)[0]
    notices.mark_read(session, avery.who, theirs.id, now=at(D(2026, 3, 22)))  # not Avery's: nothing happens
    notices.mark_read(session, avery.who, str(listed[0].id), now=at(D(2026, 3, 22)))  # not an id: ignored
    assert notices.unread_count(session, other.who) == 2 and notices.unread_count(session, avery.who) == 2
    notices.mark_read(session, avery.who, listed[0].id, now=at(D(2026, 3, 22)))
    assert notices.unread_count(session, avery.who) == 1
    assert [n.unread for n in notices.recent(session, avery.who)] == [False, True]
    notices.mark_read(session, avery.who, None, now=at(D(2026, 3, 22)))
    assert notices.unread_count(session, avery.who) == 0 and notices.unread_count(session, other.who) == 2
    assert session.exec(select(Notification.read_at).where(Notification.user_id == other.user_id)).all() == [None, None]


@pytest.mark.parametrize("call", ["unread-count", "recent", "mark-read"])
def test_the_notifications_center_needs_a_logged_in_member(session, avery, call):
    nobody = {
        "unread-count": lambda: notices.unread_count(session, None),
        "recent": lambda: notices.recent(session, None),
        "mark-read": lambda: notices.mark_read(session, None, None, now=NOW),
    }[call]
    with pytest.raises(NotAllowed):
        nobody()
