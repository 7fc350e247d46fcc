"""The daily job's payment plans: charge due installments from the plan's method, mark paid and
missed ones, and complete or end a plan — each plan's change claimed by a conditional UPDATE, so
of two jobs at once only one tells the member."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select, update

from hcpay_app import routes
from hcpay_app.i18n.message import Msg
from hcpay_app.models import (
    BillingAccount,
    InstallmentStatus,
    NoticeKind,
    PaymentMethod,
    PaymentPlan,
    PaymentSource,
    PaymentStatus,
    PlanInstallment,
    PlanStatus,
)
from hcpay_app.services.accounts import notices
from hcpay_app.services.billing import plan_standing
from hcpay_app.services.payments import checkout
from hcpay_app.services.recurring import templates


def _claim_plan(session: Session, plan_id: int, status: str, now: dt.datetime) -> bool:
    """Move an active plan to `status` in the caller's transaction — a conditional UPDATE, so of
    two jobs that read the plan as active only one completes (or ends) it and tells the member."""
    values = {"status": status, "ended_at": now} if status == PlanStatus.ENDED else {"status": status}
    claimed = session.exec(
        update(PaymentPlan)
        .where(PaymentPlan.id == plan_id, PaymentPlan.status == PlanStatus.ACTIVE)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def process(session: Session, *, today: dt.date, now: dt.datetime) -> tuple[int, int]:
    """Charge due installments from the plan's method, mark paid ones, end plans with a missed
    installment. Returns (charged, ended)."""
    charged = ended = 0
    for plan in session.exec(select(PaymentPlan).where(PaymentPlan.status == PlanStatus.ACTIVE)).all():
        session.refresh(plan)
        if plan.status != PlanStatus.ACTIVE:
            continue  # another job completed or ended it since we listed it
        plan_id = plan.id
        rows = session.exec(
            select(PlanInstallment).where(PlanInstallment.plan_id == plan_id).order_by(PlanInstallment.ordinal)
        ).all()
        for row in rows:
            if row.status == InstallmentStatus.DUE and row.due_on <= today and plan.payment_method_id:
                method = session.get(PaymentMethod, plan.payment_method_id)
                account = session.get(BillingAccount, plan.billing_account_id)
                payment = checkout.charge_saved_method(
                    session,
                    account=account,
                    method=method,
                    amount_cents=row.amount_cents,
                    idempotency_key=f"plan-{plan_id}-{row.ordinal}",
                    source=PaymentSource.PLAN,
                    note=Msg("Payment plan installment {number}", number=row.ordinal),
                    now=now,
                    today=today,
                )
                session.refresh(row)
                if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PENDING):
                    charged += 1
        paid = plan_standing.standing_of(session, plan).toward_plan_cents
        running = 0
        statuses = []
        for row in rows:
            session.refresh(row)
            running += row.amount_cents
            status = row.status
            if status == InstallmentStatus.DUE and paid >= running:
                status = InstallmentStatus.PAID
            elif status == InstallmentStatus.DUE and row.due_on < today:
                status = InstallmentStatus.MISSED
            if status != row.status:  # only from "due", and only if nobody changed it meanwhile
                session.exec(
                    update(PlanInstallment)
                    .where(PlanInstallment.id == row.id, PlanInstallment.status == InstallmentStatus.DUE)
                    .values(status=status)
                    .execution_options(synchronize_session=False)
                )
            statuses.append(status)
        user_id = plan.user_id
        if InstallmentStatus.MISSED in statuses:
            if not _claim_plan(session, plan_id, PlanStatus.ENDED, now):
                session.rollback()  # another job ended it (and told the member) since we read it
                continue
            ended += 1
            notices.notify(
                session, user_id, templates.plan_ended(), kind=NoticeKind.PLAN_ENDED, now=now, link=routes.PAY
            )
        elif all(status == InstallmentStatus.PAID for status in statuses):
            if not _claim_plan(session, plan_id, PlanStatus.COMPLETED, now):
                session.rollback()  # another job completed it (and told the member) since we read it
                continue
            notices.notify(
                session,
                user_id,
                templates.plan_completed(),
                kind=NoticeKind.PLAN_COMPLETED,
                now=now,
                link=routes.HISTORY,
                by_email=False,
            )
        session.commit()
        session.expire_all()  # the conditional UPDATEs bypassed the loaded rows and plan
    return charged, ended
