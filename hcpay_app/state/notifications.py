"""The notifications center: the member's notices, newest first, with mark-as-read.

Each notice's link and its name come from the service, built from the server's route constants; a
notice about a bill that is now paid comes resolved (read, with "Paid — no action needed"). Nothing
the browser sends picks a link: the only argument taken is a notice id, checked by the service."""

from __future__ import annotations

import dataclasses

import reflex as rx

from hcpay_app import clock
from hcpay_app.i18n import languages
from hcpay_app.i18n.catalogs import localize
from hcpay_app.services.accounts import notices
from hcpay_app.services.accounts.notices import NoticeView
from hcpay_app.services.common.errors import DomainError
from hcpay_app.state.base import call_service, page_language
from hcpay_app.state.session import MemberState, SessionState, holds_member_data


@holds_member_data
class NotificationsState(MemberState, rx.State):
    items: list[NoticeView] = []
    loaded: bool = False

    def _show_error(self, exc: DomainError) -> None:
        return None  # nothing here is refused: a notice that isn't the member's own is simply left alone

    async def _refresh(self, actor) -> None:
        language = page_language(self)
        self.items = [
            # Its words in the page's language, and its link to that language's copy of the page.
            dataclasses.replace(item, link=languages.localized(item.link, language)) if item.link else item
            for item in localize(await call_service(notices.recent, actor=actor), language)
        ]
        session = await self.get_state(SessionState)
        session.unread = sum(1 for item in self.items if item.unread)
        self.loaded = True

    async def _mark(self, actor, notice_id: int | None) -> None:
        await call_service(notices.mark_read, actor=actor, notice_id=notice_id, now=clock.utcnow())
        await self._refresh(actor)

    @rx.event
    async def load(self):
        return await self._run(self._refresh)

    @rx.event
    async def mark_read(self, notice_id: int):
        return await self._run(self._mark, notice_id=notice_id if type(notice_id) is int else -1)

    @rx.event
    async def mark_all_read(self):
        return await self._run(self._mark, notice_id=None)
