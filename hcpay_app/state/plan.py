"""Set up a payment plan for a past-due balance."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.i18n.catalogs import localize
from hcpay_app.i18n.message import Msg
from hcpay_app.services.common.errors import DomainError
from hcpay_app.services.payments import methods
from hcpay_app.services.payments.methods import MethodView
from hcpay_app.services.recurring import plans
from hcpay_app.services.recurring.plans import PlanOffer, PlanView
from hcpay_app.state.base import (
    call_service,
    field_errors,
    form_flag,
    form_text,
    page_language,
    parse_id,
    t,
)
from hcpay_app.state.session import MemberState, holds_member_data


@holds_member_data
class PlanState(MemberState, rx.State):
    loaded: bool = False
    offer: PlanOffer | None = None
    saved_methods: list[MethodView] = []
    plan: PlanView | None = None
    errors: dict[str, str] = {}
    message: str = ""
    terms: str = str(plans.TERMS)  # set in the page's language when the page loads

    def _show_error(self, exc: DomainError) -> None:
        # A refusal that isn't about one field is about the chosen method (a card that can't be charged).
        self.errors = field_errors(exc, other="method_id")

    async def _load(self, actor) -> None:
        self.reset()
        language = page_language(self)
        self.terms = t(self, plans.TERMS)
        self.offer = localize(await call_service(plans.offer, actor=actor, today=clock.today()), language)
        self.saved_methods = localize(await call_service(methods.list_methods, actor=actor), language)
        self.plan = localize(await call_service(plans.current, actor=actor), language)
        self.loaded = True

    @rx.event
    async def load(self):
        return await self._run(self._load)

    @rx.event
    async def create(self, form_data: dict):
        call = await self._call(
            plans.create,
            installments=parse_id(form_text(form_data, "installments")),
            method_id=parse_id(form_text(form_data, "method_id")),
            accepted=form_flag(form_data, "accept"),
            now=clock.utcnow(),
            today=clock.today(),
        )
        if call.ok:
            self.plan = call.value
            self.errors, self.message = {}, t(self, Msg("Your payment plan is set up."))
        return call.events
