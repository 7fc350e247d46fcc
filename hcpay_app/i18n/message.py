"""Text that is translated at the edge.

A service says what to tell the member as `Msg("Pay at least {amount}.", amount=money(100))`: a
message id with its parameters. It is a `str` that reads as English, so services and their tests
need not know about languages; the state, the mailer or the PDF writer translates it into the
member's language (`catalogs.translate`). Plain `str` is text from outside (what a member wrote, a
name, a reference number) and is shown as it is.

Parameters are formatted in the member's language too: dates (`dt.date`) per locale, nested `Msg`s
translated, `money(cents)` as dollars. Extraction (`pybabel extract`) finds `Msg("…")`, `N_("…")`,
`Msg.plural("…", "…", n)` and the pages' `_("…")`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any


class Msg(str):
    """A message id and its parameters; `str(msg)` is the English text."""

    msgid: str
    plural_id: str | None
    count: int | None
    params: dict[str, Any]

    def __new__(cls, msgid: str, /, **params: Any) -> Msg:
        return cls._make(msgid, None, None, params)

    @classmethod
    def plural(cls, singular: str, plural: str, count: int, /, **params: Any) -> Msg:
        """One of two forms by `count` ("1 payment" / "3 payments"); `{count}` is a parameter."""
        return cls._make(singular, plural, count, {"count": count, **params})

    @classmethod
    def _make(cls, msgid: str, plural_id: str | None, count: int | None, params: dict[str, Any]) -> Msg:
        form = msgid if plural_id is None or count == 1 else plural_id
        english = form.format(**{k: english_param(v) for k, v in params.items()}) if params else form
        obj = super().__new__(cls, english)
        obj.msgid, obj.plural_id, obj.count, obj.params = msgid, plural_id, count, params
        return obj

    def format(self, *args: Any, **params: Any) -> str:
        """`Msg("See payment {reference}").format(reference=…)` stays translatable."""
        if args:
            return str.format(self, *args, **params)
        return Msg._make(self.msgid, self.plural_id, self.count, {**self.params, **params})

    def __add__(self, other: object) -> Msg:
        if not isinstance(other, str):
            return NotImplemented
        return Joined((self, other))

    def __radd__(self, other: object) -> Msg:
        if not isinstance(other, str):
            return NotImplemented
        return Joined((other, self))

    def __reduce__(self):  # pickled (Redis state, worker processes) as its English text
        return (str, (str(self),))


class Joined(Msg):
    """Pieces shown one after another, each translated on its own (a sentence is never glued
    together from pieces: this joins whole sentences and paragraphs)."""

    parts: tuple[str, ...]

    def __new__(cls, parts: Iterable[str], separator: str = "") -> Joined:
        flat: list[str] = []
        items = list(parts)
        for index, part in enumerate(items):
            if index and separator:
                flat.append(separator)
            flat.extend(part.parts if isinstance(part, Joined) else (part,))
        obj = str.__new__(cls, "".join(str(p) for p in flat))
        obj.msgid, obj.plural_id, obj.count, obj.params = str(obj), None, None, {}
        obj.parts = tuple(flat)
        return obj


def join(separator: str, parts: Iterable[str]) -> Msg:
    """`separator.join(parts)` that keeps each part translatable."""
    return Joined(parts, separator)


def N_(msgid: str) -> str:
    """Marks a message id for extraction where it is translated later (a table of labels)."""
    return msgid


@dataclasses.dataclass(frozen=True)
class Money:
    """Cents shown as dollars: "$512.50" in every language."""

    cents: int


def money(cents: int) -> Money:
    return Money(cents)


@dataclasses.dataclass(frozen=True)
class DateText:
    """A date in the member's language: `style` is "short" (Dec 23, 2026), "long" (December 23,
    2026), "month" (December 2026) or "weekday" (Wednesday, December 23)."""

    day: dt.date
    style: str = "short"


def english_param(value: Any) -> str:
    from hcpay_app.i18n import formats

    if isinstance(value, Money):
        return formats.dollars(value.cents)
    if isinstance(value, DateText):
        return formats.date_text(value.day, value.style, "en")
    if isinstance(value, dt.datetime):
        return str(value)
    if isinstance(value, dt.date):
        return formats.date_text(value, "short", "en")
    return str(value)


class Dated(Msg):
    """A date standing alone as text (a table cell, a view field), formatted per language."""

    when: DateText

    def __new__(cls, day: dt.date, style: str = "short") -> Dated:
        when = DateText(day, style)
        obj = str.__new__(cls, english_param(when))
        obj.msgid, obj.plural_id, obj.count, obj.params, obj.when = str(obj), None, None, {}, when
        return obj


class Timed(Msg):
    """A time of day on the portal's clock (already in its zone) with the zone's short name:
    "7:45 PM ET" · "7:45 p. m. ET"."""

    moment: dt.datetime
    zone: str

    def __new__(cls, moment: dt.datetime, zone: str) -> Timed:
        from hcpay_app.i18n import formats

        obj = str.__new__(cls, formats.time_text(moment, zone, "en"))
        obj.msgid, obj.plural_id, obj.count, obj.params = str(obj), None, None, {}
        obj.moment, obj.zone = moment, zone
        return obj
