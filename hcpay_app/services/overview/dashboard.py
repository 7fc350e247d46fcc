"""The dashboard's figures, display-ready, for the acting member only."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session, select

from hcpay_app.models import Payment, PaymentStatus
from hcpay_app.services.accounts import access, profile
from hcpay_app.services.recurring import autopay, plans
from hcpay_app.services.common import dates, money
from hcpay_app.services.billing import coverage, ledger
from hcpay_app.services.payments import history, statuses
from hcpay_app.services.accounts.authn import SessionUser


@dataclasses.dataclass(frozen=True)
class DashboardView:
    profile: profile.MemberOverview
    amount_due: str
    amount_due_cents: int
    due_by: str
    days_left: str
    past_due: str
    past_due_cents: int
    past_due_since: str
    credit: str
    coverage_text: str
    coverage_tone: str
    autopay_text: str
    last_payment_amount: str
    last_payment_date: str
    last_payment_reference: str
    last_payment_status: str
    recent: list[history.HistoryRow]
    can_offer_plan: bool
    has_plan: bool


def _days_left(due_on: dt.date, today: dt.date) -> str:
    days = (due_on - today).days
    if days == 0:
        return "Due today"
    if days == 1:
        return "1 day left"
    return f"{days} days left"


def view(session: Session, actor: SessionUser, today: dt.date) -> DashboardView:
    account = access.member_account(session, actor)
    position = ledger.account_position(session, account.id, today)
    words, tone = coverage.describe(account, position.past_due_cents)
    last = session.exec(
        select(Payment)
        .where(Payment.billing_account_id == account.id, Payment.status.in_([PaymentStatus.SUCCEEDED, PaymentStatus.PENDING]))
        .order_by(Payment.payment_date.desc(), Payment.id.desc())
        .limit(1)
    ).first()
    due_by = position.oldest_unpaid_due_on if position.past_due_cents else position.next_due_on
    return DashboardView(
        profile=profile.overview(session, actor),
        amount_due=money.format_cents(position.amount_due_cents),
        amount_due_cents=position.amount_due_cents,
        due_by=dates.short_date(due_by) if due_by and position.amount_due_cents else "",
        days_left=_days_left(position.next_due_on, today) if position.next_due_on and not position.past_due_cents else "",
        past_due=money.format_cents(position.past_due_cents),
        past_due_cents=position.past_due_cents,
        past_due_since=dates.short_date(position.oldest_unpaid_due_on) if position.oldest_unpaid_due_on else "",
        credit=money.format_cents(position.credit_cents) if position.credit_cents else "",
        coverage_text=words,
        coverage_tone=tone,
        autopay_text=autopay.status_text(session, account),
        last_payment_amount=money.format_cents(last.amount_cents) if last else "",
        last_payment_date=dates.short_date(last.payment_date) if last else "",
        last_payment_reference=last.reference if last else "",
        last_payment_status=statuses.LABELS.get(last.status, "") if last else "",
        recent=history.page(session, actor, page_size=5, today=today).rows,
        can_offer_plan=bool(plans.offer(session, actor, today).choices),
        has_plan=plans.active_plan(session, account.id) is not None,
    )
