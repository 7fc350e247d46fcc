"""Validation of what a member types to pay: cards, bank accounts, amounts and dates.

Each function returns the clean value or raises `ValidationError` naming the field. Card and
account numbers are checked here and handed straight to the processor; they are never stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from hcpay_app.i18n.message import Msg
from hcpay_app.services.common import money
from hcpay_app.services.common.errors import ValidationError
from hcpay_app.services.common.money import MINIMUM_PAYMENT_CENTS

CARD_BRANDS = (
    ("American Express", re.compile(r"3[47]")),
    ("Visa", re.compile(r"4")),
    ("Mastercard", re.compile(r"5[1-5]|222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720")),
    ("Discover", re.compile(r"6011|65|64[4-9]")),
)


@dataclasses.dataclass(frozen=True)
class CardInput:
    number: str
    brand: str
    exp_month: int
    exp_year: int
    cvc: str
    name: str
    zip_code: str


@dataclasses.dataclass(frozen=True)
class BankInput:
    routing: str
    account: str
    account_type: str
    name: str


def _fail(field: str, message: str):
    raise ValidationError({field: message})


def _text(raw: object, limit: int = 100) -> str:
    return raw.strip()[:limit] if isinstance(raw, str) else ""


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, ch in enumerate(reversed(digits)):
        value = int(ch)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_brand(digits: str) -> str:
    """The card network for a (partial) number, as shown while the member types."""
    for brand, prefix in CARD_BRANDS:
        if prefix.match(digits):
            return brand
    return ""


def clean_card_number(raw: object, field: str = "card_number") -> tuple[str, str]:
    """(digits, brand) of a card number typed with or without spaces or dashes."""
    text = _text(raw, 40)
    digits = re.sub(r"[ -]", "", text)
    if not digits:
        _fail(field, Msg("Enter your card number."))
    if not re.fullmatch(r"[0-9]{13,19}", digits):
        _fail(field, Msg("Card numbers are 13 to 19 digits."))
    if not luhn_valid(digits):
        _fail(field, Msg("That card number isn't valid. Check the digits and try again."))
    brand = card_brand(digits)
    if not brand:
        _fail(field, Msg("We accept Visa, Mastercard, American Express and Discover."))
    return digits, brand


def format_expiry(raw: object) -> str:
    """An expiration date as the member typed it, shown as MM/YY: "1224" → "12/24", "122029" →
    "12/2029", "4/29" → "04/29". Anything that isn't a plain date is returned as typed (trimmed)."""
    text = _text(raw, 10)
    digits = re.sub(r"[\s/.-]", "", text)
    if re.fullmatch(r"(0[1-9]|1[0-2])([0-9]{2}|[0-9]{4})", digits):
        return f"{digits[:2]}/{digits[2:]}"
    match = re.fullmatch(r"([1-9])\s*/\s*([0-9]{2}|[0-9]{4})", text)
    if match:
        return f"0{match.group(1)}/{match.group(2)}"
    return text


def clean_expiry(raw: object, today: dt.date, field: str = "expiry") -> tuple[int, int]:
    """(month, year) from "MM/YY" or "MM/YYYY" — or the digits alone, "MMYY", as a phone's number
    pad types them; the card must not have expired."""
    match = re.fullmatch(r"(0?[1-9]|1[0-2])\s*/\s*([0-9]{2}|[0-9]{4})", format_expiry(raw))
    if not match:
        _fail(field, Msg("Enter the expiration date as MM/YY, like 04/29."))
    month, year = int(match.group(1)), int(match.group(2))
    year = year + 2000 if year < 100 else year
    if (year, month) < (today.year, today.month):
        _fail(field, Msg("This card has expired. Use another card."))
    if year > today.year + 20:
        _fail(field, Msg("Check the expiration year."))
    return month, year


def clean_cvc(raw: object, brand: str, field: str = "cvc") -> str:
    value = _text(raw, 10)
    wanted = 4 if brand == "American Express" else 3
    if not re.fullmatch(r"[0-9]{3,4}", value):
        _fail(field, Msg("Enter the 3- or 4-digit security code (CVC) from your card."))
    if len(value) != wanted:
        _fail(field, Msg("The security code on this card has {count} digits.", count=wanted))
    return value


def clean_holder_name(raw: object, field: str) -> str:
    value = " ".join(_text(raw, 80).split())
    if len(value) < 2:
        _fail(field, Msg("Enter the name as it appears on the account."))
    if not re.fullmatch(r"[^\d\x00-\x1f<>]{2,60}", value):
        _fail(field, Msg("Use letters, spaces, hyphens and apostrophes only (60 characters at most)."))
    return value


def clean_zip(raw: object, field: str = "billing_zip") -> str:
    value = _text(raw, 12)
    if not re.fullmatch(r"[0-9]{5}(-[0-9]{4})?", value):
        _fail(field, Msg("Enter the 5-digit billing ZIP code."))
    return value[:5]


def aba_checksum_valid(routing: str) -> bool:
    d = [int(ch) for ch in routing]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0


def clean_routing(raw: object, field: str = "routing_number") -> str:
    value = _text(raw, 20).replace(" ", "")
    if not re.fullmatch(r"[0-9]{9}", value):
        _fail(field, Msg("Routing numbers are 9 digits. You'll find it at the bottom left of a check."))
    if not aba_checksum_valid(value):
        _fail(field, Msg("That routing number isn't valid. Check it with your bank."))
    return value


def clean_account_number(raw: object, confirm: object, field: str = "account_number") -> str:
    value = _text(raw, 30).replace(" ", "")
    if not re.fullmatch(r"[0-9]{4,17}", value):
        _fail(field, Msg("Account numbers are 4 to 17 digits."))
    if value != _text(confirm, 30).replace(" ", ""):
        _fail("confirm_account_number", Msg("The account numbers don't match."))
    return value


def clean_account_type(raw: object, field: str = "account_type") -> str:
    if raw not in ("checking", "savings"):
        _fail(field, Msg("Choose checking or savings."))
    return raw


def clean_amount(raw: object, *, maximum_cents: int, field: str = "amount") -> int:
    """At least $1.00, at most the portal's limit for this account."""
    try:
        cents = money.parse_dollars(raw)
    except money.AmountError as exc:
        _fail(field, exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc))
    if cents < MINIMUM_PAYMENT_CENTS:
        _fail(field, Msg("The smallest payment is {amount}.", amount=money.format_cents(MINIMUM_PAYMENT_CENTS)))
    if cents > maximum_cents:
        _fail(
            field,
            Msg(
                "The most you can pay at once is {amount} (12 months of premium plus your balance).",
                amount=money.format_cents(maximum_cents),
            ),
        )
    return cents


def clean_payment_date(
    raw: object, today: dt.date, *, max_days_ahead: int = 60, field: str = "payment_date"
) -> dt.date:
    text = _text(raw, 20)
    try:
        day = dt.date.fromisoformat(text) if text else today
    except ValueError:
        _fail(field, Msg("Choose a payment date."))
    if day < today:
        _fail(field, Msg("The payment date can't be in the past."))
    if day > today + dt.timedelta(days=max_days_ahead):
        _fail(field, Msg("You can schedule a payment up to {count} days ahead.", count=max_days_ahead))
    return day
