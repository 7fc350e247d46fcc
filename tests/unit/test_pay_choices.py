"""Make a Payment's itemised choices and what the member reads around them (issue 13): past due,
the bill due next with its month, everything owed, a new member's first premium and another
amount, all from the one money summary; a plain warning for paying more than is owed or paying a
past-due amount after the grace period ends; review words that match the button; the debit
authorization for a bank payment; exact method labels; what the confirmation says about the
account afterwards; a scheduling notice (not a receipt) for a later date; "1224" read as 12/24."""

from __future__ import annotations

import datetime as dt

import pytest

from hcpay_app.models import AmountRule, AutopayMandate, BillingAccount, CoverageStatus, Frequency, MandateStatus
from hcpay_app.services.common.errors import ValidationError
from hcpay_app.services.payments import checkout, method_validation, methods, templates
from tests.unit.autopay_helpers import PREMIUM, enroll, roster_row
from tests.unit.payment_helpers import at, bank, card, emails, submit, token_of

D = dt.date
IMPORTED = D(2026, 3, 10)  # coverage from Mar 1: March's bill (due Mar 20) and April's (due Mar 23)
LATE = D(2026, 3, 21)  # for a member from Feb 1 who paid February: March past due, April due Mar 23


MARCH = D(2026, 3, 1)


def new_member(session, n=0, start=MARCH):
    return enroll(session, roster_row(n, coverage_start=start), now=at(IMPORTED))


def behind_member(session, n=0):
    """Coverage from Feb 1, February paid by card: on Mar 21 March is past due, April due Mar 23."""
    member = new_member(session, n, start=D(2026, 2, 1))
    submit(session, member.who, card(today=IMPORTED), PREMIUM, today=IMPORTED, now=at(IMPORTED))
    return member


def choose(session, member, choice, today, other="", on=None):
    return checkout.choose_amount(
        session,
        member.who,
        choice=choice,
        other_amount=other,
        payment_date=(on or today).isoformat(),
        today=today,
    )


# --- The itemised choices -------------------------------------------------------------------


def test_a_new_member_is_offered_the_first_premium_first(session):
    """March (the first premium) is due Mar 20, April Mar 23: the amount due now is the first premium."""
    member = new_member(session)
    offered = checkout.options(session, member.who, IMPORTED)
    assert offered.first_premium_cents == PREMIUM and offered.has_first_premium
    assert offered.default_choice() == "first_premium"
    # March's bill is the first premium: offered once, as that; everything owed adds April.
    assert not offered.shows_current and not offered.shows_past_due and offered.shows_everything_owed
    assert offered.owed_cents == 2 * PREMIUM
    assert templates.first_premium_choice(offered.first_premium_cents, offered.coverage_start) == (
        "First premium: $512.50 (starts your coverage on Mar 1, 2026)"
    )
    assert choose(session, member, "first_premium", IMPORTED) == (PREMIUM, IMPORTED)
    assert choose(session, member, "all", IMPORTED) == (2 * PREMIUM, IMPORTED)


def test_no_first_premium_choice_once_it_is_paid_or_on_its_way(session):
    paid = new_member(session, 0)
    submit(session, paid.who, card(today=IMPORTED), PREMIUM, today=IMPORTED, now=at(IMPORTED))
    clearing = new_member(session, 1)
    submit(session, clearing.who, bank(), PREMIUM, today=IMPORTED, now=at(IMPORTED))
    for member in (paid, clearing):
        offered = checkout.options(session, member.who, IMPORTED)
        assert offered.first_premium_cents == 0 and not offered.has_first_premium
    offered = checkout.options(session, paid.who, IMPORTED)
    assert offered.default_choice() == "current" and offered.shows_current
    with pytest.raises(ValidationError) as refused:
        choose(session, paid, "first_premium", IMPORTED)
    assert refused.value.errors == {"amount_choice": templates.NOTHING_DUE}


def test_past_due_the_current_bill_with_its_month_and_everything_owed(session):
    member = behind_member(session)
    offered = checkout.options(session, member.who, LATE)
    assert (offered.past_due_cents, offered.current_cents, offered.owed_cents) == (PREMIUM, PREMIUM, 2 * PREMIUM)
    assert (offered.current_month, offered.current_due_on) == (D(2026, 4, 1), D(2026, 3, 23))
    assert offered.current_months == (D(2026, 4, 1),)
    assert offered.shows_past_due and offered.shows_current and offered.shows_everything_owed
    # Step 1 starts on what the dashboard calls the amount due: here, everything owed.
    assert offered.amount_due_cents == 2 * PREMIUM
    assert not offered.has_first_premium and offered.default_choice() == "all"
    assert templates.past_due_choice(offered.past_due_cents) == "Past due: $512.50"
    assert templates.current_choice(offered.current_cents, offered.current_month, offered.current_due_on) == (
        "April 2026 bill: $512.50, due Mar 23, 2026"
    )
    assert templates.everything_owed_choice(offered.owed_cents) == "Everything owed: $1,025.00"
    assert choose(session, member, "past_due", LATE)[0] == PREMIUM
    assert choose(session, member, "current", LATE)[0] == PREMIUM
    assert choose(session, member, "all", LATE)[0] == 2 * PREMIUM
    assert choose(session, member, "due", LATE)[0] == 2 * PREMIUM  # the dashboard's amount due, as before
    assert choose(session, member, "other", LATE, other="75.25")[0] == 7525


def test_money_on_its_way_pays_the_oldest_first_in_every_choice(session):
    member = behind_member(session)
    submit(session, member.who, bank(), 60000, today=LATE, now=at(LATE))  # $600.00 clearing
    offered = checkout.options(session, member.who, LATE)
    assert (offered.past_due_cents, offered.current_cents, offered.owed_cents) == (0, 42500, 42500)
    assert not offered.shows_past_due and offered.default_choice() == "current"
    assert not offered.shows_everything_owed  # the same as the bill due next


def test_the_default_is_what_the_dashboard_calls_the_amount_due():
    base = dict(account_number="1", maximum_cents=10**7, latest_date=LATE, has_amount_due=True)
    # A new member whose first two bills fall due the same day: both, as the dashboard says.
    both = checkout.PaymentOptions(
        amount_due_cents=90000,
        past_due_cents=0,
        current_cents=90000,
        owed_cents=90000,
        first_premium_cents=45000,
        **base,
    )
    assert both.shows_current and both.default_choice() == "current"
    # Past due and due next, with a later bill issued: no single choice is the amount due.
    apart = checkout.PaymentOptions(
        amount_due_cents=90000, past_due_cents=45000, current_cents=45000, owed_cents=135000, has_past_due=True, **base
    )
    assert apart.default_choice() == "past_due"
    nothing = checkout.PaymentOptions(amount_due_cents=0, past_due_cents=0, **{**base, "has_amount_due": False})
    assert nothing.default_choice() == "other"


@pytest.mark.parametrize(
    ("months", "words"),
    [
        ((D(2027, 1, 1), D(2027, 2, 1)), "January and February 2027 bills: $900.00, due Feb 8, 2027"),
        ((D(2026, 12, 1), D(2027, 1, 1)), "December 2026 and January 2027 bills: $900.00, due Feb 8, 2027"),
        ((), "Bill due next: $900.00, due Feb 8, 2027"),
    ],
)
def test_bills_due_the_same_day_are_all_named(months, words):
    assert templates.current_choice(90000, months, D(2027, 2, 8)) == words


@pytest.mark.parametrize("junk", ["", "ALL", None, 5, ["all"], "x" * 1000])
def test_a_choice_that_isnt_offered_is_refused(session, junk):
    member = behind_member(session)
    with pytest.raises(ValidationError) as refused:
        choose(session, member, junk, LATE)
    assert refused.value.errors == {"amount_choice": templates.CHOOSE_AMOUNT}


# --- Warnings the member may go on past --------------------------------------------------------


def test_paying_more_than_everything_owed_warns_that_the_extra_is_a_credit(session):
    member = behind_member(session)
    warned = checkout.amount_warnings(session, member.who, amount_cents=500000, payment_date=LATE, today=LATE)
    assert warned == [
        "This is $3,975.00 more than everything you owe ($1,025.00). "
        "The extra $3,975.00 becomes a credit toward your future bills."
    ]
    assert checkout.amount_warnings(session, member.who, amount_cents=2 * PREMIUM, payment_date=LATE, today=LATE) == []


def test_a_past_due_payment_dated_after_grace_names_the_date(session):
    member = behind_member(session)
    account = session.get(BillingAccount, member.account_id)
    account.coverage_status, account.grace_ends_on = CoverageStatus.IN_GRACE, D(2026, 4, 20)
    session.add(account)
    session.commit()
    after = checkout.amount_warnings(session, member.who, amount_cents=PREMIUM, payment_date=D(2026, 4, 21), today=LATE)
    assert len(after) == 1 and "Your grace period ends Apr 20, 2026" in after[0]
    assert "dated Apr 21, 2026" in after[0] and "pay the past-due amount by Apr 20, 2026" in after[0]
    on_the_day = checkout.amount_warnings(
        session, member.who, amount_cents=PREMIUM, payment_date=D(2026, 4, 20), today=LATE
    )
    assert on_the_day == []


def test_no_grace_warning_without_a_past_due_amount():
    assert (
        templates.amount_warnings(
            amount_cents=100, owed_cents=100, past_due_cents=0, payment_date=D(2026, 5, 1), grace_ends_on=D(2026, 4, 1)
        )
        == []
    )


# --- Review, authorization and labels ----------------------------------------------------------


@pytest.mark.parametrize("scheduled", [False, True])
def test_the_review_words_quote_the_button(scheduled):
    button = templates.submit_words(scheduled)
    assert button == ("Schedule payment" if scheduled else "Submit payment")
    for words in (templates.card_authorization, templates.debit_authorization):
        text = words(amount="$512.50", date_text="Mar 23, 2026", method="Checking ••••6789", scheduled=scheduled)
        assert text.startswith(f"By selecting {button},")
        other = templates.submit_words(not scheduled)
        assert other not in text


@pytest.mark.parametrize("scheduled", [False, True])
def test_the_debit_authorization_has_amount_date_account_and_how_to_revoke(scheduled):
    text = templates.debit_authorization(
        amount="$512.50", date_text="Mar 23, 2026", method="Checking ••••6789", scheduled=scheduled
    )
    for part in ("one-time electronic debit of $512.50", "Checking ••••6789", "on Mar 23, 2026", "revoke"):
        assert part in text
    assert ("canceling the payment on your dashboard before Mar 23, 2026" in text) is scheduled
    assert "Contact support" in text


def test_method_labels_say_exactly_what_a_method_is(session):
    assert methods.label("card", "Visa", "4242") == "Visa ••••4242"
    assert methods.label("bank", "Checking", "6789") == "Checking ••••6789"
    assert methods.label("bank", "", "6789") == "Bank account ••••6789"
    assert methods.label("card", "", "4242") == "Card ••••4242"
    assert card().label == "Visa ••••4242"
    assert bank(account_type="savings").label == "Savings ••••6789"


# --- After the payment -------------------------------------------------------------------------


def test_after_a_payment_the_balance_left_and_the_next_due_date(session):
    member = behind_member(session)
    submit(session, member.who, card(today=LATE), PREMIUM, today=LATE, now=at(LATE))  # pays March
    after = checkout.after_payment(session, member.who, LATE)
    assert after == checkout.AfterPayment(PREMIUM, 0, D(2026, 3, 23), False)
    assert templates.balance_left(after.balance_left_cents, after.credit_cents) == "$512.50"
    submit(session, member.who, card(today=LATE), PREMIUM + 5000, today=LATE, now=at(LATE))  # April and $50
    after = checkout.after_payment(session, member.who, LATE)
    # Nothing unpaid falls due ahead: the next bill is May's, due Apr 23.
    assert after == checkout.AfterPayment(0, 5000, D(2026, 4, 23), False)
    assert templates.balance_left(0, 5000) == "$0.00 (a $50.00 credit toward future bills)"


def test_after_a_payment_knows_whether_automatic_payments_are_set_up(session):
    member = behind_member(session)
    saved = methods.save(session, member.who, token_of(card(today=LATE)), now=at(LATE))
    mandate = AutopayMandate(
        user_id=member.who.user_id,
        billing_account_id=member.account_id,
        payment_method_id=saved.id,
        amount_rule=AmountRule.FULL,
        frequency=Frequency.MONTHLY,
        charge_day=20,
        status=MandateStatus.ACTIVE,
        authorized_at=at(LATE),
        created_at=at(LATE),
        updated_at=at(LATE),
    )
    session.add(mandate)
    session.commit()
    assert checkout.after_payment(session, member.who, LATE).autopay_on is True
    mandate.status = MandateStatus.CANCELED
    session.add(mandate)
    session.commit()
    assert checkout.after_payment(session, member.who, LATE).autopay_on is False


@pytest.mark.parametrize(
    ("status", "heading", "email"),
    [
        ("succeeded", "Thank you! We received your payment of $5.00 on Mar 21, 2026.", "We've emailed you a receipt."),
        ("pending", "Your bank payment of $5.00 was sent to your bank on Mar 21, 2026.", "Your receipt is ready"),
        ("scheduled", "Your payment of $5.00 is scheduled for Mar 21, 2026.", "notice that this payment is scheduled"),
    ],
)
def test_the_confirmation_says_what_was_emailed(status, heading, email):
    assert templates.confirmation_heading(status=status, amount="$5.00", date_text="Mar 21, 2026") == heading
    note = templates.confirmation_email_note(status)
    assert email in note
    assert ("emailed you a receipt" in note) is (status == "succeeded")


def test_a_scheduled_payment_emails_a_scheduling_notice_not_a_receipt(session):
    member = behind_member(session)
    before = len(emails(session, "payment_receipt"))
    made = submit(session, member.who, card(today=LATE), PREMIUM, on=D(2026, 4, 10), today=LATE, now=at(LATE))
    assert made.status == "scheduled"
    (notice,) = emails(session, "payment_scheduled")
    assert notice.subject == f"Payment scheduled — {made.reference}"
    assert "Your payment of $512.50 is scheduled for Apr 10, 2026." in notice.body
    assert "This is a scheduling notice, not a receipt" in notice.body
    assert len(emails(session, "payment_receipt")) == before  # no receipt for money not yet taken


# --- The expiry field ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("1224", "12/24"),
        ("12/24", "12/24"),
        ("0130", "01/30"),
        ("4/29", "04/29"),
        ("122030", "12/2030"),
        ("12 30", "12/30"),
        ("1324", "1324"),
        ("abc", "abc"),
        (None, ""),
    ],
)
def test_expiry_is_shown_as_mm_yy(typed, shown):
    assert method_validation.format_expiry(typed) == shown


def test_expiry_typed_as_digits_is_read_as_a_date():
    assert method_validation.clean_expiry("1230", D(2026, 3, 10)) == (12, 2030)
    assert method_validation.clean_expiry("0326", D(2026, 3, 10)) == (3, 2026)
    with pytest.raises(ValidationError):
        method_validation.clean_expiry("0226", D(2026, 3, 10))  # expired
    with pytest.raises(ValidationError):
        method_validation.clean_expiry("1330", D(2026, 3, 10))
