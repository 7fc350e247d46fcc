"""Create Account: personal information → username and password → verification code."""

from __future__ import annotations

import asyncio

import reflex as rx

from hcpay_app import clock, routes
from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Msg
from hcpay_app.services.accounts import registration
from hcpay_app.services.common import validators
from hcpay_app.services.common.errors import DomainError
from hcpay_app.state.base import (
    ServiceState,
    client_ip,
    field_errors,
    form_text,
    page_language,
    password_pool,
    t,
)
from hcpay_app.state.form_errors import FieldCheck, FieldRecheck, confirmation_check, new_password_check
from hcpay_app.state.session import SessionState

STRENGTH_WORDS = (Msg("Very weak"), Msg("Weak"), Msg("Fair"), Msg("Strong"), Msg("Very strong"))
# The meter's colour for each score (not text: a Radix colour scheme).
STRENGTH_COLORS = ("red", "red", "orange", "green", "green")
IDENTITY_FIELDS = ("first_name", "last_name", "date_of_birth", "ssn", "email")


def _identity_checks() -> dict[str, FieldCheck]:
    return {
        "first_name": lambda value, _: validators.clean_name(value, "first_name", "first name"),
        "last_name": lambda value, _: validators.clean_name(value, "last_name", "last name"),
        "date_of_birth": lambda value, _: validators.clean_date_of_birth(
            value, clock.today(), get_settings().min_subscriber_age
        ),
        "ssn": lambda value, _: validators.clean_ssn(value),
        "email": lambda value, _: validators.clean_email(value),
        "username": lambda value, _: validators.clean_username(value),
        "confirm_password": confirmation_check("confirm_password"),
        "code": lambda value, _: validators.clean_code(value),
    }


class RegisterState(FieldRecheck, ServiceState, rx.State):
    """The three Create Account steps. The pending sign-up id lives only on the server."""

    step: str = "identity"
    errors: dict[str, str] = {}
    message: str = ""
    info: str = ""
    processing: bool = False
    masked_email: str = ""
    strength_score: int = -1
    strength_advice: str = ""
    strength_label: str = ""  # the score in words, in the page's language ("" before any typing)
    _pending_id: int | None = None
    _user_inputs: list[str] = []

    @rx.var
    def strength_color(self) -> str:
        return STRENGTH_COLORS[self.strength_score] if 0 <= self.strength_score < len(STRENGTH_COLORS) else "gray"

    def _show_error(self, exc: DomainError) -> None:
        self.errors, self.message = field_errors(exc), exc.message

    def _field_check(self, name: str) -> FieldCheck | None:
        if name == "password":
            return new_password_check("password", list(self._user_inputs))
        return _identity_checks().get(name)

    def _clear_feedback(self) -> None:
        self.errors, self.message, self.info = {}, "", ""

    @rx.event
    def start_over(self):
        self.reset()

    @rx.event
    async def submit_identity(self, form_data: dict):
        fields = {name: form_text(form_data, name) for name in IDENTITY_FIELDS}
        call = self._call(
            registration.start, busy=True, client_key=client_ip(self), now=clock.utcnow(), today=clock.today(), **fields
        )
        async for event in call:
            yield event
        if call.ok:
            self._pending_id = call.value
            self._user_inputs = [
                fields["first_name"],
                fields["last_name"],
                fields["email"],
                fields["date_of_birth"][:4],
            ]
            self.step = "credentials"

    @rx.event
    async def check_password(self, value: str):
        """Live strength meter: the password is scored (off the event loop) and dropped, never
        stored or echoed."""
        if not isinstance(value, str):
            return
        score, advice = await asyncio.to_thread(validators.password_strength, value, list(self._user_inputs))
        self.strength_score, self.strength_advice = score, t(self, advice)
        if value and len(value.encode("utf-8")) > validators.PASSWORD_MAX_BYTES:
            self.strength_advice = t(
                self, Msg("Too long: use at most {limit} bytes.", limit=validators.PASSWORD_MAX_BYTES)
            )
        elif value and len(value) < validators.PASSWORD_MIN_CHARS:
            self.strength_advice = t(self, Msg("Use at least {count} characters.", count=validators.PASSWORD_MIN_CHARS))
        if not value:
            self.strength_score = -1
        words = STRENGTH_WORDS[self.strength_score] if 0 <= self.strength_score < len(STRENGTH_WORDS) else ""
        self.strength_label = t(self, words)
        await self._recheck("password", value)  # a strong password clears its error at once

    @rx.event
    async def submit_credentials(self, form_data: dict):
        password, confirmation = form_text(form_data, "password"), form_text(form_data, "confirm_password")
        call = self._call(
            registration.choose_credentials,
            busy=True,
            pool=password_pool(),
            check=lambda: validators.check_confirmation(password, confirmation),
            pending_id=self._pending_id,
            username=form_text(form_data, "username"),
            password=password,
            now=clock.utcnow(),
            language=page_language(self),  # the code email, in the language of the page
        )
        async for event in call:
            yield event
        if call.ok:
            self.masked_email, self.step = call.value, "verify"

    @rx.event
    async def resend_code(self):
        call = self._call(
            registration.resend_code,
            busy=True,
            pending_id=self._pending_id,
            now=clock.utcnow(),
            language=page_language(self),
        )
        async for event in call:
            yield event
        if call.ok:
            self.masked_email = call.value
            self.info = t(self, Msg("We sent a new code to {email}.", email=self.masked_email))

    @rx.event
    async def submit_code(self, form_data: dict):
        call = self._call(
            registration.verify,
            busy=True,
            pending_id=self._pending_id,
            code=form_text(form_data, "code"),
            ip=client_ip(self),
            now=clock.utcnow(),
            language=page_language(self),  # kept on the new login: it follows the member
        )
        async for event in call:
            yield event
        if call.ok:
            _user_id, token = call.value
            self.reset()
            session = await self.get_state(SessionState)
            yield await session._begin(token, routes.DASHBOARD)
