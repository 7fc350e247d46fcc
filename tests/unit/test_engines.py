"""The engines of hcpay_app.db: one per database URL, its connections kept open (SQLite too: a new
connection reads the whole schema again, and closing the last one checkpoints the WAL), closed when
the engine is pushed out by newer URLs, and never carried into a forked process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from hcpay_app.db import dispose_engines, engine_for, get_engine
from hcpay_app.models import Member

pytestmark = pytest.mark.skipif(
    os.environ.get("HCPAY_TEST_DATABASE", "sqlite") != "sqlite", reason="builds SQLite files of its own"
)


def urls(tmp_path: Path, count: int) -> list[str]:
    return [f"sqlite:///{tmp_path / f'db{n}.sqlite'}" for n in range(count)]


def test_a_connection_is_kept_for_the_next_use(db_url):
    engine = get_engine()
    with engine.connect() as first:
        first_raw = first.connection.dbapi_connection
    with engine.connect() as second:
        assert second.connection.dbapi_connection is first_raw
    assert engine_for(db_url) is engine


def test_an_engine_pushed_out_by_newer_urls_closes_its_connections(tmp_path):
    dispose_engines()
    oldest, *newer = urls(tmp_path, 5)
    engine = engine_for(oldest)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert engine.pool.checkedin() == 1
    for url in newer:
        engine_for(url)
    assert engine.pool.checkedin() == 0  # disposed: nothing of it stays open
    assert engine_for(oldest) is not engine  # a new one, when the URL comes back
    dispose_engines()


def test_a_forked_process_opens_connections_of_its_own(session):
    engine = get_engine()
    with engine.connect() as connection:
        parents = connection.connection.dbapi_connection
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover  (the child reports through the pipe)
        try:
            inherited = engine.pool.checkedin()
            with Session(engine) as child_session:
                members = len(child_session.exec(select(Member.id)).all())
            os.write(write, f"{inherited} {members}".encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    answer = os.read(read, 100).decode()
    os.close(read)
    assert answer == "0 0"  # nothing inherited, and its own connection reads the database
    with engine.connect() as connection:  # the parent's is still the parent's, and works
        assert connection.connection.dbapi_connection is parents
        assert connection.execute(text("SELECT 1")).scalar() == 1
