"""Set up a payment plan for a past-due balance."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.services.payments import methods
from hcpay_app.services.recurring import plans
from hcpay_app.services.common.errors import DomainError, ValidationError
from hcpay_app.services.payments.methods import MethodView
from hcpay_app.services.recurring.plans import PlanView
from hcpay_app.state.base import call_service, form_flag, form_text, parse_id
from hcpay_app.state.session import current_user, holds_member_data, login_redirect


@holds_member_data
class PlanState(rx.State):
    loaded: bool = False
    past_due: str = ""
    choices: list[int] = []
    saved_methods: list[MethodView] = []
    plan: PlanView | None = None
    errors: dict[str, str] = {}
    message: str = ""
    terms: str = plans.TERMS

    @rx.event
    async def load(self):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        self.reset()
        offer = await call_service(plans.offer, actor=user, today=clock.today())
        self.past_due, self.choices = offer.past_due, offer.choices
        self.saved_methods = await call_service(methods.list_methods, actor=user)
        self.plan = await call_service(plans.current, actor=user)
        self.loaded = True
        return None

    @rx.event
    async def create(self, form_data: dict):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        raw_count, raw_method = form_text(form_data, "installments"), form_text(form_data, "method_id")
        try:
            self.plan = await call_service(
                plans.create, actor=user, installments=parse_id(raw_count),
                method_id=parse_id(raw_method), accepted=form_flag(form_data, "accept"),
                now=clock.utcnow(), today=clock.today())
        except ValidationError as exc:
            self.errors = dict(exc.errors)
            return None
        except DomainError as exc:
            self.errors = {"method_id": exc.message}
            return None
        self.errors, self.message = {}, "Your payment plan is set up."
        return None
