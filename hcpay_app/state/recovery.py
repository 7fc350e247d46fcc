"""Forgot Password, Forgot Username and the reset-password link."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock, routes
from hcpay_app.services.accounts import recovery
from hcpay_app.services.common.errors import DomainError, ValidationError
from hcpay_app.state.base import call_service, client_ip, form_text, query_param
from hcpay_app.state.session import SessionState

SENT_RESET = (
    "If an account matches what you entered, we've sent a link to reset your password to the email "
    "on file. It works once, for 30 minutes. Check your spam folder if it doesn't arrive."
)
SENT_USERNAME = "If an account uses that email address, we've sent its username there."


class ForgotPasswordState(rx.State):
    errors: dict[str, str] = {}
    sent: bool = False
    processing: bool = False

    @rx.event
    async def request_reset(self, form_data: dict):
        if self.processing:
            return
        self.processing, self.errors = True, {}
        yield
        try:
            await call_service(
                recovery.request_password_reset,
                identifier=form_text(form_data, "identifier"),
                ip=client_ip(self),
                now=clock.utcnow(),
            )
            self.sent = True
        except ValidationError as exc:
            self.errors = dict(exc.errors)
        finally:
            self.processing = False

    @rx.event
    def start(self):
        self.reset()


class ForgotUsernameState(rx.State):
    errors: dict[str, str] = {}
    sent: bool = False
    processing: bool = False

    @rx.event
    async def request_username(self, form_data: dict):
        if self.processing:
            return
        self.processing, self.errors = True, {}
        yield
        try:
            await call_service(
                recovery.recover_username, email=form_text(form_data, "email"), ip=client_ip(self), now=clock.utcnow()
            )
            self.sent = True
        except ValidationError as exc:
            self.errors = dict(exc.errors)
        finally:
            self.processing = False

    @rx.event
    def start(self):
        self.reset()


class ResetPasswordState(rx.State):
    """The page a reset link opens. The token stays in a backend-only var."""

    link_valid: bool = False
    checked: bool = False
    errors: dict[str, str] = {}
    message: str = ""
    processing: bool = False
    _token: str = ""

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
        if self.processing or not self.link_valid:
            return
        password, confirm = form_text(form_data, "password"), form_text(form_data, "confirm_password")
        if password != confirm:
            self.errors, self.message = {"confirm_password": "The passwords don't match."}, ""
            return
        self.processing, self.errors, self.message = True, {}, ""
        yield
        try:
            await call_service(
                recovery.reset_password, token=self._token, new_password=password, ip=client_ip(self), now=clock.utcnow()
            )
        except ValidationError as exc:
            self.errors = dict(exc.errors)
            return
        except DomainError as exc:
            self.message, self.link_valid = exc.message, False
            return
        finally:
            self.processing = False
        self.reset()
        session = await self.get_state(SessionState)
        yield await session._to_login(routes.LOGIN, "Your password has been changed. Log in with your new password.")
