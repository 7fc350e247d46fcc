"""Forgot Password, Forgot Username and the reset-password link."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from hcpay_app import clock, routes
from hcpay_app.i18n.message import Msg
from hcpay_app.services.accounts import recovery
from hcpay_app.services.common import validators
from hcpay_app.services.common.errors import DomainError, ValidationError
from hcpay_app.state.base import (
    ServiceState,
    call_service,
    client_ip,
    field_errors,
    form_text,
    password_pool,
    query_param,
)
from hcpay_app.state.form_errors import FieldCheck, FieldRecheck, confirmation_check, new_password_check
from hcpay_app.state.session import SessionState

SENT_RESET = Msg(
    "If an account matches what you entered, we've sent a link to reset your password to the email "
    "on file. It works once, for 30 minutes. Check your spam folder if it doesn't arrive."
)
SENT_USERNAME = Msg("If an account uses that email address, we've sent its username there.")
PASSWORD_CHANGED = Msg("Your password has been changed. Log in with your new password.")


class OneFieldRequest(ServiceState, mixin=True):
    """A one-field form answered by email (the same answer whether or not an account matches)."""

    errors: dict[str, str] = {}
    sent: bool = False
    processing: bool = False
    _field: ClassVar[str] = ""

    _refused: bool = False  # the last error is a refusal (too many requests), not the field's

    def _show_error(self, exc: DomainError) -> None:
        self.errors = field_errors(exc, other=self._field)
        self._refused = not isinstance(exc, ValidationError)

    def _clear_feedback(self) -> None:
        self.errors = {}

    async def _send(self, fn, /, **kwargs):
        call = self._call(fn, busy=True, ip=client_ip(self), now=clock.utcnow(), **kwargs)
        async for event in call:
            yield event
        if call.ok:
            self.sent = True

    @rx.event
    def start(self):
        self.reset()


def _identifier_given(value: str, _related: str = "") -> None:
    if not value.strip():
        raise ValidationError({"identifier": Msg("Enter your username or the email address on your account.")})


class ForgotPasswordState(FieldRecheck, OneFieldRequest, rx.State):
    _field: ClassVar[str] = "identifier"

    def _field_check(self, name: str) -> FieldCheck | None:
        return _identifier_given if name == self._field and not self._refused else None

    @rx.event
    async def request_reset(self, form_data: dict):
        async for event in self._send(recovery.request_password_reset, identifier=form_text(form_data, "identifier")):
            yield event


class ForgotUsernameState(FieldRecheck, OneFieldRequest, rx.State):
    _field: ClassVar[str] = "email"

    def _field_check(self, name: str) -> FieldCheck | None:
        return (lambda value, _: validators.clean_email(value)) if name == self._field and not self._refused else None

    @rx.event
    async def request_username(self, form_data: dict):
        async for event in self._send(recovery.recover_username, email=form_text(form_data, "email")):
            yield event


class ResetPasswordState(FieldRecheck, ServiceState, rx.State):
    """The page a reset link opens. The token stays in a backend-only var."""

    link_valid: bool = False
    checked: bool = False
    errors: dict[str, str] = {}
    message: str = ""
    processing: bool = False
    _token: str = ""

    def _show_error(self, exc: DomainError) -> None:
        super()._show_error(exc)
        if not isinstance(exc, ValidationError):
            self.link_valid = False  # the link died meanwhile

    def _field_check(self, name: str) -> FieldCheck | None:
        return {
            "password": new_password_check("password"),
            "confirm_password": confirmation_check("confirm_password"),
        }.get(name)

    @rx.event
    async def open_link(self):
        self.reset()
        self._token = query_param(self, "token")[:100]
        self.link_valid = bool(self._token) and await call_service(
            recovery.reset_link_is_valid, token=self._token, now=clock.utcnow()
        )
        self.checked = True

    @rx.event
    async def set_password(self, form_data: dict):
        if not self.link_valid:
            return
        password, confirmation = form_text(form_data, "password"), form_text(form_data, "confirm_password")
        call = self._call(
            recovery.reset_password,
            busy=True,
            pool=password_pool(),
            check=lambda: validators.check_confirmation(password, confirmation),
            token=self._token,
            new_password=password,
            ip=client_ip(self),
            now=clock.utcnow(),
        )
        async for event in call:
            yield event
        if call.ok:
            self.reset()
            session = await self.get_state(SessionState)
            yield await session._to_login(routes.LOGIN, PASSWORD_CHANGED)
