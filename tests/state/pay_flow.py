"""Helpers for the Make a Payment and Payment methods state tests: sandbox card and bank forms,
row counts, saved methods made through the services, and a scan of what the browser received for
card data, processor tokens and idempotency keys.

`state_harness` must be imported first (it sets the test environment before hcpay_app loads);
importing from it below does that.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlmodel import func, select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.models import LedgerEntry, Payment, PaymentMethod, SandboxCharge
from hcpay_app.services.accounts import authn
from hcpay_app.services.adapters.processor import get_processor
from hcpay_app.services.payments import methods
from tests.state.state_harness import Browser, Person, resolve, service_login

CARD_OK = "4242424242424242"
CARD_NSF = "4000000000009995"  # insufficient funds
CVC = "947"  # unusual enough that finding it in a delta means it leaked
EXPIRY = "12/30"
ROUTING = "110000000"
ACCOUNT_SETTLES = "000123456789"
ACCOUNT_R01 = "000222222227"
ENDED = "Your session has ended. Please log in again."
REFERENCE_RE = re.compile(r"HC-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def card_form(number: str = CARD_OK, **overrides: Any) -> dict[str, Any]:
    """The new-card fields as the browser submits them."""
    form = {"card_number": number, "expiry": EXPIRY, "cvc": CVC, "card_name": "Alice Whitfield", "billing_zip": "02110"}
    return {**form, **overrides}


def bank_form(account: str = ACCOUNT_SETTLES, **overrides: Any) -> dict[str, Any]:
    form = {
        "routing_number": ROUTING,
        "account_number": account,
        "confirm_account_number": account,
        "account_type": "checking",
        "account_name": "Alice Whitfield",
    }
    return {**form, **overrides}


# ---- the database --------------------------------------------------------------------------

TABLES = (Payment, PaymentMethod, LedgerEntry, SandboxCharge)


def counts() -> dict[str, int]:
    """Rows in every table a payment or a saved method writes to."""
    with session_scope() as s:
        return {t.__name__: s.exec(select(func.count()).select_from(t)).one() for t in TABLES}


def payment(reference: str) -> Payment:
    with session_scope() as s:
        return s.exec(select(Payment).where(Payment.reference == reference)).one()


def payments_for(account_id: int) -> list[Payment]:
    with session_scope() as s:
        return list(s.exec(select(Payment).where(Payment.billing_account_id == account_id).order_by(Payment.id)).all())


def ledger_for_payment(payment_id: int) -> list[LedgerEntry]:
    with session_scope() as s:
        return list(s.exec(select(LedgerEntry).where(LedgerEntry.payment_id == payment_id)).all())


def method_rows(person: Person) -> list[PaymentMethod]:
    """Every saved method of `person`, removed ones included, oldest first."""
    with session_scope() as s:
        from hcpay_app.models import User

        user_id = s.exec(select(User.id).where(User.username_key == person.username.casefold())).one()
        return list(
            s.exec(select(PaymentMethod).where(PaymentMethod.user_id == user_id).order_by(PaymentMethod.id)).all()
        )


def method_row(method_id: int) -> PaymentMethod:
    with session_scope() as s:
        return s.get(PaymentMethod, method_id)


def saved_card(person: Person, number: str = CARD_OK, nickname: str = "") -> int:
    """Save a card for `person` through the services (as Settings would); returns its id."""
    from hcpay_app.services.payments.method_validation import card_brand

    brand = card_brand(number)
    token = get_processor().tokenize_card(number, brand, 12, 2030, CVC, "Card Holder", "02110")
    token_value = service_login(person)
    try:
        with session_scope() as s:
            return methods.add(s, resolve(token_value), token, nickname=nickname, now=clock.utcnow()).id
    finally:
        revoke(token_value)


def revoke(token: str) -> None:
    with session_scope() as s:
        authn.logout(s, token, ip="test", now=clock.utcnow())


def age_session(token: str, by: dt.timedelta) -> None:
    """Make the session behind `token` look as if it started `by` earlier (it stays active)."""
    from hcpay_app.models import AuthSession
    from hcpay_app.services.adapters import crypto

    with session_scope() as s:
        row = s.exec(select(AuthSession).where(AuthSession.token_hash == crypto.hash_token(token))).one()
        row.created_at = row.created_at - by
        s.add(row)
        s.commit()


# ---- what the browser received ------------------------------------------------------------


def scrub(text: str, tab: Browser) -> str:
    """The text without values that are random by design (payment references and the session
    cookie), so a short secret like a CVC can't be "found" in them by chance."""
    return REFERENCE_RE.sub("HC-REF", text.replace(tab.cookie(), "<cookie>") if tab.cookie() else text)


def assert_no_card_data(text: str, tab: Browser, *, keys: list[str] = (), numbers: tuple[str, ...] = ()) -> None:
    """Nothing the browser received holds a full card or account number, the CVC, a processor
    token or an idempotency key."""
    clean = scrub(text, tab)
    for number in (CARD_OK, CARD_NSF, ACCOUNT_SETTLES, ACCOUNT_R01, *numbers):
        assert number not in clean, number
        spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        assert spaced not in clean, spaced
    assert CVC not in clean
    assert "sbx_" not in clean and "idempotency" not in clean
    for key in keys:
        assert key and key not in text, "an idempotency key reached the browser"
