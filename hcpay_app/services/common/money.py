"""Money is integer cents everywhere; this module is the only place that reads or writes dollars."""

from __future__ import annotations

import re

from hcpay_app.i18n.message import Msg

# Dollars (grouped by commas or not) with an optional ".", ".5" or ".50"; or cents alone, ".5" or ".50".
_AMOUNT_RE = re.compile(r"\$?\s*(?:((?:[0-9]{1,3}(?:,[0-9]{3})+)|[0-9]+)(?:\.([0-9]{0,2}))?|\.([0-9]{1,2}))")
MAX_DIGITS = 12
# The smallest payment the portal takes, by any route ($1.00): below it a processor's fee costs more.
MINIMUM_PAYMENT_CENTS = 100


class AmountError(ValueError):
    """Text that is not a dollar amount; the message says exactly why."""


def parse_dollars(raw: object) -> int:
    """Cents from text such as "$1,234.56", "1234.5", "12" or ".5" (50 cents). Never goes through a float."""
    if not isinstance(raw, str):
        raise AmountError(Msg("Enter an amount in dollars and cents, like 125.50."))
    text = raw.strip()
    if not text:
        raise AmountError(Msg("Enter an amount."))
    if len(text) > 20:
        raise AmountError(Msg("That amount is too long."))
    if text.startswith("-") or text.startswith("$-"):
        raise AmountError(Msg("The amount can't be negative."))
    match = _AMOUNT_RE.fullmatch(text)
    if not match:
        if re.fullmatch(r"\$?\s*[0-9,]*\.[0-9]{3,}", text):
            raise AmountError(Msg("Use at most two digits after the decimal point, like 125.50."))
        raise AmountError(Msg("Enter an amount using digits only, like 125.50 or $1,234.56."))
    whole, fraction = (match.group(1) or "").replace(",", ""), (match.group(2) or match.group(3) or "")
    if len(whole.lstrip("0")) > MAX_DIGITS:
        raise AmountError(Msg("That amount is too large."))
    return int(whole or "0") * 100 + int(fraction.ljust(2, "0"))


def format_cents(cents: int) -> str:
    """ "$1,234.56"; negative amounts as "−$5.00"."""
    sign = "−" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"
