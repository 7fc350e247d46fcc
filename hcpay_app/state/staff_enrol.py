"""The staff enrolment page that `create-staff`'s link opens: the authenticator's QR code and
secret shown once, a current code to confirm, then the recovery codes shown once."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.i18n.message import Msg
from hcpay_app.services.accounts import second_factor
from hcpay_app.services.common.errors import DomainError, ValidationError
from hcpay_app.state.base import ServiceState, call_service, client_ip, field_errors, form_text, query_param, t
from hcpay_app.state.form_errors import FieldCheck, FieldRecheck

ENTER_CODE = Msg("Enter the 6-digit code from your authenticator app.")


def _code_given(code: str, _related: str = "") -> None:
    if not code.strip():
        raise ValidationError({"code": ENTER_CODE}, ENTER_CODE)


class StaffEnrolState(FieldRecheck, ServiceState, rx.State):
    """The link's token stays in a backend-only var; the secret leaves the server only here, once,
    and is forgotten as soon as the authenticator is confirmed."""

    checked: bool = False
    link_valid: bool = False
    username: str = ""
    secret: str = ""
    qr_code: str = ""
    recovery_codes: list[str] = []
    errors: dict[str, str] = {}
    message: str = ""
    processing: bool = False
    _token: str = ""

    def _show_error(self, exc: DomainError) -> None:
        self.errors = field_errors(exc)
        self.message = "" if isinstance(exc, ValidationError) else exc.message  # next to the field instead
        if not isinstance(exc, ValidationError):
            self.link_valid, self.secret, self.qr_code = False, "", ""

    def _field_check(self, name: str) -> FieldCheck | None:
        return {"code": _code_given}.get(name)

    def _fields_fixed(self) -> None:
        if self.message in (ENTER_CODE, t(self, ENTER_CODE)):
            self.message = ""

    @rx.event
    async def open_link(self):
        self.reset()
        self._token = query_param(self, "token")[:100]
        try:
            shown = await call_service(second_factor.open_enrolment, token=self._token, now=clock.utcnow())
        except DomainError:
            self.link_valid = False
        else:
            self.link_valid = True
            self.username, self.secret, self.qr_code = shown.username, shown.secret, shown.qr_data_uri
        self.checked = True

    @rx.event
    async def confirm(self, form_data: dict):
        if not self.link_valid:
            return
        code = form_text(form_data, "code")
        call = self._call(
            second_factor.confirm_enrolment,
            busy=True,
            check=lambda: _code_given(code),
            token=self._token,
            code=code,
            ip=client_ip(self),
            now=clock.utcnow(),
        )
        async for event in call:
            yield event
        if call.ok:
            self._token, self.link_valid, self.secret, self.qr_code = "", False, "", ""
            self.recovery_codes = call.value
