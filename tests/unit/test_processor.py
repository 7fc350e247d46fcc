"""The sandbox processor's contract: well-known cards and bank accounts behave like a real
processor's test mode, tokens never carry the number, and a charge key charges at most once."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, select

from hcpay_app.db import engine_for
from hcpay_app.models import SandboxCharge
from hcpay_app.services.adapters.processor import HARD_DECLINES, SandboxProcessor, get_processor
from hcpay_app.services.payments.templates import DECLINE_MESSAGES, RETURN_MESSAGES
from tests.unit.payment_helpers import (
    BANKS,
    CARDS,
    NOW,
    OTHER_ACCOUNT,
    OTHER_ROUTING,
    ROUTING,
    new_key,
)


@pytest.fixture
def sandbox(db_url) -> SandboxProcessor:
    """The sandbox, recording its charges in this test's database."""
    return SandboxProcessor()


def tokenize(sandbox: SandboxProcessor, number: str, brand: str = "Visa"):
    return sandbox.tokenize_card(number, brand, 12, 2030, "123", "Renée O’Neil-Dubois", "02134")


@pytest.mark.parametrize(
    ("scenario", "status", "code"),
    [
        ("ok", "succeeded", ""),
        ("generic_decline", "declined", "generic_decline"),
        ("insufficient_funds", "declined", "insufficient_funds"),
        ("expired_card", "declined", "expired_card"),
        ("incorrect_cvc", "declined", "incorrect_cvc"),
        ("processing_error", "declined", "processing_error"),
        ("card_declined", "declined", "card_declined"),
    ],
)
def test_each_sandbox_card_charges_as_documented(sandbox, scenario, status, code):
    number = CARDS[scenario]
    token = tokenize(sandbox, number)
    assert (token.kind, token.brand, token.last4, token.exp_month, token.exp_year) == (
        "card",
        "Visa",
        number[-4:],
        12,
        2030,
    )
    assert number not in token.token and number[:12] not in token.token
    result = sandbox.charge(token.token, 51250, new_key(), NOW)
    assert (result.status, result.code) == (status, code)
    assert result.processor_ref.startswith("ch_")
    if status == "declined":
        assert code in DECLINE_MESSAGES  # every code the sandbox returns has plain words for the member


def test_the_always_declining_card_saves_fine_but_every_charge_fails(sandbox):
    token = tokenize(sandbox, CARDS["card_declined"])
    assert token.kind == "card" and token.last4 == "0341"
    outcomes = {sandbox.charge(token.token, amount, new_key(), NOW).status for amount in (100, 5000, 51250)}
    assert outcomes == {"declined"}


def test_unknown_test_cards_succeed_and_a_foreign_token_is_declined(sandbox):
    token = tokenize(sandbox, "5555555555554444", "Mastercard")
    assert sandbox.charge(token.token, 100, new_key(), NOW).status == "succeeded"
    forged = sandbox.charge("tok_not_ours", 100, new_key(), NOW)
    assert (forged.status, forged.code) == ("declined", "card_declined")


@pytest.mark.parametrize(
    ("routing", "account", "outcome"),
    [
        (ROUTING, BANKS["settle"], ("settled", "")),
        (ROUTING, BANKS["R01"], ("returned", "R01")),
        (ROUTING, BANKS["R02"], ("returned", "R02")),
        (ROUTING, BANKS["R03"], ("returned", "R03")),
        (ROUTING, BANKS["R10"], ("returned", "R10")),
        (ROUTING, OTHER_ACCOUNT, ("settled", "")),
        (OTHER_ROUTING, BANKS["R01"], ("settled", "")),  # the return scenarios belong to the sandbox routing
        (OTHER_ROUTING, OTHER_ACCOUNT, ("settled", "")),
    ],
)
def test_bank_debits_are_pending_then_settle_or_come_back(sandbox, routing, account, outcome):
    token = sandbox.tokenize_bank(routing, account, "checking", "Renée O’Neil-Dubois")
    assert (token.kind, token.brand, token.last4) == ("bank", "Checking", account[-4:])
    assert account not in token.token and routing not in token.token
    result = sandbox.charge(token.token, 51250, new_key(), NOW)
    assert (result.status, result.code) == ("pending", "")
    settled = sandbox.bank_outcome(result.processor_ref)
    assert (settled.status, settled.code) == outcome
    if settled.code:
        assert settled.code in RETURN_MESSAGES


def test_savings_accounts_are_labelled_savings(sandbox):
    assert sandbox.tokenize_bank(ROUTING, BANKS["settle"], "savings", "Renée").brand == "Savings"


def test_an_unknown_processor_reference_reads_as_returned(sandbox):
    assert (sandbox.bank_outcome("ch_nothing_like_this").status, sandbox.bank_outcome("").code) == ("returned", "R03")


def test_hard_declines_are_the_ones_a_retry_cannot_fix():
    assert {"expired_card", "R02", "R03", "R04"} <= HARD_DECLINES
    assert not {"insufficient_funds", "processing_error", "generic_decline", "R01"} & HARD_DECLINES


def test_tokens_are_unique_per_tokenization(sandbox):
    tokens = {tokenize(sandbox, CARDS["ok"]).token for _ in range(20)}
    assert len(tokens) == 20


def test_same_key_twice_returns_the_first_result_and_charges_once(sandbox, session):
    token = tokenize(sandbox, CARDS["ok"]).token
    key = new_key()
    first = sandbox.charge(token, 51250, key, NOW)
    again = sandbox.charge(token, 51250, key, NOW)
    different = sandbox.charge(token, 99, key, NOW)  # even a different amount can't charge again
    assert first == again == different
    assert sandbox.charges_for(key) == 1
    assert sandbox.charges_for(new_key()) == 0
    row = session.exec(select(SandboxCharge).where(SandboxCharge.idempotency_key == key)).one()
    assert (row.amount_cents, row.outcome, row.processor_ref) == (51250, "succeeded", first.processor_ref)


def test_a_declined_charge_retried_with_its_key_stays_declined(sandbox):
    token = tokenize(sandbox, CARDS["insufficient_funds"]).token
    key = new_key()
    assert sandbox.charge(token, 100, key, NOW) == sandbox.charge(token, 100, key, NOW)
    assert sandbox.charges_for(key) == 1


def test_concurrent_charges_with_one_key_charge_once(sandbox, db_url, session):
    token = tokenize(sandbox, CARDS["ok"]).token
    key = new_key()
    start = threading.Barrier(8)
    results, errors = [], []

    def worker():
        start.wait()
        try:
            results.append(SandboxProcessor().charge(token, 51250, key, NOW))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({r.processor_ref for r in results}) == 1 and len(results) == 8
    assert sandbox.charges_for(key) == 1
    with Session(engine_for(db_url)) as fresh:
        assert len(fresh.exec(select(SandboxCharge)).all()) == 1


def test_the_configured_processor_is_the_sandbox():
    assert isinstance(get_processor(), SandboxProcessor)
