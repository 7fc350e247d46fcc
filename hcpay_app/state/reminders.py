"""Settings → Reminders."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.services.billing import reminders
from hcpay_app.services.common.errors import ValidationError
from hcpay_app.state.base import call_service, form_flag
from hcpay_app.state.session import current_user, holds_member_data, login_redirect


@holds_member_data
class RemindersState(rx.State):
    enabled: bool = True
    by_email: bool = True
    in_app: bool = True
    days_before: list[int] = []
    errors: dict[str, str] = {}
    saved: str = ""
    form_key: int = 0

    def _show(self, prefs: reminders.Preferences) -> None:
        self.enabled, self.by_email, self.in_app = prefs.enabled, prefs.by_email, prefs.in_app
        self.days_before = list(prefs.days_before)
        self.form_key += 1

    @rx.event
    async def load(self):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        self._show(await call_service(reminders.get, actor=user))
        self.errors, self.saved = {}, ""
        return None

    @rx.event
    async def save(self, form_data: dict):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        if not isinstance(form_data, dict):
            return None  # not a form: ignored (it would otherwise read as "every box unchecked")
        days = [d for d in reminders.OFFSET_CHOICES if form_flag(form_data, f"days_{d}")]
        try:
            prefs = await call_service(reminders.save, actor=user, enabled=form_flag(form_data, "enabled"),
                                       by_email=form_flag(form_data, "by_email"), in_app=form_flag(form_data, "in_app"),
                                       days_before=days, now=clock.utcnow())
        except ValidationError as exc:
            self.errors, self.saved = dict(exc.errors), ""
            return None
        self._show(prefs)
        self.errors, self.saved = {}, "Reminder settings saved."
        return None
