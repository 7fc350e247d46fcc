"""Make a Payment through the service: card and bank outcomes on the ledger, in emails and on the
payment; exactly once per idempotency key however many requests race; scheduled payments,
settlement and returns, reconciliation after a crash, amount limits and whose records are whose."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from hcpay_app.db import engine_for, session_scope
from hcpay_app.models import (
    EntryKind,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
)
from hcpay_app.services.adapters.processor import get_processor
from hcpay_app.services.billing import ledger
from hcpay_app.services.billing.ledger import InvoiceStatus
from hcpay_app.services.common.errors import NotFound, ValidationError
from hcpay_app.services.jobs import scheduled_charges, settlement
from hcpay_app.services.payments import checkout, methods, records
from hcpay_app.services.payments.templates import DECLINE_MESSAGES, RETURN_MESSAGES
from tests.support.together import results_together
from tests.unit.payment_helpers import (
    BANKS,
    CARDS,
    NOW,
    TODAY,
    account_of,
    add_ben,
    at,
    bank,
    billed_actor,
    card,
    emails,
    ledger_entries,
    new_key,
    payment,
    sandbox_charges,
    submit,
    token_of,
)

PREMIUM = 51250


@pytest.fixture
def renee(session, registered_user):
    """(acting user, billing account) for Renée, billed through TODAY (16 unpaid invoices)."""
    return billed_actor(session, registered_user)


def balance(session, account) -> int:
    session.expire_all()
    return ledger.balance(session, account.id)


def timeline(session, payment_id: int) -> list[str]:
    return list(
        session.exec(
            select(PaymentEvent.status).where(PaymentEvent.payment_id == payment_id).order_by(PaymentEvent.id)
        ).all()
    )


def run_in_threads(count: int, work) -> tuple[list, list]:
    """Run `work()` in `count` threads released together; returns (results, exceptions)."""
    return results_together(count, work, timeout=30)


# ---- cards -----------------------------------------------------------------------------------


def test_a_card_payment_posts_once_and_emails_a_receipt(session, renee):
    who, account = renee
    before = balance(session, account)
    result = submit(session, who, card(), PREMIUM)
    assert (result.status, result.status_label, result.declined) == (PaymentStatus.SUCCEEDED, "Paid", False)
    assert (result.amount, result.method, result.payment_date) == ("$512.50", "Visa ••••4242", "Mar 10, 2026")

    paid = payment(session, result.reference)
    assert paid.status == PaymentStatus.SUCCEEDED and paid.processor_ref and paid.user_id == who.user_id
    entries = ledger_entries(session, paid.id)
    assert [(e.kind, e.amount_cents) for e in entries] == [(EntryKind.PAYMENT, -PREMIUM)]
    assert balance(session, account) == before - PREMIUM
    assert timeline(session, paid.id) == [PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED]
    charges = sandbox_charges(session)
    assert [(c.idempotency_key, c.amount_cents) for c in charges] == [(paid.idempotency_key, PREMIUM)]

    receipts = emails(session, "payment_receipt")
    assert len(receipts) == 1
    receipt = receipts[0]
    assert receipt.to_address == "Renee.ONeil@example.com"
    assert result.reference in receipt.subject and result.reference in receipt.body
    assert "$512.50" in receipt.body and "••••4242" in receipt.body
    assert CARDS["ok"] not in receipt.body and "424242424242" not in receipt.body


def test_the_oldest_invoice_is_paid_first(session, renee):
    who, account = renee
    submit(session, who, card(), PREMIUM + 100)
    statuses = [p.status for p in ledger.positions(session, account.id, TODAY)]
    assert statuses[0] == InvoiceStatus.PAID and statuses[1] == InvoiceStatus.PAST_DUE
    assert ledger.positions(session, account.id, TODAY)[1].paid_cents == 100


@pytest.mark.parametrize(
    "scenario",
    ["generic_decline", "insufficient_funds", "expired_card", "incorrect_cvc", "processing_error", "card_declined"],
)
def test_a_declined_card_posts_nothing_and_says_why_in_plain_words(session, renee, scenario):
    who, account = renee
    before = balance(session, account)
    result = submit(session, who, card(CARDS[scenario]), PREMIUM)
    assert (result.status, result.status_label, result.declined) == (PaymentStatus.DECLINED, "Declined", True)
    assert result.message == DECLINE_MESSAGES[scenario]
    declined = payment(session, result.reference)
    assert (declined.reason_code, declined.reason_message) == (scenario, DECLINE_MESSAGES[scenario])
    assert ledger_entries(session, declined.id) == []
    assert balance(session, account) == before
    assert emails(session, "payment_receipt") == []
    assert timeline(session, declined.id) == [PaymentStatus.PROCESSING, PaymentStatus.DECLINED]


def test_saving_a_new_card_while_paying_keeps_only_its_token(session, renee):
    who, _account = renee
    choice = card(save=True)
    result = submit(session, who, choice, PREMIUM)
    saved = session.exec(select(PaymentMethod).where(PaymentMethod.user_id == who.user_id)).one()
    assert (saved.processor_token, saved.brand, saved.last4, saved.is_default) == (choice.token, "Visa", "4242", True)
    assert payment(session, result.reference).payment_method_id == saved.id
    again = submit(session, who, checkout.saved_method(session, who, saved.id), 100)
    assert again.status == PaymentStatus.SUCCEEDED and again.method == "Visa ••••4242"


def test_new_card_reports_every_bad_field_at_once_and_tokenizes_nothing(session, renee):
    with pytest.raises(ValidationError) as caught:
        checkout.new_card(
            card_number="4242424242424241",
            expiry="02/26",
            cvc="12",
            name="",
            billing_zip="abc",
            save=False,
            today=TODAY,
        )
    assert set(caught.value.errors) == {"card_number", "expiry", "cvc", "card_name", "billing_zip"}


def test_an_amex_needs_its_four_digit_code_when_paying(session, renee):
    with pytest.raises(ValidationError) as caught:
        card("378282246310005", cvc="123")
    assert set(caught.value.errors) == {"cvc"}
    choice = card("3782 822463 10005", cvc="7391")
    assert (choice.kind, choice.brand, choice.last4, choice.label) == (
        "card",
        "American Express",
        "0005",
        "American Express ••••0005",
    )


def test_new_bank_reports_every_bad_field_at_once(session, renee):
    with pytest.raises(ValidationError) as caught:
        checkout.new_bank(
            routing_number="110000001",
            account_number="000123456789",
            confirm_account_number="000123456788",
            account_type="credit",
            name="",
            save=False,
        )
    assert set(caught.value.errors) == {"routing_number", "confirm_account_number", "account_type", "account_name"}


@pytest.mark.parametrize("kind", ["card", "bank", "bank-other-routing"])
def test_a_method_choice_holds_a_token_never_the_number(session, renee, kind):
    choice, number = {
        "card": lambda: (card(), CARDS["ok"]),
        "bank": lambda: (bank(), BANKS["settle"]),
        "bank-other-routing": lambda: (bank(BANKS["R01"], routing="021000021"), BANKS["R01"]),
    }[kind]()
    assert number not in repr(choice) and number not in choice.token
    assert choice.last4 == number[-4:]


# ---- bank debits -----------------------------------------------------------------------------


def test_a_bank_payment_is_pending_two_business_days_then_clears(session, renee):
    who, account = renee
    friday = dt.date(2026, 3, 13)
    before = balance(session, account)
    result = submit(session, who, bank(), PREMIUM, today=friday)
    assert (result.status, result.status_label, result.method) == (
        PaymentStatus.PENDING,
        "Pending",
        "Checking ••••6789",
    )
    pending = payment(session, result.reference)
    assert pending.expected_settle_on == dt.date(2026, 3, 17)  # Friday + 2 business days = Tuesday
    assert [e.amount_cents for e in ledger_entries(session, pending.id)] == [-PREMIUM]  # provisional credit
    assert balance(session, account) == before - PREMIUM
    assert len(emails(session, "payment_pending")) == 1 and emails(session, "payment_receipt") == []

    for early in (friday, dt.date(2026, 3, 14), dt.date(2026, 3, 16)):
        assert settlement.settle_bank_payments(session, today=early, now=at(early)) == (0, 0)
    assert payment(session, result.reference).status == PaymentStatus.PENDING

    assert settlement.settle_bank_payments(session, today=dt.date(2026, 3, 17), now=at(dt.date(2026, 3, 17))) == (1, 0)
    cleared = payment(session, result.reference)
    assert cleared.status == PaymentStatus.SUCCEEDED
    assert [e.amount_cents for e in ledger_entries(session, cleared.id)] == [-PREMIUM]  # not posted twice
    assert balance(session, account) == before - PREMIUM
    settled_mail = emails(session, "payment_settled")
    assert len(settled_mail) == 1 and result.reference in settled_mail[0].body
    assert settlement.settle_bank_payments(session, today=dt.date(2026, 3, 18), now=at(dt.date(2026, 3, 18))) == (0, 0)


@pytest.mark.parametrize("code", ["R01", "R02", "R03", "R10"])
def test_a_returned_bank_payment_is_reversed_and_the_invoice_reopened(session, renee, code):
    who, account = renee
    before = balance(session, account)
    result = submit(session, who, bank(BANKS[code]), PREMIUM)
    pending = payment(session, result.reference)
    assert pending.status == PaymentStatus.PENDING and pending.expected_settle_on == dt.date(2026, 3, 12)
    assert ledger.positions(session, account.id, TODAY)[0].status == InvoiceStatus.PAID

    assert settlement.settle_bank_payments(session, today=dt.date(2026, 3, 11), now=at(dt.date(2026, 3, 11))) == (0, 0)
    assert settlement.settle_bank_payments(session, today=dt.date(2026, 3, 12), now=at(dt.date(2026, 3, 12))) == (0, 1)
    returned = payment(session, result.reference)
    assert (returned.status, returned.reason_code, returned.reason_message) == (
        PaymentStatus.RETURNED,
        code,
        RETURN_MESSAGES[code],
    )
    entries = ledger_entries(session, returned.id)
    assert [(e.kind, e.amount_cents) for e in entries] == [(EntryKind.PAYMENT, -PREMIUM), (EntryKind.REVERSAL, PREMIUM)]
    assert balance(session, account) == before
    assert ledger.positions(session, account.id, dt.date(2026, 3, 12))[0].status == InvoiceStatus.PAST_DUE
    notices = emails(session, "payment_returned")
    assert len(notices) == 1
    assert result.reference in notices[0].body and RETURN_MESSAGES[code] in notices[0].body
    assert BANKS[code] not in notices[0].body
    # Nothing more happens on later days.
    assert settlement.settle_bank_payments(session, today=dt.date(2026, 3, 20), now=at(dt.date(2026, 3, 20))) == (0, 0)
    assert len(ledger_entries(session, returned.id)) == 2


# ---- exactly once ----------------------------------------------------------------------------


def test_resubmitting_with_the_same_key_returns_the_same_payment(session, renee):
    who, _account = renee
    choice, key = card(), new_key()
    first = submit(session, who, choice, PREMIUM, key=key)
    second = submit(session, who, choice, PREMIUM, key=key)
    assert first == second
    assert len(session.exec(select(Payment)).all()) == 1
    assert get_processor().charges_for(key) == 1


@pytest.mark.parametrize("change", ["amount", "method"])
def test_the_same_key_with_different_details_is_refused(session, renee, change):
    who, _account = renee
    choice, key = card(), new_key()
    submit(session, who, choice, PREMIUM, key=key)
    with pytest.raises(checkout.KeyReused):
        if change == "amount":
            submit(session, who, choice, PREMIUM + 1, key=key)
        else:
            submit(session, who, card(), PREMIUM, key=key)
    assert len(session.exec(select(Payment)).all()) == 1
    assert get_processor().charges_for(key) == 1


def test_ten_concurrent_submits_with_one_key_make_one_payment(session, db_url, renee):
    who, account = renee
    choice, key = card(), new_key()
    before = balance(session, account)

    def one_request():
        with Session(engine_for(db_url)) as own:
            return checkout.submit(
                own,
                who,
                idempotency_key=key,
                amount_cents=PREMIUM,
                payment_date=TODAY,
                choice=choice,
                now=NOW,
                today=TODAY,
            )

    results, errors = run_in_threads(10, one_request)
    # A raced insert may surface as IntegrityError (see test_a_request_that_loses_the_insert_race_...);
    # anything else is a failure here.
    assert not [e for e in errors if not isinstance(e, IntegrityError)], errors
    assert results and len({r.reference for r in results}) == 1
    session.expire_all()
    rows = session.exec(select(Payment)).all()
    assert len(rows) == 1 and rows[0].status == PaymentStatus.SUCCEEDED
    assert get_processor().charges_for(key) == 1
    assert len(ledger_entries(session, rows[0].id)) == 1
    assert balance(session, account) == before - PREMIUM
    assert len(emails(session, "payment_receipt")) == 1


def test_a_request_that_loses_the_insert_race_gets_the_winners_payment(session, db_url, renee, monkeypatch):
    """Deterministic replay of the race: the first request checks the key (nothing yet), then — before
    it inserts — a second request with the same key runs to completion."""
    who, _account = renee
    choice, key = card(), new_key()
    real_options = checkout.account_options
    winner = []

    def options_then_lose_the_race(db, account, today):
        if not winner:
            winner.append(None)
            with Session(engine_for(db_url)) as other:
                winner[0] = checkout.submit(
                    other,
                    who,
                    idempotency_key=key,
                    amount_cents=PREMIUM,
                    payment_date=TODAY,
                    choice=choice,
                    now=NOW,
                    today=TODAY,
                )
        return real_options(db, account, today)

    monkeypatch.setattr(checkout, "account_options", options_then_lose_the_race)
    loser = submit(session, who, choice, PREMIUM, key=key)
    assert loser.reference == winner[0].reference
    assert get_processor().charges_for(key) == 1


# ---- scheduled payments ----------------------------------------------------------------------


def test_a_scheduled_payment_is_charged_on_its_date_and_only_once(session, renee):
    who, account = renee
    on = TODAY + dt.timedelta(days=5)
    key = new_key()
    before = balance(session, account)
    result = submit(session, who, card(), PREMIUM, key=key, on=on)
    assert (result.status, result.status_label) == (PaymentStatus.SCHEDULED, "Scheduled")
    assert get_processor().charges_for(key) == 0 and balance(session, account) == before
    assert len(emails(session, "payment_scheduled")) == 1
    assert [r.reference for r in checkout.scheduled_for(session, who)] == [result.reference]

    assert (
        scheduled_charges.run_scheduled(session, today=on - dt.timedelta(days=1), now=at(on) - dt.timedelta(days=1))
        == 0
    )
    assert get_processor().charges_for(key) == 0
    assert scheduled_charges.run_scheduled(session, today=on, now=at(on)) == 1
    assert scheduled_charges.run_scheduled(session, today=on, now=at(on)) == 0
    done = payment(session, result.reference)
    assert done.status == PaymentStatus.SUCCEEDED
    assert get_processor().charges_for(key) == 1
    assert [e.amount_cents for e in ledger_entries(session, done.id)] == [-PREMIUM]
    assert balance(session, account) == before - PREMIUM
    assert timeline(session, done.id) == [PaymentStatus.SCHEDULED, PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED]
    with pytest.raises(ValidationError) as caught:
        checkout.cancel_scheduled(session, who, result.reference, now=at(on))
    assert "cancel" in caught.value.errors
    assert payment(session, result.reference).status == PaymentStatus.SUCCEEDED


def test_a_scheduled_payment_can_be_canceled_before_it_runs(session, renee):
    who, account = renee
    on = TODAY + dt.timedelta(days=3)
    key = new_key()
    result = submit(session, who, card(), PREMIUM, key=key, on=on)
    canceled = checkout.cancel_scheduled(session, who, result.reference.lower().replace("-", " "), now=NOW)
    assert (canceled.reference, canceled.status) == (result.reference, PaymentStatus.CANCELED)
    assert len(emails(session, "payment_canceled")) == 1
    assert scheduled_charges.run_scheduled(session, today=on, now=at(on)) == 0
    assert get_processor().charges_for(key) == 0
    assert ledger_entries(session, payment(session, result.reference).id) == []
    assert checkout.scheduled_for(session, who) == []
    with pytest.raises(ValidationError):
        checkout.cancel_scheduled(session, who, result.reference, now=NOW)


def test_two_jobs_running_scheduled_payments_at_once_charge_once(session, db_url, renee):
    who, _account = renee
    on = TODAY + dt.timedelta(days=2)
    keys = [new_key() for _ in range(3)]
    for key in keys:
        submit(session, who, card(), PREMIUM, key=key, on=on)

    def one_job():
        with Session(engine_for(db_url)) as own:
            return scheduled_charges.run_scheduled(own, today=on, now=at(on))

    counts, errors = run_in_threads(2, one_job)
    assert errors == [] and sum(counts) == 3
    assert [get_processor().charges_for(key) for key in keys] == [1, 1, 1]
    for row in session.exec(select(Payment)).all():
        assert row.status == PaymentStatus.SUCCEEDED
        assert len(ledger_entries(session, row.id)) == 1


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(TODAY - dt.timedelta(days=1), id="yesterday"),
        pytest.param(TODAY + dt.timedelta(days=61), id="61-days-ahead"),
    ],
)
def test_a_scheduled_payment_cannot_be_in_the_past_or_too_far_ahead(session, renee, day):
    who, _account = renee
    with pytest.raises(ValidationError):
        submit(session, who, card(), PREMIUM, on=day)
    assert session.exec(select(Payment)).all() == []


# ---- reconciliation --------------------------------------------------------------------------


def crashed_payment(session, account, who, token: str, amount: int = PREMIUM) -> Payment:
    """A payment left "processing" by a crash between writing it and finishing it."""
    row = records.create(
        session,
        account_id=account.id,
        amount_cents=amount,
        method_kind="card",
        method_label="Visa ••••4242",
        payment_date=TODAY,
        status=PaymentStatus.PROCESSING,
        now=NOW,
        user_id=who.user_id,
        idempotency_key=new_key(),
        note="Submitted online",
    )
    row.processor_token = token
    session.add(row)
    session.commit()
    return row


@pytest.mark.parametrize("processor_was_called", [False, True])
def test_reconciliation_finishes_an_interrupted_payment_exactly_once(session, renee, processor_was_called):
    who, account = renee
    before = balance(session, account)
    token = card().token
    stuck = crashed_payment(session, account, who, token)
    first_ref = None
    if processor_was_called:  # the charge went through, then the worker died before recording it
        first_ref = get_processor().charge(token, PREMIUM, stuck.idempotency_key, NOW).processor_ref
    later = NOW + dt.timedelta(minutes=5)
    assert settlement.reconcile_processing(session, now=later, today=TODAY, older_than=dt.timedelta(0)) == 1
    assert settlement.reconcile_processing(session, now=later, today=TODAY, older_than=dt.timedelta(0)) == 0
    done = payment(session, stuck.reference)
    assert done.status == PaymentStatus.SUCCEEDED
    assert get_processor().charges_for(stuck.idempotency_key) == 1 and len(sandbox_charges(session)) == 1
    if first_ref:
        assert done.processor_ref == first_ref
    assert [e.amount_cents for e in ledger_entries(session, done.id)] == [-PREMIUM]
    assert balance(session, account) == before - PREMIUM
    assert len(emails(session, "payment_receipt")) == 1


def test_reconciliation_leaves_fresh_payments_alone_and_records_declines(session, renee):
    who, account = renee
    stuck = crashed_payment(session, account, who, card(CARDS["insufficient_funds"]).token)
    assert settlement.reconcile_processing(session, now=NOW + dt.timedelta(seconds=30), today=TODAY) == 0
    assert payment(session, stuck.reference).status == PaymentStatus.PROCESSING
    assert settlement.reconcile_processing(session, now=NOW + dt.timedelta(minutes=3), today=TODAY) == 1
    done = payment(session, stuck.reference)
    assert (done.status, done.reason_code) == (PaymentStatus.DECLINED, "insufficient_funds")
    assert ledger_entries(session, done.id) == []


def test_finishing_an_already_finished_payment_changes_nothing(session, renee):
    who, _account = renee
    result = submit(session, who, card(), PREMIUM)
    done = payment(session, result.reference)
    replay = get_processor().charge(done.processor_token, PREMIUM, done.idempotency_key, NOW)
    checkout.finish(session, done, replay, now=NOW, today=TODAY)
    assert len(ledger_entries(session, done.id)) == 1
    assert len(emails(session, "payment_receipt")) == 1


# ---- amounts and limits ----------------------------------------------------------------------


def test_options_offer_the_amount_due_and_a_limit_of_twelve_premiums_plus_the_balance(session, renee):
    who, account = renee
    offered = checkout.options(session, who, TODAY)
    owed = ledger.balance(session, account.id)
    assert owed == 16 * PREMIUM  # January 2025 through April 2026
    assert offered.amount_due_cents == owed and offered.past_due_cents == 15 * PREMIUM
    assert offered.maximum_cents == 12 * PREMIUM + owed
    assert offered.latest_date == TODAY + dt.timedelta(days=60)


def test_choose_amount_limits(session, renee):
    who, _account = renee
    limit = checkout.options(session, who, TODAY).maximum_cents
    dollars = f"{limit // 100}.{limit % 100:02d}"
    assert checkout.choose_amount(session, who, choice="other", other_amount=dollars, payment_date="", today=TODAY) == (
        limit,
        TODAY,
    )
    assert checkout.choose_amount(
        session, who, choice="due", other_amount="", payment_date="2026-03-20", today=TODAY
    ) == (16 * PREMIUM, dt.date(2026, 3, 20))
    assert (
        checkout.choose_amount(session, who, choice="past_due", other_amount="junk", payment_date="", today=TODAY)[0]
        == 15 * PREMIUM
    )
    with pytest.raises(ValidationError) as caught:
        checkout.choose_amount(
            session, who, choice="everything", other_amount="", payment_date="yesterday", today=TODAY
        )
    assert set(caught.value.errors) == {"amount_choice", "payment_date"}


@pytest.mark.parametrize("which", ["a-cent-over-the-limit", "under-a-dollar", "zero", "negative", "exponent"])
def test_choose_amount_refuses_other_amounts_outside_the_limits(session, renee, which):
    who, _account = renee
    limit = checkout.options(session, who, TODAY).maximum_cents
    over = f"{(limit + 1) // 100}.{(limit + 1) % 100:02d}"
    typed = {
        "a-cent-over-the-limit": over,
        "under-a-dollar": "0.99",
        "zero": "0",
        "negative": "-1",
        "exponent": "1e9",
    }[which]
    with pytest.raises(ValidationError) as caught:
        checkout.choose_amount(session, who, choice="other", other_amount=typed, payment_date="", today=TODAY)
    assert set(caught.value.errors) == {"other_amount"}  # the field the message shows next to


@pytest.mark.parametrize(
    "which", ["a-cent-over-the-limit", "under-a-dollar", "zero", "negative", "float", "text", "bool"]
)
def test_submit_refuses_amounts_outside_the_limits_and_charges_nothing(session, renee, which):
    who, _account = renee
    limit = checkout.options(session, who, TODAY).maximum_cents
    cents = {
        "a-cent-over-the-limit": limit + 1,
        "under-a-dollar": 99,
        "zero": 0,
        "negative": -PREMIUM,
        "float": float(PREMIUM),
        "text": "51250",
        "bool": True,
    }[which]
    with pytest.raises(ValidationError):
        submit(session, who, card(), cents)
    assert session.exec(select(Payment)).all() == [] and sandbox_charges(session) == []
    assert submit(session, who, card(), limit).status == PaymentStatus.SUCCEEDED


@pytest.mark.parametrize("key", [None, "", "short", "x" * 65, 12345678901234567])
def test_submit_needs_a_well_formed_idempotency_key(session, renee, key):
    who, _account = renee
    with pytest.raises(ValidationError):
        checkout.submit(
            session,
            who,
            idempotency_key=key,
            amount_cents=PREMIUM,
            payment_date=TODAY,
            choice=card(),
            now=NOW,
            today=TODAY,
        )
    assert sandbox_charges(session) == []


def test_review_lists_the_invoices_an_amount_pays(session, renee):
    who, _account = renee
    assert checkout.invoices_to_pay(session, who, 2 * PREMIUM + 100, TODAY) == [
        "January 2025 premium — $512.50",
        "February 2025 premium — $512.50",
        "March 2025 premium — $1.00",
    ]
    everything = checkout.invoices_to_pay(session, who, 17 * PREMIUM, TODAY)
    assert len(everything) == 17 and everything[-1] == "Credit toward future premiums — $512.50"


# ---- whose records are whose -----------------------------------------------------------------


def test_another_members_saved_method_cannot_be_used(session, renee, add_member, register):
    who, _account = renee
    ben, _ben_account = add_ben(session, add_member, register)
    bens = methods.save(session, ben, token_of(card()), now=NOW)
    session.commit()
    with pytest.raises(NotFound):
        checkout.saved_method(session, who, bens.id)
    forged = checkout.MethodChoice("card", bens.processor_token, "Visa ••••4242", bens.id)
    with pytest.raises(NotFound):
        submit(session, who, forged, PREMIUM)
    assert session.exec(select(Payment)).all() == [] and sandbox_charges(session) == []


@pytest.mark.parametrize("which", ["another-members-id-as-text", "none", "unknown", "negative", "float"])
def test_a_saved_method_id_that_is_not_ones_own_is_not_found(session, renee, add_member, register, which):
    who, _account = renee
    ben, _ben_account = add_ben(session, add_member, register)
    bens = methods.save(session, ben, token_of(card()), now=NOW)
    session.commit()
    junk = {
        "another-members-id-as-text": str(bens.id),
        "none": None,
        "unknown": 10**9,
        "negative": -1,
        "float": 1.0,
    }[which]
    with pytest.raises(NotFound):
        checkout.saved_method(session, who, junk)
    assert session.exec(select(Payment)).all() == [] and sandbox_charges(session) == []


def test_a_member_cannot_cancel_or_read_another_members_scheduled_payment(session, renee, add_member, register):
    who, _account = renee
    ben, ben_account = add_ben(session, add_member, register)
    bens = submit(session, ben, card(), PREMIUM, on=TODAY + dt.timedelta(days=7))
    with pytest.raises(NotFound):
        checkout.cancel_scheduled(session, who, bens.reference, now=NOW)
    with pytest.raises(NotFound):
        checkout.payment_for_reference(session, who, bens.reference)
    assert checkout.scheduled_for(session, who) == []
    assert payment(session, bens.reference).status == PaymentStatus.SCHEDULED
    assert account_of(session, ben).id == ben_account.id
    assert checkout.cancel_scheduled(session, ben, bens.reference, now=NOW).status == PaymentStatus.CANCELED


def test_a_key_used_by_another_member_is_not_replayed_to_someone_else(session, renee, add_member, register):
    who, _account = renee
    ben, _ben_account = add_ben(session, add_member, register)
    choice, key = card(), new_key()
    submit(session, ben, choice, PREMIUM, key=key)
    with pytest.raises(checkout.KeyReused):
        submit(session, who, choice, PREMIUM, key=key)


def test_session_scope_sees_the_test_database(session, renee):
    """Sanity: the sandbox and the daily job write where the test reads."""
    who, account = renee
    submit(session, who, card(), PREMIUM)
    with session_scope() as other:
        assert len(other.exec(select(Payment)).all()) == 1
