"""Guest payment: proving a billing account with its ZIP code and date of birth shows only initials
and the amount due; every wrong answer reads the same; attempts are limited per client and per
account; the payment itself goes through the same processor, idempotency, ledger and receipt."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlmodel import select

from hcpay_app.models import (
    BillingAccount,
    CoverageStatus,
    EntryKind,
    LedgerEntry,
    Payment,
    PaymentStatus,
)
from hcpay_app.services.billing import ledger
from hcpay_app.services.common import money
from hcpay_app.services.common.errors import (
    RateLimited,
    ValidationError,
    VerificationFailed,
)
from hcpay_app.services.payments import checkout, guest, methods
from tests.unit.billing_helpers import BEN, issue_through
from tests.unit.payment_helpers import (
    CARDS,
    actor_for,
    bank,
    card,
    new_key,
    sandbox_charges,
    token_of,
)
from tests.unit.support_helpers import audits, balance, counts, snapshot

ACCOUNT, ZIP, DOB = "987654321", "02134", "04/15/1985"  # Renée's, from the unit conftest's roster row
CLIENT = "198.51.100.20"


@pytest.fixture
def account(session, member, today) -> BillingAccount:
    """Renée's billing account with every invoice due by today issued (no portal login needed)."""
    found = session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()
    issue_through(session, found, today)
    return found


@pytest.fixture
def verify(session, now, today):
    def run(account_number=ACCOUNT, zip_code=ZIP, date_of_birth=DOB, *, client_key=CLIENT, at=None):
        moment = at or now
        return guest.verify(
            session,
            account_number=account_number,
            zip_code=zip_code,
            date_of_birth=date_of_birth,
            client_key=client_key,
            now=moment,
            today=today,
        )

    return run


def fail(verify, *args, **kwargs) -> None:
    with pytest.raises(VerificationFailed) as caught:
        verify(*args, **kwargs)
    assert caught.value.message == guest.NO_MATCH


# ---- verification ----------------------------------------------------------------------------


@pytest.mark.parametrize("dob", ["04/15/1985", "1985-04-15"])
def test_the_right_details_show_initials_and_the_amount_due(session, today, account, verify, dob):
    before = counts(session)
    found = verify(date_of_birth=dob)

    position = ledger.account_position(session, account.id, today)
    assert position.amount_due_cents > 0
    assert found.initials == "R. O."
    assert (found.amount_due_cents, found.amount_due) == (
        position.amount_due_cents,
        money.format_cents(position.amount_due_cents),
    )
    assert found.account_id == account.id
    assert found.maximum_cents == checkout.account_options(session, account, today).maximum_cents
    assert counts(session) == before  # a success counts nothing against the limits


def test_verification_reveals_nothing_else_about_the_member(session, account, verify):
    found = verify()
    assert [f.name for f in dataclasses.fields(found)] == [
        "account_id",
        "initials",
        "amount_due",
        "amount_due_cents",
        "maximum_cents",
        "account_ending",  # the last 4 digits of the account number the guest just typed
    ]
    assert found.account_ending == ACCOUNT[-4:]
    text = repr(found)
    for secret in (
        "Renée",
        "Renee",
        "O’Neil",
        "ONeil",
        "Dubois",
        "renee.oneil",
        "Renee.ONeil@example.com",
        "@",
        "219550123",
        "219-55-0123",
        "1985",
        "04/15",
        "02134",
        "123456789012",
        "987654321",
        "Silver Select",
    ):
        assert secret not in text, secret


def test_the_zip_may_be_typed_with_spaces_around_it(account, verify):
    assert verify(account_number=f" {ACCOUNT} ", zip_code=f" {ZIP} ").initials == "R. O."


def test_any_wrong_detail_reads_the_same(session, account, add_member, verify):
    add_member(**{f.name: getattr(BEN, f.name) for f in dataclasses.fields(BEN) if f.name != "line"})
    for n, details in enumerate(
        [
            {"zip_code": "02135"},
            {"date_of_birth": "04/16/1985"},
            {"date_of_birth": "1986-04-15"},
            {"account_number": "987654329"},
            {"account_number": "987654322"},  # a real account number, but not Renée's details
            {"zip_code": "02135", "date_of_birth": "01/01/1990"},
        ]
    ):
        fail(verify, **details, client_key=f"203.0.113.{n}")


def test_a_terminated_account_cannot_be_verified_for_guest_payment(session, account, verify):
    account.coverage_status = CoverageStatus.TERMINATED
    session.add(account)
    session.commit()
    fail(verify)


def test_malformed_details_are_field_errors_and_not_counted(session, account, verify):
    before = counts(session)
    for details, fields in [
        ({"account_number": "98765432"}, {"account_number"}),
        ({"account_number": "98765432a"}, {"account_number"}),
        ({"account_number": None}, {"account_number"}),
        ({"zip_code": "0213"}, {"zip_code"}),
        ({"zip_code": "02134-1234"}, {"zip_code"}),
        ({"date_of_birth": "April 15"}, {"date_of_birth"}),
        ({"date_of_birth": ""}, {"date_of_birth"}),
        (
            {"account_number": "", "zip_code": "", "date_of_birth": None},
            {"account_number", "zip_code", "date_of_birth"},
        ),
    ]:
        with pytest.raises(ValidationError) as caught:
            verify(**details)
        assert set(caught.value.errors) == fields, details
    assert counts(session) == before
    assert verify().initials == "R. O."  # none of them counted toward a limit


# ---- rate limits (time moved through `now`, never the wall clock) ------------------------------


def test_more_than_ten_failures_from_one_client_in_an_hour_are_refused(session, now, account, verify):
    for n in range(10):  # ten different unknown accounts: only the client bucket fills up
        fail(verify, account_number=f"{111111110 + n}", at=now + dt.timedelta(minutes=n))

    with pytest.raises(RateLimited):
        verify(at=now + dt.timedelta(minutes=30))  # even with the right details
    assert verify(client_key="198.51.100.21", at=now + dt.timedelta(minutes=30)).initials == "R. O."

    # an hour after the first failure, that one no longer counts
    assert verify(at=now + dt.timedelta(minutes=60, seconds=1)).initials == "R. O."


def test_more_than_five_failures_on_one_account_in_an_hour_are_refused(session, now, account, add_member, verify):
    add_member(**{f.name: getattr(BEN, f.name) for f in dataclasses.fields(BEN) if f.name != "line"})
    for n in range(5):  # five different clients: only the account bucket fills up
        fail(verify, zip_code="02135", client_key=f"203.0.113.{n}", at=now + dt.timedelta(minutes=n))

    with pytest.raises(RateLimited) as caught:
        verify(client_key="203.0.113.99", at=now + dt.timedelta(minutes=10))
    assert "hour" in caught.value.message
    # other accounts from the same client are unaffected
    assert (
        verify(
            account_number="987654322",
            zip_code="02134",
            date_of_birth="08/02/1979",
            client_key="203.0.113.99",
            at=now + dt.timedelta(minutes=10),
        ).initials
        == "B. O."
    )

    assert verify(client_key="203.0.113.99", at=now + dt.timedelta(minutes=65)).initials == "R. O."


def test_refused_attempts_are_not_counted_again(session, now, account, verify):
    for n in range(5):
        fail(verify, zip_code="02135", client_key=f"203.0.113.{n}")
    before = counts(session)
    for _ in range(3):
        with pytest.raises(RateLimited):
            verify()
    assert counts(session) == before


def test_a_terminated_account_counts_as_a_failure(session, now, account, verify):
    account.coverage_status = CoverageStatus.TERMINATED
    session.add(account)
    session.commit()
    for n in range(5):
        fail(verify, client_key=f"203.0.113.{n}")
    with pytest.raises(RateLimited):
        verify(client_key="203.0.113.50")


# ---- paying as a guest -----------------------------------------------------------------------


def pay_as_guest(session, found, choice, *, now, today, key=None, amount=None):
    return checkout.submit_guest(
        session,
        account_id=found.account_id,
        idempotency_key=key or new_key(),
        amount_cents=found.amount_due_cents if amount is None else amount,
        choice=choice,
        now=now,
        today=today,
    )


def test_a_guest_card_payment_goes_through_the_processor_and_the_ledger(session, now, today, account, verify, outbox):
    found = verify()
    before = balance(session, account)
    key = new_key()

    result = pay_as_guest(session, found, card(), now=now, today=today, key=key)

    assert (result.status, result.declined, result.amount) == (PaymentStatus.SUCCEEDED, False, found.amount_due)
    payment = session.exec(select(Payment).where(Payment.reference == result.reference)).one()
    assert (payment.source, payment.user_id, payment.payment_method_id, payment.billing_account_id) == (
        "guest",
        None,
        None,
        account.id,
    )
    assert payment.payment_date == today and payment.method_label.endswith("4242")
    [charge] = sandbox_charges(session)
    assert (charge.idempotency_key, charge.amount_cents) == (key, found.amount_due_cents)
    [entry] = session.exec(select(LedgerEntry).where(LedgerEntry.payment_id == payment.id)).all()
    assert (entry.kind, entry.amount_cents) == (EntryKind.PAYMENT, -found.amount_due_cents)
    assert balance(session, account) == before - found.amount_due_cents
    [receipt] = outbox("payment_receipt")
    assert receipt.to_address == "Renee.ONeil@example.com"
    assert result.reference in receipt.subject and result.reference in receipt.body
    [event] = audits(session, "guest_payment_submitted")
    assert event.actor_user_id is None and result.reference in event.detail
    assert CARDS["ok"] not in repr(payment) + receipt.body + event.detail


def test_the_same_key_twice_is_one_payment_and_one_charge(session, now, today, account, verify, outbox):
    found = verify()
    choice, key = card(), new_key()
    first = pay_as_guest(session, found, choice, now=now, today=today, key=key)
    again = pay_as_guest(session, found, choice, now=now + dt.timedelta(seconds=5), today=today, key=key)

    assert again.reference == first.reference and again.status == PaymentStatus.SUCCEEDED
    assert len(session.exec(select(Payment)).all()) == 1
    assert [c.idempotency_key for c in sandbox_charges(session)] == [key]
    assert len(outbox("payment_receipt")) == 1
    with pytest.raises(checkout.KeyReused):
        pay_as_guest(session, found, choice, now=now, today=today, key=key, amount=found.amount_due_cents - 100)


def test_a_guest_bank_payment_is_pending_and_credited(session, now, today, account, verify, outbox):
    found = verify()
    before = balance(session, account)
    result = pay_as_guest(session, found, bank(), now=now, today=today, amount=10000)
    assert result.status == PaymentStatus.PENDING
    assert balance(session, account) == before - 10000
    assert [e.to_address for e in outbox("payment_pending")] == ["Renee.ONeil@example.com"]


def test_a_declined_guest_card_changes_no_balance(session, now, today, account, verify):
    found = verify()
    before = balance(session, account)
    result = pay_as_guest(session, found, card(CARDS["insufficient_funds"]), now=now, today=today)
    assert result.declined and result.status == PaymentStatus.DECLINED
    assert balance(session, account) == before


@pytest.mark.parametrize("attempt", ["saved-method", "save-the-card", "saved-method-and-save"])
def test_a_guest_cannot_use_a_saved_method_or_save_one(session, now, today, account, registered_user, verify, attempt):
    who = actor_for(session, registered_user)
    saved = methods.save(session, who, token_of(card()), now=now)
    session.commit()
    found = verify()
    before = snapshot(session)

    choice = {
        "saved-method": lambda: dataclasses.replace(card(), payment_method_id=saved.id),
        "save-the-card": lambda: card(save=True),
        "saved-method-and-save": lambda: dataclasses.replace(card(), payment_method_id=saved.id, save=True),
    }[attempt]()
    with pytest.raises(ValidationError) as caught:
        pay_as_guest(session, found, choice, now=now, today=today)
    assert set(caught.value.errors) == {"submit"}
    assert snapshot(session) == before
    assert sandbox_charges(session) == []


@pytest.mark.parametrize("account_id", [999_999, "1", None])
def test_a_guest_payment_needs_a_real_account(session, now, today, account, account_id):
    before = snapshot(session)
    with pytest.raises(ValidationError):
        checkout.submit_guest(
            session,
            account_id=account_id,
            idempotency_key=new_key(),
            amount_cents=10000,
            choice=card(),
            now=now,
            today=today,
        )
    assert snapshot(session) == before


@pytest.mark.parametrize("amount", [0, 99, "10000", 10_000.0])
def test_a_guest_amount_out_of_range_is_refused(session, now, today, account, verify, amount):
    found = verify()
    before = snapshot(session)
    with pytest.raises(ValidationError) as caught:
        pay_as_guest(session, found, card(), now=now, today=today, amount=amount)
    assert set(caught.value.errors) == {"amount"}
    with pytest.raises(ValidationError):
        pay_as_guest(session, found, card(), now=now, today=today, amount=found.maximum_cents + 1)
    assert snapshot(session) == before


# ---- coverage re-checked when the guest submits ----------------------------------------------


def terminate_elsewhere(db_url, account_id: int, on: dt.date) -> None:
    """The daily job ends the coverage in its own session, after the guest verified the account."""
    from sqlmodel import Session

    from hcpay_app.db import engine_for

    with Session(engine_for(db_url)) as job:
        row = job.get(BillingAccount, account_id)
        row.coverage_status, row.terminated_on = CoverageStatus.TERMINATED, on
        job.add(row)
        job.commit()


def guest_submit(session, found, choice, *, now, today, key=None, amount=None):
    return guest.submit(
        session,
        account_id=found.account_id,
        idempotency_key=key or new_key(),
        amount_cents=found.amount_due_cents if amount is None else amount,
        choice=choice,
        now=now,
        today=today,
    )


@pytest.mark.parametrize("kind", ["card", "bank"])
def test_coverage_that_ended_after_verification_refuses_the_payment_and_charges_nothing(
    session, db_url, now, today, account, verify, outbox, kind
):
    found = verify()
    assert session.get(BillingAccount, account.id).coverage_status != CoverageStatus.TERMINATED  # read before
    terminate_elsewhere(db_url, account.id, today)
    before = snapshot(session)
    owed = balance(session, account)

    choice = card() if kind == "card" else bank()
    with pytest.raises(guest.CoverageEnded) as caught:
        guest_submit(session, found, choice, now=now, today=today)
    assert caught.value.message == guest.coverage_ended_message()

    assert caught.value.message.startswith("The coverage on this billing account has ended")
    assert "Nothing was charged." in caught.value.message
    assert "Call Customer Service at 1-877-555-0142 (TTY 711), Monday to Friday" in caught.value.message
    assert snapshot(session) == before
    assert (
        sandbox_charges(session) == []
        and outbox("payment_receipt") == []
        and audits(session, "guest_payment_submitted") == []
    )
    assert balance(session, account) == owed


@pytest.mark.parametrize(
    "status", [CoverageStatus.ACTIVE, CoverageStatus.IN_GRACE, CoverageStatus.PENDING_FIRST_PAYMENT]
)
def test_coverage_that_has_not_ended_is_paid_through_the_guest_submit(session, now, today, account, verify, status):
    account.coverage_status = status
    session.add(account)
    session.commit()
    found = verify()
    result = guest_submit(session, found, card(), now=now, today=today)
    assert (result.status, result.declined) == (PaymentStatus.SUCCEEDED, False)
    assert len(sandbox_charges(session)) == 1


def test_a_payment_made_before_the_coverage_ended_is_still_reported_as_made(
    session, db_url, now, today, account, verify
):
    """A repeat of the same submit (a double click, a reconnect) must not say "nothing was charged"."""
    found = verify()
    choice, key = card(), new_key()
    first = guest_submit(session, found, choice, now=now, today=today, key=key)
    terminate_elsewhere(db_url, account.id, today)

    again = guest_submit(session, found, choice, now=now + dt.timedelta(seconds=5), today=today, key=key)

    assert again.reference == first.reference and again.status == PaymentStatus.SUCCEEDED
    assert [c.idempotency_key for c in sandbox_charges(session)] == [key]
    with pytest.raises(guest.CoverageEnded):  # a new payment is refused
        guest_submit(session, found, choice, now=now, today=today)
    assert len(sandbox_charges(session)) == 1


@pytest.mark.parametrize("account_id", [999_999, "1", None])
def test_the_guest_submit_still_needs_a_real_account(session, now, today, account, account_id):
    before = snapshot(session)
    with pytest.raises(ValidationError):
        guest.submit(
            session,
            account_id=account_id,
            idempotency_key=new_key(),
            amount_cents=10000,
            choice=card(),
            now=now,
            today=today,
        )
    assert snapshot(session) == before
