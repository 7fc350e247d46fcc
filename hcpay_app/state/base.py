"""Helpers every state uses: run a service off the event loop, guard it, and read request facts.

A state that calls services mixes in `ServiceState` (or `session.MemberState` on member pages) and
goes through `self._call(...)`: that one place re-resolves who may act, keeps a double tap from
running the work twice (`busy=True`), runs the service in a worker thread, and turns a
`DomainError` into what the page shows. Handlers then only say what they do.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import functools
import inspect
import ipaddress
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any, ClassVar, Generic, TypeVar

import reflex as rx

from hcpay_app.config import get_settings
from hcpay_app.db import SharedSession, session_scope
from hcpay_app.i18n import languages
from hcpay_app.i18n.catalogs import localize, translate
from hcpay_app.services.adapters import passwords
from hcpay_app.services.common import read_memo
from hcpay_app.services.common.errors import DomainError, ValidationError
from hcpay_app.services.payments import card_guard

T = TypeVar("T")


@functools.cache
def password_pool() -> concurrent.futures.ThreadPoolExecutor:
    """The threads password work runs in (log-in, sign-up, reset, change, re-confirm), apart from the
    pool every other handler shares: a log-in flood waiting on bcrypt then queues here, and a
    member's dashboard still finds a free thread. Sized for the bcrypt slots, their admission queue
    and a few quick refusals (rate limits, a full queue) flowing past them."""
    size = passwords.hashing_slots() + get_settings().bcrypt_queue + 2
    return concurrent.futures.ThreadPoolExecutor(max_workers=size, thread_name_prefix="hcpay-passwords")


_EVENT_SESSION: contextvars.ContextVar[SharedSession | None] = contextvars.ContextVar("event_session", default=None)


@contextlib.asynccontextmanager
async def one_session_per_event() -> AsyncIterator[None]:
    """The service calls inside share one database session (`SharedSession`), closed at the end.

    An event's calls each had a session of their own: a dashboard load was five, each a pool
    checkout with its ping, a BEGIN and a ROLLBACK, and each read the member's account again — 39
    statements, 17 of them for that. Reads the services share (`read_memo`) are kept for the whole
    event, until a write or a commit. Nested scopes share the outer one."""
    if _EVENT_SESSION.get() is not None:
        yield
        return
    shared = SharedSession(on_open=read_memo.hold)
    token = _EVENT_SESSION.set(shared)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):  # left in another context (a generator closed late)
            _EVENT_SESSION.reset(token)
        if shared.opened:
            # Shielded: a cancelled event still returns its connection (after any call in flight).
            await asyncio.shield(asyncio.to_thread(shared.close))
        else:
            shared.close()


async def call_service(fn: Callable[..., T], /, *, pool: concurrent.futures.Executor | None = None, **kwargs: Any) -> T:
    """Run `fn(session, **kwargs)` in a worker thread: with the event's session inside
    `one_session_per_event`, else with its own. In `pool` when given (password work: its own
    session, never holding the event's connection through a bcrypt wait), else the loop's pool.

    bcrypt, SQL and the processor are slow or blocking: never on the event loop.
    """
    shared = _EVENT_SESSION.get() if pool is None else None
    if shared is not None:
        return await asyncio.to_thread(shared.run, fn, **kwargs)

    def run() -> T:
        with session_scope() as session:
            return fn(session, **kwargs)

    if pool is None:
        return await asyncio.to_thread(run)
    return await asyncio.get_running_loop().run_in_executor(pool, run)


def field_errors(exc: DomainError, other: str = "") -> dict[str, str]:
    """The per-field messages of a refusal (a copy); one about no field goes under `other`, if given."""
    if isinstance(exc, ValidationError):
        return dict(exc.errors)
    return {other: exc.message} if other else {}


def first_message(exc: DomainError) -> str:
    """One line for a refusal shown in a single place: the first field's message, else the general one."""
    if isinstance(exc, ValidationError) and exc.errors:
        return next(iter(exc.errors.values()))
    return exc.message


ErrorView = Callable[[DomainError], "rx.event.EventSpec | Awaitable[rx.event.EventSpec | None] | None"]


class Call(Generic[T]):
    """One guarded service call made by an event handler; see `ServiceState._call`.

    `await call` runs it. `async for event in call: yield event` runs it as a busy step: the page
    first receives `processing` set (one yield), so it shows that it is working. Afterwards `ok`,
    `value` (what the service returned), `actor` (who it acted as), `error` (the refusal, shown
    already) and `events` (what the handler returns: the redirect that sends the visitor away, or
    what `on_error` asked for) say how it went.
    """

    def __init__(
        self,
        state: ServiceState,
        fn: Callable[..., Any],
        kwargs: dict[str, Any],
        *,
        busy: bool,
        check: Callable[[], object] | None,
        on_error: ErrorView | None,
        pool: concurrent.futures.Executor | None = None,
    ):
        self._state, self._fn, self._kwargs = state, fn, kwargs
        self._busy, self._check, self._on_error, self._pool = busy, check, on_error, pool
        self.ok = False
        self.value: T | None = None
        self.actor: Any = None
        self.error: DomainError | None = None
        self.events: list[rx.event.EventSpec] = []

    def __await__(self) -> Generator[Any, None, Call[T]]:
        return self._quietly().__await__()

    def __aiter__(self) -> AsyncIterator[rx.event.EventSpec | None]:
        return self._steps(show_busy=True)

    async def _quietly(self) -> Call[T]:
        async for _ in self._steps(show_busy=False):
            pass
        return self

    async def _refused(self, exc: DomainError) -> AsyncIterator[rx.event.EventSpec]:
        exc = localized_error(exc, page_language(self._state))
        self.error = exc
        shown = (self._on_error or self._state._show_error)(exc)
        if inspect.isawaitable(shown):
            shown = await shown
        if shown is not None:
            self.events.append(shown)
            yield shown

    async def _steps(self, *, show_busy: bool) -> AsyncIterator[rx.event.EventSpec | None]:
        async with one_session_per_event():
            async for event in self._guarded_steps(show_busy=show_busy):
                yield event

    async def _guarded_steps(self, *, show_busy: bool) -> AsyncIterator[rx.event.EventSpec | None]:
        state = self._state
        if self._busy and state.processing:
            return  # a second tap while the first is still working: ignored
        self.actor, away = await state._guard()
        if away is not None:
            self.events.append(away)
            yield away
            return
        try:
            if self._check is not None:
                self._check()  # cheap checks of the form, before anything slow
        except DomainError as exc:
            async for event in self._refused(exc):
                yield event
            return
        if self._busy:
            state.processing = True
            state._clear_feedback()
            if show_busy:
                yield None
        who = {state._actor_keyword: self.actor} if self.actor is not None else {}
        refusal: DomainError | None = None
        try:
            if inspect.iscoroutinefunction(self._fn):
                # The state's own steps (several services, a processor call): they stay off the loop themselves.
                self.value = await self._fn(**who, **self._kwargs)
            else:
                self.value = await call_service(self._fn, pool=self._pool, **who, **self._kwargs)
        except DomainError as exc:
            refusal = exc
        finally:
            if self._busy:
                state.processing = False
        if refusal is not None:
            async for event in self._refused(refusal):
                yield event
            return
        # What the service said, in the member's language (its `Msg`s translated; data as it is).
        self.value = localize(self.value, page_language(state))
        self.ok = True


class ServiceState(rx.State, mixin=True):
    """Mixed into every state that calls services: the guard, the busy flag and the error mapping.

    A state overrides the hooks where its page differs: `_guard` (who may act: anyone here;
    `session.MemberState` re-resolves the logged-in member), `_show_error` and `_clear_feedback`
    (the vars its page shows feedback in; `errors` and `message` by default).
    """

    _actor_keyword: ClassVar[str] = "actor"

    async def _guard(self) -> tuple[Any, rx.event.EventSpec | None]:
        """Who a call acts as (None: anyone may, as on the log-in page), or the event that sends
        the visitor away instead."""
        return None, None

    def _show_error(self, exc: DomainError) -> rx.event.EventSpec | None:
        """A refusal: per-field messages next to their fields, anything else at the top."""
        self.errors = field_errors(exc)
        self.message = "" if isinstance(exc, ValidationError) else exc.message
        return None

    def _clear_feedback(self) -> None:
        """Forget the last outcome when new work starts."""
        self.errors, self.message = {}, ""

    def _call(
        self,
        fn: Callable[..., T] | Callable[..., Awaitable[T]],
        /,
        *,
        busy: bool = False,
        check: Callable[[], object] | None = None,
        on_error: ErrorView | None = None,
        pool: concurrent.futures.Executor | None = None,
        **kwargs: Any,
    ) -> Call[T]:
        """A service call, guarded: `fn(session, actor=…, **kwargs)` in a worker thread (or the
        state's own `async` steps, awaited with the same arguments).

        First `_guard` re-resolves who may act; anyone else is sent away and nothing runs. With
        `busy`, a call while the state is `processing` is ignored, and `processing` is set for the
        work and cleared after it. `check` runs cheap checks of the form before anything slow. A
        `DomainError` from `check` or the work is shown through `on_error` (default: the state's
        `_show_error`), never raised. Password work passes `pool=password_pool()`.
        """
        return Call(self, fn, kwargs, busy=busy, check=check, on_error=on_error, pool=pool)

    async def _run(self, fn: Callable[..., Any], /, **kwargs: Any) -> list[rx.event.EventSpec]:
        """`_call` for a handler with nothing left to do afterwards: the events to return."""
        return (await self._call(fn, **kwargs)).events


def client_ip(state: rx.State) -> str:
    """The address per-client limits key on: the real client's.

    Behind a reverse proxy, Reflex takes it from X-Forwarded-For (REFLEX_TRUSTED_PROXY_HOPS), from
    whoever sent that header. Only a peer in HCPAY_TRUSTED_PROXIES (the proxy) may name the client
    that way; anyone reaching the app directly is keyed on its own address, whatever it claims.
    """
    resolved = state.router.session.client_ip or ""
    peer = state.router.headers.raw_headers.get("asgi-scope-client", "")
    if peer and resolved != peer and not _is_trusted_proxy(peer):
        return peer
    return resolved or peer or "unknown"


@functools.lru_cache(maxsize=256)
def _trusted_networks(networks: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in networks)


def _is_trusted_proxy(peer: str) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _trusted_networks(get_settings().trusted_proxies))


def payer_of(state: rx.State) -> card_guard.Payer:
    """Who is paying, for the card-testing caps: this browser tab and its address (server-side)."""
    return card_guard.Payer(session_key=f"tab:{state.router.session.client_token}", ip=client_ip(state))


def current_path(state: rx.State) -> str:
    """The browser's path, language prefix included ("/es/pay")."""
    path = urllib.parse.urlsplit(str(state.router.url)).path
    return path.rstrip("/") or "/"


def page_language(state: rx.State) -> languages.Language:
    """The language of the page the event came from: its route prefix says it."""
    return languages.split_path(current_path(state))[0]


def page_route(state: rx.State) -> str:
    """The route of the page the event came from, without its language prefix ("/pay")."""
    return languages.split_path(current_path(state))[1]


def localized_route(state: rx.State, route: str) -> str:
    """One of the portal's routes in the language of the page the event came from."""
    return languages.localized(route, page_language(state))


def t(state: rx.State, text: str) -> str:
    """Text a state shows, in its page's language (`Msg`s through the catalog)."""
    return translate(text, page_language(state))


def localized_error(exc: DomainError, language: str) -> DomainError:
    """A refusal with its messages in `language` (the same exception, its texts translated)."""
    exc.message = translate(exc.message, language)
    if isinstance(exc, ValidationError):
        exc.errors = {name: translate(text, language) for name, text in exc.errors.items()}
    return exc


def query_param(state: rx.State, name: str) -> str:
    values = urllib.parse.parse_qs(urllib.parse.urlsplit(str(state.router.url)).query).get(name, [])
    return values[0] if values else ""


def form_text(form_data: object, name: str) -> str:
    """A text field from submitted form data; anything that isn't a string becomes ""."""
    value = form_data.get(name, "") if isinstance(form_data, dict) else ""
    return value if isinstance(value, str) else ""


def form_flag(form_data: object, name: str) -> bool:
    """A checkbox from submitted form data (Reflex may deliver "on" or True when checked)."""
    value = form_data.get(name) if isinstance(form_data, dict) else None
    return value is True or value == "on"


def parse_id(raw: object) -> int | None:
    """A database id from the browser: a positive int (or ASCII digits) in range, else None."""
    if type(raw) is int:
        value = raw
    elif isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 12:
        value = int(raw)
    else:
        return None
    return value if 0 < value < 2**62 else None
