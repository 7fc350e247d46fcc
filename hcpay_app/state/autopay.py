"""Settings → Automatic Payments: set up (method, amount, frequency, day) → review (next three
charges, authorization) → activate; then edit, pause, resume or cancel."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.services.recurring import autopay
from hcpay_app.services.payments import methods
from hcpay_app.services.recurring.autopay import ChargePreview, MandateView
from hcpay_app.services.common.errors import DomainError, ValidationError
from hcpay_app.services.payments.methods import MethodView
from hcpay_app.state.base import call_service, form_flag, form_text, parse_id
from hcpay_app.state.session import current_user, holds_member_data, login_redirect


@holds_member_data
class AutopayState(rx.State):
    loaded: bool = False
    mode: str = "view"  # view | setup | review
    mandate: MandateView | None = None
    saved_methods: list[MethodView] = []
    errors: dict[str, str] = {}
    message: str = ""
    # The set-up form (non-secret choices, kept to re-fill the form)
    method_id: str = ""
    amount_rule: str = "full"
    fixed_amount: str = ""
    frequency: str = "monthly"
    charge_day: str = ""
    # Review
    preview: list[ChargePreview] = []
    warning: str = ""
    method_label: str = ""
    authorization: str = autopay.AUTHORIZATION

    async def _reload(self, user) -> None:
        self.mandate = await call_service(autopay.current, actor=user)
        self.saved_methods = await call_service(methods.list_methods, actor=user)

    @rx.event
    async def load(self):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        self.reset()
        await self._reload(user)
        self.charge_day = str(autopay.default_charge_day())
        default = next((m for m in self.saved_methods if m.is_default), None)
        self.method_id = str(default.id) if default else ""
        self.mode = "view" if self.mandate else "setup"
        self.loaded = True
        return None

    @rx.event
    def start_setup(self):
        if self.mandate is not None:
            self.method_id = str(self.mandate.method_id)
            self.amount_rule, self.fixed_amount = self.mandate.amount_rule, self.mandate.fixed_amount
            self.frequency, self.charge_day = self.mandate.frequency.lower(), str(self.mandate.charge_day)
        self.mode, self.errors, self.message = "setup", {}, ""

    @rx.event
    def pick_rule(self, value: str):
        self.amount_rule = value if value in ("full", "fixed") else "full"

    @rx.event
    def back_to_setup(self):
        self.mode = "setup"

    @rx.event
    async def review(self, form_data: dict):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        self.method_id = str(parse_id(form_text(form_data, "method_id")) or "")
        self.fixed_amount = form_text(form_data, "fixed_amount")[:20]
        self.frequency = form_text(form_data, "frequency") or "monthly"
        self.charge_day = form_text(form_data, "charge_day")
        try:
            self.preview, self.warning, self.method_label = await call_service(
                autopay.preview, actor=user, method_id=parse_id(self.method_id),
                amount_rule=self.amount_rule, fixed_amount=self.fixed_amount, frequency=self.frequency,
                charge_day=self.charge_day, today=clock.today())
        except ValidationError as exc:
            self.errors = dict(exc.errors)
            return None
        self.errors, self.mode = {}, "review"
        return None

    @rx.event
    async def activate(self, form_data: dict):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        try:
            self.mandate = await call_service(
                autopay.activate, actor=user, method_id=parse_id(self.method_id),
                amount_rule=self.amount_rule, fixed_amount=self.fixed_amount, frequency=self.frequency,
                charge_day=self.charge_day, accepted=form_flag(form_data, "accept"), now=clock.utcnow(),
                today=clock.today())
        except ValidationError as exc:
            self.errors = dict(exc.errors)
            return None
        self.mode, self.errors = "view", {}
        self.message = f"Automatic Payments are on. Your next charge is {self.mandate.next_charge}."
        return None

    @rx.event
    async def pause(self, form_data: dict):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        try:
            self.mandate = await call_service(autopay.pause, actor=user, until=form_text(form_data, "paused_until"),
                                              now=clock.utcnow(), today=clock.today())
        except ValidationError as exc:
            self.errors = dict(exc.errors)
            return None
        except DomainError as exc:
            self.message = exc.message
            return None
        self.errors, self.message = {}, f"Automatic Payments are paused until {self.mandate.paused_until}."
        return None

    @rx.event
    async def resume(self):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        try:
            self.mandate = await call_service(autopay.resume, actor=user, now=clock.utcnow(), today=clock.today())
        except DomainError as exc:
            self.message = exc.message
            return None
        self.message = f"Automatic Payments resumed. Your next charge is {self.mandate.next_charge}."
        return None

    @rx.event
    async def cancel(self):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        try:
            await call_service(autopay.cancel, actor=user, now=clock.utcnow())
        except DomainError as exc:
            self.message = exc.message
            return None
        self.mandate, self.mode = None, "setup"
        self.message = "Automatic Payments are canceled. Remember to pay by each due date."
        return None
