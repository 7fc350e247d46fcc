"""State-handler harness: real Reflex state trees on a throwaway, migrated SQLite database.

(conftest.py re-exports the fixtures; tests import the helpers from here.)

Every test gets its own copy of a database that was migrated and seeded once per run (two members
with portal accounts and one roster member without), its own settings, and "browsers": a root
`rx.State` built the way Reflex's own unit tests build one (`_reflex_internal_init=True`, which
instantiates every substate), with router data — client IP, URL, query — set exactly as Reflex's
event processor sets it (`_update_router_vars`). Because the whole tree is in memory,
`self.get_state(SessionState)` between sibling states works as it does in the running app.

Handlers are driven through `fire`, which hands the payload to the handler the way Reflex does
(`_prepare_event_payload`), runs it to completion (coroutine, async generator or plain function),
and records every event it yields or returns plus a snapshot of everything the browser would have
received (the full public state and each delta) at every yield.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import importlib
import inspect
import os
import pkgutil
import re
import shutil
import tempfile
import urllib.parse
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

# Settings are read from the environment when hcpay_app is first imported (SessionState's cookie
# reads `get_settings()` at class creation), so this must run before any hcpay_app import.
_TMP = Path(tempfile.mkdtemp(prefix="hcpay-state-tests-"))
TEST_ENV = {
    "HCPAY_ENV": "test",
    "REFLEX_BACKEND_HOST": "127.0.0.1",  # as `reflex run --backend-host 127.0.0.1` sets it
    "HCPAY_BCRYPT_COST": "4",
    "HCPAY_SECRETS_FILE": str(_TMP / "secrets.json"),
    "DATABASE_URL": f"sqlite:///{_TMP / 'bootstrap.db'}",
    "HCPAY_BASE_URL": "http://localhost:3000",
    "HCPAY_TIME_ZONE": "America/New_York",
    # The policy numbers the tests rely on, pinned so another conftest's environment can't move them.
    "HCPAY_LOCKOUT_THRESHOLD": "5",
    "HCPAY_SESSION_IDLE": str(15 * 60),
    "HCPAY_SESSION_ABSOLUTE": str(12 * 3600),
    "HCPAY_OTP_TTL": str(10 * 60),
    "HCPAY_OTP_MAX_TRIES": "5",
    "HCPAY_OTP_RESEND_COOLDOWN": "60",
    "HCPAY_OTP_MAX_SENDS": "5",
    "HCPAY_RESET_TTL": str(30 * 60),
    "HCPAY_REGISTRATION_ATTEMPTS_PER_HOUR": "10",
    "HCPAY_RECOVERY_REQUESTS_PER_HOUR": "5",
    "HCPAY_MIN_SUBSCRIBER_AGE": "18",
}
# Variables that would change behaviour if inherited from the developer's shell.
CLEARED_ENV = ("SMTP_HOST", "HCPAY_SSN_KEY", "HCPAY_INDEX_KEY", "HCPAY_CODE_KEY")
os.environ.update(TEST_ENV)
for _name in CLEARED_ENV:
    os.environ.pop(_name, None)

import reflex as rx  # noqa: E402
from alembic.autogenerate import compare_metadata  # noqa: E402
from alembic.migration import MigrationContext  # noqa: E402
from reflex_base import constants  # noqa: E402
from reflex_base.utils import format as rx_format  # noqa: E402
from sqlmodel import SQLModel, select  # noqa: E402

# Import every state module so the root state's tree is the app's whole tree.
import hcpay_app.state  # noqa: E402
from hcpay_app import clock, migrations  # noqa: E402
from hcpay_app.config import get_settings  # noqa: E402
from hcpay_app.db import engine_for, session_scope  # noqa: E402
from hcpay_app.models import OutboundEmail, User  # noqa: E402
from hcpay_app.services.accounts import address_attempts, authn, registration  # noqa: E402
from hcpay_app.services.jobs import roster  # noqa: E402
from hcpay_app.state.login import LoginState  # noqa: E402
from hcpay_app.state.session import SessionState  # noqa: E402

for _module in pkgutil.iter_modules(hcpay_app.state.__path__):
    importlib.import_module(f"hcpay_app.state.{_module.name}")

try:  # how Reflex turns a browser payload into handler arguments
    from reflex_base.event.processor.base_state_processor import _prepare_event_payload
except ImportError:  # pragma: no cover - keep working if Reflex moves it

    def _prepare_event_payload(handler, payload):  # type: ignore[no-redef]
        return dict(payload)


get_settings.cache_clear()

PASSWORD = "Copper-Meadow-Violin-73"
ORIGIN = "http://localhost:3000"
DEFAULT_IP = "198.51.100.23"


# --------------------------------------------------------------------------------------------
# Seed data
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Person:
    """A roster member as they would type themselves into the portal."""

    first_name: str
    last_name: str
    date_of_birth: dt.date
    ssn: str  # as typed, 123-45-6789
    email: str
    member_number: str
    account_number: str
    plan_name: str
    premium_cents: int
    username: str = ""
    password: str = ""

    @property
    def ssn_digits(self) -> str:
        return self.ssn.replace("-", "")

    def identity_form(self, **overrides: Any) -> dict[str, Any]:
        """The Create Account step-1 form, as the browser submits it."""
        form = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "date_of_birth": self.date_of_birth.isoformat(),
            "ssn": self.ssn,
            "email": self.email,
        }
        return {**form, **overrides}


ALICE = Person(
    "Alice",
    "Whitfield",
    dt.date(1984, 5, 17),
    "401-22-5839",
    "alice.whitfield@example.com",
    "910000000001",
    "810000001",
    "Silver Select PPO",
    45000,
    "alice.w",
    PASSWORD,
)
BOB = Person(
    "Bob",
    "Okonkwo",
    dt.date(1979, 11, 2),
    "402-33-6941",
    "bob.okonkwo@example.com",
    "910000000002",
    "810000002",
    "Gold Access HMO",
    61500,
    "bob.o",
    "Quartz-Harbor-Tulip-58",
)
# On the roster, no portal account yet: the Create Account journey uses her.
CAROL = Person(
    "Carol",
    "D'Souza",
    dt.date(1990, 2, 28),
    "403-44-7052",
    "carol.dsouza@example.com",
    "910000000003",
    "810000003",
    "ConnectorCare Plan 2A",
    8900,
)


def _roster_row(line: int, p: Person) -> roster.RosterRow:
    return roster.RosterRow(
        line,
        p.member_number,
        p.first_name,
        p.last_name,
        p.date_of_birth,
        p.ssn_digits,
        p.email,
        "02110",
        p.account_number,
        p.plan_name,
        p.premium_cents,
        p.plan_name.startswith("ConnectorCare"),
        dt.date(2026, 1, 1),
    )


def _register_through_services(p: Person) -> None:
    now = clock.utcnow()
    with session_scope() as s:
        pending = registration.start(
            s,
            first_name=p.first_name,
            last_name=p.last_name,
            date_of_birth=p.date_of_birth.isoformat(),
            ssn=p.ssn,
            email=p.email,
            client_key="seed",
            now=now,
            today=clock.today(),
        )
        registration.choose_credentials(s, pending_id=pending, username=p.username, password=p.password, now=now)
        registration.verify(s, pending_id=pending, code=latest_code(p.email), ip="seed", now=now)


# --------------------------------------------------------------------------------------------
# Database helpers (usable from tests)
# --------------------------------------------------------------------------------------------


def latest_email(to: str, kind: str) -> OutboundEmail | None:
    with session_scope() as s:
        query = (
            select(OutboundEmail)
            .where(OutboundEmail.to_address == to, OutboundEmail.kind == kind)
            .order_by(OutboundEmail.id.desc())
        )
        return s.exec(query).first()


def emails(to: str, kind: str | None = None) -> list[OutboundEmail]:
    with session_scope() as s:
        query = select(OutboundEmail).where(OutboundEmail.to_address == to)
        if kind:
            query = query.where(OutboundEmail.kind == kind)
        return list(s.exec(query.order_by(OutboundEmail.id)).all())


def latest_code(to: str) -> str:
    message = latest_email(to, "verification_code")
    assert message is not None, f"no verification code sent to {to}"
    return re.search(r"verification code is (\d{6})", message.body).group(1)


def latest_reset_token(to: str) -> str:
    message = latest_email(to, "password_reset")
    assert message is not None, f"no reset link sent to {to}"
    link = re.search(r"(https?://\S+/reset-password\?\S+)", message.body).group(1)
    return urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["token"][0]


def resolve(token: str) -> authn.SessionUser | None:
    with session_scope() as s:
        return authn.resolve(s, token, now=clock.utcnow())


def service_login(p: Person, password: str | None = None) -> str:
    """A fresh session token for `p` (as if they logged in on another device)."""
    with session_scope() as s:
        return authn.login(
            s, username=p.username, password=password or p.password, ip="other-device", now=clock.utcnow()
        )[1]


def password_hash(username: str) -> str:
    with session_scope() as s:
        return s.exec(select(User.password_hash).where(User.username_key == username.casefold())).one()


def user_by_username(username: str) -> User | None:
    with session_scope() as s:
        return s.exec(select(User).where(User.username_key == username.casefold())).first()


def password_works(p: Person, password: str) -> bool:
    from hcpay_app.services.adapters import passwords

    return passwords.verify_password(password, password_hash(p.username))


# --------------------------------------------------------------------------------------------
# Fixtures: environment and database
# --------------------------------------------------------------------------------------------


def _apply_env(mp: pytest.MonkeyPatch, database_url: str) -> None:
    """Only our settings: nothing the shell or a sibling suite left behind leaks in."""
    for name in list(os.environ):
        if name.startswith(("HCPAY_", "SMTP_")) or name in CLEARED_ENV:
            mp.delenv(name)
    for name, value in TEST_ENV.items():
        mp.setenv(name, value)
    mp.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()


def _migrate(path: Path) -> None:
    """Bring a new database to the newest schema with the app's own migrations.

    While a change to models.py is waiting for its migration (others work on the models at the same
    time), the migrated schema lacks tables or columns the services query; the state tests then
    build the schema from the models instead, with a warning, rather than failing for a reason
    that has nothing to do with the state layer. The migration tests in tests/unit guard the gap.
    """
    url = f"sqlite:///{path}"
    migrations.upgrade(url)
    with engine_for(url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    missing = [op for op in diff if isinstance(op, tuple) and op[0] in ("add_table", "add_column")]
    if missing:
        names = sorted({op[1].name if op[0] == "add_table" else f"{op[2]}.{op[3].name}" for op in missing})
        warnings.warn(f"migrations lag models.py ({', '.join(names)}): state tests use create_all", stacklevel=1)
        _close(url)
        path.unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        SQLModel.metadata.create_all(engine_for(url))


def _close(url: str) -> None:
    """Close the engine's pooled connections (the last to close checkpoints the WAL into the file);
    the engine, and the statements it compiled, stay for the next test."""
    engine_for(url).dispose()


# Every test of a process works on this one file, a fresh copy each time: the same URL keeps the
# same engine, whose cache of compiled statements then serves the whole run (with a file, so an
# engine, per test, every test compiled its SQL anew).
DB_FILE = _TMP / "hcpay.db"


def _replace_database_file(source: Path, path: Path) -> None:
    """`path` becomes a copy of `source`, with no WAL of the file it replaces left beside it (a new
    file, so a connection still open on the old one can't see or touch it)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, path)


T = TypeVar("T")
_SEEDED: dict[str, tuple[Any, Path]] = {}


def seeded_once(name: str, db: str, tmp_path_factory: pytest.TempPathFactory, seed: Callable[[], T]) -> T:
    """`seed()` on this test's database (the `db` fixture's URL), run once per run and process: the
    first test keeps a copy of the seeded file; every later one gets that copy in place of its own
    database, and a copy of what `seed` returned. Test modules wrap it in a fixture of their own."""
    path = Path(db.removeprefix("sqlite:///"))
    if name not in _SEEDED:
        seeded = seed()
        _close(db)  # checkpoints the WAL into the file, so a plain copy is complete
        kept = tmp_path_factory.mktemp(f"seeded-{name}") / "hcpay.db"
        shutil.copyfile(path, kept)
        _SEEDED[name] = (seeded, kept)
        return seeded
    _close(db)
    seeded, kept = _SEEDED[name]
    _replace_database_file(kept, path)
    return copy.deepcopy(seeded)  # a test that changes what it was given changes only its own


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Migrate and seed one database per run; every test works on a copy of it."""
    path = tmp_path_factory.mktemp("template") / "hcpay.db"
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as mp:
        _apply_env(mp, url)
        _migrate(path)
        with session_scope() as s:
            report = roster.ImportReport()
            roster.apply_rows(
                s,
                [_roster_row(i, p) for i, p in enumerate((ALICE, BOB, CAROL), 1)],
                report,
                clock.utcnow(),
                bill=False,  # each test writes the bills it needs (billing_seed); none depend on today
            )
            assert not report.errors, report.errors
        _register_through_services(ALICE)
        _register_through_services(BOB)
        _close(url)  # checkpoints the WAL into the file, so a plain copy is complete
    get_settings.cache_clear()
    yield path
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture(autouse=True)
def db(template_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private copy of the seeded database, with the settings pointing at it."""
    _replace_database_file(template_db, DB_FILE)
    url = f"sqlite:///{DB_FILE}"
    _apply_env(monkeypatch, url)
    clock.reset()
    address_attempts.forget_all()  # each test's tabs start with no log-in attempts remembered
    yield url
    clock.reset()
    _close(url)
    get_settings.cache_clear()


# --------------------------------------------------------------------------------------------
# Browsers: a root state per browser tab, with router data we control
# --------------------------------------------------------------------------------------------


def router_data(url: str, ip: str, client_token: str, sid: str) -> dict[str, Any]:
    parts = urllib.parse.urlsplit(url)
    path = parts.path or "/"
    as_path = path + (f"?{parts.query}" if parts.query else "")
    query = {k: v[0] if len(v) == 1 else v for k, v in urllib.parse.parse_qs(parts.query).items()}
    return {
        constants.RouteVar.CLIENT_TOKEN: client_token,
        constants.RouteVar.SESSION_ID: sid,
        constants.RouteVar.CLIENT_IP: ip,
        constants.RouteVar.PATH: path,
        constants.RouteVar.ORIGIN: as_path,
        constants.RouteVar.QUERY: query,
        constants.RouteVar.HEADERS: {"origin": ORIGIN, "user-agent": "pytest"},
    }


_ROUTER_VARS = (*constants.ROUTER_VARS, constants.ROUTER_DATA)


def without_router(tree: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A state dict or delta without the router vars (the browser's own URL, IP and tokens)."""
    marker = constants.state.FIELD_MARKER
    return {
        name: {k: v for k, v in fields.items() if not k.removesuffix(marker).startswith(_ROUTER_VARS)}
        for name, fields in tree.items()
    }


class Browser:
    """One browser tab: the whole state tree for one client token."""

    def __init__(self, url: str = "/", ip: str = DEFAULT_IP):
        self.root = rx.State(_reflex_internal_init=True)
        self.ip = ip
        self.client_token = str(uuid.uuid4())
        self.sid = uuid.uuid4().hex
        self.navigate(url)

    def navigate(self, url: str) -> Browser:
        """Move to another page, as Reflex does when the next event carries new router data."""
        new = router_data(url, self.ip, self.client_token, self.sid)
        previous = self.root.router_data
        self.root.router_data = self.root._update_router_vars(new, previous)
        return self

    def state(self, cls: type[rx.State]) -> Any:
        return self.root.get_substate(cls._get_substate_path())

    def public(self) -> str:
        """Everything about this tab that Reflex would send to the browser, serialized.

        The router vars are left out: they only echo what the browser itself sent (URL, IP).
        """
        return rx_format.json_dumps(without_router(self.root.dict()))

    def public_of(self, cls: type[rx.State]) -> dict[str, Any]:
        """One state's public vars by plain name (field markers stripped)."""
        raw = self.state(cls).dict()[cls.get_full_name()]
        return {key.removesuffix(constants.state.FIELD_MARKER): value for key, value in raw.items()}

    def cookie(self) -> str:
        return self.state(SessionState).auth_token

    def set_cookie(self, token: str) -> None:
        self.state(SessionState).auth_token = token


@dataclasses.dataclass
class Outcome:
    """What a handler did: the events it yielded/returned and what the browser saw meanwhile."""

    events: list[Any]
    yields: int
    frames: list[str]  # serialized delta sent at each yield and at the end
    busy: list[bool]  # the state's `processing` var at each yield, where it has one

    @property
    def redirects(self) -> list[str]:
        return [redirect_path(e) for e in self.events if is_redirect(e)]

    @property
    def seen(self) -> str:
        return "\n".join(self.frames)


def is_redirect(event: Any) -> bool:
    return isinstance(event, rx.event.EventSpec) and event.handler.fn.__qualname__ == "_redirect"


def redirect_path(event: Any) -> str:
    for name, value in event.args:
        if str(name) == "path":
            return value._var_value
    raise AssertionError(f"redirect without a path: {event}")


def event_names(outcome: Outcome) -> list[str]:
    return [e.handler.fn.__qualname__ for e in outcome.events if isinstance(e, rx.event.EventSpec)]


async def fire(browser: Browser, cls: type[rx.State], name: str, /, **payload: Any) -> Outcome:
    """Run `cls.name` for this browser with a payload as the frontend would send it."""
    state = browser.state(cls)
    handler = cls.event_handlers[name]
    kwargs = _prepare_event_payload(handler, payload)
    events: list[Any] = []
    frames: list[str] = []
    busy: list[bool] = []
    yields = 0

    async def flush() -> None:
        delta = await browser.root._get_resolved_delta()
        frames.append(rx_format.json_dumps(without_router(delta)))
        browser.root._clean()

    result = handler.fn(state, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    if inspect.isasyncgen(result):
        async for item in result:
            yields += 1
            if "processing" in type(state).base_vars:
                busy.append(state.processing)
            if item is not None:
                events.extend(item if isinstance(item, list | tuple) else [item])
            await flush()
    elif inspect.isgenerator(result):
        for item in result:
            yields += 1
            if item is not None:
                events.extend(item if isinstance(item, list | tuple) else [item])
            await flush()
    elif result is not None:
        events.extend(result if isinstance(result, list | tuple) else [result])
    await flush()
    return Outcome(events, yields, frames, busy)


@pytest.fixture
def browser() -> Browser:
    """A fresh tab on the log-in page."""
    return Browser("/")


@pytest.fixture
def make_browser():
    return Browser


async def logged_in_browser(p: Person, url: str = "/dashboard", ip: str = DEFAULT_IP) -> Browser:
    """A tab where `p` has logged in through the log-in form."""
    tab = Browser("/", ip=ip)
    out = await fire(tab, LoginState, "login", form_data={"username": p.username, "password": p.password})
    assert out.redirects == ["/dashboard"], out
    return tab.navigate(url)
