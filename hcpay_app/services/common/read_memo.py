"""Reads shared within one read-only view.

A page's figures come from several services that each read the same account's balance, newest
invoices and payment plan (the dashboard: its money summary, the payment-plan offer and the recent
history). Inside `reading(session)` each such read runs once; outside it nothing is kept. Any write
in the session (a flush, or an INSERT, UPDATE or DELETE statement) forgets what was kept, so a read
after it sees the write.
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


@event.listens_for(OrmSession, "do_orm_execute")
def _on_write(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _forget(state.session)
