"""Page text, translated while a page is compiled for one language.

`register_pages` compiles each page once per language inside `building(language)`; the page's
functions call `_("Log in")`, which answers in that language. Outside a build, `_` answers in
English. `page_language()` and `href(route)` give the page's language and its own links.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from hcpay_app.i18n import catalogs
from hcpay_app.i18n.languages import DEFAULT, Language, localized
from hcpay_app.i18n.message import Msg

_building: contextvars.ContextVar[Language] = contextvars.ContextVar("hcpay_building_language", default=DEFAULT)
_route: contextvars.ContextVar[str] = contextvars.ContextVar("hcpay_building_route", default="/")


@contextlib.contextmanager
def building(language: Language, route: str = "/") -> Iterator[None]:
    """Compile a page's components for `language` (the page lives at `route` in English)."""
    tokens = _building.set(language), _route.set(route)
    try:
        yield
    finally:
        _building.reset(tokens[0])
        _route.reset(tokens[1])


def page_language() -> Language:
    return _building.get()


def page_route() -> str:
    """The English route of the page being built (the language choice links to its other copies)."""
    return _route.get()


def _(msgid: str, /, **params: Any) -> str:
    """Text on a page, in the language being built: `_("Pay {amount}", amount=money(500))`."""
    return catalogs.translate(Msg(msgid, **params), _building.get())


def _var(msgid: str, /, **values: Any) -> Any:
    """Page text with state values in it: `_var("Notifications, {count} unread", count=State.unread)`
    is one sentence for the translator, built in the browser from the translation's own order."""
    import re

    import reflex as rx

    marks = {name: f"\x00{name}\x00" for name in values}
    text = catalogs.translate(Msg(msgid, **marks), _building.get())
    result: Any = None
    for index, piece in enumerate(re.split("\x00(\\w+)\x00", text)):
        part = _as_text(values[piece]) if index % 2 else piece
        if isinstance(part, str) and not part:
            continue
        result = part if result is None else result + part
    return result if result is not None else rx.Var.create("")


def _var_plural(singular: str, plural: str, /, count: Any) -> Any:
    """`_var` with a count: one form for 1, the other for any other number (the forms English,
    Spanish and Portuguese have), each from the catalog's plural entry."""
    import reflex as rx

    def form(n: int) -> Any:
        marks = Msg.plural(singular, plural, n, count="\x00count\x00")
        text = catalogs.translate(marks, _building.get())
        pieces = [p for p in text.split("\x00count\x00")]
        result: Any = None
        for index, piece in enumerate(pieces):
            if index:
                result = (result + _as_text(count)) if result is not None else _as_text(count)
            if piece:
                result = piece if result is None else result + piece
        return result

    return rx.cond(count == 1, form(1), form(2))


def _as_text(value: Any) -> Any:
    import reflex as rx

    if isinstance(value, rx.vars.StringVar):
        return value
    return value.to_string() if isinstance(value, rx.Var) else str(value)


def ngettext(singular: str, plural: str, count: int, /, **params: Any) -> str:
    return catalogs.translate(Msg.plural(singular, plural, count, **params), _building.get())


def tr(text: str) -> str:
    """A `Msg` made elsewhere (a label table, a service constant), in the language being built."""
    return catalogs.translate(text if isinstance(text, Msg) else Msg(text), _building.get())


def href(route: str) -> str:
    """A link to one of the portal's pages, in the language being built."""
    return localized(route, _building.get())
