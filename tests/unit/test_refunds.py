"""Refunds issued by staff: partial and second refunds up to what remains, refused when too much,
exactly once for a double click and for two agents at once, never for a returned payment, and a
processor failure that moves nothing."""

from __future__ import annotations

import contextlib
import threading

import pytest
from sqlmodel import Session, func, select

from hcpay_app.db import engine_for
from hcpay_app.models import (
    AuditEvent,
    EntryKind,
    LedgerEntry,
    NoticeKind,
    Notification,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    SandboxCharge,
)
from hcpay_app.services.billing import ledger, summary
from hcpay_app.services.common.errors import NotAllowed, ValidationError
from hcpay_app.services.jobs import settlement
from hcpay_app.services.payments import checkout, refunds
from tests.unit.money_back_helpers import CREDIT, TODAY, assert_balanced, at, overpaid
from tests.unit.payment_helpers import BANKS, bank, billed_actor, emails, submit
from tests.unit.support_helpers import make_staff

NOW = at(TODAY)


def key() -> str:
    return checkout.new_idempotency_key()


def refund(session, staff, payment, amount, *, reason="Duplicate payment", idempotency_key=None):
    return refunds.refund_payment(
        session,
        staff.user_id,
        payment_reference=payment.reference,
        amount_cents=amount,
        reason=reason,
        idempotency_key=idempotency_key or key(),
        now=NOW,
        today=TODAY,
    )


def test_a_partial_refund_pays_back_part_of_the_credit(session, registered_user, now):
    _who, account, payment = overpaid(session, registered_user)
    staff = make_staff(session, now)
    assert summary.for_account(session, account, TODAY).credit_cents == CREDIT

    done = refund(session, staff, payment, 4000)

    assert done.status == RefundStatus.REFUNDED and done.reference.startswith("RF-")
    assert done.amount == "$40.00" and done.payment_reference == payment.reference
    session.expire_all()
    assert summary.for_account(session, account, TODAY).credit_cents == CREDIT - 4000
    entry = session.exec(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.REFUND)).one()
    assert entry.amount_cents == 4000 and entry.refund_id == done.id and done.reference in entry.description
    assert session.get(Payment, payment.id).refunded_cents == 4000
    # Told: an email, a notice, an audit entry naming the staff member.
    mail = emails(session, NoticeKind.REFUND_ISSUED)
    assert len(mail) == 1 and done.reference in mail[0].body and "Duplicate payment" in mail[0].body
    assert session.exec(select(Notification).where(Notification.kind == NoticeKind.REFUND_ISSUED)).one()
    issued = session.exec(select(AuditEvent).where(AuditEvent.action == "refund_issued")).one()
    assert issued.actor_user_id == staff.user_id
    assert_balanced(session, account)


def test_a_second_refund_up_to_what_remains_then_nothing_more(session, registered_user, now):
    _who, account, payment = overpaid(session, registered_user)
    staff = make_staff(session, now)
    refund(session, staff, payment, 4000)
    rest = payment.amount_cents - 4000

    second = refund(session, staff, payment, rest)

    assert second.status == RefundStatus.REFUNDED
    session.expire_all()
    assert session.get(Payment, payment.id).refunded_cents == payment.amount_cents
    # Everything the payment paid is owed again, less nothing: the balance is what was owed before.
    assert ledger.balance(session, account.id) == payment.amount_cents - CREDIT
    with pytest.raises(ValidationError) as refused:
        refund(session, staff, payment, 1)
    assert "already been refunded in full" in str(refused.value.errors)
    assert_balanced(session, account)


def test_a_refund_exceeding_what_remains_is_refused_and_writes_nothing(session, registered_user, now):
    _who, account, payment = overpaid(session, registered_user)
    staff = make_staff(session, now)
    refund(session, staff, payment, 4000)

    with pytest.raises(ValidationError) as refused:
        refund(session, staff, payment, payment.amount_cents - 4000 + 1)

    assert refused.value.errors["amount"].startswith("Only $")
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Refund)).one() == 1
    assert session.get(Payment, payment.id).refunded_cents == 4000


def test_a_double_click_refunds_once(session, registered_user, now):
    _who, account, payment = overpaid(session, registered_user)
    staff = make_staff(session, now)
    same = key()
    first = refund(session, staff, payment, 2500, idempotency_key=same)
    again = refund(session, staff, payment, 2500, idempotency_key=same)
    assert first.reference == again.reference
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Refund)).one() == 1
    assert session.get(Payment, payment.id).refunded_cents == 2500
    refunds_at_processor = session.exec(
        select(func.count()).select_from(SandboxCharge).where(SandboxCharge.processor_ref.startswith("re_"))
    ).one()
    assert refunds_at_processor == 1


def test_two_agents_refunding_at_once_one_succeeds(session, registered_user, now, db_url):
    _who, account, payment = overpaid(session, registered_user)
    first_agent = make_staff(session, now)
    second_agent = make_staff(session, now, username="ria.support")
    agents = [first_agent, second_agent]
    barrier = threading.Barrier(2, timeout=30)
    results, errors = [], []

    def agent(i: int) -> None:
        with Session(engine_for(db_url), expire_on_commit=False) as own:
            barrier.wait()
            try:
                results.append(refund(own, agents[i], payment, payment.amount_cents, reason=f"Agent {i} refund"))
            except ValidationError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=agent, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(results) == 1 and len(errors) == 1
    assert results[0].status == RefundStatus.REFUNDED
    session.expire_all()
    assert session.get(Payment, payment.id).refunded_cents == payment.amount_cents
    assert (
        session.exec(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == EntryKind.REFUND)).one()
        == 1
    )
    assert_balanced(session, account)


def test_a_returned_payment_cannot_be_refunded(session, registered_user, now):
    who, account = billed_actor(session, registered_user)
    result = submit(session, who, bank(BANKS["R01"]), 5000)
    staff = make_staff(session, now)
    payment = session.exec(select(Payment).where(Payment.reference == result.reference)).one()
    # Still on its way: not yet.
    with pytest.raises(ValidationError) as pending:
        refunds.preview_refund(
            session, staff.user_id, payment_reference=payment.reference, amount_cents=100, today=TODAY
        )
    assert "hasn't cleared yet" in pending.value.errors["payment"]
    settle_day = payment.expected_settle_on
    settlement.settle_bank_payments(session, today=settle_day, now=at(settle_day))
    session.expire_all()
    assert session.get(Payment, payment.id).status == PaymentStatus.RETURNED

    with pytest.raises(ValidationError) as refused:
        refund(session, staff, payment, 100)

    assert "returned by the bank" in refused.value.errors["payment"]
    assert session.exec(select(func.count()).select_from(Refund)).one() == 0


def test_a_refund_the_processor_cannot_send_fails_and_moves_nothing(session, registered_user, now):
    _who, account, payment = overpaid(session, registered_user, "4000000000005126")
    staff = make_staff(session, now)
    before = ledger.balance(session, account.id)

    failed = refund(session, staff, payment, 3000)

    assert failed.status == RefundStatus.FAILED and failed.status_label == "Refund failed"
    assert failed.failure  # staff are told
    session.expire_all()
    assert ledger.balance(session, account.id) == before
    assert session.get(Payment, payment.id).refunded_cents == 0  # the reservation is released
    assert emails(session, NoticeKind.REFUND_ISSUED) == []
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "refund_failed")).one()
    assert_balanced(session, account)


def test_the_preview_says_when_a_refund_would_leave_a_bill_unpaid(session, registered_user, now):
    _who, account, payment = overpaid(session, registered_user)
    staff = make_staff(session, now)
    within = refunds.preview_refund(
        session, staff.user_id, payment_reference=payment.reference, amount_cents=CREDIT, today=TODAY
    )
    assert not within.leaves_bill_unpaid and within.warning == ""
    beyond = refunds.preview_refund(
        session, staff.user_id, payment_reference=payment.reference, amount_cents=CREDIT + 2500, today=TODAY
    )
    assert beyond.leaves_unpaid_cents == 2500 and "$25.00 unpaid" in beyond.warning


def test_members_cannot_refund(session, registered_user, now):
    who, account, payment = overpaid(session, registered_user)
    with pytest.raises(NotAllowed):
        refunds.refund_payment(
            session,
            who.user_id,
            payment_reference=payment.reference,
            amount_cents=100,
            reason="I want my money",
            idempotency_key=key(),
            now=NOW,
            today=TODAY,
        )
    with pytest.raises(NotAllowed):
        refunds.preview_refund(session, who.user_id, payment_reference=payment.reference, amount_cents=1, today=TODAY)
    assert session.exec(select(func.count()).select_from(Refund)).one() == 0


def pdf_text(body: bytes) -> str:
    import io

    import pypdf

    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def test_history_receipts_statements_the_yearly_summary_and_the_csv_show_refunds(session, registered_user, now):
    from hcpay_app.services.billing import bills
    from hcpay_app.services.payments import documents, history

    who, account, payment = overpaid(session, registered_user)
    staff = make_staff(session, now)
    done = refund(session, staff, payment, CREDIT, reason="Member asked for the credit back")

    rows = history.page(session, who, today=TODAY).rows
    refund_row = next(r for r in rows if r.title == "Refund")
    assert refund_row.reference == done.reference and refund_row.amount == "$100.00"
    assert refund_row.status == "Refunded"
    detail = history.payment_detail(session, who, payment.reference)
    assert detail.refunds and done.reference in detail.refunds[0]
    assert any(done.reference in step.note for step in detail.timeline)

    _name, receipt = documents.receipt_pdf(session, who, payment.reference)
    assert done.reference in pdf_text(receipt)
    _name, statement = documents.statement_pdf(session, who, f"{TODAY:%Y-%m}")
    assert done.reference in pdf_text(statement)
    _name, body = documents.history_csv(session, who, TODAY.isoformat(), TODAY.isoformat())
    lines = body.decode("utf-8-sig").splitlines()
    assert any(line.startswith(f"{TODAY.isoformat()},refund,{done.reference},") for line in lines)
    yearly = bills.year_summary(session, who, TODAY.year, TODAY)
    assert any(done.reference in note for note in bills.summary_notes(yearly))
    # The balance every view shows is the ledger's sum: $0.00 once the credit went back.
    assert summary.for_account(session, account, TODAY).credit_cents == 0
    assert ledger.balance(session, account.id) == 0
    assert_balanced(session, account)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_ledger_stays_balanced_through_refunds_and_disputes(session, registered_user, now, monkeypatch, seed):
    """Random refunds (some too large, refused) on several payments, one of them disputed: after
    each step the balance is the sum of the entries, the money summary says the same, and every
    bill's paid amount agrees with the ledger's own allocation."""
    import datetime as dt
    import random

    from hcpay_app.config import get_settings
    from hcpay_app.services.billing import bills
    from hcpay_app.services.jobs import money_back
    from tests.unit.payment_helpers import card

    monkeypatch.setenv("HCPAY_DISPUTE_FEE_CENTS", "1500")
    get_settings.cache_clear()
    rng = random.Random(seed)
    who, account, first = overpaid(session, registered_user, extra=rng.randint(0, 30000))
    references = [first.reference]
    for number in ("4242424242424242", "4000000000000259", "4242424242424242"):
        references.append(submit(session, who, card(number), rng.randint(1000, 60000)).reference)
    staff = make_staff(session, now)

    def check(day) -> None:
        assert_balanced(session, account)
        positions = {p.invoice_id: p.paid_cents for p in ledger.positions(session, account.id, day)}
        shown = bills.account_bills(session, session.get(type(account), account.id), day)
        assert sum(b.paid_cents + b.processing_cents for b in shown) == sum(positions.values())

    for _step in range(6):
        payment = session.exec(select(Payment).where(Payment.reference == rng.choice(references))).one()
        with contextlib.suppress(ValidationError):  # more than what is left: refused, nothing moved
            refund(session, staff, payment, rng.randint(1, payment.amount_cents))
        check(TODAY)
    opens = TODAY + dt.timedelta(days=7)
    money_back.run(session, today=opens, now=at(opens))
    session.expire_all()
    check(opens)
    decided = opens + dt.timedelta(days=30)
    money_back.run(session, today=decided, now=at(decided))
    session.expire_all()
    check(decided)
