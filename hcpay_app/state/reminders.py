"""Settings → Reminders."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.i18n.message import Msg
from hcpay_app.services.billing import reminders
from hcpay_app.services.billing.reminders import Preferences
from hcpay_app.services.common.errors import DomainError
from hcpay_app.state.base import field_errors, form_flag, t
from hcpay_app.state.session import MemberState, holds_member_data


@holds_member_data
class RemindersState(MemberState, rx.State):
    prefs: Preferences = Preferences(enabled=True, by_email=True, in_app=True, days_before=())  # the service's view
    errors: dict[str, str] = {}
    saved: str = ""
    form_key: int = 0

    def _show_error(self, exc: DomainError) -> None:
        self.errors, self.saved = field_errors(exc), ""

    def _show(self, prefs: Preferences, saved: str) -> None:
        self.prefs, self.errors, self.saved = prefs, {}, saved
        self.form_key += 1  # the form re-reads its defaults

    @rx.event
    async def load(self):
        call = await self._call(reminders.get)
        if call.ok:
            self._show(call.value, "")
        return call.events

    @rx.event
    async def save(self, form_data: dict):
        if not isinstance(form_data, dict):
            return None  # not a form: ignored (it would otherwise read as "every box unchecked")
        call = await self._call(
            reminders.save,
            enabled=form_flag(form_data, "enabled"),
            by_email=form_flag(form_data, "by_email"),
            in_app=form_flag(form_data, "in_app"),
            days_before=[d for d in reminders.OFFSET_CHOICES if form_flag(form_data, f"days_{d}")],
            now=clock.utcnow(),
        )
        if call.ok:
            self._show(call.value, t(self, Msg("Reminder settings saved.")))
        return call.events
