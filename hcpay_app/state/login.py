"""The log-in form on the landing page."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Msg
from hcpay_app.services.accounts import authn, second_factor
from hcpay_app.services.common.errors import AuthenticationFailed, DomainError, ValidationError
from hcpay_app.state.base import ServiceState, client_ip, field_errors, form_text, password_pool, query_param, t
from hcpay_app.state.form_errors import FieldCheck, FieldRecheck
from hcpay_app.state.session import SessionState

ENTER_BOTH = Msg("Enter your username and password.")


def lockout_rule() -> Msg:
    """What the log-in page says before anyone is locked; the numbers are the settings'."""
    settings = get_settings()
    tries, minutes = settings.lockout_threshold, max(1, round(settings.lockout_duration / 60))
    if tries == 1:
        return Msg.plural(
            "For your security, 1 wrong try locks the log-in for {count} minute.",
            "For your security, 1 wrong try locks the log-in for {count} minutes.",
            minutes,
        )
    return Msg.plural(
        "For your security, {tries} wrong tries lock the log-in for {count} minute.",
        "For your security, {tries} wrong tries lock the log-in for {count} minutes.",
        minutes,
        tries=tries,
    )


ENTER_CODE = Msg("Enter the code from your authenticator app, or a recovery code.")
ENTER_USERNAME = Msg("Enter your username.")
ENTER_PASSWORD = Msg("Enter your password.")


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


def _code_given(code: str, _related: str = "") -> None:
    if not code.strip():
        raise ValidationError({"code": ENTER_CODE}, ENTER_CODE)


class LoginState(FieldRecheck, ServiceState, rx.State):
    """Log in by username and password; the same answer for every kind of failure. Staff then
    enter a code from their authenticator app (or a recovery code) as a second step; the proof of
    the password step stays on the server (`_challenge`), never in the browser."""

    error: str = ""
    errors: dict[str, str] = {}
    processing: bool = False
    needs_code: bool = False
    _challenge: str = ""

    def _show_error(self, exc: DomainError) -> None:
        if isinstance(exc, authn.SecondFactorRequired):
            self._challenge, self.needs_code = exc.challenge, True
            self.error, self.errors = "", {}
            return
        if isinstance(exc, AuthenticationFailed) and exc.message in (
            second_factor.CHALLENGE_EXPIRED,
            t(self, second_factor.CHALLENGE_EXPIRED),
        ):
            self._challenge, self.needs_code = "", False
        self.error, self.errors = exc.message, field_errors(exc)

    def _clear_feedback(self) -> None:
        self.error, self.errors = "", {}

    def _field_check(self, name: str) -> FieldCheck | None:
        return {"username": _username_given, "password": _password_given, "code": _code_given}.get(name)

    def _fields_fixed(self) -> None:
        if self.error in (t(self, ENTER_BOTH), t(self, ENTER_CODE)):
            self.error = ""

    @rx.event
    async def login(self, form_data: dict):
        username, password = form_text(form_data, "username"), form_text(form_data, "password")
        ip, now = client_ip(self), clock.utcnow()

        def cheap_checks() -> None:
            _both_given(username, password)
            # A flood from one address is refused here, before any thread, database or bcrypt work.
            authn.check_address_rate_at_once(ip, now)

        call = self._call(
            authn.login,
            busy=True,
            pool=password_pool(),
            check=cheap_checks,
            username=username,
            password=password,
            ip=ip,
            now=now,
        )
        async for event in call:
            yield event
        if call.ok:
            _user_id, token = call.value
            session = await self.get_state(SessionState)
            yield await session._begin(token, next_path=query_param(self, "next"))

    @rx.event
    async def verify_code(self, form_data: dict):
        """The staff second step: the code after the password."""
        code = form_text(form_data, "code")
        if not self._challenge:
            self.needs_code = False
            self.error, self.errors = t(self, second_factor.CHALLENGE_EXPIRED), {}
            return
        call = self._call(
            authn.complete_staff_login,
            busy=True,
            check=lambda: _code_given(code),
            challenge=self._challenge,
            code=code,
            ip=client_ip(self),
            now=clock.utcnow(),
        )
        async for event in call:
            yield event
        if call.ok:
            self._challenge, self.needs_code = "", False
            _user_id, token = call.value
            session = await self.get_state(SessionState)
            yield await session._begin(token, next_path=query_param(self, "next"))

    @rx.event
    def start_over(self):
        """Back to username and password (the code step is abandoned)."""
        self._challenge, self.needs_code = "", False
        self.error, self.errors = "", {}

    @rx.event
    def clear(self):
        self.error, self.errors = "", {}
        self.processing = False
        self._challenge, self.needs_code = "", False
