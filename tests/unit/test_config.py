"""Production refuses to start without its secret keys and SMTP; the scale-out settings are read
from the environment."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys

import pytest

from hcpay_app.config import (
    PROJECT_ROOT,
    SECRET_NAMES,
    ConfigurationError,
    load_settings,
)


def a_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("HCPAY_ENV", "production")
    monkeypatch.delenv("HCPAY_SECRETS_FILE")


def test_production_without_keys_names_what_is_missing_and_writes_no_key_file(production, monkeypatch, tmp_path):
    monkeypatch.setenv("HCPAY_SECRETS_FILE", str(tmp_path / "secrets.json"))
    monkeypatch.setenv("HCPAY_SSN_KEY", a_key())
    with pytest.raises(ConfigurationError, match="HCPAY_INDEX_KEY, HCPAY_CODE_KEY"):
        load_settings()
    assert not (tmp_path / "secrets.json").exists()


def test_production_needs_smtp(production, monkeypatch):
    for name in SECRET_NAMES:
        monkeypatch.setenv(name, a_key())
    with pytest.raises(ConfigurationError, match="SMTP_HOST"):
        load_settings()
    monkeypatch.setenv("SMTP_HOST", "smtp.example.org")
    settings = load_settings()
    assert settings.is_production and settings.smtp_starttls


def test_scale_out_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://hcpay@db.internal/hcpay")
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    settings = load_settings()
    assert (settings.database_url, settings.redis_url) == (
        "postgresql+psycopg://hcpay@db.internal/hcpay",
        "redis://cache.internal:6379/0",
    )
    monkeypatch.delenv("REDIS_URL")
    assert load_settings().redis_url is None  # one worker, state in memory


def test_the_app_refuses_to_start_in_production_without_keys():
    """`reflex run` imports rxconfig first: the error stops it before anything listens."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HCPAY_", "SMTP_"))}
    env.update(HCPAY_ENV="production", HCPAY_SECRETS_FILE=os.devnull)
    result = subprocess.run(
        [sys.executable, "-c", "import rxconfig"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ConfigurationError: production needs these secret keys" in result.stderr


@pytest.fixture
def production_ready(production, monkeypatch):
    for name in SECRET_NAMES:
        monkeypatch.setenv(name, a_key())
    monkeypatch.setenv("SMTP_HOST", "smtp.example.org")


def test_production_never_loads_the_demo_logins(production_ready, db_url):
    from sqlmodel import Session, func, select

    from hcpay_app.__main__ import main
    from hcpay_app.db import engine_for
    from hcpay_app.models import Member, User

    assert main(["seed-demo"]) == 2
    assert main(["setup"]) == 0  # migrates and catches up the daily job, on an empty database
    with Session(engine_for(db_url)) as session:
        assert session.exec(select(func.count()).select_from(Member)).one() == 0
        assert session.exec(select(func.count()).select_from(User)).one() == 0


@pytest.mark.parametrize("value", ["staging", "prod", "Production", ""])
def test_an_unknown_environment_refuses_to_start(monkeypatch, value):
    monkeypatch.setenv("HCPAY_ENV", value)
    with pytest.raises(ConfigurationError, match="HCPAY_ENV must be one of development, test, production"):
        load_settings()


@pytest.mark.parametrize(
    ("env", "host", "shown"),
    [
        ("development", "127.0.0.1", True),
        ("test", "localhost", True),
        ("development", "0.0.0.0", False),
        ("test", "192.0.2.10", False),
    ],
)
def test_the_mailbox_exists_only_in_development_or_test_on_loopback(monkeypatch, env, host, shown):
    monkeypatch.setenv("HCPAY_ENV", env)
    monkeypatch.setenv("REFLEX_BACKEND_HOST", host)
    assert load_settings().mailbox_enabled is shown
