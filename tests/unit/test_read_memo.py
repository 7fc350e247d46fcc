"""Reads shared within one read-only view (hcpay_app/services/common/read_memo.py): the dashboard reads
its account's balance, newest bills and payment plan once, where its summary, plan offer and recent
history each read them; a write in the session is seen by the next read; outside a view nothing is
kept."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import event, update
from sqlmodel import Session

from hcpay_app.models import BillingAccount, EntryKind, LedgerEntry
from hcpay_app.services.billing import ledger, plan_standing
from hcpay_app.services.common import read_memo
from hcpay_app.services.overview import dashboard
from tests.unit.autopay_helpers import enroll, roster_row
from tests.unit.payment_helpers import at, card, submit
from tests.unit.test_money_summary import IMPORTED, MARCH


# The balance's statement (the pending debits' one joins the payments).
def is_balance(sql: str) -> bool:
    sql = sql.lower()
    return "sum(ledgerentry.amount_cents)" in sql and "join" not in sql and "invoice_id is null" not in sql


@contextlib.contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    """Every statement the session's connection runs inside the block."""
    seen: list[str] = []
    engine = session.get_bind()

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def member_with_a_bill(session: Session):
    member = enroll(session, roster_row(0, coverage_start=MARCH), now=at(IMPORTED))
    return member, session.get(BillingAccount, member.account_id)


def test_the_dashboard_reads_the_balance_bills_and_plan_once_and_shows_the_same(session):
    member, _account = member_with_a_bill(session)
    with statements(session) as once:
        view = dashboard.view(session, member.who, IMPORTED)
    session.expire_all()
    with statements(session) as each:  # the same view with nothing shared
        unshared = dashboard._view(session, member.who, IMPORTED)  # noqa: SLF001
    assert view == unshared
    assert sum(map(is_balance, once)) == 1
    assert sum(map(is_balance, each)) > 1, "the view no longer repeats the read"
    plan_reads = [sql for sql in once if sql.lower().startswith("select paymentplan.")]
    assert len(plan_reads) == 1, plan_reads
    assert len(once) < len(each)


def test_a_write_inside_the_view_is_seen_by_the_next_read(session):
    member, account = member_with_a_bill(session)
    with read_memo.reading(session):
        before = ledger.balance(session, account.id)
        assert ledger.balance(session, account.id) == before
        ledger.post(  # an ORM write: flushed
            session,
            account_id=account.id,
            kind=EntryKind.CREDIT,
            amount_cents=-1000,
            effective_on=IMPORTED,
            now=at(IMPORTED),
        )
        assert ledger.balance(session, account.id) == before - 1000
        # A bulk statement, no flush: forgotten as well.
        session.exec(update(LedgerEntry).where(LedgerEntry.amount_cents == -1000).values(amount_cents=-2500))
        assert ledger.balance(session, account.id) == before - 2500
        submit(session, member.who, card(), 5000, today=IMPORTED)  # a whole payment, committed
        assert ledger.balance(session, account.id) == before - 7500


def test_outside_a_view_every_read_runs(session):
    _member, account = member_with_a_bill(session)
    with statements(session) as seen:
        ledger.balance(session, account.id)
        ledger.balance(session, account.id)
        plan_standing.active_plan(session, account.id)
        plan_standing.active_plan(session, account.id)
    assert len(seen) == 4
    assert read_memo._KEY not in session.info  # noqa: SLF001


def test_nested_views_share_one_memo_and_it_ends_with_the_outer_one(session):
    _member, account = member_with_a_bill(session)
    with statements(session) as seen, read_memo.reading(session):
        ledger.balance(session, account.id)
        with read_memo.reading(session):
            ledger.balance(session, account.id)
        ledger.balance(session, account.id)
    assert len(seen) == 1
    assert read_memo._KEY not in session.info  # noqa: SLF001


def test_a_held_session_shares_reads_across_calls_until_a_commit_or_rollback(session):
    """A member event's shared session: its service calls share reads, and the end of a transaction
    forgets them (the next transaction may see what others committed)."""
    _member, account = member_with_a_bill(session)
    session.commit()
    read_memo.hold(session)
    with statements(session) as seen:
        first = ledger.balance(session, account.id)
        assert ledger.balance(session, account.id) == first  # a second call of the same event
    assert sum(map(is_balance, seen)) == 1
    for end_transaction in (session.commit, session.rollback):
        end_transaction()
        with statements(session) as seen:
            ledger.balance(session, account.id)
        assert sum(map(is_balance, seen)) == 1, end_transaction
    assert read_memo._KEY in session.info  # noqa: SLF001  (held: kept for the session's life)
