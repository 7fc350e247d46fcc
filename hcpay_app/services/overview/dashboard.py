"""The dashboard's figures, display-ready, for the acting member only."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session, select

from hcpay_app.i18n.message import Msg
from hcpay_app.models import Payment, PaymentStatus
from hcpay_app.services.accounts import access, profile
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.billing import plan_standing, summary, templates
from hcpay_app.services.billing.templates import BillLine, SummaryLine
from hcpay_app.services.common import dates, money, read_memo
from hcpay_app.services.payments import history, statuses
from hcpay_app.services.recurring import autopay, plans


@dataclasses.dataclass(frozen=True)
class MemberCard:
    """Who the dashboard is for, as it shows them: masked, and nothing it doesn't show."""

    first_name: str
    full_name: str
    member_number: str
    masked_ssn: str
    masked_email: str
    account_number: str
    plan_name: str
    monthly_premium: str


@dataclasses.dataclass(frozen=True)
class DashboardView:
    """Everything the dashboard shows, display-ready (the whole view is sent to the browser)."""

    profile: MemberCard
    amount_due: str  # past due and due next, less what is clearing (`MoneySummary.payable_now_cents`)
    amount_due_cents: int
    has_amount_due: bool
    due_by: str
    days_left: str
    past_due: str
    past_due_cents: int
    has_past_due: bool
    past_due_since: str
    credit: str
    summary: list[SummaryLine]  # past due now, due next, not yet due, processing, credit — or all paid up
    all_paid_up: bool
    coverage_text: str
    coverage_tone: str
    coverage_timeline: list[str]
    autopay_text: str
    last_payment_amount: str
    last_payment_date: str
    last_payment_reference: str
    last_payment_status: str
    recent: list[history.HistoryRow]
    can_offer_plan: bool
    has_plan: bool
    # The monthly premium as the roster gave it: full premium, tax credit and the member's share
    # when it had them (`has_breakdown`), else the premium alone.
    has_breakdown: bool = False
    premium_breakdown: list[BillLine] = dataclasses.field(default_factory=list)


def _days_left(due_on: dt.date, today: dt.date) -> str:
    days = (due_on - today).days
    if days == 0:
        return Msg("Due today")
    return Msg.plural("{count} day left", "{count} days left", days)


def view(session: Session, actor: SessionUser, today: dt.date) -> DashboardView:
    # The summary, the plan offer and the recent history each read the balance and newest bills.
    with read_memo.reading(session):
        return _view(session, actor, today)


def _view(session: Session, actor: SessionUser, today: dt.date) -> DashboardView:
    account = access.member_account(session, actor)
    money_now = summary.for_account(session, account, today)
    cover = templates.coverage_line(money_now)
    last = session.exec(
        select(Payment)
        .where(
            Payment.billing_account_id == account.id,
            Payment.status.in_([PaymentStatus.SUCCEEDED, PaymentStatus.PENDING]),
        )
        .order_by(Payment.payment_date.desc(), Payment.id.desc())
        .limit(1)
    ).first()
    due_by = money_now.past_due_since if money_now.past_due_cents else money_now.due_next_on
    member = profile.overview(session, actor)
    return DashboardView(
        profile=MemberCard(
            member.first_name,
            member.full_name,
            member.member_number,
            member.masked_ssn,
            member.masked_email,
            member.account_number,
            member.plan_name,
            member.monthly_premium,
        ),
        amount_due=money.format_cents(money_now.payable_now_cents),
        amount_due_cents=money_now.payable_now_cents,
        has_amount_due=money_now.has_amount_due,
        due_by=dates.short_date(due_by) if due_by and money_now.has_amount_due else "",
        days_left=(
            _days_left(money_now.due_next_on, today)
            if money_now.due_next_on and not money_now.past_due_cents and money_now.has_amount_due
            else ""
        ),
        past_due=money.format_cents(money_now.past_due_cents),
        past_due_cents=money_now.past_due_cents,
        has_past_due=money_now.has_past_due,
        past_due_since=dates.short_date(money_now.past_due_since) if money_now.past_due_since else "",
        credit=money.format_cents(money_now.credit_cents) if money_now.credit_cents else "",
        summary=templates.summary_lines(money_now),
        all_paid_up=money_now.all_paid_up,
        coverage_text=cover.words,
        coverage_tone=cover.tone,
        coverage_timeline=list(cover.timeline),
        autopay_text=autopay.status_text(session, account),
        last_payment_amount=money.format_cents(last.amount_cents) if last else "",
        last_payment_date=dates.short_date(last.payment_date) if last else "",
        last_payment_reference=last.reference if last else "",
        last_payment_status=statuses.LABELS.get(last.status, "") if last else "",
        recent=history.page(session, actor, page_size=5, today=today).rows,
        can_offer_plan=bool(plans.offer(session, actor, today).choices),
        has_plan=plan_standing.active_plan(session, account.id) is not None,
        has_breakdown=account.full_premium_cents is not None and account.tax_credit_cents is not None,
        premium_breakdown=templates.premium_lines(
            account.monthly_premium_cents, account.full_premium_cents, account.tax_credit_cents, account.plan_name
        ),
    )
