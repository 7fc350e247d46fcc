"""Settings → Automatic Payments: turning it on (only with the authorization accepted and one's own
method), the preview, pausing until a date, resuming, canceling, the confirmation of every change,
pre-debit and card-expiry notices, and what the daily job charges."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlmodel import Session, select

from hcpay_app.config import get_settings
from hcpay_app.db import engine_for
from hcpay_app.models import AutopayMandate, BillingAccount, Notification, PaymentStatus
from hcpay_app.services.common.errors import NotFound, ValidationError
from hcpay_app.services.jobs import autopay_runs
from hcpay_app.services.payments import methods
from hcpay_app.services.recurring import autopay
from tests.support.together import run_together
from tests.unit.autopay_helpers import (
    BANKS,
    PREMIUM,
    TODAY,
    at,
    emails_to,
    enroll,
    mandate_of,
    notices_of,
    on_day,
    pay_binder,
    payments_of,
    roster_row,
    run_days,
    runs_of,
    save_bank,
    save_card,
)
from tests.unit.payment_helpers import NOW, add_ben, card, token_of

D = dt.date
CHARGE_DAY = D(2026, 3, 18)  # the default charge day (due day 23 − 5) after Mar 10


@pytest.fixture
def avery(session):
    """A member with coverage from Mar 1, March paid (Active), April due Mar 23, and a saved Visa."""
    member = enroll(session, roster_row(0))
    pay_binder(session, member)
    return member


@pytest.fixture
def visa(session, avery):
    return save_card(session, avery)


def mandates(session, member):
    session.expire_all()
    return list(
        session.exec(
            select(AutopayMandate)
            .where(AutopayMandate.billing_account_id == member.account_id)
            .order_by(AutopayMandate.id)
        ).all()
    )


def charges(session, member):
    return [(p.payment_date, p.amount_cents, p.status) for p in payments_of(session, member.account_id, "autopay")]


def titles(session, member, kind):
    return [(on_day(n.created_at), n.title) for n in notices_of(session, member.user_id, kind)]


def activate(session, member, method_id, **overrides):
    fields = {
        "method_id": method_id,
        "amount_rule": "full",
        "fixed_amount": "",
        "frequency": "monthly",
        "charge_day": 18,
        "accepted": True,
        "now": NOW,
        "today": TODAY,
    }
    fields.update(overrides)
    return autopay.activate(session, member.who, **fields)


# ---- turning it on -------------------------------------------------------------------------------


@pytest.mark.parametrize("accepted", [False, None, "true", 1, "yes"])
def test_automatic_payments_need_the_authorization_accepted(session, avery, visa, accepted):
    with pytest.raises(ValidationError) as refused:
        activate(session, avery, visa.id, accepted=accepted)
    assert set(refused.value.errors) == {"accept"}
    assert mandates(session, avery) == [] and notices_of(session, avery.user_id) == []
    assert autopay.status_text(session, session.get(BillingAccount, avery.account_id)) == "Off"


@pytest.mark.parametrize("which", ["someone-elses", "unknown", "id-as-text", "none", "negative"])
def test_automatic_payments_only_from_the_members_own_method(session, avery, visa, add_member, register, which):
    ben, _account = add_ben(session, add_member, register)
    bens_card = methods.save(session, ben, token_of(card()), now=NOW)
    session.commit()
    method_id = {
        "someone-elses": bens_card.id,
        "unknown": 99999,
        "id-as-text": str(visa.id),
        "none": None,
        "negative": -1,
    }[which]
    with pytest.raises(ValidationError) as refused:
        activate(session, avery, method_id)
    assert "method" in refused.value.errors, method_id
    assert mandates(session, avery) == []
    # Nor Ben's set-up from Avery's card.
    with pytest.raises(ValidationError):
        autopay.activate(
            session,
            ben,
            method_id=visa.id,
            amount_rule="full",
            fixed_amount="",
            frequency="monthly",
            charge_day=18,
            accepted=True,
            now=NOW,
            today=TODAY,
        )


def test_a_removed_method_cannot_be_chosen(session, avery, visa):
    spare = save_card(session, avery, "5555555555554444")
    methods.remove(session, avery.who, spare.id, now=NOW)
    with pytest.raises(ValidationError) as refused:
        activate(session, avery, spare.id)
    assert "method" in refused.value.errors


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_rule": "everything"}, "amount_rule"),
        ({"amount_rule": "fixed", "fixed_amount": "0.99"}, "fixed_amount"),
        ({"amount_rule": "fixed", "fixed_amount": "lots"}, "fixed_amount"),
        ({"frequency": "weekly"}, "frequency"),
        ({"charge_day": 0}, "charge_day"),
        ({"charge_day": 29}, "charge_day"),
        ({"charge_day": "31"}, "charge_day"),
        ({"charge_day": "ten"}, "charge_day"),
        ({"charge_day": 18.0}, "charge_day"),
    ],
)
def test_the_set_up_is_checked_field_by_field(session, avery, visa, overrides, field):
    with pytest.raises(ValidationError) as refused:
        activate(session, avery, visa.id, **overrides)
    assert field in refused.value.errors
    assert mandates(session, avery) == []


def test_a_charge_day_typed_as_digits_is_accepted(session, avery, visa):
    assert activate(session, avery, visa.id, charge_day="5").charge_day == 5


@pytest.mark.parametrize("day", ["9" * 900_000, "²", "٥"])
def test_a_huge_or_non_ascii_digit_charge_day_is_refused_not_a_crash(session, avery, visa, day):
    with pytest.raises(ValidationError) as refused:
        activate(session, avery, visa.id, charge_day=day)
    assert "charge_day" in refused.value.errors


# ---- the preview -----------------------------------------------------------------------------------


def preview(session, member, method_id, **overrides):
    fields = {
        "method_id": method_id,
        "amount_rule": "full",
        "fixed_amount": "",
        "frequency": "monthly",
        "charge_day": 18,
        "today": TODAY,
    }
    fields.update(overrides)
    return autopay.preview(session, member.who, **fields)


def test_preview_shows_three_monthly_charges_a_month_apart(session, avery, visa):
    charges_, warning, method = preview(session, avery, visa.id)
    assert [(c.date, c.amount) for c in charges_] == [
        ("Mar 18, 2026", "$512.50"),
        ("Apr 18, 2026", "$512.50"),
        ("May 18, 2026", "$512.50"),
    ]
    assert (warning, method) == ("", "Visa ••••4242")
    later = preview(session, avery, visa.id, charge_day=5)[0]
    assert [c.date for c in later] == ["Apr 5, 2026", "May 5, 2026", "Jun 5, 2026"]  # the 5th has passed


def test_preview_shows_three_quarterly_charges_three_months_apart(session, avery, visa):
    charges_, warning, _method = preview(session, avery, visa.id, frequency="quarterly")
    assert [(c.date, c.amount) for c in charges_] == [
        ("Mar 18, 2026", "$1,537.50"),
        ("Jun 18, 2026", "$1,537.50"),
        ("Sep 18, 2026", "$1,537.50"),
    ]
    assert warning == ""


@pytest.mark.parametrize(
    ("frequency", "fixed", "period", "needed"),
    [
        ("monthly", "400.00", "month", "$512.50"),
        ("quarterly", "1500", "quarter", "$1,537.50"),
    ],
)
def test_preview_warns_when_a_fixed_amount_does_not_cover_the_premium(
    session, avery, visa, frequency, fixed, period, needed
):
    charges_, warning, _method = preview(
        session, avery, visa.id, amount_rule="fixed", fixed_amount=fixed, frequency=frequency
    )
    assert {c.amount for c in charges_} == {f"${float(fixed):,.2f}"}
    assert "doesn't match your plan's requirements" in warning
    assert f"your premium for each {period} is {needed}" in warning


@pytest.mark.parametrize(("frequency", "fixed"), [("monthly", "512.50"), ("monthly", "600"), ("quarterly", "1537.50")])
def test_no_warning_when_a_fixed_amount_covers_the_premium(session, avery, visa, frequency, fixed):
    assert preview(session, avery, visa.id, amount_rule="fixed", fixed_amount=fixed, frequency=frequency)[1] == ""


def test_preview_checks_the_method_is_the_members_own(session, avery, add_member, register):
    ben, _account = add_ben(session, add_member, register)
    bens_card = methods.save(session, ben, token_of(card()), now=NOW)
    session.commit()
    with pytest.raises(ValidationError) as refused:
        preview(session, avery, bens_card.id)
    assert "method" in refused.value.errors


# ---- what it reads as, and what it charges ----------------------------------------------------------


def test_status_and_view_read_plainly(session, avery, visa):
    account = session.get(BillingAccount, avery.account_id)
    assert autopay.status_text(session, account) == "Off" and autopay.current(session, avery.who) is None
    view = activate(session, avery, visa.id, amount_rule="fixed", fixed_amount="400", frequency="quarterly")
    assert (
        view.status,
        view.status_text,
        view.method,
        view.amount_text,
        view.frequency,
        view.next_charge,
        view.fixed_amount,
    ) == ("active", "On", "Visa ••••4242", "$400.00", "Quarterly", "Mar 18, 2026", "400.00")
    assert autopay.status_text(session, account) == "On — next charge Mar 18, 2026"
    assert autopay.current(session, avery.who) == view


@pytest.mark.parametrize(
    ("day", "today", "first"),
    [
        (18, D(2026, 3, 10), D(2026, 3, 18)),
        (10, D(2026, 3, 10), D(2026, 4, 10)),  # never today: the next one
        (9, D(2026, 3, 10), D(2026, 4, 9)),
        (28, D(2027, 2, 1), D(2027, 2, 28)),
        (1, D(2026, 12, 15), D(2027, 1, 1)),
    ],
)
def test_first_charge_date(day, today, first):
    assert autopay.first_charge_on(day, today) == first


@pytest.mark.parametrize(
    ("rule", "frequency", "fixed", "expected"),
    [
        pytest.param("full", "monthly", "", PREMIUM, id="full-monthly"),
        pytest.param("full", "quarterly", "", 3 * PREMIUM, id="full-quarterly"),
        pytest.param("fixed", "monthly", "123.45", 12345, id="fixed-monthly"),
    ],
)
def test_charge_amount_by_rule(session, avery, visa, rule, frequency, fixed, expected):
    account = session.get(BillingAccount, avery.account_id)
    activate(session, avery, visa.id, amount_rule=rule, frequency=frequency, fixed_amount=fixed)
    mandate = mandates(session, avery)[-1]
    assert autopay.charge_amount(session, mandate, account, TODAY) == expected, (rule, frequency)


def test_replacing_the_set_up_cancels_the_old_one_and_charges_once(session, avery, visa):
    activate(session, avery, visa.id)
    mastercard = save_card(session, avery, "5555555555554444")
    view = activate(session, avery, mastercard.id, charge_day=20)
    old, new = mandates(session, avery)
    assert (old.status, new.status, view.method) == ("canceled", "active", "Mastercard ••••4444")
    run_days(TODAY, D(2026, 3, 20))
    assert charges(session, avery) == [(D(2026, 3, 20), PREMIUM, PaymentStatus.SUCCEEDED)]
    assert [p.payment_method_id for p in payments_of(session, avery.account_id, "autopay")] == [mastercard.id]


# ---- every change is confirmed -----------------------------------------------------------------------


def test_every_change_is_confirmed_in_app_and_by_email(session, avery, visa):
    activate(session, avery, visa.id)
    activate(session, avery, visa.id, amount_rule="fixed", fixed_amount="600")
    autopay.pause(session, avery.who, until="2026-05-01", now=NOW, today=TODAY)
    autopay.resume(session, avery.who, now=NOW, today=TODAY)
    autopay.cancel(session, avery.who, now=NOW)
    expected = [
        "Automatic Payments turned on",
        "Automatic Payments updated",
        "Automatic Payments paused",
        "Automatic Payments resumed",
        "Automatic Payments canceled",
    ]
    notes = notices_of(session, avery.user_id, "autopay_change")
    assert [n.title for n in notes] == expected
    mail = emails_to(session, avery.email, "autopay_change")
    assert [m.subject for m in mail] == expected
    assert "Method: Visa ••••4242" in mail[0].body and "Next charge: Mar 18, 2026" in mail[0].body
    assert "Amount: $600.00" in mail[1].body
    assert "Paused until: May 1, 2026" in mail[2].body
    assert autopay.current(session, avery.who) is None
    with pytest.raises(NotFound):
        autopay.cancel(session, avery.who, now=NOW)
    with pytest.raises(NotFound):
        autopay.pause(session, avery.who, until="2026-05-01", now=NOW, today=TODAY)


@pytest.mark.parametrize("until", ["2026-03-10", "2026-03-01", "2027-03-12", "next week", None, 20260401, "2026-02-30"])
def test_pause_needs_a_date_within_the_next_year(session, avery, visa, until):
    activate(session, avery, visa.id)
    with pytest.raises(ValidationError) as refused:
        autopay.pause(session, avery.who, until=until, now=NOW, today=TODAY)
    assert set(refused.value.errors) == {"paused_until"}
    assert mandates(session, avery)[-1].status == "active"


# ---- pause, resume, cancel, as the daily job sees them -----------------------------------------------


def test_paused_until_a_date_nothing_is_charged_then_it_resumes_on_that_date(session, avery, visa):
    activate(session, avery, visa.id)
    run_days(TODAY, CHARGE_DAY)
    assert charges(session, avery) == [(CHARGE_DAY, PREMIUM, PaymentStatus.SUCCEEDED)]
    paused_on = D(2026, 3, 19)
    view = autopay.pause(session, avery.who, until="2026-04-20", now=at(paused_on), today=paused_on)
    assert (view.status_text, view.paused_until, view.next_charge) == ("Paused", "Apr 20, 2026", "")
    account = session.get(BillingAccount, avery.account_id)
    assert autopay.status_text(session, account) == "Paused until Apr 20, 2026"
    run_days(paused_on, D(2026, 4, 19))
    assert len(charges(session, avery)) == 1  # nothing on Apr 18
    assert [d for d, _t in titles(session, avery, "autopay_notice")] == [D(2026, 3, 15)]  # none while paused
    run_days(D(2026, 4, 20), D(2026, 5, 18))
    assert titles(session, avery, "autopay_change")[-1] == (D(2026, 4, 20), "Automatic Payments resumed")
    assert emails_to(session, avery.email, "autopay_change")[-1].subject == "Automatic Payments resumed"
    mandate = mandate_of(session, avery.account_id)
    assert (mandate.status, mandate.paused_until, mandate.next_charge_on) == ("active", None, D(2026, 6, 18))
    # The first charge day after resuming charges all that is due by then: May (with its late
    # fee) and June.
    assert charges(session, avery)[1:] == [
        (D(2026, 5, 18), 2 * PREMIUM + get_settings().late_fee_cents, PaymentStatus.SUCCEEDED)
    ]
    assert [d for d, _t in titles(session, avery, "autopay_notice")] == [D(2026, 3, 15), D(2026, 5, 15)]
    # While paused the member is reminded like anyone without Automatic Payments.
    assert [d for d, _t in titles(session, avery, "payment_reminder")] == [D(2026, 4, 16)]
    assert session.get(BillingAccount, avery.account_id).coverage_status == "active"


def test_paused_until_a_charge_day_it_resumes_and_charges_that_day(session, avery, visa):
    activate(session, avery, visa.id)
    autopay.pause(session, avery.who, until="2026-04-18", now=NOW, today=TODAY)
    run_days(TODAY, D(2026, 4, 18))
    assert [c[0] for c in charges(session, avery)] == [D(2026, 4, 18)]
    assert mandate_of(session, avery.account_id).next_charge_on == D(2026, 5, 18)


def test_a_charge_on_the_day_autopay_resumes_is_announced_beforehand(session, avery, visa):
    activate(session, avery, visa.id)
    autopay.pause(session, avery.who, until="2026-04-18", now=NOW, today=TODAY)
    run_days(TODAY, D(2026, 4, 18))
    assert titles(session, avery, "autopay_notice") == [(D(2026, 4, 15), "Upcoming automatic payment")]


def test_resuming_by_hand_after_the_notice_does_not_announce_the_charge_again(session, avery, visa):
    activate(session, avery, visa.id)
    autopay.pause(session, avery.who, until="2026-04-18", now=NOW, today=TODAY)
    run_days(TODAY, D(2026, 4, 15))  # announced Apr 15 while still paused
    view = autopay.resume(session, avery.who, now=at(D(2026, 4, 16)), today=D(2026, 4, 16))
    assert view.next_charge == "Apr 18, 2026"
    run_days(D(2026, 4, 16), D(2026, 4, 18))
    assert titles(session, avery, "autopay_notice") == [(D(2026, 4, 15), "Upcoming automatic payment")]
    assert [c[0] for c in charges(session, avery)] == [D(2026, 4, 18)]


def test_no_notice_for_a_charge_day_skipped_while_paused(session, avery, visa):
    activate(session, avery, visa.id)
    autopay.pause(session, avery.who, until="2026-03-19", now=NOW, today=TODAY)  # resumes after Mar 18
    run_days(TODAY, D(2026, 3, 19))
    assert titles(session, avery, "autopay_notice") == []
    assert charges(session, avery) == []
    assert mandate_of(session, avery.account_id).next_charge_on == D(2026, 4, 18)


def test_resume_by_hand_picks_the_next_charge_day(session, avery, visa):
    activate(session, avery, visa.id)
    autopay.pause(session, avery.who, until="2026-06-01", now=NOW, today=TODAY)
    run_days(TODAY, D(2026, 3, 25))
    view = autopay.resume(session, avery.who, now=at(D(2026, 3, 26)), today=D(2026, 3, 26))
    assert (view.status, view.next_charge, view.paused_until) == ("active", "Apr 18, 2026", "")
    run_days(D(2026, 3, 26), D(2026, 4, 18))
    assert [c[0] for c in charges(session, avery)] == [D(2026, 4, 18)]


def test_canceled_automatic_payments_charge_nothing_more(session, avery, visa):
    activate(session, avery, visa.id)
    run_days(TODAY, D(2026, 3, 19))
    assert charges(session, avery) == [(CHARGE_DAY, PREMIUM, PaymentStatus.SUCCEEDED)]
    autopay.cancel(session, avery.who, now=at(D(2026, 3, 20)))
    assert titles(session, avery, "autopay_change")[-1] == (D(2026, 3, 20), "Automatic Payments canceled")
    assert emails_to(session, avery.email, "autopay_change")[-1].subject == "Automatic Payments canceled"
    account = session.get(BillingAccount, avery.account_id)
    assert autopay.status_text(session, account) == "Off"
    run_days(D(2026, 3, 20), D(2026, 5, 20))
    assert charges(session, avery) == [(CHARGE_DAY, PREMIUM, PaymentStatus.SUCCEEDED)]
    assert [r.period for r in runs_of(session, mandates(session, avery)[0].id)] == [D(2026, 3, 1)]
    # Reminders are back on: May's invoice, then June's.
    assert [d for d, _t in titles(session, avery, "payment_reminder")] == [
        D(2026, 4, 16),
        D(2026, 4, 21),
        D(2026, 5, 16),
    ]


# ---- pre-debit and card-expiry notices ---------------------------------------------------------------


def test_a_pre_debit_notice_goes_out_n_days_before_each_charge_exactly_once(session, avery, visa, monkeypatch):
    monkeypatch.setenv("HCPAY_AUTOPAY_NOTICE_DAYS", "5")
    get_settings.cache_clear()
    activate(session, avery, visa.id)
    run_days(TODAY, D(2026, 4, 18))
    run_days(D(2026, 3, 13), D(2026, 3, 13))  # the job again on a notice day
    run_days(D(2026, 4, 13), D(2026, 4, 14))
    notes = notices_of(session, avery.user_id, "autopay_notice")
    assert [on_day(n.created_at) for n in notes] == [D(2026, 3, 13), D(2026, 4, 13)]
    assert notes[0].body.startswith("On Mar 18, 2026 we'll charge $512.50 to Visa ••••4242")
    assert notes[1].body.startswith("On Apr 18, 2026 we'll charge $512.50 to Visa ••••4242")
    assert len(emails_to(session, avery.email, "autopay_notice")) == 2
    assert [c[0] for c in charges(session, avery)] == [D(2026, 3, 18), D(2026, 4, 18)]


def test_a_card_expiring_before_the_next_charge_gets_one_notice_30_days_ahead(session, avery):
    expiring = save_card(session, avery, expiry="05/26")  # good through May 31, 2026
    activate(session, avery, expiring.id, frequency="quarterly")
    run_days(TODAY, CHARGE_DAY)  # charged Mar 18; next charge Jun 18, after the card expires
    assert titles(session, avery, "card_expiring") == []
    run_days(D(2026, 4, 28), D(2026, 5, 6))
    run_days(D(2026, 5, 1), D(2026, 5, 1))
    notes = notices_of(session, avery.user_id, "card_expiring")
    assert [on_day(n.created_at) for n in notes] == [D(2026, 5, 1)]  # 30 days before May 31
    assert "expires 05/2026" in notes[0].body and "Jun 18, 2026" in notes[0].body
    assert [m.subject for m in emails_to(session, avery.email, "card_expiring")] == [
        "Your card for Automatic Payments is expiring"
    ]


def test_no_expiry_notice_for_a_card_that_outlives_the_next_charge(session, avery):
    activate(session, avery, save_card(session, avery, expiry="06/26").id, frequency="quarterly")
    run_days(TODAY, CHARGE_DAY)  # next charge Jun 18, before the card expires on Jun 30
    run_days(D(2026, 5, 28), D(2026, 6, 3))
    assert titles(session, avery, "card_expiring") == []


def test_bank_autopay_counts_when_sent_and_settles(session, avery):
    activate(session, avery, save_bank(session, avery).id)
    run_days(TODAY, D(2026, 3, 20))
    assert charges(session, avery) == [(CHARGE_DAY, PREMIUM, PaymentStatus.SUCCEEDED)]  # settled Fri Mar 20
    assert [m.subject.split(" — ")[0] for m in emails_to(session, avery.email) if m.kind.startswith("payment_")] == [
        "Bank payment submitted",
        "Bank payment cleared",
    ]


def test_a_successful_retry_after_a_returned_debit_keeps_the_next_charge_date(session, avery):
    bank = save_bank(session, avery, BANKS["R01"])
    visa = save_card(session, avery)
    activate(session, avery, bank.id)
    run_days(TODAY, D(2026, 3, 20))  # debited Mar 18, returned R01 on Mar 20
    assert titles(session, avery, "autopay_failed") == [(D(2026, 3, 20), "Automatic payment returned")]
    # The member swaps the bank account for a card before the retry.
    methods.remove(session, avery.who, bank.id, now=at(D(2026, 3, 21)), replacement_id=visa.id)
    run_days(D(2026, 3, 21), D(2026, 4, 18))
    assert [(c[0], c[2]) for c in charges(session, avery)] == [
        (D(2026, 3, 18), PaymentStatus.RETURNED),
        (D(2026, 3, 23), PaymentStatus.SUCCEEDED),
        (D(2026, 4, 18), PaymentStatus.SUCCEEDED),
    ]


def test_a_returned_automatic_debit_sends_one_email_that_says_what_happens_next(session, avery):
    activate(session, avery, save_bank(session, avery, BANKS["R01"]).id)
    sent_before = {m.id for m in emails_to(session, avery.email)}
    run_days(TODAY, D(2026, 3, 20))  # debited Mar 18, returned R01 on Mar 20
    returned_day = [
        m for m in emails_to(session, avery.email) if m.id not in sent_before and on_day(m.created_at) == D(2026, 3, 20)
    ]
    assert [m.kind for m in returned_day] == ["payment_returned"]
    body = returned_day[0].body
    assert "Your bank returned your automatic payment of" in body and "We'll try again on Mar 23, 2026" in body
    assert "(R01)" in body
    # The portal still shows it among the notices.
    assert titles(session, avery, "autopay_failed") == [(D(2026, 3, 20), "Automatic payment returned")]


def test_a_hard_decline_never_retries_and_a_soft_one_retries_twice(session, avery, add_member, register):
    from tests.unit.autopay_helpers import CARDS

    activate(session, avery, save_card(session, avery, CARDS["insufficient_funds"]).id)
    run_days(TODAY, D(2026, 3, 30))
    assert [c[0] for c in charges(session, avery)] == [D(2026, 3, 18), D(2026, 3, 21), D(2026, 3, 28)]
    run = runs_of(session, mandate_of(session, avery.account_id).id)[0]
    assert (run.attempts, run.status, run.last_code) == (3, "failed", "insufficient_funds")
    second = enroll(session, roster_row(1))
    pay_binder(session, second)
    activate(
        session,
        second,
        save_card(session, second, CARDS["expired_card"]).id,
        now=at(D(2026, 3, 30)),
        today=D(2026, 3, 30),
    )
    run_days(D(2026, 3, 31), D(2026, 4, 30))
    assert [c[0] for c in charges(session, second)] == [D(2026, 4, 18)]
    assert mandate_of(session, second.account_id).status == "paused"
    assert session.exec(
        select(Notification.title).where(Notification.user_id == second.user_id, Notification.kind == "autopay_failed")
    ).all() == ["Automatic Payments paused"]


def test_two_jobs_at_once_resume_automatic_payments_once(session, avery, visa, db_url, monkeypatch):
    activate(session, avery, visa.id)
    autopay.pause(session, avery.who, until="2026-03-20", now=NOW, today=TODAY)
    day = D(2026, 3, 20)
    both_read = threading.Barrier(2, timeout=10)
    real_resume = autopay.claim_resume

    def resume_after_both_read(*args, **kwargs):
        both_read.wait()  # both jobs have listed the mandate as paused
        return real_resume(*args, **kwargs)

    monkeypatch.setattr(autopay, "claim_resume", resume_after_both_read)

    def job() -> None:
        with Session(engine_for(db_url)) as own:
            autopay_runs.run_due(own, today=day, now=at(day))

    assert run_together(2, job) == []
    assert [t for _d, t in titles(session, avery, "autopay_change")] == [
        "Automatic Payments turned on",
        "Automatic Payments paused",
        "Automatic Payments resumed",
    ]


def test_resuming_by_hand_as_the_job_resumes_confirms_once(session, avery, visa, db_url, monkeypatch):
    """The member's Resume read the mandate as paused; the job resumed it just before the member's
    claim. The member's claim changes nothing and sends nothing, and shows it on."""
    activate(session, avery, visa.id)
    autopay.pause(session, avery.who, until="2026-03-20", now=NOW, today=TODAY)
    day = D(2026, 3, 20)
    real_resume = autopay.claim_resume
    job_first = {"pending": True}

    def job_resumes_first(*args, **kwargs):
        if job_first.pop("pending", False):
            with Session(engine_for(db_url)) as job:
                autopay_runs.run_due(job, today=day, now=at(day))
        return real_resume(*args, **kwargs)

    monkeypatch.setattr(autopay, "claim_resume", job_resumes_first)
    view = autopay.resume(session, avery.who, now=at(day), today=day)
    assert (view.status, view.next_charge, view.paused_until) == ("active", "Apr 18, 2026", "")
    assert [t for _d, t in titles(session, avery, "autopay_change")] == [
        "Automatic Payments turned on",
        "Automatic Payments paused",
        "Automatic Payments resumed",
    ]
    mandate = mandate_of(session, avery.account_id)
    assert (mandate.status, mandate.paused_until, mandate.next_charge_on) == ("active", None, D(2026, 4, 18))


def test_resuming_by_hand_after_another_tab_canceled_refuses(session, avery, visa, monkeypatch):
    activate(session, avery, visa.id)
    autopay.pause(session, avery.who, until="2026-05-01", now=NOW, today=TODAY)
    real_resume = autopay.claim_resume

    def canceled_meanwhile(session_, mandate, *args, **kwargs):
        with Session(session_.get_bind()) as other:
            autopay.cancel(other, avery.who, now=NOW)
        return real_resume(session_, mandate, *args, **kwargs)

    monkeypatch.setattr(autopay, "claim_resume", canceled_meanwhile)
    with pytest.raises(NotFound):
        autopay.resume(session, avery.who, now=NOW, today=TODAY)
    assert mandate_of(session, avery.account_id).status == "canceled"
    assert "Automatic Payments resumed" not in [t for _d, t in titles(session, avery, "autopay_change")]
