"""The database engine and session scope shared by services, the CLI and the web layer."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, create_engine

from hcpay_app.config import get_settings

T = TypeVar("T")


def _configure_sqlite(dbapi_connection, _record) -> None:
    # WAL lets readers run beside one writer; busy_timeout makes writers queue instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_ENGINES_KEPT = 4
_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine_for(url: str) -> Engine:
    """One engine per database URL for the life of the process (the last few URLs: an engine
    pushed out is disposed, its pooled connections closed, as a test run goes through many)."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = _create_engine(url)
            while len(_engines) > _ENGINES_KEPT:
                _engines.pop(next(iter(_engines))).dispose()
        return engine


def dispose_engines() -> None:
    """Close every engine's pooled connections and forget the engines (a test replacing its
    database files)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _after_fork_in_child() -> None:
    """A forked process (an app worker, a charge worker) opens connections of its own: the pooled
    ones it inherited stay the parent's (SQLite must never carry a connection across a fork)."""
    global _engines_lock
    _engines_lock = threading.Lock()  # another thread may have held it at the fork
    for engine in _engines.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)


def _create_engine(url: str) -> Engine:
    # Connections are kept open (a new SQLite one reads the whole schema at its first statement, and
    # closing the last one checkpoints the WAL), and more are opened past the pool as needed, never
    # waited for: a member event holds its connection from its first call to its end
    # (SharedSession), across awaits, so with a bounded pool, once more events than connections
    # were open, every worker thread blocked waiting for a connection while the events holding them
    # waited for a thread.
    if url.startswith("sqlite"):
        engine = create_engine(
            url, pool_size=5, max_overflow=-1, connect_args={"check_same_thread": False, "timeout": 10}
        )
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    # PostgreSQL: kept open for a process's busiest moment — a charge worker's chunks and processor
    # calls (the sandbox records each charge) each holding one — so none is opened and closed per use:
    # with 10, a worker of 8 chunks and 64 calls spent 41% of its threads' time waiting for a
    # connection, and two such workers opened (and closed) 16 connections a second.
    settings = get_settings()
    size = max(10, settings.charge_worker_threads + settings.processor_calls)
    return create_engine(url, pool_pre_ping=True, pool_size=size, max_overflow=-1)


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


@contextlib.contextmanager
def session_scope() -> Iterator[Session]:
    """A session that rolls back on error; services commit their own whole changes."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise


# session.info key of a SharedSession: every row it loaded, held for the event's life.
_HELD_ROWS = "hcpay.held_rows"


@event.listens_for(OrmSession, "loaded_as_persistent")
def _hold_loaded_row(session: OrmSession, instance: object) -> None:
    held = session.info.get(_HELD_ROWS)
    if held is not None:
        held.append(instance)


class SharedSession:
    """One session for a run of service calls made one after another (one member event's): the
    connection is checked out (and pinged) once, and rows read by one call are not read again by
    the next (the identity map keeps rows weakly; the event's session holds what it loaded, so a
    `session.get` of the member's account in the next call finds it). Each call still rolls back
    on error, as in `session_scope`; services commit their own whole changes. Calls may come from
    different threads, never at once: the lock makes a late call (from an event cancelled while its
    thread ran) finish before `close`."""

    def __init__(self, on_open: Callable[[Session], None] | None = None) -> None:
        self._on_open = on_open
        self._session: Session | None = None
        self._lock = threading.Lock()
        self._closed = False

    def run(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        with self._lock:
            if self._closed:  # its event is over: this call's answer goes nowhere, but it runs whole
                with session_scope() as session:
                    return fn(session, **kwargs)
            if self._session is None:
                self._session = Session(get_engine(), expire_on_commit=False, info={_HELD_ROWS: []})
                if self._on_open is not None:
                    self._on_open(self._session)
            try:
                return fn(self._session, **kwargs)
            except BaseException:
                self._session.rollback()
                raise

    @property
    def opened(self) -> bool:
        return self._session is not None

    def close(self) -> None:
        """Roll back whatever was left uncommitted and return the connection to the pool."""
        with self._lock:
            self._closed = True
            if self._session is not None:
                self._session.close()


@contextlib.contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """Hold the cluster-wide lock `name` for the block if no other process holds it; yields whether
    this process got it. PostgreSQL: a session advisory lock, released when the block ends or the
    connection dies. SQLite: always granted — that mode runs a single backend worker."""
    engine = get_engine()
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with engine.connect() as connection:
        got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        connection.commit()
        try:
            yield got
        finally:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
