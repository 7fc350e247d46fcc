"""The languages the portal speaks, and where each one's pages live.

English pages keep their routes (`/`, `/dashboard`); every other language's copy of a page lives
under its prefix (`/es`, `/es/dashboard`). A page is compiled once per language, so its words are in
its HTML from the first paint and nothing is swapped after load.
"""

from __future__ import annotations

import enum
import os


class Language(enum.StrEnum):
    EN = "en"
    ES = "es"
    PT = "pt"
    # Pseudo-English (accented and bracketed): the tests' way of finding text that skipped the
    # catalogs. Compiled only when HCPAY_PSEUDO_LOCALE=1 (never in production).
    PSEUDO = "en-XA"


DEFAULT = Language.EN
# What the language choice shows: each language's name in itself.
NATIVE_NAMES = {Language.EN: "English", Language.ES: "Español", Language.PT: "Português", Language.PSEUDO: "[Ƥšéûðö]"}
# The route prefix of each language (English has none).
PREFIXES = {Language.ES: "es", Language.PT: "pt", Language.PSEUDO: "xa"}
_BY_PREFIX = {prefix: language for language, prefix in PREFIXES.items()}
# The device's remembered choice, before log-in (a plain cookie: it is not a secret).
COOKIE = "hcpay_lang"


def pseudo_enabled() -> bool:
    return os.environ.get("HCPAY_PSEUDO_LOCALE") == "1" and os.environ.get("HCPAY_ENV") != "production"


def offered() -> tuple[Language, ...]:
    """The languages a member can choose (the pseudo-locale only in tests)."""
    real = (Language.EN, Language.ES, Language.PT)
    return (*real, Language.PSEUDO) if pseudo_enabled() else real


def parse(raw: object) -> Language | None:
    """A language from outside (a cookie, a query, a database row), or None if it isn't offered."""
    if isinstance(raw, str):
        for language in offered():
            if raw.lower() == language.value.lower():
                return language
    return None


def split_path(path: str) -> tuple[Language, str]:
    """The language of a browser path and the route under its prefix: "/es/pay" → (es, "/pay")."""
    parts = path.split("/", 2)
    language = _BY_PREFIX.get(parts[1]) if len(parts) > 1 else None
    if language is None or language not in offered():
        return DEFAULT, path or "/"
    return language, "/" + (parts[2] if len(parts) > 2 else "")


def localized(route: str, language: Language | str) -> str:
    """A route in `language`: "/pay" → "/es/pay"; the log-in page "/" → "/es". Query kept."""
    prefix = PREFIXES.get(Language(language))
    if prefix is None or not route.startswith("/"):
        return route
    path, mark, query = route.partition("?")
    return (f"/{prefix}" if path == "/" else f"/{prefix}{path}") + mark + query
