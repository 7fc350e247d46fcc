"""The payment processor boundary, and the sandbox processor that behaves like real ones in
test mode.

The portal hands card and bank details to the processor once and keeps only its token. Charges
carry an idempotency key: asking again with the same key returns the first result and never
charges twice — which is what lets the portal reconcile a payment interrupted mid-charge.

Sandbox cards (any future expiry, any CVC of the right length):
  4242424242424242 succeeds                4000000000000002 generic decline
  4000000000009995 insufficient funds      4000000000000069 expired card
  4000000000000127 incorrect CVC           4000000000000119 processing error
  4000000000000341 saves fine, every charge fails
  4000000000005126 charges succeed, every refund to it fails
  4000000000000259 charges succeed, then are disputed; the processor loses the dispute
  4000000000002685 charges succeed, then are disputed; the processor wins the dispute
Sandbox bank accounts with routing number 110000000:
  000123456789 settles   000222222227 R01   000111111113 R02   000111111116 R03   000333333335 R10
  000444444440 settles, every ACH credit (refund) to it fails
Any other valid routing/account settles. Bank debits settle after HCPAY_BANK_SETTLE_BUSINESS_DAYS
business days (2 by default). Disputes open HCPAY_DISPUTE_AFTER_DAYS days after the charge (7 by
default) and are decided HCPAY_DISPUTE_DECIDED_AFTER_DAYS days after they open (30 by default).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import secrets
import string
from collections.abc import Iterator
from enum import StrEnum
from typing import Protocol

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.config import get_settings
from hcpay_app.db import get_engine, session_scope
from hcpay_app.models import MethodKind, SandboxCharge
from hcpay_app.services.adapters.sandbox_network import Fault, NetworkConditions, SandboxNetwork

_CHARGE_BY_KEY = (
    select(SandboxCharge.outcome, SandboxCharge.processor_ref)
    .where(SandboxCharge.idempotency_key == bindparam("key"))
    .limit(1)
)


def _insert_new_charge(connection: Connection):
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(SandboxCharge.__table__).on_conflict_do_nothing(index_elements=["idempotency_key"])


@contextlib.contextmanager
def _bookkeeping() -> Iterator[Connection]:
    """A connection for the sandbox's own record of a charge. It stands in for a processor on
    another machine, so on SQLite its commits don't wait for the disk (synchronous=NORMAL under
    WAL: a commit survives a crash of the process — `kill -9` — not of the machine; the portal's
    own next commit syncs it with everything before it). Waiting would cost the daily job a disk
    flush per charge that no real processor puts on the portal."""
    with get_engine().connect() as connection:
        if connection.dialect.name != "sqlite":
            yield connection
            return
        was = connection.exec_driver_sql("PRAGMA synchronous").scalar()
        connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
        try:
            yield connection
        finally:
            connection.rollback()
            connection.exec_driver_sql(f"PRAGMA synchronous={int(was)}")


def _random_id(length: int = 20) -> str:
    """Letters only, so no stored id ever looks like a card or account number."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(length))


@dataclasses.dataclass(frozen=True)
class Token:
    token: str
    kind: MethodKind
    brand: str
    last4: str
    exp_month: int | None = None
    exp_year: int | None = None


class ChargeStatus(StrEnum):
    """A charge's answer: cards succeed at once; bank debits are pending until they settle."""

    SUCCEEDED = "succeeded"
    PENDING = "pending"
    DECLINED = "declined"


class BankResult(StrEnum):
    SETTLED = "settled"
    RETURNED = "returned"


@dataclasses.dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    processor_ref: str
    code: str = ""


class RefundOutcome(StrEnum):
    REFUNDED = "refunded"
    FAILED = "failed"


@dataclasses.dataclass(frozen=True)
class RefundResult:
    """A refund's answer: a card refund or an ACH credit, `refunded` or `failed` with a code."""

    status: RefundOutcome
    processor_ref: str
    code: str = ""


class DisputeOutcome(StrEnum):
    WON = "won"
    LOST = "lost"


@dataclasses.dataclass(frozen=True)
class DisputeNotice:
    """The processor's word that a charge was disputed (a chargeback): the money is taken back."""

    charge_ref: str
    dispute_ref: str
    amount_cents: int
    reason: str
    opened_on: dt.date


@dataclasses.dataclass(frozen=True)
class BankOutcome:
    """`settled`, or `returned` with a NACHA code."""

    status: str
    code: str = ""


class ProcessorUnavailable(Exception):
    """The processor gave no answer to a call."""


class ProcessorTimedOut(ProcessorUnavailable):
    """No answer in time: the charge may or may not have happened. Asking again with the same
    idempotency key finds out (and charges once if it never arrived)."""


class ProcessorBusy(ProcessorUnavailable):
    """Over the processor's rate limit: nothing happened; try again after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; try again in {retry_after:.3f} s")
        self.retry_after = retry_after


class Processor(Protocol):
    def tokenize_card(
        self, number: str, brand: str, exp_month: int, exp_year: int, cvc: str, name: str, zip_code: str
    ) -> Token: ...

    def tokenize_bank(self, routing: str, account: str, account_type: str, name: str) -> Token: ...

    def charge(self, token: str, amount_cents: int, idempotency_key: str, now: dt.datetime) -> ChargeResult: ...

    def bank_outcome(self, processor_ref: str) -> BankOutcome: ...

    def refund(
        self, charge_ref: str, token: str, amount_cents: int, idempotency_key: str, now: dt.datetime
    ) -> RefundResult: ...

    def disputes_opened(self, today: dt.date) -> list[DisputeNotice]: ...

    def dispute_outcome(self, dispute_ref: str, today: dt.date) -> DisputeOutcome | None: ...


# Codes after which trying again can never succeed (a closed or unknown account, an expired card).
HARD_DECLINES = frozenset({"expired_card", "R02", "R03", "R04"})

_SANDBOX_CARDS = {
    "4242424242424242": "ok",
    "4000000000000002": "generic_decline",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000000119": "processing_error",
    "4000000000000341": "card_declined",
    "4000000000005126": "refund_fail",
    "4000000000000259": "dispute_lost",
    "4000000000002685": "dispute_won",
}
# Card scenarios whose charges succeed (what happens later differs).
_CHARGE_OK = frozenset({"ok", "refund_fail", "dispute_lost", "dispute_won"})
_DISPUTED = ("dispute_lost", "dispute_won")
_SANDBOX_BANK = {
    "000123456789": "settle",
    "000222222227": "R01",
    "000111111113": "R02",
    "000111111116": "R03",
    "000333333335": "R10",
    "000444444440": "refund_fail",
}
SANDBOX_ROUTING = "110000000"


class SandboxProcessor:
    """Test-mode behaviour keyed on well-known numbers. The scenario lives in the token (as real
    test tokens do), so saved methods keep their behaviour across restarts; the number does not."""

    def tokenize_card(self, number, brand, exp_month, exp_year, cvc, name, zip_code) -> Token:
        scenario = _SANDBOX_CARDS.get(number, "ok")
        return Token(f"sbx_card_{scenario}_{_random_id()}", MethodKind.CARD, brand, number[-4:], exp_month, exp_year)

    def tokenize_bank(self, routing, account, account_type, name) -> Token:
        scenario = _SANDBOX_BANK.get(account, "settle") if routing == SANDBOX_ROUTING else "settle"
        return Token(f"sbx_bank_{scenario}_{_random_id()}", MethodKind.BANK, account_type.title(), account[-4:])

    @staticmethod
    def _scenario(token: str) -> tuple[str, str]:
        parts = token.split("_")
        if len(parts) < 4 or parts[0] != "sbx":
            return "unknown", "invalid"
        return parts[1], "_".join(parts[2:-1])

    def __init__(self, network: SandboxNetwork | None = None) -> None:
        self.network = network or SandboxNetwork(NetworkConditions())

    def charge(self, token: str, amount_cents: int, idempotency_key: str, now: dt.datetime) -> ChargeResult:
        """Charge once per idempotency key — through the simulated network, which may refuse the
        call (ProcessorBusy) or time out before or after the charge (ProcessorTimedOut)."""
        call = self.network.call()
        if call.fault == Fault.BUSY:
            raise ProcessorBusy(call.retry_after_seconds)
        if call.fault == Fault.TIMEOUT_BEFORE:
            raise ProcessorTimedOut("timed out before the charge reached the processor")
        kind, scenario = self._scenario(token)
        if kind == "card":
            outcome = ChargeStatus.SUCCEEDED if scenario in _CHARGE_OK else scenario
        elif kind == "bank":
            outcome = ChargeStatus.PENDING
        else:
            outcome = "card_declined"
        result = self._record(idempotency_key, token, amount_cents, outcome, now)
        if call.fault == Fault.TIMEOUT_AFTER:
            raise ProcessorTimedOut("timed out after the processor charged")
        return result

    @staticmethod
    def _record(key: str, token: str, amount: int, outcome: str, now: dt.datetime) -> ChargeResult:
        """Keep the charge on the processor's side; a repeated key returns the first result (of two
        calls at once with one key, the first insert wins: ON CONFLICT DO NOTHING, then read). A new
        key — nearly every call — is one statement and a commit, as the connection is held for
        each round trip while many calls wait for one (was: read, insert, commit, read)."""
        row = {
            "idempotency_key": key,
            "processor_ref": f"ch_{_random_id(24)}",
            "token": token,
            "amount_cents": amount,
            "outcome": outcome,
            "created_at": now,
        }
        with _bookkeeping() as connection:
            insert_new = _insert_new_charge(connection).returning(SandboxCharge.outcome, SandboxCharge.processor_ref)
            existing = connection.execute(insert_new, row).first()
            connection.commit()
            if existing is None:
                existing = connection.execute(_CHARGE_BY_KEY, {"key": key}).one()
        stored_outcome, processor_ref = existing
        if stored_outcome in (ChargeStatus.SUCCEEDED, ChargeStatus.PENDING):
            return ChargeResult(ChargeStatus(stored_outcome), processor_ref)
        return ChargeResult(ChargeStatus.DECLINED, processor_ref, stored_outcome)

    def bank_outcome(self, processor_ref: str) -> BankOutcome:
        with session_scope() as session:
            charge = session.exec(select(SandboxCharge).where(SandboxCharge.processor_ref == processor_ref)).first()
        if charge is None:
            return BankOutcome(BankResult.RETURNED, "R03")
        _kind, scenario = self._scenario(charge.token)
        if scenario in ("settle", "refund_fail"):
            return BankOutcome(BankResult.SETTLED)
        return BankOutcome(BankResult.RETURNED, scenario)

    def refund(
        self, charge_ref: str, token: str, amount_cents: int, idempotency_key: str, now: dt.datetime
    ) -> RefundResult:
        """Pay back part or all of a charge to its method (card refund or ACH credit). A repeated
        key returns the first answer and never pays out twice. Refunds take the network's time
        but are not refused or timed out (only charges are, for now)."""
        self.network.wait()
        _kind, scenario = self._scenario(token)
        outcome = RefundOutcome.FAILED if scenario == "refund_fail" else RefundOutcome.REFUNDED
        key = f"refund:{idempotency_key}"[:64]
        with session_scope() as session:
            existing = session.exec(select(SandboxCharge).where(SandboxCharge.idempotency_key == key)).first()
            if existing is None:
                existing = SandboxCharge(
                    idempotency_key=key,
                    processor_ref=f"re_{_random_id(24)}",
                    token=token,
                    amount_cents=amount_cents,
                    outcome=outcome,
                    created_at=now,
                )
                session.add(existing)
                try:
                    session.commit()
                except IntegrityError:
                    session.rollback()
                    existing = session.exec(select(SandboxCharge).where(SandboxCharge.idempotency_key == key)).one()
        if existing.outcome == RefundOutcome.REFUNDED:
            return RefundResult(RefundOutcome.REFUNDED, existing.processor_ref)
        return RefundResult(RefundOutcome.FAILED, existing.processor_ref, "refund_failed")

    @staticmethod
    def _opened_on(charge: SandboxCharge) -> dt.date:
        return clock.local_date(charge.created_at) + dt.timedelta(days=get_settings().dispute_after_days)

    def disputes_opened(self, today: dt.date) -> list[DisputeNotice]:
        """Charges of the dispute test cards whose dispute has opened by `today` (the same ones
        again on every call: the portal records each once)."""
        with session_scope() as session:
            charges = session.exec(
                select(SandboxCharge).where(
                    SandboxCharge.outcome == ChargeStatus.SUCCEEDED,
                    SandboxCharge.token.startswith("sbx_card_dispute_"),
                )
            ).all()
        return [
            DisputeNotice(c.processor_ref, "dp_" + c.processor_ref[3:], c.amount_cents, "fraudulent", opened)
            for c in charges
            if (opened := self._opened_on(c)) <= today
        ]

    def dispute_outcome(self, dispute_ref: str, today: dt.date) -> DisputeOutcome | None:
        """Won or lost once the processor has decided (HCPAY_DISPUTE_DECIDED_AFTER_DAYS after it
        opened); None while it is still open."""
        charge_ref = "ch_" + dispute_ref.removeprefix("dp_")
        with session_scope() as session:
            charge = session.exec(select(SandboxCharge).where(SandboxCharge.processor_ref == charge_ref)).first()
        if charge is None:
            return None
        _kind, scenario = self._scenario(charge.token)
        if scenario not in _DISPUTED:
            return None
        decided = self._opened_on(charge) + dt.timedelta(days=get_settings().dispute_decided_after_days)
        if today < decided:
            return None
        return DisputeOutcome.WON if scenario == "dispute_won" else DisputeOutcome.LOST

    def charges_for(self, idempotency_key: str) -> int:
        """How many charges exist for a key (tests use it to prove exactly-once)."""
        with session_scope() as session:
            return len(
                session.exec(select(SandboxCharge.id).where(SandboxCharge.idempotency_key == idempotency_key)).all()
            )


@functools.lru_cache(maxsize=1)
def get_processor() -> Processor:
    """The configured processor. Only the sandbox ships; a real one plugs in behind `Processor`."""
    settings = get_settings()
    conditions = NetworkConditions(
        latency_ms=settings.sandbox_latency_ms,
        jitter_ms=settings.sandbox_jitter_ms,
        rate_limit_per_second=settings.sandbox_rate_limit,
        timeout_rate=settings.sandbox_timeout_rate,
        seed=settings.sandbox_seed,
    )
    return SandboxProcessor(SandboxNetwork(conditions))
