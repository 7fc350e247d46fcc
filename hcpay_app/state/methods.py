"""Settings → Payment methods: list, add (after a recent log-in), rename, default, remove."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.i18n.message import Msg
from hcpay_app.services.common.errors import DomainError
from hcpay_app.services.payments import methods
from hcpay_app.services.payments.methods import MethodView
from hcpay_app.state import method_form
from hcpay_app.state.base import (
    call_service,
    first_message,
    form_text,
    localize,
    page_language,
    parse_id,
    payer_of,
    t,
)
from hcpay_app.state.form_errors import FieldCheck, FieldRecheck
from hcpay_app.state.session import MemberState, holds_member_data


@holds_member_data
class MethodsState(FieldRecheck, MemberState, rx.State):
    methods: list[MethodView] = []
    needs_password: bool = False
    add_kind: str = "card"
    adding: bool = False
    errors: dict[str, str] = {}
    message: str = ""
    processing: bool = False

    def _field_check(self, name: str) -> FieldCheck | None:
        return method_form.field_checks(self.add_kind).get(name)

    def _say(self, exc: DomainError) -> None:
        """A refusal about a listed method: one line at the top of the list."""
        self.message = first_message(exc)

    async def _reload(self, actor) -> None:
        self.methods = localize(await call_service(methods.list_methods, actor=actor), page_language(self))
        self.needs_password = methods.needs_recent_login(actor, clock.utcnow())

    async def _load(self, actor) -> None:
        self.errors, self.message, self.adding = {}, "", False
        await self._reload(actor)

    async def _add(self, actor, form_data: object) -> MethodView:
        """Confirm the password, tokenize the new card or account, save the token."""
        return await method_form.save_new(
            actor, self.add_kind, form_data, nickname=form_text(form_data, "nickname"), payer=payer_of(self)
        )

    async def _change(self, action, done: Msg, /, **kwargs):
        """Change one saved method through `action`; then list them afresh and say `done`."""
        call = await self._call(action, on_error=self._say, **kwargs)
        if call.ok:
            self.message = t(self, done)
            await self._reload(call.actor)
        return call.events

    @rx.event
    async def load(self):
        return await self._run(self._load)

    @rx.event
    def open_add(self, kind: str):
        self.add_kind = kind if kind in ("card", "bank") else "card"
        self.adding, self.errors, self.message = True, {}, ""

    @rx.event
    def close_add(self):
        self.adding, self.errors = False, {}

    @rx.event
    async def add_method(self, form_data: dict):
        call = self._call(self._add, busy=True, form_data=form_data)
        async for event in call:
            yield event
        if call.ok:
            self.adding, self.message = False, t(self, Msg("{method} was added.", method=call.value.label))
            await self._reload(call.actor)

    @rx.event
    async def rename(self, form_data: dict):
        return await self._change(
            methods.rename,
            Msg("Nickname saved."),
            method_id=parse_id(form_text(form_data, "method_id")),
            nickname=form_text(form_data, "nickname"),
        )

    @rx.event
    async def make_default(self, method_id: int):
        return await self._change(
            methods.set_default, Msg("Default payment method updated."), method_id=parse_id(method_id)
        )

    @rx.event
    async def remove(self, method_id: int):
        return await self._change(
            methods.remove, Msg("Payment method removed."), method_id=parse_id(method_id), now=clock.utcnow()
        )
