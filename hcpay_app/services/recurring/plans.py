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

from sqlmodel import Session, select

from hcpay_app import routes
from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Dated, Msg
from hcpay_app.models import (
    InstallmentStatus,
    NoticeKind,
    PaymentPlan,
    PlanInstallment,
    PlanStatus,
)
from hcpay_app.services.accounts import access, notices
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.billing import ledger, plan_standing
from hcpay_app.services.common import audit, dates, money
from hcpay_app.services.common.errors import ValidationError
from hcpay_app.services.payments import methods
from hcpay_app.services.recurring import templates

TERMS = Msg(
    "I agree to pay the installments below by their due dates. If an installment is missed, the plan ends and "
    "the remaining past-due balance is due at once; my coverage may then end under the grace-period rules."
)

INSTALLMENT_LABELS = {
    InstallmentStatus.DUE: Msg("Due"),
    InstallmentStatus.PAID: Msg("Paid"),
    InstallmentStatus.MISSED: Msg("Missed"),
}


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


def offer(session: Session, actor: SessionUser, today: dt.date) -> PlanOffer:
    account = access.member_account(session, actor)
    past_due = ledger.account_position(session, account.id, today).past_due_cents
    minimum = get_settings().plan_min_installment_cents
    choices = (
        [n for n in range(2, 7) if past_due // n >= minimum]
        if plan_standing.active_plan(session, account.id) is None
        else []
    )
    return PlanOffer(money.format_cents(past_due), past_due, choices)


def schedule(total: int, count: int, today: dt.date) -> list[tuple[dt.date, int]]:
    return [(dates.add_months(today, n), amount) for n, amount in enumerate(split(total, count))]


def create(
    session: Session,
    actor: SessionUser,
    *,
    installments: object,
    method_id: object,
    accepted: object,
    now: dt.datetime,
    today: dt.date,
) -> PlanView:
    account = access.member_account(session, actor)
    offered = offer(session, actor, today)
    if type(installments) is not int or installments not in offered.choices:
        raise ValidationError({"installments": Msg("Choose how many monthly installments (2 to 6).")})
    method = methods._own(session, actor, method_id) if method_id is not None else None
    if accepted is not True:
        raise ValidationError({"accept": Msg("Please read and accept the plan terms.")})
    plan = PaymentPlan(
        billing_account_id=account.id,
        user_id=actor.user_id,
        payment_method_id=method.id if method else None,
        total_cents=offered.past_due_cents,
        status=PlanStatus.ACTIVE,
        accepted_at=now,
    )
    session.add(plan)
    session.flush()
    for ordinal, (due_on, amount) in enumerate(schedule(offered.past_due_cents, installments, today), start=1):
        session.add(
            PlanInstallment(
                plan_id=plan.id, ordinal=ordinal, due_on=due_on, amount_cents=amount, status=InstallmentStatus.DUE
            )
        )
    message = templates.plan_created(
        offered.past_due,
        schedule(offered.past_due_cents, installments, today),
        charged_automatically=method is not None,
    )
    notices.notify(session, actor.user_id, message, kind=NoticeKind.PLAN_CREATED, now=now, link=routes.PAYMENT_PLAN)
    audit.record(
        session,
        "payment_plan_created",
        now=now,
        actor_user_id=actor.user_id,
        subject_user_id=actor.user_id,
        detail=f"{installments} x {offered.past_due}",
    )
    session.commit()
    return view(session, plan)


def view(session: Session, plan: PaymentPlan) -> PlanView:
    rows = session.exec(
        select(PlanInstallment).where(PlanInstallment.plan_id == plan.id).order_by(PlanInstallment.ordinal)
    ).all()
    return PlanView(
        plan.status,
        money.format_cents(plan.total_cents),
        [
            InstallmentView(
                r.ordinal,
                Dated(r.due_on),
                money.format_cents(r.amount_cents),
                INSTALLMENT_LABELS.get(r.status, r.status.title()),
            )
            for r in rows
        ],
    )


def current(session: Session, actor: SessionUser) -> PlanView | None:
    plan = plan_standing.active_plan(session, access.member_account(session, actor).id)
    return view(session, plan) if plan else None
