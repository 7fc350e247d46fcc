"""Validation of what members type: each function returns the clean value or raises
`ValidationError` with one specific, member-readable message for the field."""

from __future__ import annotations

import datetime as dt
import re
import threading
import unicodedata

from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.us import ssn as stdnum_ssn
from zxcvbn import zxcvbn

from hcpay_app.i18n.message import N_, Msg, join
from hcpay_app.services.common.errors import ValidationError

MAX_FIELD_LENGTH = 200
PASSWORD_MIN_CHARS = 12
PASSWORD_MAX_BYTES = 72  # bcrypt ignores everything past 72 bytes
PASSWORD_MIN_SCORE = 3
PASSWORD_TIP = Msg(
    "Mix upper- and lower-case letters, numbers and symbols; a short phrase of unrelated words works well."
)

# zxcvbn's advice (its own English sentences), marked for the catalogs so a member reads it in their
# language; advice it gives that is not listed here is shown as zxcvbn wrote it.
ZXCVBN_ADVICE = frozenset(
    {
        N_("Add another word or two. Uncommon words are better."),
        N_("Capitalization doesn't help very much."),
        N_("Reversed words aren't much harder to guess."),
        N_("Predictable substitutions like '@' instead of 'a' don't help very much."),
        N_("Use a few words, avoid common phrases."),
        N_("No need for symbols, digits, or uppercase letters."),
        N_("Straight rows of keys are easy to guess."),
        N_("Short keyboard patterns are easy to guess."),
        N_("This is a top-10 common password."),
        N_("This is similar to a commonly used password."),
        N_("A word by itself is easy to guess."),
        N_("All-uppercase is almost as easy to guess as all-lowercase."),
        N_("Use a longer keyboard pattern with more turns."),
        N_('Repeats like "aaa" are easy to guess.'),
        N_('Repeats like "abcabcabc" are only slightly harder to guess than "abc".'),
        N_("This is a top-100 common password."),
        N_("This is a very common password."),
        N_("Names and surnames by themselves are easy to guess."),
        N_("Common names and surnames are easy to guess."),
        N_("Avoid repeated words and characters."),
        N_('Sequences like "abc" or "6543" are easy to guess.'),
        N_("Avoid sequences."),
        N_("Recent years are easy to guess."),
        N_("Dates are often easy to guess."),
        N_("Avoid recent years."),
        N_("Avoid years that are associated with you."),
        N_("Avoid dates and years that are associated with you."),
    }
)

_NAME_SEPARATORS = " '-’"
_USERNAME_RE = re.compile(r"^[A-Za-z0-9._-]{4,32}$")
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y")
# zxcvbn keeps each call's user inputs in a module-level dictionary: one call at a time, or one
# member's details could score another member's password.
_ZXCVBN_LOCK = threading.Lock()


# Whole sentences for each field a label names (a sentence is never glued from a label; each one is
# translated as it stands). A label not listed here falls back to the general sentence.
_LABELLED = {
    ("enter", "first name"): Msg("Enter your first name."),
    ("enter", "last name"): Msg("Enter your last name."),
    ("enter", "date of birth"): Msg("Enter your date of birth."),
    ("enter", "coverage start"): Msg("Enter your coverage start."),
    ("too_long", "first name"): Msg("Your first name must be 60 characters or fewer."),
    ("too_long", "last name"): Msg("Your last name must be 60 characters or fewer."),
    ("letters", "first name"): Msg("Your first name can use letters, spaces, hyphens (-) and apostrophes (') only."),
    ("letters", "last name"): Msg("Your last name can use letters, spaces, hyphens (-) and apostrophes (') only."),
    ("format", "date of birth"): Msg("Enter your date of birth as MM/DD/YYYY, like 04/15/1985."),
    ("format", "coverage start"): Msg("Enter your coverage start as MM/DD/YYYY, like 04/15/1985."),
    ("match", "passwords"): Msg("The passwords don't match."),
    ("match", "new passwords"): Msg("The new passwords don't match."),
}
_GENERAL = {
    "enter": N_("Enter your {label}."),
    "too_long": N_("Your {label} must be 60 characters or fewer."),
    "letters": N_("Your {label} can use letters, spaces, hyphens (-) and apostrophes (') only."),
    "format": N_("Enter your {label} as MM/DD/YYYY, like 04/15/1985."),
    "match": N_("The {label} don't match."),
}


def _labelled(kind: str, label: str) -> Msg:
    found = _LABELLED.get((kind, label))
    return found if found is not None else Msg(_GENERAL[kind], label=label)


def _fail(field: str, message: str):
    raise ValidationError({field: message})


def _text(raw: object) -> str:
    return raw.strip() if isinstance(raw, str) else ""


def clean_name(raw: object, field: str, label: str) -> str:
    """A person's name: letters in any script, with single spaces, hyphens or apostrophes between."""
    value = unicodedata.normalize("NFC", " ".join(_text(raw).split()))
    if not value:
        _fail(field, _labelled("enter", label))
    if len(value) > 60:
        _fail(field, _labelled("too_long", label))
    if not _is_name(value):
        _fail(field, _labelled("letters", label))
    return value


def _is_name(value: str) -> bool:
    """Words of letters in any script (with their combining marks), joined by single spaces,
    hyphens or apostrophes. Digits and other numerals (², Ⅷ, ①) are not letters."""
    word_start = True
    for ch in value:
        if ch in _NAME_SEPARATORS:
            if word_start:
                return False
            word_start = True
            continue
        category = unicodedata.category(ch)
        if category.startswith("L") or (category.startswith("M") and not word_start):
            word_start = False
            continue
        return False
    return not word_start


def name_key(value: str) -> str:
    """A comparison key for names: case-, accent- and apostrophe-style-insensitive."""
    decomposed = unicodedata.normalize("NFKD", value.replace("’", "'"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().replace("-", " ").split())


def clean_ssn(raw: object, field: str = "ssn") -> str:
    """Nine SSN digits from `123-45-6789` or `123456789`; refuses numbers never issued."""
    value = _text(raw)
    if not value:
        _fail(field, Msg("Enter your Social Security Number."))
    if not re.fullmatch(r"[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{9}", value):
        _fail(field, Msg("Enter your 9-digit Social Security Number, like 123-45-6789 or 123456789."))
    try:
        return stdnum_ssn.validate(value.replace("-", ""))
    except StdnumError:
        _fail(field, Msg("That is not a valid Social Security Number. Check the digits and try again."))


def parse_date(raw: object, field: str, label: str) -> dt.date:
    """A calendar date typed as YYYY-MM-DD (what a date input sends) or MM/DD/YYYY."""
    value = _text(raw)
    if not value:
        _fail(field, _labelled("enter", label))
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    _fail(field, _labelled("format", label))


def clean_date_of_birth(raw: object, today: dt.date, min_age: int, field: str = "date_of_birth") -> dt.date:
    """A real date in the past, at most 120 years ago, for a subscriber at least `min_age`."""
    born = parse_date(raw, field, "date of birth")
    if born >= today:
        _fail(field, Msg("Your date of birth must be in the past."))
    if born.year < today.year - 120:
        _fail(field, Msg("Check the year of your date of birth."))
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < min_age:
        _fail(field, Msg("The account holder must be at least {min_age} years old.", min_age=min_age))
    return born


def clean_email(raw: object, field: str = "email") -> str:
    """A syntactically valid email address (no DNS look-up: the portal runs offline)."""
    value = _text(raw)
    if not value:
        _fail(field, Msg("Enter your email address."))
    if len(value) > 254:
        _fail(field, Msg("That email address is too long."))
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        _fail(field, Msg("Enter an email address like name@example.com."))


def clean_username(raw: object, field: str = "username") -> str:
    value = _text(raw)
    if not value:
        _fail(field, Msg("Choose a username."))
    if not _USERNAME_RE.fullmatch(value):
        _fail(
            field, Msg("Usernames are 4–32 characters: letters, numbers, periods (.), underscores (_) and hyphens (-).")
        )
    return value


def username_key(value: str) -> str:
    """The case-insensitive uniqueness key of a username."""
    return value.casefold()


def password_strength(password: str, user_inputs: list[str]) -> tuple[int, str]:
    """zxcvbn's score (0–4) and its advice; an over-long password scores 0 without analysis."""
    if not password or len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        return 0, ""
    with _ZXCVBN_LOCK:
        result = zxcvbn(password, user_inputs=[u for u in user_inputs if u])
    feedback = result["feedback"]
    parts = [part for part in [feedback.get("warning") or "", *feedback.get("suggestions", [])] if part]
    advice = join(" ", [Msg(part) if part in ZXCVBN_ADVICE else part for part in parts]) if parts else ""
    return int(result["score"]), advice


def check_new_password(raw: object, user_inputs: list[str], field: str = "password") -> str:
    """A password that is long enough, fits bcrypt, and is not common or guessable."""
    password = raw if isinstance(raw, str) else ""
    if not password:
        _fail(field, Msg("Choose a password."))
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        _fail(
            field,
            Msg(
                "Your password is too long: use at most {max_bytes} bytes (about 72 letters or numbers).",
                max_bytes=PASSWORD_MAX_BYTES,
            ),
        )
    if len(password) < PASSWORD_MIN_CHARS:
        _fail(field, Msg("Use at least {count} characters.", count=PASSWORD_MIN_CHARS) + " " + PASSWORD_TIP)
    score, advice = password_strength(password, user_inputs)
    if score < PASSWORD_MIN_SCORE:
        _fail(field, Msg("This password is too easy to guess.") + " " + (advice or PASSWORD_TIP))
    return password


def check_confirmation(
    password: object, confirmation: object, *, field: str = "confirm_password", label: str = "passwords"
) -> None:
    """A new password typed a second time must be the same, in every flow that sets one (Create
    Account, the reset link, Settings). Checked before anything slow; the field's message says it
    all, so the refusal carries no general message."""
    if password != confirmation:
        raise ValidationError({field: _labelled("match", label)}, message="")


def clean_code(raw: object, field: str = "code") -> str:
    value = _text(raw).replace(" ", "")
    if not re.fullmatch(r"[0-9]{6}", value):
        _fail(field, Msg("Enter the 6-digit code from the email."))
    return value
