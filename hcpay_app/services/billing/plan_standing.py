"""A payment plan's view of its account: which past-due invoices it covers, what counts toward its
installments, what is owed beside it — and so which late fees and terminations it holds off.
Read by delinquency (billing) and by the plans themselves (recurring)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session, func, select

from hcpay_app.models import (
    BillingAccount,
    EntryKind,
    Invoice,
    LedgerEntry,
    Payment,
    PaymentPlan,
    PaymentSource,
    PlanInstallment,
    PlanStatus,
)
from hcpay_app.services.common import read_memo


def active_plan(session: Session, account_id: int) -> PaymentPlan | None:
    query = select(PaymentPlan).where(
        PaymentPlan.billing_account_id == account_id, PaymentPlan.status == PlanStatus.ACTIVE
    )
    return read_memo.memo(session, ("active_plan", account_id), lambda: session.exec(query).first())


@dataclasses.dataclass(frozen=True)
class Beside:
    """An invoice the plan does not cover, and what is unpaid on it once the money paid beside
    the plan (not by its installments) is applied to such invoices, oldest due first."""

    invoice_id: int
    coverage_month: dt.date
    due_on: dt.date
    unpaid_cents: int


@dataclasses.dataclass(frozen=True)
class Standing:
    """A current plan's view of its account: what it covers, what counts toward its installments,
    and what is owed beside it."""

    plan: PaymentPlan
    starts_on: dt.date
    toward_plan_cents: int
    beside: tuple[Beside, ...]

    def covers(self, due_on: dt.date) -> bool:
        """The plan covers the invoices that were past due when it started."""
        return due_on < self.starts_on

    def overdue_beside(self, today: dt.date) -> list[Beside]:
        """Premiums the plan doesn't cover that are past due and unpaid, oldest first."""
        return [b for b in self.beside if b.due_on < today and b.unpaid_cents > 0]


_MONEY_KINDS = (EntryKind.PAYMENT, EntryKind.REVERSAL, EntryKind.CREDIT, EntryKind.DISPUTE, EntryKind.DISPUTE_WON)


def standing_of(session: Session, plan: PaymentPlan) -> Standing:
    """Split the money received since the plan started: the plan's own installment charges pay
    the plan; any other money pays the invoices the plan doesn't cover first (a member paying the
    next premium is paying that premium) and only the rest counts toward the installments."""
    starts_on = session.exec(select(func.min(PlanInstallment.due_on)).where(PlanInstallment.plan_id == plan.id)).one()
    account_id = plan.billing_account_id
    own = select(Payment.id).where(
        Payment.billing_account_id == account_id,
        Payment.source == PaymentSource.PLAN,
        Payment.idempotency_key.like(f"plan-{plan.id}-%"),
    )
    by_plan = -int(
        session.exec(
            select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                LedgerEntry.billing_account_id == account_id,
                LedgerEntry.kind.in_(_MONEY_KINDS),
                LedgerEntry.payment_id.in_(own),
            )
        ).one()
    )
    beside_money = -int(
        session.exec(
            select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                LedgerEntry.billing_account_id == account_id,
                LedgerEntry.kind.in_(_MONEY_KINDS),
                LedgerEntry.created_at >= plan.accepted_at,
                (LedgerEntry.payment_id.is_(None)) | (LedgerEntry.payment_id.not_in(own)),
            )
        ).one()
    )
    invoices = session.exec(
        select(Invoice.id, Invoice.coverage_month, Invoice.due_on, func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .join(LedgerEntry, LedgerEntry.invoice_id == Invoice.id, isouter=True)
        .where(Invoice.billing_account_id == account_id, Invoice.due_on >= starts_on)
        .group_by(Invoice.id, Invoice.coverage_month, Invoice.due_on)
        .order_by(Invoice.due_on, Invoice.id)
    ).all()
    remaining = beside_money
    beside = []
    for invoice_id, month, due_on, amount in invoices:
        paid = max(0, min(int(amount), remaining))
        remaining -= paid
        beside.append(Beside(invoice_id, month, due_on, int(amount) - paid))
    return Standing(plan, starts_on, by_plan + max(remaining, 0), tuple(beside))


def standing(session: Session, account_id: int) -> Standing | None:
    """The current plan's view of the account, or None without a current plan."""
    plan = active_plan(session, account_id)
    return standing_of(session, plan) if plan is not None else None


def protects(
    session: Session, account: BillingAccount, invoice_id: int | None = None, *, today: dt.date | None = None
) -> bool:
    """True while a current plan covers the past-due balance — only the invoices it covers.

    With `invoice_id`: the plan covers that invoice, or it is one the plan doesn't cover but money
    paid beside the plan has paid it (so it owes no late fee). Without: nothing is past due beside
    the plan as of `today` (the past-due balance is all the plan's), so no termination meanwhile.
    """
    current = standing(session, account.id)
    if current is None:
        return False
    if invoice_id is not None:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.billing_account_id != account.id:
            return False
        if current.covers(invoice.due_on):
            return True
        return any(b.invoice_id == invoice_id and b.unpaid_cents <= 0 for b in current.beside)
    if today is None:
        raise TypeError("protects needs `today` to judge the whole past-due balance")
    return not current.overdue_beside(today)
