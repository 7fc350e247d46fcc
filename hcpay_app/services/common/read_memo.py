"""Reads shared within one read-only view, or one member event.

A page's figures come from several services that each read the same account's balance, newest
invoices and payment plan (the dashboard: its money summary, the payment-plan offer and the recent
history). Inside `reading(session)` each such read runs once; outside it nothing is kept. A member
event's shared session (`hold`) keeps them for all of the event's service calls: Make a Payment's
amount step asks for the payment options twice (the amount's limits, then its warnings). Any write
in the session (a flush, or an INSERT, UPDATE or DELETE statement) and the end of a transaction
(a commit or a rollback) forget what was kept, so a read after it sees the write.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterator
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

T = TypeVar("T")

_KEY = "hcpay.read_memo"


@contextlib.contextmanager
def reading(session: Session) -> Iterator[None]:
    """Share repeated reads in `session` until the block ends (nested blocks share the outer one)."""
    if _KEY in session.info:
        yield
        return
    session.info[_KEY] = {}
    try:
        yield
    finally:
        session.info.pop(_KEY, None)


def hold(session: Session) -> None:
    """Share repeated reads in `session` from now on, for as long as it lives (one member event's
    shared session: `db.SharedSession`)."""
    session.info.setdefault(_KEY, {})


def memo(session: Session, key: Hashable, read: Callable[[], T]) -> T:
    """`read()`, or what it returned before in this `reading` block."""
    kept = session.info.get(_KEY)
    if kept is None:
        return read()
    if key not in kept:
        kept[key] = read()
    return kept[key]


def _forget(session: OrmSession) -> None:
    kept = session.info.get(_KEY)
    if kept:
        kept.clear()


@event.listens_for(OrmSession, "after_flush")
def _after_flush(session: OrmSession, _flush_context: object) -> None:
    _forget(session)


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    _forget(session)


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    _forget(session)


@event.listens_for(OrmSession, "do_orm_execute")
def _on_write(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _forget(state.session)
