"""The log-in session, shared by every page.

The browser holds a server-issued random token in a SameSite=Strict cookie; the server keeps only
its hash. Every handler that touches member data re-resolves the user through `current_user`
(states do it in one place: `MemberState._guard`, run by every `_call`).
Reflex's own client token identifies a tab and is never trusted as a credential.
"""

from __future__ import annotations

import contextlib
import contextvars
import urllib.parse
from collections.abc import Iterator
from typing import ClassVar

import reflex as rx

from hcpay_app import clock, routes
from hcpay_app.config import SESSION_COOKIE, get_settings
from hcpay_app.i18n import languages
from hcpay_app.i18n.message import Msg
from hcpay_app.models import Role
from hcpay_app.services.accounts import authn, notices, profile
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.state.base import (
    ServiceState,
    call_service,
    client_ip,
    localized_route,
    page_language,
    page_route,
    query_param,
    t,
)

SESSION_ENDED = Msg("Your session has ended. Please log in again.")

# States holding member data: reset on log-out so nothing lingers in the browser.
MEMBER_STATES: list[type[rx.State]] = []


# Within one event that runs several handlers (`page_load`), the session each token resolved to:
# the member is looked up once per event, as with one handler. Unset (None) everywhere else.
_RESOLVED_THIS_EVENT: contextvars.ContextVar[dict[str, SessionUser | None] | None] = contextvars.ContextVar(
    "resolved_this_event", default=None
)


@contextlib.contextmanager
def one_resolve_per_event() -> Iterator[None]:
    """Handlers run inside share one lookup of the session (Reflex gives each event its own
    task, so its own copy of this context)."""
    reset = _RESOLVED_THIS_EVENT.set({})
    try:
        yield
    finally:
        _RESOLVED_THIS_EVENT.reset(reset)


def holds_member_data(cls: type[rx.State]) -> type[rx.State]:
    """Class decorator: register a state to be cleared at log-out."""
    MEMBER_STATES.append(cls)
    return cls


def _holds_anything(state: rx.State) -> bool:
    """Whether any var of the state's own (public or backend) differs from its default."""
    fields = type(state).get_fields()
    return any(getattr(state, name) != fields[name].default_value() for name in fields.keys() - _ROOT_FIELDS)


_ROOT_FIELDS = frozenset(rx.State.get_fields())  # the router and hydration vars every state inherits


class SessionState(rx.State):
    """Who is logged in in this browser, and the display-ready bits of it."""

    auth_token: str = rx.Cookie(
        "", name=SESSION_COOKIE, path="/", same_site="strict", secure=get_settings().is_production
    )
    logged_in: bool = False
    display_name: str = ""
    notice: str = ""
    unread: int = 0

    async def _resolve(self) -> SessionUser | None:
        token = self.auth_token
        resolved = _RESOLVED_THIS_EVENT.get()
        if resolved is not None and token in resolved:
            user = resolved[token]
        else:
            user = await call_service(authn.resolve, token=token, now=clock.utcnow()) if token else None
            if resolved is not None:
                resolved[token] = user
        self._set_changed(logged_in=user is not None, display_name=self.display_name if user else "")
        return user

    def _set_changed(self, **values: object) -> None:
        """Assign only the vars whose value changes: Reflex counts any assignment as a change, and a
        changed state goes to the browser (and, scale-out, back to Redis) after the event."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    async def _forget_member_data(self) -> None:
        """Reset every state that holds member data, so nothing lingers in this tab. A state still
        at its defaults is left alone: a reset would send all of it to the browser again (and, in
        the scale-out mode, write it back to Redis) for nothing."""
        for cls in MEMBER_STATES:
            state = await self.get_state(cls)
            if _holds_anything(state):
                state.reset()

    async def _to_login(self, path: str, notice: str = "") -> rx.event.EventSpec:
        """To the log-in page in this page's language; `path` (a route, no prefix) is where to return.

        Without a `notice` of its own, the one already there stays: a page's on-load event that Log
        out overtook arrives after it, and must not erase "You have been logged out."."""
        await self._forget_member_data()
        self.auth_token = ""
        self.logged_in, self.display_name, self.unread = False, "", 0
        if notice:
            self.notice = t(self, notice)
        target = routes.LOGIN if path == routes.LOGIN else f"{routes.LOGIN}?{urllib.parse.urlencode({'next': path})}"
        return rx.redirect(localized_route(self, target))

    async def _follow_language(self, user: SessionUser) -> rx.event.EventSpec | None:
        """The member's language follows them: a page opened from the language choice (`?lang=`)
        saves it on the account; any other page in another language sends them to their own."""
        here = page_language(self)
        chosen = languages.parse(query_param(self, "lang"))
        if chosen is not None and chosen == here:
            if user.language != here:
                await call_service(profile.set_language, actor=user, language=here)
            return None
        saved = languages.parse(user.language)
        if saved is None or saved == here:
            return None
        query = urllib.parse.urlsplit(str(self.router.url)).query
        return rx.redirect(languages.localized(page_route(self) + (f"?{query}" if query else ""), saved))

    @rx.event
    async def require_login(self):
        """on_load guard of protected pages: an anonymous visitor goes to log in, then returns."""
        user = await self._resolve()
        if user is None:
            expired = bool(self.auth_token)
            return await self._to_login(page_route(self), SESSION_ENDED if expired else "")
        self._set_changed(display_name=user.username)
        if user.role == Role.SUPPORT:
            return rx.redirect(localized_route(self, routes.CONSOLE))  # staff work in the console
        away = await self._follow_language(user)
        if away is not None:
            return away
        self._set_changed(unread=await call_service(notices.unread_count, actor=user))
        return None

    @rx.event
    async def require_staff(self):
        """on_load guard of the console: staff only; members go to their dashboard."""
        user = await self._resolve()
        if user is None:
            expired = bool(self.auth_token)
            return await self._to_login(routes.LOGIN, SESSION_ENDED if expired else "")
        self.display_name = user.username
        if user.role != Role.SUPPORT:
            # A member's cookie in a tab that showed the console: drop whatever the console held.
            await self._forget_member_data()
            return rx.redirect(localized_route(self, routes.DASHBOARD))
        return await self._follow_language(user)

    @rx.event
    async def redirect_if_logged_in(self):
        """on_load of the landing page: a member who is already logged in goes to the dashboard."""
        user = await self._resolve() if self.auth_token else None
        if user is not None:
            home = routes.CONSOLE if user.role == Role.SUPPORT else routes.DASHBOARD
            return rx.redirect(languages.localized(home, languages.parse(user.language) or page_language(self)))
        return None

    @rx.event
    async def logout(self):
        """Revoke the session on the server, forget the token and every member var."""
        token = self.auth_token
        if token:
            await call_service(authn.logout, token=token, ip=client_ip(self), now=clock.utcnow())
        await self._forget_member_data()
        self.auth_token = ""
        self.logged_in = False
        self.display_name = ""
        self.unread = 0
        self.notice = t(self, Msg("You have been logged out."))
        return rx.redirect(localized_route(self, routes.LOGIN))

    async def _begin(self, token: str, destination: str | None = None, next_path: str = "") -> rx.event.EventSpec:
        """Start a fresh session after log-in or sign-up: the tab's previous session (if any) is
        revoked and its member data forgotten."""
        previous = self.auth_token
        if previous and previous != token:
            await call_service(authn.logout, token=previous, ip=client_ip(self), now=clock.utcnow())
        await self._forget_member_data()
        self.auth_token = token
        self.notice = ""
        user = await self._resolve()
        self.display_name = user.username if user else ""
        target = destination or routes.safe_next(next_path, user.role if user else "member")
        # After log-in, the member's own language, whatever the device was showing.
        language = (languages.parse(user.language) if user else None) or page_language(self)
        return rx.redirect(languages.localized(target, language))


async def current_user(state: rx.State) -> SessionUser | None:
    """The logged-in member for a member page's handler, resolved from the server-side session
    (None for anyone else, staff included: member pages only ever show the member's own data)."""
    session = await state.get_state(SessionState)
    user = await session._resolve()
    return user if user is not None and user.role == Role.MEMBER else None


async def current_staff(state: rx.State) -> SessionUser | None:
    """The logged-in support agent for a console handler, or None."""
    session = await state.get_state(SessionState)
    user = await session._resolve()
    return user if user is not None and user.role == Role.SUPPORT else None


async def staff_login_redirect(state: rx.State) -> rx.event.EventSpec:
    """A console handler without a live staff session: forget everything and go to log in."""
    session = await state.get_state(SessionState)
    user = await session._resolve() if session.auth_token else None
    if user is not None and user.role == Role.MEMBER:
        await session._forget_member_data()  # nothing the console held may reach this member
        return rx.redirect(
            localized_route(state, routes.LOGIN)
        )  # refused; the landing page sends a member on to their dashboard
    notice = SESSION_ENDED if session.auth_token else ""
    return await session._to_login(routes.LOGIN, notice)


async def login_redirect(state: rx.State) -> rx.event.EventSpec:
    """Send a visitor whose session ended to log in, coming back to this page afterwards (staff
    who wandered onto a member page go back to the console)."""
    session = await state.get_state(SessionState)
    user = await session._resolve() if session.auth_token else None
    if user is not None and user.role == Role.SUPPORT:
        return rx.redirect(localized_route(state, routes.CONSOLE))
    notice = SESSION_ENDED if session.auth_token else ""
    return await session._to_login(page_route(state), notice)


class MemberState(ServiceState, mixin=True):
    """Mixed into the state of every member page: each `_call` re-resolves the logged-in member from
    the server-side session and acts as them; anyone else is sent to log in and nothing runs."""

    async def _guard(self) -> tuple[SessionUser | None, rx.event.EventSpec | None]:
        user = await current_user(self)
        return (user, None) if user is not None else (None, await login_redirect(self))


class StaffState(ServiceState, mixin=True):
    """Mixed into the support console's state: each `_call` re-resolves the logged-in support agent
    and passes them to the service as `staff`; anyone else is sent away and nothing runs."""

    _actor_keyword: ClassVar[str] = "staff"

    async def _guard(self) -> tuple[SessionUser | None, rx.event.EventSpec | None]:
        staff = await current_staff(self)
        return (staff, None) if staff is not None else (None, await staff_login_redirect(self))
