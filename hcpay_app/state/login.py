"""The log-in form on the landing page."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.services.accounts import authn
from hcpay_app.services.common.errors import AccountLocked, AuthenticationFailed
from hcpay_app.state.base import call_service, client_ip, form_text, query_param
from hcpay_app.state.session import SessionState


class LoginState(rx.State):
    """Log in by username and password; the same answer for every kind of failure."""

    error: str = ""
    processing: bool = False

    @rx.event
    async def login(self, form_data: dict):
        if self.processing:
            return
        username, password = form_text(form_data, "username"), form_text(form_data, "password")
        if not username.strip() or not password:
            self.error = "Enter your username and password."
            return
        self.processing, self.error = True, ""
        yield
        try:
            _user_id, token = await call_service(
                authn.login, username=username, password=password, ip=client_ip(self), now=clock.utcnow()
            )
        except (AuthenticationFailed, AccountLocked) as exc:
            self.error = exc.message
            return
        finally:
            self.processing = False
        session = await self.get_state(SessionState)
        yield await session._begin(token, next_path=query_param(self, "next"))

    @rx.event
    def clear(self):
        self.error = ""
        self.processing = False
