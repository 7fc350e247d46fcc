"""Payment reference numbers: unguessable (60 random bits) and easy to read aloud.

Crockford's base32 alphabet has no I, L, O or U, so nothing is confused when spoken or
typed; lookups forgive lower case, spaces, missing dashes and O/0, I/L/1 mix-ups.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "HC"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_reference() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"{PREFIX}-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def normalize(raw: object) -> str | None:
    """The canonical form of what a member typed, or None when it can't be a reference."""
    if not isinstance(raw, str) or len(raw) > 40:
        return None
    compact = "".join(ch for ch in raw.upper() if ch.isascii() and ch.isalnum()).translate(_CONFUSABLE)
    if compact.startswith(PREFIX):
        compact = compact[len(PREFIX) :]
    if len(compact) != 12 or any(ch not in ALPHABET for ch in compact):
        return None
    return f"{PREFIX}-{compact[:4]}-{compact[4:8]}-{compact[8:]}"
