"""Alembic environment: the schema is SQLModel.metadata from hcpay_app.models."""

from alembic import context
from sqlmodel import SQLModel

import hcpay_app.models  # noqa: F401  (registers every table)
from hcpay_app.db import engine_for

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = engine_for(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite can't ALTER most things
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
