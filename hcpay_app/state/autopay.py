"""Settings → Automatic Payments: set up (method, amount, frequency, day) → review (next three
charges, authorization) → activate; then edit, pause, resume or cancel."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.services.common.errors import DomainError, ValidationError
from hcpay_app.services.payments import methods
from hcpay_app.services.payments.methods import MethodView
from hcpay_app.services.recurring import autopay
from hcpay_app.services.recurring.autopay import ChargePreview, MandateView
from hcpay_app.state.base import (
    call_service,
    field_errors,
    form_flag,
    form_text,
    parse_id,
)
from hcpay_app.state.session import MemberState, holds_member_data

ACTIVATED = "Automatic Payments are on. Your next charge is {mandate.next_charge}."
PAUSED = "Automatic Payments are paused until {mandate.paused_until}."
RESUMED = "Automatic Payments resumed. Your next charge is {mandate.next_charge}."
CANCELED = "Automatic Payments are canceled. Remember to pay by each due date."


@holds_member_data
class AutopayState(MemberState, rx.State):
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

    def _show_error(self, exc: DomainError) -> None:
        """Field errors next to the form; anything else in the message at the top."""
        if isinstance(exc, ValidationError):
            self.errors = field_errors(exc)
        else:
            self.message = exc.message

    async def _load(self, actor) -> None:
        self.reset()
        self.mandate = await call_service(autopay.current, actor=actor)
        self.saved_methods = await call_service(methods.list_methods, actor=actor)
        self.charge_day = str(autopay.default_charge_day())
        default = next((m for m in self.saved_methods if m.is_default), None)
        self.method_id = str(default.id) if default else ""
        self.mode = "view" if self.mandate else "setup"
        self.loaded = True

    async def _preview(self, actor, form_data: object) -> None:
        self.method_id = str(parse_id(form_text(form_data, "method_id")) or "")
        self.fixed_amount = form_text(form_data, "fixed_amount")[:20]
        self.frequency = form_text(form_data, "frequency") or "monthly"
        self.charge_day = form_text(form_data, "charge_day")
        self.preview, self.warning, self.method_label = await call_service(
            autopay.preview,
            actor=actor,
            method_id=parse_id(self.method_id),
            amount_rule=self.amount_rule,
            fixed_amount=self.fixed_amount,
            frequency=self.frequency,
            charge_day=self.charge_day,
            today=clock.today(),
        )
        self.errors, self.mode = {}, "review"

    async def _change(self, action, done: str, /, **kwargs):
        """Change the arrangement through `action`; then show it (or the set-up form once it is
        gone) and say `done`."""
        call = await self._call(action, **kwargs)
        if call.ok:
            self.mandate, self.errors = call.value, {}
            self.mode = "view" if call.value is not None else "setup"
            self.message = done.format(mandate=call.value)
        return call.events

    @rx.event
    async def load(self):
        return await self._run(self._load)

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
        return await self._run(self._preview, form_data=form_data)

    @rx.event
    async def activate(self, form_data: dict):
        return await self._change(
            autopay.activate,
            ACTIVATED,
            method_id=parse_id(self.method_id),
            amount_rule=self.amount_rule,
            fixed_amount=self.fixed_amount,
            frequency=self.frequency,
            charge_day=self.charge_day,
            accepted=form_flag(form_data, "accept"),
            now=clock.utcnow(),
            today=clock.today(),
        )

    @rx.event
    async def pause(self, form_data: dict):
        return await self._change(
            autopay.pause, PAUSED, until=form_text(form_data, "paused_until"), now=clock.utcnow(), today=clock.today()
        )

    @rx.event
    async def resume(self):
        return await self._change(autopay.resume, RESUMED, now=clock.utcnow(), today=clock.today())

    @rx.event
    async def cancel(self):
        return await self._change(autopay.cancel, CANCELED, now=clock.utcnow())
