"""Set-based writes that keep exactly-once: insert many rows, skipping those a unique key already
holds (`INSERT … ON CONFLICT DO NOTHING`, on SQLite ≥ 3.35 and PostgreSQL alike)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert_new(session: Session, model, rows: Sequence[dict], *, unique: list[str], returning) -> list:
    """Insert `rows` into `model`'s table in the caller's transaction, skipping every row whose
    `unique` columns are already taken (by an earlier run, or a concurrent transaction — which
    PostgreSQL waits for, and SQLite serializes); returns `returning` of the rows inserted (a
    column's values, or tuples when given a tuple of columns)."""
    if not rows:
        return []
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    columns = returning if isinstance(returning, tuple) else (returning,)
    statement = dialect.insert(model.__table__).on_conflict_do_nothing(index_elements=unique).returning(*columns)
    result = session.execute(statement, list(rows))
    return [tuple(row) for row in result] if isinstance(returning, tuple) else list(result.scalars())
