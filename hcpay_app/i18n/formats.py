"""Dates per locale, through Babel; money the same in every language.

Money reads "$512.50" in English, Spanish and Portuguese alike. Massachusetts members pay in US
dollars from US bank accounts and cards, and their bank statements, checks and paper bills all
write "$512.50": "US$ 512,50" (Brazil's way) would read as five hundred twelve thousand fifty to a
member used to US statements. Dates follow the language: "23 de diciembre de 2026".
"""

from __future__ import annotations

import datetime as dt
import functools

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time

# The Babel locale each language formats dates with: Spanish as written in the United States,
# Portuguese as in Brazil (most of Massachusetts's Portuguese readers are Brazilian; Cape Verdean
# and Portuguese readers read the same long dates). The pseudo-locale uses British order in
# accented letters ("23 Ðéç 2026"), so an English date that skipped formatting stands out.
PSEUDO = "en-XA"
BABEL_LOCALES = {"en": "en_US", "es": "es_US", "pt": "pt_BR", "en-XA": "en_GB"}
PATTERNS = {
    "short": "medium",  # Dec 23, 2026 · 23 dic 2026 · 23 de dez. de 2026
    "long": "long",  # December 23, 2026 · 23 de diciembre de 2026
}
# Styles written from a CLDR skeleton: each locale orders the parts its own way.
SKELETONS = {
    "weekday": "MMMMEEEEd",  # Wednesday, December 23 · miércoles, 23 de diciembre
    "month": "yMMMM",  # December 2026 · diciembre de 2026 · dezembro de 2026
}
# Spanish and Portuguese write month names in lower case, in a sentence and on their own alike.
CAPITALISED: set[str] = set()


@functools.cache
def _locale(language: str) -> Locale:
    return Locale.parse(BABEL_LOCALES.get(language, "en_US"))


def date_text(day: dt.date, style: str, language: str) -> str:
    locale = _locale(language)
    if style in SKELETONS:
        text = format_skeleton(SKELETONS[style], day, locale=locale)
    else:
        text = format_date(day, PATTERNS.get(style, style), locale=locale)
    text = text[:1].upper() + text[1:] if style in CAPITALISED else text
    return _pseudo_letters(text) if language == PSEUDO else text


def _pseudo_letters(text: str) -> str:
    """The pseudo-locale's dates in accented letters too: a date that skipped formatting (plain
    "January 2027") then stands out on its pages."""
    from hcpay_app.i18n.pseudo import ACCENTED

    return text.translate(ACCENTED)


def dollars(cents: int) -> str:
    """ "$1,234.56"; negative amounts as "−$5.00"."""
    sign = "−" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"


def time_text(moment: dt.datetime, zone: str, language: str) -> str:
    """ "7:45 PM ET" in the language's way of writing a time (the zone's short name as it is)."""
    text = format_time(moment, "short", locale=_locale(language)).replace("\u202f", " ").replace("\xa0", " ")
    return f"{text} {zone}".strip()
