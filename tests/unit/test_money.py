"""Money: dollars text in, integer cents out — never a float, never a surprise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hcpay_app.services.common.errors import ValidationError
from hcpay_app.services.common.money import AmountError, format_cents, parse_dollars
from hcpay_app.services.payments.method_validation import clean_amount

PROPERTY = settings(max_examples=200, deadline=None)
LARGEST = 10**14 - 1  # "$999,999,999,999.99": 12 whole digits, the most parse_dollars takes


@PROPERTY
@given(st.one_of(st.integers(min_value=0, max_value=LARGEST), st.integers(min_value=0, max_value=100_000_00)))
def test_format_then_parse_round_trips(cents):
    text = format_cents(cents)
    parsed = parse_dollars(text)
    assert parsed == cents
    assert type(parsed) is int


@PROPERTY
@given(st.integers(min_value=0, max_value=LARGEST))
def test_plain_digits_without_separators_round_trip(cents):
    whole, part = divmod(cents, 100)
    assert parse_dollars(f"{whole}.{part:02d}") == cents


@PROPERTY
@given(st.integers(min_value=LARGEST + 1, max_value=10**30))
def test_amounts_beyond_twelve_dollar_digits_refused(cents):
    with pytest.raises(AmountError) as caught:
        parse_dollars(format_cents(cents))
    assert str(caught.value) in ("That amount is too long.", "That amount is too large.")


@PROPERTY
@given(st.one_of(st.text(max_size=30), st.text(alphabet="0123456789$,.- e", max_size=25)))
def test_any_text_gives_cents_or_an_amount_error(raw):
    try:
        cents = parse_dollars(raw)
    except AmountError as exc:
        assert str(exc).strip()
    else:
        assert type(cents) is int and cents >= 0


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("$1,234.56", 123456),
        ("1234.5", 123450),
        ("0", 0),
        ("12", 1200),
        ("  $ 89.00 ", 8900),
        ("0.07", 7),
        ("1.", 100),
        ("$512.5", 51250),
        ("1,000,000", 100_000_000),
        ("$999,999,999,999.99", LARGEST),
        (".5", 50),
        ("0.5", 50),
        (".50", 50),
        ("$.5", 50),
        ("$0.50", 50),
        ("$ .5", 50),
        (" .05 ", 5),
        (".99", 99),
    ],
)
def test_examples(typed, cents):
    result = parse_dollars(typed)
    assert result == cents
    assert type(result) is int


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "The amount can't be negative."),
        ("$-5.00", "The amount can't be negative."),
        ("1e9", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        ("NaN", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        ("inf", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        ("١٢٣٫٤٥", "Enter an amount using digits only, like 125.50 or $1,234.56."),  # Arabic-Indic digits
        ("١٢٣", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        ("12,34", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        ("$", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        (".", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        ("$.", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        ("..5", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        (".5.", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        (",5", "Enter an amount using digits only, like 125.50 or $1,234.56."),
        ("-.5", "The amount can't be negative."),
        (".555", "Use at most two digits after the decimal point, like 125.50."),
        ("$.555", "Use at most two digits after the decimal point, like 125.50."),
        ("12.345", "Use at most two digits after the decimal point, like 125.50."),
        ("$1,234.567", "Use at most two digits after the decimal point, like 125.50."),
        ("", "Enter an amount."),
        ("   ", "Enter an amount."),
        ("9" * 10_000, "That amount is too long."),
        ("1234567890123", "That amount is too large."),
        (None, "Enter an amount in dollars and cents, like 125.50."),
        (12.5, "Enter an amount in dollars and cents, like 125.50."),
    ],
)
def test_refused_with_a_reason(typed, message):
    with pytest.raises(AmountError) as caught:
        parse_dollars(typed)
    assert str(caught.value) == message


def test_format_cents():
    assert format_cents(0) == "$0.00"
    assert format_cents(7) == "$0.07"
    assert format_cents(123456) == "$1,234.56"
    assert format_cents(-500) == "−$5.00"


# ---- cents without the leading zero ----------------------------------------------------------

CENTS_ONLY = st.integers(min_value=0, max_value=99)


@PROPERTY
@given(CENTS_ONLY, st.sampled_from(["", "$", "$ "]))
def test_a_leading_zero_is_optional(cents, prefix):
    """ ".5", "0.5", ".50", "$.5" and "$0.50" are all fifty cents; with or without the leading zero alike."""
    two = f"{cents:02d}"
    forms = [f"{prefix}.{two}", f"{prefix}0.{two}"]
    if two.endswith("0"):
        forms += [f"{prefix}.{two[0]}", f"{prefix}0.{two[0]}"]  # ".5" and "0.5"
    assert {parse_dollars(text) for text in forms} == {cents}


@PROPERTY
@given(st.from_regex(r"\A\$?\.[0-9]{3,8}\Z"))
def test_more_than_two_digits_of_cents_alone_are_refused(typed):
    with pytest.raises(AmountError) as caught:
        parse_dollars(typed)
    assert str(caught.value) == "Use at most two digits after the decimal point, like 125.50."


@PROPERTY
@given(st.from_regex(r"\A\$?[0-9]{0,6}\.[0-9]{1,2}\Z"))
def test_dropping_the_leading_zero_never_changes_the_amount(typed):
    body = typed.removeprefix("$")
    assert parse_dollars(typed) == parse_dollars("0" + body) == parse_dollars("$" + body)


@pytest.mark.parametrize("typed", [".5", "0.5", ".50", "$.5", "$0.50", ".99", "$.01", ".0"])
def test_cents_alone_get_the_minimum_payment_message_not_the_format_one(typed):
    """Make a Payment's $1.00 minimum: fifty cents is an amount, just too small."""
    with pytest.raises(ValidationError) as caught:
        clean_amount(typed, maximum_cents=1_000_000, field="other_amount")
    assert caught.value.errors == {"other_amount": "The smallest payment is $1.00."}


@pytest.mark.parametrize("typed", [".", "$.", ".555"])
def test_a_dot_alone_or_three_digits_of_cents_are_still_format_errors_at_make_a_payment(typed):
    with pytest.raises(ValidationError) as caught:
        clean_amount(typed, maximum_cents=1_000_000)
    assert caught.value.errors["amount"] != "The smallest payment is $1.00."
    assert caught.value.errors["amount"] in (
        "Enter an amount using digits only, like 125.50 or $1,234.56.",
        "Use at most two digits after the decimal point, like 125.50.",
    )
