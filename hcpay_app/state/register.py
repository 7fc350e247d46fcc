"""Create Account: personal information → username and password → verification code."""

from __future__ import annotations

import asyncio

import reflex as rx

from hcpay_app import clock, routes
from hcpay_app.services.accounts import registration
from hcpay_app.services.common import validators
from hcpay_app.services.common.errors import DomainError, ValidationError
from hcpay_app.state.base import call_service, client_ip, form_text
from hcpay_app.state.session import SessionState

STRENGTH_WORDS = ("Very weak", "Weak", "Fair", "Strong", "Very strong")


class RegisterState(rx.State):
    """The three Create Account steps. The pending sign-up id lives only on the server."""

    step: str = "identity"
    errors: dict[str, str] = {}
    message: str = ""
    info: str = ""
    processing: bool = False
    masked_email: str = ""
    strength_score: int = -1
    strength_advice: str = ""
    _pending_id: int | None = None
    _user_inputs: list[str] = []

    @rx.var
    def strength_label(self) -> str:
        return STRENGTH_WORDS[self.strength_score] if 0 <= self.strength_score < len(STRENGTH_WORDS) else ""

    def _fail(self, exc: DomainError) -> None:
        self.errors = dict(exc.errors) if isinstance(exc, ValidationError) else {}
        self.message = exc.message

    @rx.event
    def start_over(self):
        self.reset()

    @rx.event
    async def submit_identity(self, form_data: dict):
        if self.processing:
            return
        self.processing, self.errors, self.message = True, {}, ""
        yield
        fields = {name: form_text(form_data, name) for name in ("first_name", "last_name", "date_of_birth", "ssn", "email")}
        try:
            self._pending_id = await call_service(
                registration.start, client_key=client_ip(self), now=clock.utcnow(), today=clock.today(), **fields
            )
        except DomainError as exc:
            self._fail(exc)
            return
        finally:
            self.processing = False
        self._user_inputs = [fields["first_name"], fields["last_name"], fields["email"], fields["date_of_birth"][:4]]
        self.step = "credentials"

    @rx.event
    async def check_password(self, value: str):
        """Live strength meter: the password is scored (off the event loop) and dropped, never
        stored or echoed."""
        if not isinstance(value, str):
            return
        self.strength_score, self.strength_advice = await asyncio.to_thread(
            validators.password_strength, value, list(self._user_inputs)
        )
        if value and len(value.encode("utf-8")) > validators.PASSWORD_MAX_BYTES:
            self.strength_advice = "Too long: use at most 72 bytes."
        elif value and len(value) < validators.PASSWORD_MIN_CHARS:
            self.strength_advice = f"Use at least {validators.PASSWORD_MIN_CHARS} characters."
        if not value:
            self.strength_score = -1

    @rx.event
    async def submit_credentials(self, form_data: dict):
        if self.processing:
            return
        password, confirm = form_text(form_data, "password"), form_text(form_data, "confirm_password")
        if password != confirm:
            self.errors, self.message = {"confirm_password": "The passwords don't match."}, ""
            return
        self.processing, self.errors, self.message = True, {}, ""
        yield
        try:
            self.masked_email = await call_service(
                registration.choose_credentials,
                pending_id=self._pending_id,
                username=form_text(form_data, "username"),
                password=password,
                now=clock.utcnow(),
            )
        except DomainError as exc:
            self._fail(exc)
            return
        finally:
            self.processing = False
        self.step = "verify"

    @rx.event
    async def resend_code(self):
        if self.processing:
            return
        self.processing, self.errors, self.message, self.info = True, {}, "", ""
        yield
        try:
            self.masked_email = await call_service(registration.resend_code, pending_id=self._pending_id, now=clock.utcnow())
            self.info = f"We sent a new code to {self.masked_email}."
        except DomainError as exc:
            self._fail(exc)
        finally:
            self.processing = False

    @rx.event
    async def submit_code(self, form_data: dict):
        if self.processing:
            return
        self.processing, self.errors, self.message, self.info = True, {}, "", ""
        yield
        try:
            _user_id, token = await call_service(
                registration.verify,
                pending_id=self._pending_id,
                code=form_text(form_data, "code"),
                ip=client_ip(self),
                now=clock.utcnow(),
            )
        except DomainError as exc:
            self._fail(exc)
            return
        finally:
            self.processing = False
        self.reset()
        session = await self.get_state(SessionState)
        yield await session._begin(token, routes.DASHBOARD)
