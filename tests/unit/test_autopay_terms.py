"""Automatic Payments, issue 13: the preview counts credits and payments already made (and matches
what the daily job then charges), the review restates every term in words, a full-amount charge
uses a credit, and a pause names the charges it skips for the member to pay by hand, with the rules
for its date known before any error."""

from __future__ import annotations

import datetime as dt

import pytest

from hcpay_app.models import BillingAccount, PaymentStatus
from hcpay_app.services.common.errors import ValidationError
from hcpay_app.services.recurring import autopay, templates
from tests.unit.autopay_helpers import (
    CARDS,
    PREMIUM,
    TODAY,
    enroll,
    mandate_of,
    notices_of,
    pay_binder,
    payments_of,
    roster_row,
    run_days,
    save_bank,
    save_card,
    turn_on,
)
from tests.unit.billing_helpers import pay
from tests.unit.payment_helpers import NOW

D = dt.date
CREDIT = 12345  # $123.45


@pytest.fixture
def avery(session):
    """Coverage from Mar 1, March paid (Active), April ($512.50) due Mar 23, a saved Visa."""
    member = enroll(session, roster_row(0))
    pay_binder(session, member)
    return member


@pytest.fixture
def visa(session, avery):
    return save_card(session, avery)


@pytest.fixture
def casey(session):
    """The issue's member: a $123.45 premium, March and April paid and a $123.45 credit on top."""
    member = enroll(session, roster_row(2, premium=CREDIT))
    pay_binder(session, member)
    pay(session, session.get(BillingAccount, member.account_id), 2 * CREDIT, TODAY)
    return member


def review(session, member, method_id, **overrides):
    fields = {
        "method_id": method_id,
        "amount_rule": "full",
        "fixed_amount": "",
        "frequency": "monthly",
        "charge_day": 18,
        "today": TODAY,
    }
    fields.update(overrides)
    return autopay.review(session, member.who, **fields)


def shown(terms) -> list[tuple[str, str, str]]:
    return [(c.date, c.amount, c.note) for c in terms.charges]


# ---- the preview counts credits and payments already made --------------------------------------------


def test_a_credit_the_size_of_the_premium_is_not_shown_as_charges(session, casey):
    card = save_card(session, casey)
    terms = review(session, casey, card.id)
    assert shown(terms) == [
        ("Mar 18, 2026", "$0.00", templates.CREDIT_COVERS),  # April is paid already
        ("Apr 18, 2026", "$0.00", templates.CREDIT_COVERS),  # May is paid by the credit
        ("May 18, 2026", "$123.45", ""),
    ]
    assert terms.first_charge == "Mar 18, 2026: $0.00"
    assert terms.counts == "Your $123.45 credit is used first, so we charge only what it doesn't cover."
    # The old preview's tuple says the same.
    charges, warning, method = autopay.preview(
        session,
        casey.who,
        method_id=card.id,
        amount_rule="full",
        fixed_amount="",
        frequency="monthly",
        charge_day=18,
        today=TODAY,
    )
    assert ([c.amount for c in charges], warning, method) == (["$0.00", "$0.00", "$123.45"], "", "Visa ••••4242")


def test_a_partial_credit_lowers_the_first_charge(session, avery, visa):
    pay(session, session.get(BillingAccount, avery.account_id), PREMIUM + 10000, TODAY)  # April and $100 more
    terms = review(session, avery, visa.id)
    assert [c.amount for c in terms.charges] == ["$0.00", "$412.50", "$512.50"]
    assert terms.counts.startswith("Your $100.00 credit is used first")


def test_a_payment_already_made_and_one_scheduled_are_counted(session, avery, visa):
    account = session.get(BillingAccount, avery.account_id)
    pay(session, account, 20000, TODAY)  # $200 of April's $512.50 paid today
    pay(session, account, 10000, D(2026, 4, 2), status=PaymentStatus.SCHEDULED)  # before the Apr 18 charge
    terms = review(session, avery, visa.id)
    assert [c.amount for c in terms.charges] == ["$312.50", "$412.50", "$512.50"]
    assert terms.counts == templates.COUNTS_PAYMENTS


def test_a_bank_payment_on_its_way_is_not_charged_again(session, avery, visa):
    pay(session, session.get(BillingAccount, avery.account_id), PREMIUM, TODAY, status=PaymentStatus.PENDING)
    assert [c.amount for c in review(session, avery, visa.id).charges] == ["$0.00", "$512.50", "$512.50"]


def test_quarterly_with_a_credit(session, casey):
    card = save_card(session, casey)
    terms = review(session, casey, card.id, frequency="quarterly")
    # Mar 18: May and June (April is paid, the credit pays May) → $123.45; Jun 18: Jul–Sep.
    assert [(c.date, c.amount) for c in terms.charges] == [
        ("Mar 18, 2026", "$123.45"),
        ("Jun 18, 2026", "$370.35"),
        ("Sep 18, 2026", "$370.35"),
    ]


def test_a_fixed_amount_is_shown_as_set_even_with_a_credit(session, casey):
    card = save_card(session, casey)
    terms = review(session, casey, card.id, amount_rule="fixed", fixed_amount="150")
    assert [c.amount for c in terms.charges] == ["$150.00"] * 3
    assert terms.counts == "" and terms.warning == ""


@pytest.mark.parametrize("frequency", ["monthly", "quarterly"])
def test_what_the_preview_shows_is_what_the_job_charges(session, casey, frequency):
    card = save_card(session, casey)
    account = session.get(BillingAccount, casey.account_id)
    pay(session, account, 5000, TODAY)  # a $173.45 credit now
    terms = review(session, casey, card.id, frequency=frequency, charge_day=12)
    turn_on(session, casey, card, frequency=frequency, charge_day=12)
    last = D(2026, 5, 12) if frequency == "monthly" else D(2026, 9, 12)
    run_days(TODAY, last)
    charged = [(p.payment_date, p.amount_cents) for p in payments_of(session, casey.account_id, "autopay")]
    previewed = [(c.date, c.amount) for c in terms.charges if c.amount != "$0.00"]
    assert previewed == [(f"{d:%b} {d.day}, {d.year}", f"${cents / 100:,.2f}") for d, cents in charged]
    assert previewed  # something was charged and shown


def test_a_full_amount_charge_uses_the_credit(session, casey):
    card = save_card(session, casey)
    account = session.get(BillingAccount, casey.account_id)
    turn_on(session, casey, card, frequency="quarterly")
    mandate = mandate_of(session, casey.account_id)
    # Today's credit is $123.45: a quarter is two more months on top of nothing owed, less the credit.
    assert autopay.charge_amount(session, mandate, account, TODAY) == 2 * CREDIT - CREDIT
    turn_on(session, casey, card, frequency="monthly")
    assert autopay.charge_amount(session, mandate_of(session, casey.account_id), account, TODAY) == 0


# ---- the review restates every term ---------------------------------------------------------------


def test_the_review_restates_every_term_full_monthly(session, avery, visa):
    terms = review(session, avery, visa.id)
    assert (terms.method, terms.amount_rule, terms.frequency, terms.charge_day, terms.first_charge) == (
        "Visa ••••4242",
        "The full amount due each time",
        "Monthly",
        "The 18th of every month",
        "Mar 18, 2026: $512.50",
    )


def test_the_review_restates_every_term_fixed_quarterly(session, avery):
    checking = save_bank(session, avery)
    terms = review(
        session, avery, checking.id, amount_rule="fixed", fixed_amount="1600", frequency="quarterly", charge_day="1"
    )
    assert (terms.method, terms.amount_rule, terms.frequency, terms.charge_day, terms.first_charge) == (
        "Checking ••••6789",
        "A fixed $1,600.00 each time",
        "Quarterly (every 3 months)",
        "The 1st, every 3 months",
        "Apr 1, 2026: $1,600.00",
    )


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
    ],
)
def test_ordinal_days(day, text):
    assert templates.ordinal(day) == text


def test_terms_are_checked_without_a_method(session):
    autopay.check_terms(amount_rule="full", fixed_amount="", frequency="monthly", charge_day="18")
    with pytest.raises(ValidationError) as refused:
        autopay.check_terms(amount_rule="fixed", fixed_amount="0.10", frequency="yearly", charge_day="31")
    assert set(refused.value.errors) == {"fixed_amount", "frequency", "charge_day"}


def test_no_method_says_a_new_one_can_be_added(session, avery):
    with pytest.raises(ValidationError) as refused:
        review(session, avery, None)
    assert refused.value.errors == {"method": "Choose a card or bank account to pay from, or add a new one."}


# ---- a pause names what it skips -------------------------------------------------------------------


def test_the_rules_for_a_pause_date_are_known_before_any_error():
    assert autopay.pause_rules(TODAY) == (
        "Choose the day Automatic Payments start again: from Mar 11, 2026 to Mar 11, 2027. "
        "We skip every charge day before it, and you pay those bills yourself."
    )
    assert autopay.last_pause_date(TODAY) == D(2027, 3, 11)


@pytest.mark.parametrize("until", ["2026-03-10", "2027-03-12"])
def test_a_refused_pause_date_gives_the_range(session, avery, visa, until):
    turn_on(session, avery, visa)
    with pytest.raises(ValidationError) as refused:
        autopay.pause(session, avery.who, until=until, now=NOW, today=TODAY)
    assert refused.value.errors == {"paused_until": "Choose a date from Mar 11, 2026 to Mar 11, 2027 to resume on."}


def test_a_pause_names_the_skipped_charge_and_that_it_is_paid_by_hand(session, avery, visa):
    turn_on(session, avery, visa)
    view = autopay.pause(session, avery.who, until="2026-04-01", now=NOW, today=TODAY)
    assert view.pay_by_hand == (
        "We won't charge $512.50 on Mar 18, 2026. You need to pay it yourself with Make a Payment by its due date."
    )
    assert autopay.current(session, avery.who, today=TODAY).pay_by_hand == view.pay_by_hand
    assert autopay.current(session, avery.who).pay_by_hand == ""  # without a date: nothing worked out
    [confirmation] = [n for n in notices_of(session, avery.user_id, "autopay_change") if "paused" in n.title]
    assert "We won't charge $512.50 on Mar 18, 2026" in confirmation.body


def test_a_longer_pause_names_every_skipped_charge(session, avery, visa):
    turn_on(session, avery, visa)
    view = autopay.pause(session, avery.who, until="2026-05-18", now=NOW, today=TODAY)  # May 18 is charged
    assert view.pay_by_hand == (
        "We won't charge $512.50 on Mar 18, 2026. You need to pay it yourself with Make a Payment by its due date. "
        "We'll also skip $512.50 on Apr 18, 2026: pay those yourself too."
    )
    view = autopay.pause(session, avery.who, until="2027-01-01", now=NOW, today=TODAY)
    assert view.pay_by_hand.endswith("We'll also skip 9 more charge days: pay those bills yourself too.")


def test_a_pause_that_skips_nothing_says_nothing(session, avery, visa):
    turn_on(session, avery, visa)
    assert autopay.pause(session, avery.who, until="2026-03-18", now=NOW, today=TODAY).pay_by_hand == ""


def test_a_pause_after_a_failed_charge_names_it_and_what_is_owed(session, avery):
    declining = save_card(session, avery, CARDS["expired_card"])  # a hard decline: paused at once
    turn_on(session, avery, declining)
    run_days(TODAY, D(2026, 3, 18))
    mandate = mandate_of(session, avery.account_id)
    assert (mandate.status, mandate.paused_until) == ("paused", None)
    view = autopay.current(session, avery.who, today=D(2026, 3, 19))
    assert view.pay_by_hand == (
        "Your automatic payment of $512.50 on Mar 18, 2026 wasn't made. We won't charge anything until you resume "
        "Automatic Payments. You owe $512.50 now: pay it yourself with Make a Payment."
    )


# ---- Issue 14: bounded ---------------------------------------------------------------------------


def test_a_fixed_amount_above_the_one_time_maximum_is_refused_at_review_and_activation(session, avery, visa):
    most = autopay.one_time_maximum(session, session.get(BillingAccount, avery.account_id), TODAY)
    assert most == 12 * PREMIUM + 51250  # 12 months of premium plus the April bill owed
    above = f"{(most + 1) / 100:.2f}"
    for attempt in (
        lambda: review(session, avery, visa.id, amount_rule="fixed", fixed_amount=above),
        lambda: turn_on(session, avery, visa, rule="fixed", fixed=above),
    ):
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.errors == {"fixed_amount": templates.fixed_above_maximum(most)}
    assert mandate_of(session, avery.account_id) is None
    turn_on(session, avery, visa, rule="fixed", fixed=f"{most / 100:.2f}")  # the maximum itself is allowed


def test_a_charge_never_exceeds_the_one_time_maximum(session, avery, visa):
    turn_on(session, avery, visa, rule="fixed", fixed="400.00")
    mandate = mandate_of(session, avery.account_id)
    mandate.fixed_amount_cents = 2_000_000_000  # stored before the cap, or tampered with (fits an INTEGER)
    session.add(mandate)
    session.commit()
    account = session.get(BillingAccount, avery.account_id)
    assert autopay.charge_amount(session, mandate, account, TODAY) == autopay.one_time_maximum(session, account, TODAY)
    mandate.fixed_amount_cents = 40000
    assert autopay.charge_amount(session, mandate, account, TODAY) == 40000  # within the terms: as set
