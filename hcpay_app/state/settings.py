"""Settings: change password (later issues add payment methods, autopay and reminders)."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock, routes
from hcpay_app.services.accounts import recovery
from hcpay_app.services.common.errors import NotAllowed, ValidationError
from hcpay_app.state.base import call_service, client_ip, form_text
from hcpay_app.state.session import SessionState, current_user, holds_member_data, login_redirect


@holds_member_data
class SettingsState(rx.State):
    errors: dict[str, str] = {}
    saved: str = ""
    processing: bool = False
    form_key: int = 0

    @rx.event
    async def change_password(self, form_data: dict):
        if self.processing:
            return
        user = await current_user(self)
        if user is None:
            yield await login_redirect(self)
            return
        new, confirm = form_text(form_data, "new_password"), form_text(form_data, "confirm_password")
        if new != confirm:
            self.errors, self.saved = {"confirm_password": "The new passwords don't match."}, ""
            return
        self.processing, self.errors, self.saved = True, {}, ""
        yield
        try:
            await call_service(
                recovery.change_password,
                actor=user,
                current_password=form_text(form_data, "current_password"),
                new_password=new,
                ip=client_ip(self),
                now=clock.utcnow(),
            )
        except ValidationError as exc:
            self.errors = dict(exc.errors)
            return
        except NotAllowed as exc:
            session = await self.get_state(SessionState)
            yield await session._to_login(routes.SETTINGS, exc.message)
            return
        finally:
            self.processing = False
        self.saved = "Your password has been changed. Other devices have been logged out."
        self.form_key += 1
