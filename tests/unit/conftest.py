"""Unit-test harness for the services layer.

Every test gets a pinned environment (test mode, bcrypt cost 4, a throwaway secrets file, a SQLite
file no other test sees) and, when it asks for `session`, a database brought to the newest schema by
the real alembic migration. The migration runs once per test run into a template file that each test
copies, which keeps the suite fast while still proving the migration builds a working schema. The
copy is made afresh at one path per test process (`DB_FILE`), so one engine, and the SQL it has
compiled, serves every test of the process.

With `HCPAY_TEST_DATABASE=postgresql` the same tests run on PostgreSQL: the run starts a throwaway
cluster on loopback, migrates a template database once, and gives each test its own copy
(`CREATE DATABASE … TEMPLATE`, under one name per process, dropped after each test). Tests that read
the SQLite file itself are skipped there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import services

ON_POSTGRES = os.environ.get("HCPAY_TEST_DATABASE", "sqlite") == "postgresql"
_TMP = Path(tempfile.mkdtemp(prefix="hcpay-unit-"))
SECRETS_FILE = _TMP / "secrets.json"
BASE_ENV = {
    "HCPAY_ENV": "test",
    "HCPAY_BCRYPT_COST": "4",
    "HCPAY_SECRETS_FILE": str(SECRETS_FILE),
    "DATABASE_URL": f"sqlite:///{_TMP / 'unused.db'}",
}
# Before anything reads settings. `setdefault` so a sibling suite collected in the same process keeps
# its own import-time values; the autouse `_pinned_env` fixture pins everything for each test anyway.
for _name, _value in BASE_ENV.items():
    os.environ.setdefault(_name, _value)

from sqlmodel import Session, select  # noqa: E402

from hcpay_app import clock, migrations  # noqa: E402
from hcpay_app.config import get_settings  # noqa: E402
from hcpay_app.db import engine_for  # noqa: E402
from hcpay_app.models import Member, OutboundEmail, User  # noqa: E402
from hcpay_app.services.accounts import registration  # noqa: E402
from hcpay_app.services.jobs import roster  # noqa: E402

NOW = dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)  # 1:00 PM EDT in Boston
STRONG_PASSWORD = "Violet-Kayak-Thunder-93"

# A roster member with the things that trip naive code: accents, a curly apostrophe, a hyphen, and a
# roster email whose local part has capitals.
RENEE = roster.RosterRow(
    line=2,
    member_number="123456789012",
    first_name="Renée",
    last_name="O’Neil-Dubois",
    date_of_birth=dt.date(1985, 4, 15),
    ssn="219550123",
    email="Renee.ONeil@example.com",
    zip_code="02134",
    account_number="987654321",
    plan_name="Silver Select PPO",
    monthly_premium_cents=51250,
    subsidized=False,
    coverage_start=dt.date(2025, 1, 1),
)


def db_url_for(path: Path) -> str:
    return f"sqlite:///{path}"


# Every test of a process uses this one file, emptied after each test and filled afresh from the
# template by `db_path`: the same URL keeps the same engine, whose cache of compiled statements then
# serves the whole run (with a new file and engine per test, every test compiled its SQL anew).
DB_FILE = _TMP / "hcpay.db"


def _remove_database_file() -> None:
    engine_for(db_url_for(DB_FILE)).dispose()  # closes its pooled connections; the engine stays
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{DB_FILE}{suffix}").unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _pinned_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Only our settings: drop every HCPAY_*/SMTP_* variable the shell or another suite left behind."""
    for name in list(os.environ):
        if name.startswith(("HCPAY_", "SMTP_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    for name, value in BASE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", db_url_for(DB_FILE))
    get_settings.cache_clear()
    clock.reset()
    yield
    clock.reset()
    get_settings.cache_clear()
    _remove_database_file()


@pytest.fixture(scope="session", autouse=True)
def _scratch_dir() -> Iterator[Path]:
    """The run's scratch directory (secrets file, template database), removed at the end."""
    yield _TMP
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture(scope="session")
def template_db(_scratch_dir: Path) -> Path:
    """The schema built once by the real migration (alembic upgrade head)."""
    if ON_POSTGRES:
        pytest.skip("copies the SQLite template file")
    path = _scratch_dir / "template.db"
    url = db_url_for(path)
    migrations.upgrade(url)
    engine_for(url).dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[tuple[str, str]]:
    """(admin URL, template database name) on a throwaway cluster, migrated once for the run."""
    with services.postgres() as admin_url:
        url = services.create_database(admin_url, "hcpay_template")
        migrations.upgrade(url)
        engine_for(url).dispose()
        yield admin_url, "hcpay_template"


@pytest.fixture
def db_path(template_db: Path) -> Path:
    """A fresh migrated database file for this test (the one DATABASE_URL points at)."""
    path = DB_FILE
    source, target = sqlite3.connect(template_db), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return path


@pytest.fixture
def db_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The URL of this test's fresh migrated database, which DATABASE_URL points at."""
    if not ON_POSTGRES:
        url = db_url_for(request.getfixturevalue("db_path"))
        assert url == get_settings().database_url
        yield url
        return
    admin_url, template = request.getfixturevalue("postgres_template")
    name = f"t{os.getpid()}"  # one name a process, made afresh each test: its engine stays (see DB_FILE)
    url = services.create_database(admin_url, name, template)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    engine_for(url).dispose()
    services.drop_database(admin_url, name)


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    engine = engine_for(db_url)
    with Session(engine) as db:
        yield db
    engine.dispose()


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture
def today(now: dt.datetime) -> dt.date:
    return clock.local_date(now)


@pytest.fixture
def renee() -> roster.RosterRow:
    """The roster row every `member`/`registered_user` test uses."""
    return RENEE


@pytest.fixture
def add_member(session: Session, now: dt.datetime) -> Callable[..., Member]:
    """Add (or update) a roster member through the roster service; keyword overrides change RENEE.
    Bills are not issued at import unless `bill=True` (a new member's bills, as `import-roster`
    issues them): a test writes the billing history it needs (`billing_helpers`), as the daily job
    would have issued it."""

    def add(*, bill: bool = False, **overrides) -> Member:
        row = dataclasses.replace(RENEE, **overrides)
        report = roster.ImportReport()
        roster.apply_rows(session, [row], report, now, bill=bill)
        assert report.errors == [], report.errors
        return session.exec(select(Member).where(Member.member_number == row.member_number)).one()

    return add


@pytest.fixture
def member(add_member: Callable[..., Member]) -> Member:
    return add_member()


def personal_details(row: roster.RosterRow = RENEE, **overrides) -> dict[str, object]:
    """What a member types on Create Account step 1 for roster row `row`."""
    details: dict[str, object] = {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "date_of_birth": row.date_of_birth.isoformat(),
        "ssn": f"{row.ssn[:3]}-{row.ssn[3:5]}-{row.ssn[5:]}",
        "email": row.email,
    }
    details.update(overrides)
    return details


@pytest.fixture
def outbox(session: Session) -> Callable[..., list[OutboundEmail]]:
    """The queued emails, oldest first, optionally filtered by kind."""

    def read(kind: str | None = None) -> list[OutboundEmail]:
        query = select(OutboundEmail).order_by(OutboundEmail.id)
        if kind is not None:
            query = query.where(OutboundEmail.kind == kind)
        return list(session.exec(query).all())

    return read


@pytest.fixture
def latest_code(outbox: Callable[..., list[OutboundEmail]]) -> Callable[[], str]:
    """The 6-digit code of the newest verification email."""

    def read() -> str:
        messages = outbox("verification_code")
        assert messages, "no verification email was queued"
        match = re.search(r"Your verification code is ([0-9]{6})\b", messages[-1].body)
        assert match, messages[-1].body
        return match.group(1)

    return read


@dataclasses.dataclass(frozen=True)
class Registered:
    user_id: int
    token: str
    username: str
    password: str
    row: roster.RosterRow


@pytest.fixture
def register(session: Session, now: dt.datetime, latest_code) -> Callable[..., Registered]:
    """Run Create Account end to end for a roster row (which must already be on the roster)."""

    def run(
        row: roster.RosterRow = RENEE,
        username: str = "renee.oneil",
        password: str = STRONG_PASSWORD,
        at: dt.datetime | None = None,
    ) -> Registered:
        moment = at or now
        pending_id = registration.start(
            session, **personal_details(row), client_key="198.51.100.7", now=moment, today=clock.local_date(moment)
        )
        registration.choose_credentials(
            session, pending_id=pending_id, username=username, password=password, now=moment
        )
        user_id, token = registration.verify(
            session, pending_id=pending_id, code=latest_code(), ip="198.51.100.7", now=moment
        )
        return Registered(user_id, token, username, password, row)

    return run


@pytest.fixture
def registered_user(member: Member, register: Callable[..., Registered], session: Session) -> Registered:
    account = register()
    assert session.get(User, account.user_id) is not None
    return account
