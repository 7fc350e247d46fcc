"""Settings → Payment methods: list, add (after a recent log-in), rename, default, remove."""

from __future__ import annotations


import reflex as rx

from hcpay_app import clock
from hcpay_app.services.payments import methods
from hcpay_app.services.common.errors import DomainError, ValidationError
from hcpay_app.services.payments.methods import MethodView
from hcpay_app.services.adapters.processor import Token
from hcpay_app.state import method_form
from hcpay_app.state.base import call_service, form_text, parse_id
from hcpay_app.state.session import current_user, holds_member_data, login_redirect


@holds_member_data
class MethodsState(rx.State):
    methods: list[MethodView] = []
    needs_password: bool = False
    add_kind: str = "card"
    adding: bool = False
    errors: dict[str, str] = {}
    message: str = ""
    processing: bool = False

    async def _reload(self, user) -> None:
        self.methods = await call_service(methods.list_methods, actor=user)
        self.needs_password = methods.needs_recent_login(user, clock.utcnow())

    @rx.event
    async def load(self):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        self.errors, self.message, self.adding = {}, "", False
        await self._reload(user)
        return None

    @rx.event
    def open_add(self, kind: str):
        self.add_kind = kind if kind in ("card", "bank") else "card"
        self.adding, self.errors, self.message = True, {}, ""

    @rx.event
    def close_add(self):
        self.adding, self.errors = False, {}

    @rx.event
    async def add_method(self, form_data: dict):
        if self.processing:
            return
        user = await current_user(self)
        if user is None:
            yield await login_redirect(self)
            return
        self.processing, self.errors, self.message = True, {}, ""
        yield
        try:
            await call_service(methods.confirm_recent_login, actor=user, password=form_text(form_data, "password"),
                               now=clock.utcnow())
            choice = await method_form.tokenize(self.add_kind, form_data, save=True)
            token = Token(choice.token, choice.kind, choice.brand, choice.last4, choice.exp_month, choice.exp_year)
            added = await call_service(methods.add, actor=user, token=token, nickname=form_text(form_data, "nickname"),
                                       now=clock.utcnow())
        except ValidationError as exc:
            self.errors = dict(exc.errors)
            return
        except DomainError as exc:
            self.message = exc.message
            return
        finally:
            self.processing = False
        self.adding, self.message = False, f"{added.label} was added."
        await self._reload(user)

    @rx.event
    async def rename(self, form_data: dict):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        try:
            await call_service(methods.rename, actor=user, method_id=parse_id(form_text(form_data, "method_id")),
                               nickname=form_text(form_data, "nickname"))
        except DomainError as exc:
            self.message = next(iter(exc.errors.values())) if isinstance(exc, ValidationError) else exc.message
            return None
        self.message = "Nickname saved."
        await self._reload(user)
        return None

    @rx.event
    async def make_default(self, method_id: int):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        try:
            await call_service(methods.set_default, actor=user, method_id=parse_id(method_id))
        except DomainError as exc:
            self.message = exc.message
            return None
        self.message = "Default payment method updated."
        await self._reload(user)
        return None

    @rx.event
    async def remove(self, method_id: int):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        try:
            await call_service(methods.remove, actor=user, method_id=parse_id(method_id), now=clock.utcnow())
        except ValidationError as exc:
            self.message = next(iter(exc.errors.values()))
            return None
        except DomainError as exc:
            self.message = exc.message
            return None
        self.message = "Payment method removed."
        await self._reload(user)
        return None
