"""The notifications center: the member's notices, newest first, with mark-as-read."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.services.accounts import notices
from hcpay_app.services.accounts.notices import NoticeView
from hcpay_app.state.base import call_service
from hcpay_app.state.session import SessionState, current_user, holds_member_data, login_redirect


@holds_member_data
class NotificationsState(rx.State):
    items: list[NoticeView] = []
    loaded: bool = False

    async def _refresh(self, user) -> None:
        self.items = await call_service(notices.recent, actor=user)
        session = await self.get_state(SessionState)
        session.unread = sum(1 for item in self.items if item.unread)
        self.loaded = True

    @rx.event
    async def load(self):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        await self._refresh(user)
        return None

    @rx.event
    async def mark_read(self, notice_id: int):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        await call_service(notices.mark_read, actor=user, notice_id=notice_id if type(notice_id) is int else -1,
                           now=clock.utcnow())
        await self._refresh(user)
        return None

    @rx.event
    async def mark_all_read(self):
        user = await current_user(self)
        if user is None:
            return await login_redirect(self)
        await call_service(notices.mark_read, actor=user, notice_id=None, now=clock.utcnow())
        await self._refresh(user)
        return None
