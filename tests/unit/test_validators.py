"""Validators: every input gives a clean value or a member-readable `ValidationError` for its field."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hcpay_app.services.common import validators
from hcpay_app.services.common.errors import ValidationError

TODAY = dt.date(2026, 3, 10)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Arbitrary text, with the shapes that break naive validators over-represented.
HUGE = st.builds(lambda chunk, times: chunk * times, st.text(min_size=1, max_size=4), st.integers(1_000, 40_000))
ANY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(categories=("Nd", "No", "Nl"))),  # digits of every script
    st.text(alphabet=st.characters(categories=("Cc", "Cf", "Zs", "Zl", "Zp", "Mn"))),  # control, format, spaces
    HUGE,
)
ANY_INPUT = st.one_of(
    ANY_TEXT, st.none(), st.integers(), st.floats(), st.binary(max_size=20), st.lists(st.text(), max_size=2)
)


def check(call, field: str):
    """The call's value, or None after checking the ValidationError names `field` with a real message."""
    try:
        return call()
    except ValidationError as exc:
        assert set(exc.errors) == {field}
        message = exc.errors[field]
        assert isinstance(message, str) and message.strip()
        assert exc.message.strip()
        return None


def field_error(call, field: str) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    assert set(caught.value.errors) == {field}
    return caught.value.errors[field]


# --- properties -------------------------------------------------------------------------------

SSN_SHAPED = st.from_regex(r"\s?[0-9]{3}-?[0-9]{2}-?[0-9]{4}\s?", fullmatch=True)


@PROPERTY
@given(st.one_of(ANY_INPUT, SSN_SHAPED))
def test_clean_ssn_returns_nine_issuable_digits_or_a_field_error(raw):
    value = check(lambda: validators.clean_ssn(raw, field="ssn_field"), "ssn_field")
    if value is not None:
        assert re.fullmatch(r"[0-9]{9}", value)
        assert value == raw.strip().replace("-", "")
        assert value[:3] not in ("000", "666") and value[0] != "9"
        assert value[3:5] != "00" and value[5:] != "0000"


def _date_texts():
    dates = st.dates(min_value=dt.date(1850, 1, 1), max_value=dt.date(2100, 12, 31))
    formats = st.sampled_from(["%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y"])
    return st.builds(lambda day, fmt: day.strftime(fmt), dates, formats)


@PROPERTY
@given(st.one_of(ANY_INPUT, _date_texts()))
def test_clean_date_of_birth_returns_an_adult_birthday_or_a_field_error(raw):
    born = check(lambda: validators.clean_date_of_birth(raw, TODAY, 18, field="dob"), "dob")
    if born is not None:
        assert isinstance(born, dt.date)
        assert born < TODAY
        assert born.year >= TODAY.year - 120
        assert born <= TODAY.replace(year=TODAY.year - 18)


NAME_SHAPED = st.text(alphabet=st.one_of(st.characters(categories=("L",)), st.sampled_from(" -'’")), max_size=70)


@PROPERTY
@given(st.one_of(ANY_INPUT, NAME_SHAPED))
def test_clean_name_returns_a_tidy_name_or_a_field_error(raw):
    name = check(lambda: validators.clean_name(raw, "first_name", "first name"), "first_name")
    if name is not None:
        assert 1 <= len(name) <= 60
        assert name == unicodedata.normalize("NFC", name)
        assert name == name.strip() and "  " not in name
        assert not any(unicodedata.category(ch) == "Nd" or ch in "_@!?.,;:/\\\n\t\x00" for ch in name)
        assert name[0] not in " -'’" and name[-1] not in " -'’"


@PROPERTY
@given(st.one_of(ANY_INPUT, st.from_regex(r"\s?[A-Za-z0-9._-]{0,40}\s?", fullmatch=True)))
def test_clean_username_returns_4_to_32_safe_characters_or_a_field_error(raw):
    username = check(lambda: validators.clean_username(raw), "username")
    if username is not None:
        assert re.fullmatch(r"[A-Za-z0-9._-]{4,32}", username)
        assert username == raw.strip()


@PROPERTY
@given(st.one_of(ANY_INPUT, st.text(min_size=10, max_size=40)))
def test_check_new_password_returns_the_password_or_a_field_error(raw):
    password = check(
        lambda: validators.check_new_password(raw, ["Renée", "O’Neil"], field="new_password"), "new_password"
    )
    if password is not None:
        assert password == raw
        assert len(password) >= 12
        assert len(password.encode("utf-8")) <= 72


@PROPERTY
@given(st.one_of(ANY_INPUT, st.emails(), st.from_regex(r"[^@\s]{0,20}@[^@\s]{0,20}", fullmatch=True)))
def test_clean_email_returns_an_address_or_a_field_error(raw):
    address = check(lambda: validators.clean_email(raw), "email")
    if address is not None:
        assert isinstance(address, str)
        assert "@" in address and len(address) <= 254
        assert address == address.strip()


@PROPERTY
@given(st.one_of(ANY_INPUT, st.from_regex(r"\s?[0-9 ]{4,9}\s?", fullmatch=True)))
def test_clean_code_returns_six_ascii_digits_or_a_field_error(raw):
    code = check(lambda: validators.clean_code(raw), "code")
    if code is not None:
        assert re.fullmatch(r"[0-9]{6}", code)


# --- SSN ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["123-45-6789", "123456789", "  123-45-6789 "])
def test_ssn_accepted_with_or_without_dashes(typed):
    assert validators.clean_ssn(typed) == "123456789"


@pytest.mark.parametrize(
    "typed",
    [
        "000-12-3456",
        "666-12-3456",
        "900-12-3456",
        "987-65-4321",
        "999-99-9999",  # areas never issued
        "123-00-4567",  # group 00
        "123-45-0000",  # serial 0000
        "078-05-1120",
    ],  # the famous wallet SSN
)
def test_ssn_never_issued_is_refused(typed):
    assert field_error(lambda: validators.clean_ssn(typed), "ssn") == (
        "That is not a valid Social Security Number. Check the digits and try again."
    )


@pytest.mark.parametrize(
    "typed",
    [
        "12345678",
        "1234567890",
        "12-345-6789",
        "123-456-789",
        "1234-5-6789",
        "123 45 6789",
        "123-45-678a",
        "١٢٣٤٥٦٧٨٩",
        "１２３４５６７８９",
        "123-45-6789\x00",
    ],
)
def test_ssn_wrong_shape_is_refused(typed):
    assert "9-digit Social Security Number" in field_error(lambda: validators.clean_ssn(typed), "ssn")


@pytest.mark.parametrize("typed", ["", "   ", None, 123456789])
def test_ssn_missing(typed):
    message = field_error(lambda: validators.clean_ssn(typed), "ssn")
    assert message == "Enter your Social Security Number."


# --- date of birth -----------------------------------------------------------------------------


def dob(raw, today=TODAY):
    return validators.clean_date_of_birth(raw, today, 18)


@pytest.mark.parametrize("typed", ["1985-04-15", "04/15/1985", "04-15-1985", "4/15/1985", " 1985-04-15 "])
def test_dob_formats(typed):
    assert dob(typed) == dt.date(1985, 4, 15)


@pytest.mark.parametrize("typed", ["2030-01-01", TODAY.isoformat(), (TODAY + dt.timedelta(days=1)).isoformat()])
def test_dob_today_or_future_refused(typed):
    assert field_error(lambda: dob(typed), "date_of_birth") == "Your date of birth must be in the past."


def test_dob_exactly_eighteen_today_accepted_and_one_day_short_refused():
    assert dob("2008-03-10") == dt.date(2008, 3, 10)
    message = field_error(lambda: dob("2008-03-11"), "date_of_birth")
    assert message == "The account holder must be at least 18 years old."
    assert "at least 21" in field_error(
        lambda: validators.clean_date_of_birth("2008-03-10", TODAY, 21), "date_of_birth"
    )


def test_dob_leap_day_birthday():
    # Born 29 Feb 2008: still 17 on 28 Feb 2026 (no 29th that year), 18 from 1 March.
    assert field_error(lambda: dob("02/29/2008", today=dt.date(2026, 2, 28)), "date_of_birth").startswith(
        "The account holder must be at least 18"
    )
    assert dob("02/29/2008", today=dt.date(2026, 3, 1)) == dt.date(2008, 2, 29)
    # In a leap year the birthday itself counts.
    assert dob("2000-02-29", today=dt.date(2024, 2, 29)) == dt.date(2000, 2, 29)
    assert dob("2006-02-28", today=dt.date(2024, 2, 28)) == dt.date(2006, 2, 28)


@pytest.mark.parametrize(
    "typed",
    ["02/29/2023", "02/30/1990", "1990-13-01", "15/04/1985", "April 15 1985", "1985", "١٩٨٥-٠٤-١٥", "1985-04-15T00:00"],
)
def test_dob_not_a_date(typed):
    assert field_error(lambda: dob(typed), "date_of_birth") == (
        "Enter your date of birth as MM/DD/YYYY, like 04/15/1985."
    )


def test_dob_more_than_120_years_ago_refused():
    assert field_error(lambda: dob("1899-12-31"), "date_of_birth") == "Check the year of your date of birth."
    assert dob("1906-01-01") == dt.date(1906, 1, 1)


def test_dob_missing():
    assert field_error(lambda: dob("  "), "date_of_birth") == "Enter your date of birth."


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        ("Renée", "Renée"),
        ("Anne-Marie", "Anne-Marie"),
        ("O'Brien", "O'Brien"),
        ("O’Brien", "O’Brien"),
        ("Mary Ann", "Mary Ann"),
        ("  Mary   Ann  ", "Mary Ann"),
        ("Ó Súilleabháin", "Ó Súilleabháin"),
        ("Nguyễn", "Nguyễn"),
        ("Kateřina", "Kateřina"),
        ("محمد", "محمد"),
        ("李", "李"),
        (unicodedata.normalize("NFD", "José"), "José"),  # decomposed input comes back composed
    ],
)
def test_names_accepted(typed, clean):
    assert validators.clean_name(typed, "first_name", "first name") == clean


@pytest.mark.parametrize(
    "typed",
    [
        "R2D2",
        "J0hn",
        "Ann_Marie",
        "Ann@",
        "Bob!",
        "Ann.",
        "Ann, Marie",
        "-Ann",
        "Ann-",
        "Ann--Marie",
        "O''Brien",
        "Ann\tMarie\x00",
        "٣Ann",
        "Ann 😀",
    ],
)
def test_names_with_digits_or_symbols_refused(typed):
    message = field_error(lambda: validators.clean_name(typed, "last_name", "last name"), "last_name")
    assert message == "Your last name can use letters, spaces, hyphens (-) and apostrophes (') only."


def test_name_missing_or_too_long():
    assert field_error(lambda: validators.clean_name(" ", "first_name", "first name"), "first_name") == (
        "Enter your first name."
    )
    assert validators.clean_name("A" * 60, "first_name", "first name") == "A" * 60
    assert field_error(lambda: validators.clean_name("A" * 61, "first_name", "first name"), "first_name") == (
        "Your first name must be 60 characters or fewer."
    )


@pytest.mark.parametrize("typed", ["Jo²", "Ann①", "Henry Ⅷ"])
def test_names_with_other_numerals_refused(typed):
    field_error(lambda: validators.clean_name(typed, "first_name", "first name"), "first_name")


@pytest.mark.parametrize("typed", ["प्रिया", "ப்ரியா"])
def test_names_in_scripts_with_combining_marks_accepted(typed):
    assert validators.clean_name(typed, "first_name", "first name") == typed


def test_name_key_ignores_case_accents_and_apostrophe_style():
    key = validators.name_key
    assert key("Renée") == key("RENEE") == key("renee") == key(unicodedata.normalize("NFD", "Renée"))
    assert key("O’Neil-Dubois") == key("o'neil dubois") == key("O'NEIL-DUBOIS")
    assert key("Ó Súilleabháin") == key("o  suilleabhain")
    assert key("Renée") != key("Rene")
    assert key("O'Neil") != key("ONeil")


# --- usernames ---------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["abcd", "a" * 32, "jane.doe_99-x", "J.D-", "0000"])
def test_usernames_accepted(typed):
    assert validators.clean_username(typed) == typed


@pytest.mark.parametrize("typed", ["abc", "a" * 33, "jane doe", "jane@doe", "jäne", "jane!", "ｊａｎｅ"])
def test_usernames_refused(typed):
    assert field_error(lambda: validators.clean_username(typed), "username").startswith("Usernames are 4–32 characters")


def test_username_missing():
    assert field_error(lambda: validators.clean_username(""), "username") == "Choose a username."


def test_username_key_is_case_insensitive():
    assert validators.username_key("Jane.Doe") == validators.username_key("JANE.DOE") == "jane.doe"
    assert validators.username_key("jane.doe") != validators.username_key("jane_doe")


# --- passwords ---------------------------------------------------------------------------------


def test_password_shorter_than_12_refused():
    message = field_error(lambda: validators.check_new_password("Qx7!vR2#kL9", []), "password")
    assert message.startswith("Use at least 12 characters.")


@pytest.mark.parametrize("typed", ["Q" * 73, "é" * 37, "Violet-Kayak-Thunder-93" * 4])
def test_password_over_72_bytes_refused_with_a_clear_message(typed):
    message = field_error(lambda: validators.check_new_password(typed, []), "password")
    assert "72" in message and "too long" in message


def test_password_of_exactly_72_bytes_is_judged_on_strength_not_length():
    typed = "Violet-Kayak-Thunder-93 " * 3  # 72 bytes
    assert len(typed.encode()) == 72
    assert validators.check_new_password(typed, []) == typed


@pytest.mark.parametrize("typed", ["password1234", "aaaaaaaaaaaa", "qwertyuiop12", "123456789012"])
def test_common_passwords_refused(typed):
    assert field_error(lambda: validators.check_new_password(typed, []), "password").startswith(
        "This password is too easy to guess."
    )


def test_password_built_from_the_members_details_refused():
    inputs = ["Renée", "O’Neil-Dubois", "Renee.ONeil@example.com", "1985"]
    typed = "RenéeO’Neil-Dubois"
    assert validators.check_new_password(typed, []) == typed  # strong for a stranger …
    assert field_error(lambda: validators.check_new_password(typed, inputs), "password").startswith(
        "This password is too easy to guess."
    )  # … but not for this member
    assert validators.check_new_password(typed, ["Sam"]) == typed  # and one member's details don't linger


def test_strong_password_accepted():
    assert validators.check_new_password("Violet-Kayak-Thunder-93", ["Renée"]) == "Violet-Kayak-Thunder-93"


@pytest.mark.parametrize("typed", ["", None, 12345678901234])
def test_password_missing(typed):
    assert field_error(lambda: validators.check_new_password(typed, []), "password") == "Choose a password."


# --- email and code ----------------------------------------------------------------------------


def test_email_domain_normalised_local_part_kept():
    assert validators.clean_email("  Jane.Doe@Example.COM ") == "Jane.Doe@example.com"


@pytest.mark.parametrize(
    "typed",
    ["jane", "jane@", "@example.com", "jane@@example.com", "jane doe@example.com", "jane@example", "jane@exa mple.com"],
)
def test_email_refused(typed):
    assert field_error(lambda: validators.clean_email(typed), "email") == (
        "Enter an email address like name@example.com."
    )


def test_email_too_long_or_missing():
    assert field_error(lambda: validators.clean_email("a" * 250 + "@example.com"), "email") == (
        "That email address is too long."
    )
    assert field_error(lambda: validators.clean_email(""), "email") == "Enter your email address."


@pytest.mark.parametrize(("typed", "clean"), [("123456", "123456"), (" 123 456 ", "123456"), ("000000", "000000")])
def test_code_accepted(typed, clean):
    assert validators.clean_code(typed) == clean


@pytest.mark.parametrize("typed", ["12345", "1234567", "abcdef", "١٢٣٤٥٦", "12-34-56", "", None])
def test_code_refused(typed):
    assert field_error(lambda: validators.clean_code(typed), "code") == "Enter the 6-digit code from the email."
