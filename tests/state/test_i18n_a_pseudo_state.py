"""The log-in, Create Account and guest states speak the page's language (issue 16): on an en-XA
page (/xa/…) what they put in their vars comes through the catalogs, and a field's message that is
fixed clears there too (the comparisons are made in the page's language)."""

from __future__ import annotations

import re

import pytest

from hcpay_app import routes
from hcpay_app.i18n.catalogs import translate
from hcpay_app.i18n.languages import Language
from hcpay_app.services.payments import guest
from hcpay_app.state.guest import _receipt_note
from hcpay_app.state.login import LoginState, lockout_rule
from hcpay_app.state.register import RegisterState
from tests.state.state_harness import CAROL, Browser, fire
from tests.support import pseudo_pages

pytestmark = pytest.mark.asyncio


@pytest.fixture
def pseudo(tmp_path, monkeypatch):
    monkeypatch.setenv("HCPAY_PSEUDO_LOCALE", "1")
    from hcpay_app.i18n import catalogs

    assert pseudo_pages.pseudo_catalogs(tmp_path) > 0
    yield
    catalogs.LOCALES_DIR = pseudo_pages.APP_DIR / "locales"
    catalogs.catalog.cache_clear()


def english_left(text: str) -> bool:
    return pseudo_pages.english_left(text)


async def test_log_in_messages_come_in_the_page_language_and_clear_when_fixed(pseudo):
    tab = Browser("/xa" + routes.LOGIN, ip="198.51.100.181")
    await fire(tab, LoginState, "login", form_data={})
    s = tab.state(LoginState)
    assert set(s.errors) == {"username", "password"}
    assert s.error.startswith("⟦") and not english_left(s.error)
    assert all(not english_left(text) for text in s.errors.values())

    await fire(tab, LoginState, "recheck_field", name="username", value="", related="")
    assert not english_left(tab.state(LoginState).errors["username"])  # still wrong: still translated
    await fire(tab, LoginState, "recheck_field", name="username", value="carol", related="")
    await fire(tab, LoginState, "recheck_field", name="password", value="secret", related="")
    s = tab.state(LoginState)
    assert s.errors == {} and s.error == ""  # the translated banner went with the last error


async def test_log_in_messages_stay_english_on_the_english_page():
    tab = Browser(routes.LOGIN, ip="198.51.100.182")
    await fire(tab, LoginState, "login", form_data={})
    assert tab.state(LoginState).error == "Enter your username and password."


async def test_create_account_strength_words_and_advice_in_the_page_language(pseudo):
    tab = Browser("/xa" + routes.REGISTER, ip="198.51.100.183")
    await fire(tab, RegisterState, "submit_identity", form_data=CAROL.identity_form())
    assert tab.state(RegisterState).step == "credentials"
    await fire(tab, RegisterState, "check_password", value="short")
    s = tab.state(RegisterState)
    assert s.strength_label and not english_left(s.strength_label)
    assert "12" in s.strength_advice and not english_left(s.strength_advice)
    assert s.strength_color == "red"
    await fire(tab, RegisterState, "check_password", value="")
    s = tab.state(RegisterState)
    assert s.strength_label == "" and s.strength_color == "gray"


async def test_the_lockout_rule_and_the_guest_receipt_note_are_whole_messages(pseudo):
    rule = translate(lockout_rule(), Language.PSEUDO)
    assert re.fullmatch(r"⟦[^⟧]*⟧", rule) and "5" in rule and "15" in rule

    result = guest.GuestResult.__new__(guest.GuestResult)
    object.__setattr__(result, "receipt_token", "tok")
    object.__setattr__(result, "emailed_to", "payer@example.com")
    note = _receipt_note(result)
    assert str(note).startswith("The receipt link works for")
    assert "We've emailed a copy to payer@example.com, and one to the account holder." in str(note)
    shown = translate(note, Language.PSEUDO)
    assert "payer@example.com" in shown and not english_left(shown.replace("payer@example.com", ""))
