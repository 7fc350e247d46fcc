"""Text the Make a Payment, Automatic Payments, Settings and Contact support states build themselves
goes through the catalogs as whole messages (checked in the en-XA pseudo-locale)."""

from __future__ import annotations

import re

import pytest

from hcpay_app.i18n import catalogs
from hcpay_app.i18n.catalogs import translate
from hcpay_app.i18n.languages import Language
from hcpay_app.i18n.message import Msg
from hcpay_app.services.payments.methods import MethodView
from hcpay_app.state import autopay as autopay_state
from hcpay_app.state.pay import _saved_choice
from tests.support import pseudo_pages


@pytest.fixture(scope="module")
def pseudo(tmp_path_factory):
    assert pseudo_pages.pseudo_catalogs(tmp_path_factory.mktemp("catalogs")) > 0
    yield Language.PSEUDO
    catalogs.LOCALES_DIR = pseudo_pages.APP_DIR / "locales"
    catalogs.catalog.cache_clear()


def _method(method_id: int, label: str, nickname: str = "") -> MethodView:
    return MethodView(id=method_id, kind="card", label=label, nickname=nickname, expires="", is_default=False)


def _words_outside_brackets(text: str, data: list[str]) -> list[str]:
    for item in data:
        text = text.replace(item, " ")
    return re.findall(r"[A-Za-z]{2,}", re.sub(r"⟦[^⟧]*⟧", " ", text))


def test_the_saved_choice_reads_as_before_in_english():
    visa, checking, amex = _method(1, "Visa ••••4242"), _method(2, "Checking ••••6789"), _method(3, "Amex ••••0005")
    assert _saved_choice([]) == ""
    assert _saved_choice([visa]) == "Visa ••••4242"
    assert _saved_choice([_method(1, "Visa ••••4242", "Everyday")]) == "Visa ••••4242 · Everyday"
    assert _saved_choice([visa, checking]) == "Saved: Visa ••••4242 or Checking ••••6789"
    assert _saved_choice([visa, checking, amex]) == "Saved: Visa ••••4242, Checking ••••6789 or Amex ••••0005"


def test_the_saved_choice_is_one_translated_message(pseudo):
    labels = ["Visa ••••4242", "Checking ••••6789", "Amex ••••0005"]
    methods = [_method(n, label) for n, label in enumerate(labels, 1)]
    for count in (2, 3):
        choice = _saved_choice(methods[:count])
        assert isinstance(choice, Msg)
        shown = translate(choice, pseudo)
        assert _words_outside_brackets(shown, labels) == [], shown
        for label in labels[:count]:
            assert label in shown  # the methods' own names, as the service gave them


@pytest.mark.parametrize(
    "done",
    [
        autopay_state.ACTIVATED,
        autopay_state.PAUSED,
        autopay_state.RESUMED,
        autopay_state.CANCELED,
        autopay_state.REVIEW_AGAIN,
    ],
)
def test_autopay_outcomes_are_whole_messages(pseudo, done):
    message = Msg(done, next_charge="Dec 23, 2026", paused_until="Jan 8, 2027")
    shown = translate(message, pseudo)
    assert _words_outside_brackets(shown, ["Dec 23, 2026", "Jan 8, 2027"]) == [], shown
    assert "{" not in str(message)
