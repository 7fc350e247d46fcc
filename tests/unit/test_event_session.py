"""One database session per member event (hcpay_app.db.SharedSession, state.base.one_session_per_event):
the service calls of one event share a session and one connection; each call still rolls back its
own half-done work on error; password work keeps a session of its own; the connection goes back to
the pool when the event ends, also when the event is cancelled while a call is running."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import threading

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from hcpay_app.db import get_engine
from hcpay_app.models import BillingAccount, EntryKind, Member
from hcpay_app.services.accounts import access
from hcpay_app.services.billing import ledger
from hcpay_app.services.common.errors import ValidationError
from hcpay_app.services.payments import checkout
from hcpay_app.state.base import call_service, one_session_per_event
from tests.support.connections import connections_in_use
from tests.unit.conftest import NOW
from tests.unit.test_money_summary import IMPORTED
from tests.unit.test_read_memo import member_with_a_bill
from tests.unit.test_read_memo import statements as executed


def session_of(session: Session) -> Session:
    return session


def member_count(session: Session) -> int:
    return len(session.exec(select(Member.id)).all())


@pytest.fixture
def checkouts(session) -> list[object]:
    """Every connection the app's engine hands out from its pool."""
    seen: list[object] = []
    engine = get_engine()

    def note(_dbapi, record, _proxy) -> None:
        seen.append(record)

    event.listen(engine, "checkout", note)
    yield seen
    event.remove(engine, "checkout", note)


@pytest.mark.asyncio
async def test_the_calls_of_one_event_share_one_session_and_one_connection(member, checkouts):
    checkouts.clear()
    async with one_session_per_event():
        first = await call_service(session_of)
        second = await call_service(session_of)
        assert await call_service(member_count) == 1
    assert first is second
    assert len(checkouts) == 1
    apart = [await call_service(session_of), await call_service(session_of)]
    assert apart[0] is not apart[1] and apart[0] is not first  # outside an event: one each, as before


@pytest.mark.asyncio
async def test_nested_scopes_share_the_outer_session(member):
    async with one_session_per_event():
        outer = await call_service(session_of)
        async with one_session_per_event():
            inner = await call_service(session_of)
        assert await call_service(session_of) is outer  # the inner scope's end closed nothing
    assert inner is outer


def rename_then_refuse(session: Session) -> None:
    member = session.exec(select(Member)).one()
    member.first_name = "Half-written"
    session.add(member)
    session.flush()  # the change reached the database, inside the transaction
    raise ValidationError({"first_name": "refused"})


def first_names(session: Session) -> list[str]:
    return list(session.exec(select(Member.first_name)).all())


@pytest.mark.asyncio
async def test_a_refused_call_leaves_nothing_half_written_and_the_next_call_works(member):
    async with one_session_per_event():
        with pytest.raises(ValidationError):
            await call_service(rename_then_refuse)
        assert await call_service(first_names) == [member.first_name]  # the flushed change was rolled back
    assert await call_service(first_names) == [member.first_name]


@pytest.mark.asyncio
async def test_password_work_keeps_a_session_of_its_own(member):
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        async with one_session_per_event():
            shared = await call_service(session_of)
            own = await call_service(session_of, pool=pool)
        assert own is not shared
    finally:
        pool.shutdown()


@pytest.fixture
def connections_out():
    """How many connections the app's engine has handed out and not had back (0 at the start)."""
    with connections_in_use(get_engine()) as out:
        yield out


@pytest.mark.asyncio
async def test_the_connection_goes_back_when_the_event_ends(member, connections_out):
    async with one_session_per_event():
        await call_service(member_count)
        assert connections_out() == 1
    assert connections_out() == 0


@pytest.mark.asyncio
async def test_events_holding_connections_never_leave_a_call_waiting_for_one(member):
    """Each event holds its connection from its first call to its end, across awaits: with more
    events open than a bounded pool has connections, every thread would wait for a connection
    while the events holding them waited for a thread (the one-worker mode stalled at 50 members).
    Forty events at once, each holding its connection while the others make their calls."""
    all_called = asyncio.Event()
    called = 0

    async def event_handler() -> int:
        nonlocal called
        async with one_session_per_event():
            count = await asyncio.wait_for(call_service(member_count), 20)
            called += 1
            if called == 40:
                all_called.set()
            await all_called.wait()
            return count

    assert await asyncio.wait_for(asyncio.gather(*(event_handler() for _ in range(40))), 60) == [1] * 40


@pytest.mark.asyncio
async def test_a_cancelled_event_waits_for_its_running_call_then_returns_the_connection(member, connections_out):
    started, release = threading.Event(), threading.Event()
    finished: list[int] = []

    def slow_count(session: Session) -> int:
        started.set()
        release.wait(5)
        finished.append(member_count(session))  # the session is still open under the running call
        return finished[-1]

    async def event_handler() -> None:
        async with one_session_per_event():
            await call_service(slow_count)

    task = asyncio.create_task(event_handler())
    await asyncio.to_thread(started.wait, 5)
    task.cancel()
    await asyncio.sleep(0.05)
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):  # the shielded close finishes in its thread once the call is done
        if connections_out() == 0:
            break
        await asyncio.sleep(0.02)
    assert finished == [1]
    assert connections_out() == 0


def balance_of(session: Session, *, account_id: int) -> int:
    return ledger.balance(session, account_id)


@pytest.mark.asyncio
async def test_the_calls_of_one_event_share_their_reads_until_a_write(member, session):
    account_id = session.exec(select(BillingAccount.id)).first()
    with executed(session) as statements:
        async with one_session_per_event():
            first = await call_service(balance_of, account_id=account_id)
            assert await call_service(balance_of, account_id=account_id) == first
            reads = len(statements)
            await call_service(post_credit, account_id=account_id)  # a write (committed)
            assert await call_service(balance_of, account_id=account_id) == first - 1000
    assert reads == 1


def post_credit(session: Session, *, account_id: int) -> None:
    ledger.post(
        session, account_id=account_id, kind=EntryKind.CREDIT, amount_cents=-1000, effective_on=NOW.date(), now=NOW
    )
    session.commit()


def account_number_of(session: Session, *, actor) -> str:
    return access.member_account(session, actor).account_number


@pytest.mark.asyncio
async def test_the_members_account_is_read_once_for_all_the_calls_of_an_event(session):
    enrolled, _account = member_with_a_bill(session)
    session.commit()
    with executed(session) as statements:
        async with one_session_per_event():
            numbers = [await call_service(account_number_of, actor=enrolled.who) for _ in range(3)]
            gc.collect()  # the session's identity map holds objects weakly
            numbers.append(await call_service(account_number_of, actor=enrolled.who))
    assert len(set(numbers)) == 1
    account_reads = [sql for sql in statements if sql.lower().startswith("select billingaccount.")]
    assert len(account_reads) == 1, account_reads


@pytest.mark.asyncio
async def test_the_amount_step_reads_the_payment_options_once(session):
    """Make a Payment's amount step checks the amount against the options, then asks them again for
    its warnings: one reading of the money summary for both."""
    enrolled, _account = member_with_a_bill(session)
    session.commit()
    with executed(session) as statements:
        async with one_session_per_event():
            cents, day = await call_service(
                checkout.choose_amount,
                actor=enrolled.who,
                choice="other",
                other_amount="5000.00",
                payment_date="",
                today=IMPORTED,
            )
            warnings = await call_service(
                checkout.amount_warnings, actor=enrolled.who, amount_cents=cents, payment_date=day, today=IMPORTED
            )
    assert cents == 500000 and warnings  # more than everything owed: warned
    clearing_reads = [sql for sql in statements if "max(payment.expected_settle_on)" in sql.lower()]
    assert len(clearing_reads) == 1, clearing_reads
