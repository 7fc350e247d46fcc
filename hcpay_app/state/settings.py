"""Settings: change password (later issues add payment methods, autopay and reminders)."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock, routes
from hcpay_app.i18n.message import Msg
from hcpay_app.services.accounts import recovery
from hcpay_app.services.common import validators
from hcpay_app.services.common.errors import DomainError, NotAllowed
from hcpay_app.state.base import client_ip, field_errors, form_text, password_pool, t
from hcpay_app.state.form_errors import FieldCheck, FieldRecheck, confirmation_check, new_password_check
from hcpay_app.state.session import MemberState, SessionState, holds_member_data


@holds_member_data
class SettingsState(FieldRecheck, MemberState, rx.State):
    errors: dict[str, str] = {}
    saved: str = ""
    processing: bool = False
    form_key: int = 0

    async def _show_error(self, exc: DomainError) -> rx.event.EventSpec | None:
        self.errors, self.saved = field_errors(exc), ""
        if isinstance(exc, NotAllowed):
            # Too many wrong current passwords: the service ended every session of this member.
            session = await self.get_state(SessionState)
            return await session._to_login(routes.SETTINGS, exc.message)
        return None

    def _clear_feedback(self) -> None:
        self.errors, self.saved = {}, ""

    def _field_check(self, name: str) -> FieldCheck | None:
        checks = {
            "new_password": new_password_check("new_password"),
            "confirm_password": confirmation_check("confirm_password", label="new passwords"),
        }
        return checks.get(name)

    @rx.event
    async def change_password(self, form_data: dict):
        new, confirmation = form_text(form_data, "new_password"), form_text(form_data, "confirm_password")
        call = self._call(
            recovery.change_password,
            busy=True,
            pool=password_pool(),
            check=lambda: validators.check_confirmation(new, confirmation, label="new passwords"),
            current_password=form_text(form_data, "current_password"),
            new_password=new,
            ip=client_ip(self),
            now=clock.utcnow(),
        )
        async for event in call:
            yield event
        if call.ok:
            self.saved = t(self, Msg("Your password has been changed. Other devices have been logged out."))
            self.form_key += 1
