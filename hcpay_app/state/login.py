"""The log-in form on the landing page."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.config import get_settings
from hcpay_app.services.accounts import authn
from hcpay_app.services.common.errors import DomainError, ValidationError
from hcpay_app.state.base import ServiceState, client_ip, field_errors, form_text, query_param
from hcpay_app.state.form_errors import FieldCheck, FieldRecheck
from hcpay_app.state.session import SessionState

ENTER_BOTH = "Enter your username and password."


def lockout_rule() -> str:
    """What the log-in page says before anyone is locked; the numbers are the settings'."""
    settings = get_settings()
    tries, minutes = settings.lockout_threshold, max(1, round(settings.lockout_duration / 60))
    wrong = "1 wrong try locks" if tries == 1 else f"{tries} wrong tries lock"
    return f"For your security, {wrong} the log-in for {minutes} minute{'' if minutes == 1 else 's'}."


ENTER_USERNAME = "Enter your username."
ENTER_PASSWORD = "Enter your password."


def _username_given(username: str, _related: str = "") -> None:
    if not username.strip():
        raise ValidationError({"username": ENTER_USERNAME}, ENTER_BOTH)


def _password_given(password: str, _related: str = "") -> None:
    if not password:
        raise ValidationError({"password": ENTER_PASSWORD}, ENTER_BOTH)


def _both_given(username: str, password: str) -> None:
    """A blank field is marked (and focused by the page); a wrong pair is never tied to a field."""
    missing = {}
    if not username.strip():
        missing["username"] = ENTER_USERNAME
    if not password:
        missing["password"] = ENTER_PASSWORD
    if missing:
        raise ValidationError(missing, ENTER_BOTH)


class LoginState(FieldRecheck, ServiceState, rx.State):
    """Log in by username and password; the same answer for every kind of failure."""

    error: str = ""
    errors: dict[str, str] = {}
    processing: bool = False

    def _show_error(self, exc: DomainError) -> None:
        self.error, self.errors = exc.message, field_errors(exc)

    def _clear_feedback(self) -> None:
        self.error, self.errors = "", {}

    def _field_check(self, name: str) -> FieldCheck | None:
        return {"username": _username_given, "password": _password_given}.get(name)

    def _fields_fixed(self) -> None:
        if self.error == ENTER_BOTH:
            self.error = ""

    @rx.event
    async def login(self, form_data: dict):
        username, password = form_text(form_data, "username"), form_text(form_data, "password")
        call = self._call(
            authn.login,
            busy=True,
            check=lambda: _both_given(username, password),
            username=username,
            password=password,
            ip=client_ip(self),
            now=clock.utcnow(),
        )
        async for event in call:
            yield event
        if call.ok:
            _user_id, token = call.value
            session = await self.get_state(SessionState)
            yield await session._begin(token, next_path=query_param(self, "next"))

    @rx.event
    def clear(self):
        self.error, self.errors = "", {}
        self.processing = False
