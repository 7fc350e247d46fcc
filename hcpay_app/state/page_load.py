"""A page's on-load work as one Reflex event: its guard, then its loaders.

Reflex runs each handler of an `on_load` list as an event of its own. In the scale-out mode each
takes the member's state lock and reads and writes the state in Redis; in the browser each answer
is a render; and each handler looked the member's session up again. Here a page's handlers run in
order in one event, with the session looked up once (`session.one_resolve_per_event`) and one
database session for all their service calls (`base.one_session_per_event`): the guard first, and
nothing else if it sends the visitor away. Every handler still checks who is logged in
as it always does, so one called on its own (or by a client) is as safe as before.
"""

from __future__ import annotations

import inspect
from typing import Any

import reflex as rx
from reflex.event import EventHandler

from hcpay_app.state.base import one_session_per_event, page_route
from hcpay_app.state.session import one_resolve_per_event

# Route (without language prefix) -> (guard, loaders…), filled by `opened_by` as pages register.
_HANDLERS: dict[str, tuple[EventHandler, ...]] = {}


def opened_by(route: str, guard: EventHandler, *loaders: EventHandler) -> EventHandler:
    """The on_load of `route`'s page: `guard`, then each of `loaders`, in one event."""
    _HANDLERS[route] = (guard, *loaders)
    return PageLoadState.open_page


async def _events_of(state: rx.State, handler: EventHandler) -> list[Any]:
    """Run `handler` on its own state as Reflex would; the events it returned or yielded."""
    result = handler.fn(await state.get_state(handler.state))
    if inspect.isawaitable(result):
        result = await result
    if inspect.isasyncgen(result):
        answers = [answer async for answer in result]
    elif inspect.isgenerator(result):
        answers = list(result)
    else:
        answers = [result]
    events: list[Any] = []
    for answer in answers:
        if answer is not None:
            events.extend(answer if isinstance(answer, list | tuple) else [answer])
    return events


class PageLoadState(rx.State):
    """Holds nothing: the home of the one on-load event of every guarded page."""

    @rx.event
    async def open_page(self):
        handlers = _HANDLERS.get(page_route(self))
        if not handlers:
            return None
        guard, *loaders = handlers
        async with one_session_per_event():
            return await self._open(guard, loaders)

    async def _open(self, guard: EventHandler, loaders: list[EventHandler]) -> list[Any] | None:
        with one_resolve_per_event():
            away = await _events_of(self, guard)
            if away:
                return away
            events: list[Any] = []
            for loader in loaders:
                events += await _events_of(self, loader)
        return events or None
