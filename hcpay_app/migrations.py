"""Alembic, driven from code so no alembic.ini is needed: `python -m hcpay_app migrate`."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from hcpay_app.config import PROJECT_ROOT, get_settings


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", url or get_settings().database_url)
    return config


def upgrade(url: str | None = None) -> None:
    """Bring the database to the newest schema, keeping its data."""
    command.upgrade(alembic_config(url), "head")


def make_revision(message: str) -> None:
    """Autogenerate a migration from the difference between models.py and the database."""
    command.revision(alembic_config(), message=message, autogenerate=True)
