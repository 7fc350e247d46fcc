"""The language choice on every page: where it takes the member, and keeping it on the account."""

from __future__ import annotations

import urllib.parse

import reflex as rx

from hcpay_app.i18n import languages
from hcpay_app.services.accounts import profile
from hcpay_app.state.base import call_service, page_route
from hcpay_app.state.session import SessionState


class LanguageState(rx.State):
    """No vars: the choice is the page the member is sent to (and, once logged in, their account)."""

    @rx.event
    async def choose(self, language: str):
        """Open this page in `language`, keeping its query (a payment's reference, a reset link's
        token); a logged-in member's choice is saved on their account, so it follows them."""
        chosen = languages.parse(language)
        if chosen is None:
            return None
        session = await self.get_state(SessionState)
        user = await session._resolve() if session.auth_token else None
        if user is not None:
            await call_service(profile.set_language, actor=user, language=chosen)
        query = urllib.parse.parse_qsl(urllib.parse.urlsplit(str(self.router.url)).query)
        kept = urllib.parse.urlencode([(k, v) for k, v in query if k != "lang"])
        return rx.redirect(languages.localized(page_route(self) + (f"?{kept}" if kept else ""), chosen))
