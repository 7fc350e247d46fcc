"""The dashboard: what the member owes, by when, coverage, autopay and recent activity."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.services.overview import dashboard
from hcpay_app.services.payments import checkout
from hcpay_app.services.common.errors import DomainError
from hcpay_app.services.payments.history import HistoryRow
from hcpay_app.services.payments.checkout import PaymentResult
from hcpay_app.state.base import call_service
from hcpay_app.state.session import current_user, holds_member_data, login_redirect


@holds_member_data
class DashboardState(rx.State):
    loaded: bool = False
    first_name: str = ""
    full_name: str = ""
    member_number: str = ""
    masked_ssn: str = ""
    masked_email: str = ""
    account_number: str = ""
    plan_name: str = ""
    monthly_premium: str = ""
    amount_due: str = ""
    has_amount_due: bool = False
    due_by: str = ""
    days_left: str = ""
    past_due: str = ""
    has_past_due: bool = False
    past_due_since: str = ""
    credit: str = ""
    coverage_text: str = ""
    coverage_tone: str = "gray"
    autopay_text: str = ""
    last_payment_amount: str = ""
    last_payment_date: str = ""
    last_payment_reference: str = ""
    last_payment_status: str = ""
    recent: list[HistoryRow] = []
    scheduled: list[PaymentResult] = []
    can_offer_plan: bool = False
    has_plan: bool = False
    cancel_message: str = ""

    @rx.event
    async def load(self):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        view = await call_service(dashboard.view, actor=user, today=clock.today())
        p = view.profile
        self.first_name, self.full_name, self.member_number = p.first_name, p.full_name, p.member_number
        self.masked_ssn, self.masked_email = p.masked_ssn, p.masked_email
        self.account_number, self.plan_name, self.monthly_premium = p.account_number, p.plan_name, p.monthly_premium
        self.amount_due, self.has_amount_due = view.amount_due, view.amount_due_cents > 0
        self.due_by, self.days_left = view.due_by, view.days_left
        self.past_due, self.has_past_due, self.past_due_since = view.past_due, view.past_due_cents > 0, view.past_due_since
        self.credit = view.credit
        self.coverage_text, self.coverage_tone = view.coverage_text, view.coverage_tone
        self.autopay_text = view.autopay_text
        self.last_payment_amount, self.last_payment_date = view.last_payment_amount, view.last_payment_date
        self.last_payment_reference, self.last_payment_status = view.last_payment_reference, view.last_payment_status
        self.recent = view.recent
        self.can_offer_plan, self.has_plan = view.can_offer_plan, view.has_plan
        self.scheduled = await call_service(checkout.scheduled_for, actor=user)
        self.loaded = True
        return None

    @rx.event
    async def cancel_scheduled(self, reference: str):
        """Cancel one of the member's own scheduled payments (the service checks whose it is)."""
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        try:
            result = await call_service(checkout.cancel_scheduled, actor=user, reference=reference, now=clock.utcnow())
        except DomainError as exc:
            self.cancel_message = next(iter(exc.errors.values())) if hasattr(exc, "errors") else exc.message
            return None
        self.cancel_message = f"Scheduled payment {result.reference} was canceled. Nothing was charged."
        return await self.load()
