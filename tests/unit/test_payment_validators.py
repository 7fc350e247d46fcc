"""What a member types to pay: amounts, cards, bank accounts and dates. Each validator returns a
clean value or a `ValidationError` naming the field — never any other exception."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hcpay_app.services.common.errors import ValidationError
from hcpay_app.services.common.money import format_cents
from hcpay_app.services.payments import method_validation as pv

PROPERTY = settings(max_examples=200, deadline=None)
TODAY = dt.date(2026, 3, 10)
LIMIT = 1_435_000  # 12 × $512.50 premium + $8,200.00 balance: the most a member with that bill may pay


def refused(call, *args, field: str, **kwargs) -> str:
    """The message `call` gives for `field` (it must refuse with a ValidationError naming it)."""
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    assert field in caught.value.errors, caught.value.errors
    message = caught.value.errors[field]
    assert isinstance(message, str) and len(message) > 10 and message.endswith((".", ")")), message
    return message


def with_check_digit(body: str) -> str:
    """`body` plus the Luhn check digit that makes the whole number valid."""
    for digit in "0123456789":
        if pv.luhn_valid(body + digit):
            return body + digit
    raise AssertionError("unreachable")


# ---- amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("$1,234.56", 123456),
        ("1234.5", 123450),
        ("1", 100),
        ("$1.00", 100),
        (" 512.50 ", 51250),
        ("$14,350.00", LIMIT),
        ("1.", 100),
    ],
)
def test_amounts_parse_to_integer_cents(typed, cents):
    result = pv.clean_amount(typed, maximum_cents=LIMIT)
    assert result == cents and type(result) is int


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("0", "smallest payment is $1.00"),
        ("0.99", "smallest payment is $1.00"),
        ("-5", "negative"),
        ("$-5.00", "negative"),
        ("1e9", "digits only"),
        ("12.345", "two digits after the decimal point"),
        ("NaN", "digits only"),
        ("inf", "digits only"),
        ("١٢٣", "digits only"),  # Arabic-Indic digits: int() would read them, the portal must not
        ("１２３", "digits only"),  # full-width digits
        ("", "Enter an amount"),
        ("   ", "Enter an amount"),
        ("9" * 10_000, "too long"),
        ("$14,350.01", "most you can pay at once is $14,350.00"),
        ("999999", "most you can pay"),
        ("99999999999999", "too large"),
        ("1,23,456", "digits only"),
        ("12 34", "digits only"),
    ],
)
def test_bad_amounts_are_refused_with_a_clear_message(typed, words):
    message = refused(pv.clean_amount, typed, maximum_cents=LIMIT, field="amount")
    assert words in message


@pytest.mark.parametrize("raw", [None, 12.5, 1250, b"12.50", ["12"], {"amount": "12"}])
def test_amounts_that_are_not_text_are_refused(raw):
    refused(pv.clean_amount, raw, maximum_cents=LIMIT, field="amount")


@PROPERTY
@given(
    st.one_of(
        st.text(max_size=40),
        st.text(alphabet="0123456789$,.-+eE \u0660\u0661\uff11", max_size=25),
        st.from_regex(r"\A\$?[0-9,]{0,12}(\.[0-9]{0,4})?\Z"),
    )
)
def test_any_text_gives_allowed_cents_or_a_validation_error(raw):
    try:
        cents = pv.clean_amount(raw, maximum_cents=LIMIT)
    except ValidationError as exc:
        assert set(exc.errors) == {"amount"} and exc.errors["amount"]
    else:
        assert type(cents) is int and 100 <= cents <= LIMIT


@PROPERTY
@given(st.integers(min_value=100, max_value=LIMIT), st.sampled_from(["display", "plain", "short"]))
def test_every_allowed_amount_is_read_back_exactly(cents, style):
    whole, part = divmod(cents, 100)
    typed = {
        "display": format_cents(cents),
        "plain": f"{whole}.{part:02d}",
        "short": f"{whole}" if part == 0 else f"{whole}.{part:02d}".rstrip("0"),
    }[style]
    assert pv.clean_amount(typed, maximum_cents=LIMIT) == cents


@PROPERTY
@given(st.integers(min_value=LIMIT + 1, max_value=10**14 - 1))
def test_amounts_over_the_limit_are_refused(cents):
    message = refused(pv.clean_amount, format_cents(cents), maximum_cents=LIMIT, field="amount")
    assert "$14,350.00" in message


# ---- card numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "Visa"),
        ("4242 4242 4242 4242", "Visa"),
        ("4242-4242-4242-4242", "Visa"),
        ("4222222222222", "Visa"),  # 13 digits
        ("5555555555554444", "Mastercard"),
        ("5105105105105100", "Mastercard"),
        ("2223003122003222", "Mastercard"),
        ("378282246310005", "American Express"),
        ("371449635398431", "American Express"),
        ("6011111111111117", "Discover"),
        ("6011000990139424", "Discover"),
    ],
)
def test_well_known_test_cards_are_accepted_with_their_brand(number, brand):
    assert pv.clean_card_number(number) == (number.replace(" ", "").replace("-", ""), brand)


@pytest.mark.parametrize(
    ("prefix", "brand"),
    [
        ("4", "Visa"),
        ("51", "Mastercard"),
        ("53", "Mastercard"),
        ("55", "Mastercard"),
        ("2221", "Mastercard"),
        ("2299", "Mastercard"),
        ("2300", "Mastercard"),
        ("2699", "Mastercard"),
        ("2700", "Mastercard"),
        ("2719", "Mastercard"),
        ("2720", "Mastercard"),
        ("34", "American Express"),
        ("37", "American Express"),
        ("6011", "Discover"),
        ("644", "Discover"),
        ("649", "Discover"),
        ("65", "Discover"),
        ("50", ""),
        ("56", ""),
        ("2721", ""),
        ("2800", ""),
        ("2219", ""),
        ("35", ""),
        ("36", ""),
        ("6010", ""),
        ("643", ""),
        ("1", ""),
        ("9", ""),
    ],
)
def test_brand_of_a_full_number_follows_the_network_ranges(prefix, brand):
    number = with_check_digit(prefix.ljust(15, "0"))
    assert pv.card_brand(number) == brand
    if brand:
        assert pv.clean_card_number(number) == (number, brand)
    else:
        assert "We accept Visa, Mastercard, American Express and Discover" in refused(
            pv.clean_card_number, number, field="card_number"
        )


def test_2220_is_not_a_mastercard():
    number = with_check_digit("222000000000000")
    assert pv.card_brand(number) == ""


@PROPERTY
@given(st.sampled_from(["4", "51", "2221", "34", "6011"]), st.integers(12, 18), st.data())
def test_any_single_mistyped_digit_is_caught(prefix, length, data):
    body = prefix + data.draw(
        st.text(alphabet="0123456789", min_size=length - len(prefix), max_size=length - len(prefix))
    )
    number = with_check_digit(body)
    assert pv.clean_card_number(number)[0] == number
    index = data.draw(st.integers(0, len(number) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != number[index]]))
    mistyped = number[:index] + wrong + number[index + 1 :]
    assert not pv.luhn_valid(mistyped)
    with pytest.raises(ValidationError) as caught:
        pv.clean_card_number(mistyped)
    assert set(caught.value.errors) == {"card_number"}


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("4242424242424241", "isn't valid"),
        ("4000000000000001", "isn't valid"),
        ("", "Enter your card number"),
        ("   ", "Enter your card number"),
        ("424242424242", "13 to 19 digits"),
        ("42424242424242424242", "13 to 19 digits"),
        ("4242 4242 4242 424x", "13 to 19 digits"),
        ("٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", "13 to 19 digits"),
        ("4242.4242.4242.4242", "13 to 19 digits"),
        (None, "Enter your card number"),
        (4242424242424242, "Enter your card number"),
    ],
)
def test_bad_card_numbers_are_refused(typed, words):
    assert words in refused(pv.clean_card_number, typed, field="card_number")


@PROPERTY
@given(st.one_of(st.text(max_size=30), st.text(alphabet="0123456789 -", max_size=25)))
def test_card_number_validation_never_raises_anything_else(raw):
    try:
        digits, brand = pv.clean_card_number(raw)
    except ValidationError as exc:
        assert set(exc.errors) == {"card_number"}
    else:
        assert digits.isascii() and digits.isdigit() and 13 <= len(digits) <= 19 and pv.luhn_valid(digits) and brand


# ---- expiry, CVC, name, ZIP ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("03/26", (3, 2026)),
        ("3/26", (3, 2026)),
        ("03/2026", (3, 2026)),
        ("04 / 29", (4, 2029)),
        ("12/46", (12, 2046)),
        ("0427", (4, 2027)),  # the digits alone, as a phone's number pad types them (issue 13)
        ("042027", (4, 2027)),
    ],
)
def test_expiry_this_month_or_later_is_accepted(typed, expected):
    assert pv.clean_expiry(typed, TODAY) == expected


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("02/26", "expired"),
        ("12/25", "expired"),
        ("01/2020", "expired"),
        ("01/47", "Check the expiration year"),
        ("13/26", "MM/YY"),
        ("00/27", "MM/YY"),
        ("1327", "MM/YY"),
        ("427", "MM/YY"),
        ("", "MM/YY"),
        (None, "MM/YY"),
    ],
)
def test_expired_or_unreadable_expiry_is_refused(typed, words):
    assert words in refused(pv.clean_expiry, typed, TODAY, field="expiry")


def test_expiry_on_the_first_of_a_month_compares_by_month():
    assert pv.clean_expiry("04/26", dt.date(2026, 4, 30)) == (4, 2026)
    refused(pv.clean_expiry, "04/26", dt.date(2026, 5, 1), field="expiry")


def test_amex_needs_a_four_digit_security_code():
    assert pv.clean_cvc("1234", "American Express") == "1234"
    assert "4 digits" in refused(pv.clean_cvc, "123", "American Express", field="cvc")


@pytest.mark.parametrize("brand", ["Visa", "Mastercard", "Discover"])
def test_other_cards_need_three_digits(brand):
    assert pv.clean_cvc(" 123 ", brand) == "123"
    assert "3 digits" in refused(pv.clean_cvc, "1234", brand, field="cvc")


@pytest.mark.parametrize("typed", ["", "12", "12a", "12345", "١٢٣", None, 123])
def test_unreadable_security_codes_are_refused(typed):
    refused(pv.clean_cvc, typed, "Visa", field="cvc")


def test_holder_names_and_zip_codes():
    assert pv.clean_holder_name("  Renée   O’Neil-Dubois ", "card_name") == "Renée O’Neil-Dubois"
    assert pv.clean_zip("02134") == "02134" and pv.clean_zip("02134-1234") == "02134"


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("", id="empty"),
        pytest.param("R", id="one-letter"),
        pytest.param("<script>", id="markup"),
        pytest.param("R2-D2 4242424242424242", id="card-number"),
        pytest.param("x" * 61, id="61-characters"),
    ],
)
def test_bad_holder_names_are_refused(bad):
    refused(pv.clean_holder_name, bad, "card_name", field="card_name")


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("2134", id="four-digits"),
        pytest.param("ABCDE", id="letters"),
        pytest.param("021345", id="six-digits"),
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
    ],
)
def test_bad_zip_codes_are_refused(bad):
    refused(pv.clean_zip, bad, field="billing_zip")


# ---- bank accounts ---------------------------------------------------------------------------


@pytest.mark.parametrize("routing", ["110000000", "021000021", "011000015", " 021000021 ", "0210 00021"])
def test_valid_routing_numbers_pass_the_aba_checksum(routing):
    assert pv.clean_routing(routing) == routing.replace(" ", "")


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("110000001", "isn't valid"),
        ("021000022", "isn't valid"),
        ("123456789", "isn't valid"),
        ("11000000", "9 digits"),
        ("1100000000", "9 digits"),
        ("11000000a", "9 digits"),
        ("", "9 digits"),
        (None, "9 digits"),
    ],
)
def test_bad_routing_numbers_are_refused(typed, words):
    assert words in refused(pv.clean_routing, typed, field="routing_number")


@PROPERTY
@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_exactly_one_last_digit_completes_any_routing_number(prefix):
    valid = [d for d in "0123456789" if pv.aba_checksum_valid(prefix + d)]
    assert len(valid) == 1
    assert pv.clean_routing(prefix + valid[0]) == prefix + valid[0]


def test_account_numbers_must_be_typed_twice_the_same():
    assert pv.clean_account_number("000123456789", "000 123 456 789") == "000123456789"
    assert "don't match" in refused(
        pv.clean_account_number, "000123456789", "000123456788", field="confirm_account_number"
    )
    refused(pv.clean_account_number, "000123456789", "", field="confirm_account_number")


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("123", id="three-digits"),
        pytest.param("1" * 18, id="18-digits"),
        pytest.param("12345a", id="a-letter"),
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
    ],
)
def test_account_numbers_are_4_to_17_digits(bad):
    assert "4 to 17 digits" in refused(pv.clean_account_number, bad, bad, field="account_number")


def test_account_type_is_checking_or_savings():
    assert pv.clean_account_type("checking") == "checking" and pv.clean_account_type("savings") == "savings"


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("Checking", id="capitalized"),
        pytest.param("credit", id="credit"),
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
        pytest.param(1, id="number"),
    ],
)
def test_other_account_types_are_refused(bad):
    refused(pv.clean_account_type, bad, field="account_type")


# ---- payment date ----------------------------------------------------------------------------


def test_payment_date_is_today_up_to_sixty_days_ahead():
    assert pv.clean_payment_date("", TODAY) == TODAY
    assert pv.clean_payment_date(TODAY.isoformat(), TODAY) == TODAY
    assert pv.clean_payment_date("2026-05-09", TODAY) == TODAY + dt.timedelta(days=60)
    assert "60 days ahead" in refused(pv.clean_payment_date, "2026-05-10", TODAY, field="payment_date")
    assert "past" in refused(pv.clean_payment_date, "2026-03-09", TODAY, field="payment_date")


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("tomorrow", id="a-word"),
        pytest.param("2026-02-30", id="no-such-day"),
        pytest.param("03/11/2026", id="us-format"),
        pytest.param("2026-03-1x", id="a-letter"),
    ],
)
def test_unreadable_payment_dates_are_refused(bad):
    refused(pv.clean_payment_date, bad, TODAY, field="payment_date")


@PROPERTY
@given(st.text(max_size=25))
def test_payment_date_never_raises_anything_else(raw):
    try:
        day = pv.clean_payment_date(raw, TODAY)
    except ValidationError as exc:
        assert set(exc.errors) == {"payment_date"}
    else:
        assert TODAY <= day <= TODAY + dt.timedelta(days=60)
