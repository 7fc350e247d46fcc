"""Self-service payment plans: split a past-due balance into 2–6 monthly installments.

A plan covers the invoices past due when it starts (those due before its first installment).
While it is current, those invoices get no late fee and do not lead to termination; premiums that
fall due during the plan are owed beside it as usual. A missed installment ends the plan with a
notice. Installments are charged by the daily job from a chosen method, or paid by hand: money
received after the plan started pays the premiums beside it first, and only what is left over
counts toward the installments.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session, func, select, update

from hcpay_app.config import get_settings
from hcpay_app.models import (
    BillingAccount,
    EntryKind,
    Invoice,
    LedgerEntry,
    Payment,
    PaymentMethod,
    PaymentPlan,
    PaymentStatus,
    PlanInstallment,
)
from hcpay_app.services.accounts import access, notices
from hcpay_app.services.common import audit, dates, money
from hcpay_app.services.billing import ledger
from hcpay_app.services.payments import checkout, methods
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.common.errors import ValidationError

ACTIVE, COMPLETED, ENDED = "active", "completed", "ended"
TERMS = ("I agree to pay the installments below by their due dates. If an installment is missed, the plan ends and "
         "the remaining past-due balance is due at once; my coverage may then end under the grace-period rules.")


@dataclasses.dataclass(frozen=True)
class PlanOffer:
    past_due: str
    past_due_cents: int
    choices: list[int]


@dataclasses.dataclass(frozen=True)
class InstallmentView:
    ordinal: int
    due: str
    amount: str
    status: str


@dataclasses.dataclass(frozen=True)
class PlanView:
    status: str
    total: str
    installments: list[InstallmentView]


def split(total: int, count: int) -> list[int]:
    """Equal installments in cents; the first takes the remainder so they add up exactly."""
    base, extra = divmod(total, count)
    return [base + extra] + [base] * (count - 1)


def active_plan(session: Session, account_id: int) -> PaymentPlan | None:
    return session.exec(select(PaymentPlan).where(PaymentPlan.billing_account_id == account_id,
                                                  PaymentPlan.status == ACTIVE)).first()


def offer(session: Session, actor: SessionUser, today: dt.date) -> PlanOffer:
    account = access.member_account(session, actor)
    past_due = ledger.account_position(session, account.id, today).past_due_cents
    minimum = get_settings().plan_min_installment_cents
    choices = [n for n in range(2, 7) if past_due // n >= minimum] if active_plan(session, account.id) is None else []
    return PlanOffer(money.format_cents(past_due), past_due, choices)


def schedule(total: int, count: int, today: dt.date) -> list[tuple[dt.date, int]]:
    return [(dates.add_months(today, n), amount) for n, amount in enumerate(split(total, count))]


def create(session: Session, actor: SessionUser, *, installments: object, method_id: object, accepted: object,
           now: dt.datetime, today: dt.date) -> PlanView:
    account = access.member_account(session, actor)
    offered = offer(session, actor, today)
    if type(installments) is not int or installments not in offered.choices:
        raise ValidationError({"installments": "Choose how many monthly installments (2 to 6)."})
    method = methods._own(session, actor, method_id) if method_id is not None else None
    if accepted is not True:
        raise ValidationError({"accept": "Please read and accept the plan terms."})
    plan = PaymentPlan(billing_account_id=account.id, user_id=actor.user_id, payment_method_id=method.id if method else None,
                       total_cents=offered.past_due_cents, status=ACTIVE, accepted_at=now)
    session.add(plan)
    session.flush()
    for ordinal, (due_on, amount) in enumerate(schedule(offered.past_due_cents, installments, today), start=1):
        session.add(PlanInstallment(plan_id=plan.id, ordinal=ordinal, due_on=due_on, amount_cents=amount, status="due"))
    lines = "\n".join(f"  {dates.short_date(d)}: {money.format_cents(a)}" for d, a in schedule(offered.past_due_cents, installments, today))
    notices.notify(session, actor.user_id, kind="plan_created", title="Your payment plan is set up",
                   body=f"You'll pay {offered.past_due} in {installments} installments:\n{lines}\n\n"
                        + ("We'll charge your chosen method on each date." if method else "Pay each installment with Make a Payment."),
                   now=now)
    audit.record(session, "payment_plan_created", now=now, actor_user_id=actor.user_id, subject_user_id=actor.user_id,
                 detail=f"{installments} x {offered.past_due}")
    session.commit()
    return view(session, plan)


def view(session: Session, plan: PaymentPlan) -> PlanView:
    rows = session.exec(select(PlanInstallment).where(PlanInstallment.plan_id == plan.id).order_by(PlanInstallment.ordinal)).all()
    return PlanView(plan.status, money.format_cents(plan.total_cents),
                    [InstallmentView(r.ordinal, dates.short_date(r.due_on), money.format_cents(r.amount_cents), r.status.title())
                     for r in rows])


def current(session: Session, actor: SessionUser) -> PlanView | None:
    plan = active_plan(session, access.member_account(session, actor).id)
    return view(session, plan) if plan else None


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


_MONEY_KINDS = (EntryKind.PAYMENT, EntryKind.REVERSAL, EntryKind.CREDIT)


def _standing_of(session: Session, plan: PaymentPlan) -> Standing:
    """Split the money received since the plan started: the plan's own installment charges pay
    the plan; any other money pays the invoices the plan doesn't cover first (a member paying the
    next premium is paying that premium) and only the rest counts toward the installments."""
    starts_on = session.exec(select(func.min(PlanInstallment.due_on)).where(PlanInstallment.plan_id == plan.id)).one()
    account_id = plan.billing_account_id
    own = select(Payment.id).where(Payment.billing_account_id == account_id, Payment.source == "plan",
                                   Payment.idempotency_key.like(f"plan-{plan.id}-%"))
    by_plan = -int(session.exec(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
        LedgerEntry.billing_account_id == account_id, LedgerEntry.kind.in_(_MONEY_KINDS),
        LedgerEntry.payment_id.in_(own))).one())
    beside_money = -int(session.exec(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
        LedgerEntry.billing_account_id == account_id, LedgerEntry.kind.in_(_MONEY_KINDS),
        LedgerEntry.created_at >= plan.accepted_at,
        (LedgerEntry.payment_id.is_(None)) | (LedgerEntry.payment_id.not_in(own)))).one())
    invoices = session.exec(
        select(Invoice.id, Invoice.coverage_month, Invoice.due_on, func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .join(LedgerEntry, LedgerEntry.invoice_id == Invoice.id, isouter=True)
        .where(Invoice.billing_account_id == account_id, Invoice.due_on >= starts_on)
        .group_by(Invoice.id, Invoice.coverage_month, Invoice.due_on)
        .order_by(Invoice.due_on, Invoice.id)).all()
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
    return _standing_of(session, plan) if plan is not None else None


def _paid_since(session: Session, plan: PaymentPlan) -> int:
    """What has been paid toward the plan's installments since it started (see _standing_of)."""
    return _standing_of(session, plan).toward_plan_cents


def _claim_plan(session: Session, plan_id: int, status: str, now: dt.datetime) -> bool:
    """Move an active plan to `status` in the caller's transaction — a conditional UPDATE, so of
    two jobs that read the plan as active only one completes (or ends) it and tells the member."""
    values = {"status": status, "ended_at": now} if status == ENDED else {"status": status}
    claimed = session.exec(update(PaymentPlan).where(PaymentPlan.id == plan_id, PaymentPlan.status == ACTIVE)
                           .values(**values).execution_options(synchronize_session=False))
    return claimed.rowcount == 1


def process(session: Session, *, today: dt.date, now: dt.datetime) -> tuple[int, int]:
    """Charge due installments from the plan's method, mark paid ones, end plans with a missed
    installment. Returns (charged, ended)."""
    charged = ended = 0
    for plan in session.exec(select(PaymentPlan).where(PaymentPlan.status == ACTIVE)).all():
        session.refresh(plan)
        if plan.status != ACTIVE:
            continue  # another job completed or ended it since we listed it
        plan_id = plan.id
        rows = session.exec(select(PlanInstallment).where(PlanInstallment.plan_id == plan_id).order_by(PlanInstallment.ordinal)).all()
        for row in rows:
            if row.status == "due" and row.due_on <= today and plan.payment_method_id:
                method = session.get(PaymentMethod, plan.payment_method_id)
                account = session.get(BillingAccount, plan.billing_account_id)
                payment = checkout.charge_saved_method(
                    session, account=account, method=method, amount_cents=row.amount_cents,
                    idempotency_key=f"plan-{plan_id}-{row.ordinal}", source="plan",
                    note=f"Payment plan installment {row.ordinal}", now=now, today=today)
                session.refresh(row)
                if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING):
                    charged += 1
        paid = _paid_since(session, plan)
        running = 0
        statuses = []
        for row in rows:
            session.refresh(row)
            running += row.amount_cents
            status = row.status
            if status == "due" and paid >= running:
                status = "paid"
            elif status == "due" and row.due_on < today:
                status = "missed"
            if status != row.status:  # only from "due", and only if nobody changed it meanwhile
                session.exec(update(PlanInstallment).where(PlanInstallment.id == row.id, PlanInstallment.status == "due")
                             .values(status=status).execution_options(synchronize_session=False))
            statuses.append(status)
        user_id = plan.user_id
        if "missed" in statuses:
            if not _claim_plan(session, plan_id, ENDED, now):
                session.rollback()  # another job ended it (and told the member) since we read it
                continue
            ended += 1
            notices.notify(session, user_id, kind="plan_ended", title="Your payment plan has ended",
                           body="An installment was missed, so your payment plan has ended and the remaining past-due "
                                "balance is due now. Please make a payment to keep your coverage.", now=now)
        elif all(status == "paid" for status in statuses):
            if not _claim_plan(session, plan_id, COMPLETED, now):
                session.rollback()  # another job completed it (and told the member) since we read it
                continue
            notices.notify(session, user_id, kind="plan_completed", title="Payment plan complete",
                           body="You've paid every installment of your payment plan. Thank you!", now=now, by_email=False)
        session.commit()
        session.expire_all()  # the conditional UPDATEs bypassed the loaded rows and plan
    return charged, ended


def protects(session: Session, account: BillingAccount, invoice_id: int | None = None, *,
             today: dt.date | None = None) -> bool:
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
