"""The compiled catalogs, and the edge where text meets the member's language.

`translate(text, language)` turns a `Msg` into the language's words (its parameters formatted for
that language too); a plain `str` is outside text and comes back as it is. `localize(value,
language)` does that to every `Msg` inside a service's answer (dataclasses, lists, tuples, dicts),
so a state shows a whole view in the member's language in one call.

The `.po` files under `hcpay_app/locales` are compiled to `.mo` at install (`make catalogs`); a
catalog that was never compiled is read from its `.po` instead, so a checkout still runs.
"""

from __future__ import annotations

import dataclasses
import functools
import gettext as gettext_module
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from hcpay_app.i18n import formats
from hcpay_app.i18n.languages import DEFAULT, Language
from hcpay_app.i18n.message import Dated, DateText, Joined, Money, Msg, Timed

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
# Directory names of the catalogs (gettext locale names use "_").
CATALOG_NAMES = {Language.ES: "es", Language.PT: "pt", Language.PSEUDO: "en_XA"}


@functools.cache
def catalog(language: str) -> gettext_module.NullTranslations:
    name = CATALOG_NAMES.get(Language(language)) if language in set(Language) else None
    if name is None:
        return gettext_module.NullTranslations()
    folder = LOCALES_DIR / name / "LC_MESSAGES"
    mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return gettext_module.GNUTranslations(handle)
    if not po.exists():
        return gettext_module.NullTranslations()
    import io

    with po.open("rb") as handle:
        parsed = read_po(handle, locale=name.replace("_XA", ""))
    buffer = io.BytesIO()
    write_mo(buffer, parsed)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def gettext(language: str, msgid: str) -> str:
    return catalog(language).gettext(msgid) if language != DEFAULT else msgid


def ngettext(language: str, singular: str, plural: str, count: int) -> str:
    return catalog(language).ngettext(singular, plural, count)


def _param(value: Any, language: str) -> str:
    if isinstance(value, Money):
        return formats.dollars(value.cents)
    if isinstance(value, DateText):
        return formats.date_text(value.day, value.style, language)
    if isinstance(value, Msg):
        return translate(value, language)
    if hasattr(value, "isoformat") and hasattr(value, "year") and not hasattr(value, "hour"):
        return formats.date_text(value, "short", language)
    return str(value)


def translate(text: str, language: str) -> str:
    """`text` in `language`: a `Msg` through the catalog; any other text as it is."""
    if not isinstance(text, Msg):
        return text
    if isinstance(text, Dated):
        return formats.date_text(text.when.day, text.when.style, language)
    if isinstance(text, Timed):
        return formats.time_text(text.moment, text.zone, language)
    if isinstance(text, Joined):
        return "".join(translate(part, language) for part in text.parts)
    if text.plural_id is not None:
        form = ngettext(language, text.msgid, text.plural_id, text.count or 0)
    else:
        form = gettext(language, text.msgid)
    if not text.params:
        return form
    values = {name: _param(value, language) for name, value in text.params.items()}
    try:
        return form.format(**values)
    except (KeyError, IndexError, ValueError):  # a broken translation never hides the message
        return text.msgid.format(**values)


def localize(value: Any, language: str) -> Any:
    """`value` with every `Msg` inside it translated (a new object; `value` is not changed)."""
    if isinstance(value, str):
        return translate(value, language) if isinstance(value, Msg) else value
    if isinstance(value, list):
        return [localize(item, language) for item in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(localize(item, language) for item in value)
    if isinstance(value, dict):
        return {key: localize(item, language) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in dataclasses.fields(value):
            if not field.init:
                continue
            current = getattr(value, field.name)
            localized = localize(current, language)
            if localized is not current:
                changes[field.name] = localized
        return dataclasses.replace(value, **changes) if changes else value
    return value
