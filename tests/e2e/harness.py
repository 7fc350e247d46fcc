"""End-to-end harness: the real app (production build, one port, loopback) on a throwaway
database, driven by Playwright on Debian's Chromium at a phone-sized viewport.

With HCPAY_TEST_DATABASE=postgresql the app runs in its scale-out mode instead: a throwaway
PostgreSQL cluster and Redis server on loopback, and two backend workers sharing state through Redis
(run the `core` subset: `pytest tests/e2e -m core`).

(conftest.py holds the fixtures; tests import the helpers from here.) Importing this module sets the
test process's environment to the app's, so it must come before any hcpay_app import: conftest.py
imports it first.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support import calendar_sweep, server, services

TMP = Path(tempfile.mkdtemp(prefix="hcpay-e2e-"))
APP_LOG = TMP / "app.log"

PORT = int(os.environ.get("HCPAY_E2E_PORT") or server.free_port())
# Under pytest-xdist each worker serves its own app (port, database, log). The first worker builds
# in the project's `.web` (installing the frontend's packages on a fresh clone); the others wait
# until it serves, then build from a copy of it in their own directory (see `web_workdir`).
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
FIRST_WORKER = WORKER in ("", "gw0")
WEB_READY = Path(tempfile.gettempdir()) / f"hcpay-e2e-web-{os.environ.get('PYTEST_XDIST_TESTRUNUID', 'solo')}.ready"
# The app and this test process share one clock, started at a chosen moment: the Friday before a
# 1st, mid-afternoon in Boston, so a bank debit settles in the next month and a run of the daily job
# on its settle date issues the next bills. `HCPAY_E2E_CLOCK_START=system` leaves the clock alone
# (the calendar sweep moves the whole process tree with libfaketime instead).
CLOCK_START = os.environ.get("HCPAY_E2E_CLOCK_START") or calendar_sweep.DATES[calendar_sweep.CI_DATE]
BASE_URL = f"http://127.0.0.1:{PORT}"
APP_ENV = {
    "HCPAY_ENV": "test",
    "DATABASE_URL": f"sqlite:///{TMP / 'e2e.db'}",
    "HCPAY_SECRETS_FILE": str(TMP / "secrets.json"),
    "HCPAY_BASE_URL": BASE_URL,
    "HCPAY_CORS_ORIGINS": BASE_URL,
    "HCPAY_REGISTRATION_ATTEMPTS_PER_HOUR": "1000",
    "HCPAY_RECOVERY_REQUESTS_PER_HOUR": "1000",
    # Every browser of the run is one client (127.0.0.1): the per-address log-in rate is for real
    # clients (tests/e2e/test_reverse_proxy.py proves it per client behind a proxy).
    "HCPAY_LOGINS_PER_ADDRESS_PER_MINUTE": "1000",
    "HCPAY_OTP_RESEND_COOLDOWN": "1",
    # bcrypt's cost is a number, not a behaviour: the unit suite proves 12 is the default; here the
    # app would spend a second of a shared core per log-in and sign-up for nothing.
    "HCPAY_BCRYPT_COST": "4",
    "REFLEX_BACKEND_HOST": "127.0.0.1",  # what `--backend-host 127.0.0.1` sets, for every process
    # The en-XA pseudo-locale's pages (/xa/…): tests/e2e/test_pseudo_locale.py walks them.
    "HCPAY_PSEUDO_LOCALE": "1",
}
# One frontend build a `make test`: the first worker builds it; any other worker, and the PostgreSQL
# stage after the journeys (HCPAY_E2E_REUSE_BUILD=1, set by `make test` only, where the source can't
# have changed in between), serves a copy of that build pointed at its own port.
REUSE_BUILD = os.environ.get("HCPAY_E2E_REUSE_BUILD") == "1" and (server.ROOT / ".web" / "build" / "client").is_dir()
BUILDS = FIRST_WORKER and not REUSE_BUILD
if not BUILDS:
    APP_ENV.update(REFLEX_WEB_WORKDIR=str(TMP / "web"), REFLEX_STATES_WORKDIR=str(TMP / "states"))
if CLOCK_START != "system":
    APP_ENV.update(HCPAY_CLOCK_START=CLOCK_START, HCPAY_CLOCK_ANCHOR=f"{time.time():.6f}")
ON_POSTGRES = os.environ.get("HCPAY_TEST_DATABASE", "sqlite") == "postgresql"
if ON_POSTGRES:
    # Started before anything reads settings; stopped when the test process exits, after the app.
    _backing = contextlib.ExitStack()
    atexit.register(_backing.close)
    _admin_url = _backing.enter_context(services.postgres())
    APP_ENV.update(
        DATABASE_URL=services.create_database(_admin_url, "hcpay_e2e"),
        REDIS_URL=_backing.enter_context(services.redis()),
        GRANIAN_WORKERS="2",
    )
# The test process shares the app's database and keys: it seeds members and reads the outbox.
os.environ.update(APP_ENV)

from sqlmodel import select  # noqa: E402

from hcpay_app import clock, migrations  # noqa: E402
from hcpay_app.config import SESSION_COOKIE, get_settings  # noqa: E402
from hcpay_app.db import session_scope  # noqa: E402
from hcpay_app.models import OutboundEmail  # noqa: E402
from hcpay_app.services.accounts import authn, registration  # noqa: E402
from hcpay_app.services.jobs import charge_queue, roster  # noqa: E402
from hcpay_app.services.support import console  # noqa: E402
from tests.support import second_factor  # noqa: E402

get_settings.cache_clear()
# The daily job run by a test here may start queue workers on Redis: stopped before Redis is (atexit
# runs the last registered first).
atexit.register(charge_queue.reset)
PASSWORD = "Copper-Meadow-Violin-73"


_serial = itertools.count(1)

# What the whole run must never leak, gathered as it goes (scanned by test_zz_secret_scan.py):
# frames the server sent to every page, and the secrets members typed or were created with.
RECEIVED_FRAMES: list[str] = []
TYPED_SECRETS: dict[str, set[str]] = {
    "ssn": set(),
    "card": set(),
    "cvc": set(),
    "bank account": set(),
    "password": {PASSWORD},
    "code": set(),
    "session token": set(),
}
SECRET_FIELDS = {
    "ssn": "ssn",
    "card_number": "card",
    "cvc": "cvc",
    "account_number": "bank account",
    "confirm_account_number": "bank account",
    "password": "password",
    "confirm_password": "password",
    "new_password": "password",
    "current_password": "password",
    "code": "code",
}


def _ssn_for(n: int) -> str:
    return f"7{n // 10000 % 100:02d}{n % 100 + 1:02d}{1000 + n:04d}"[:9]


def catalogs_ready() -> None:
    """The compiled catalogs, en-XA included (what `make catalogs` does at install), before the
    first worker builds the app: the pages are compiled in every language from them."""
    if FIRST_WORKER:
        subprocess.run(["make", "-s", "--no-print-directory", "catalogs"], cwd=server.ROOT, check=True)


def web_workdir_ready(timeout: float = 900) -> bool:
    """Before this worker's app starts: the building worker goes ahead (False); any other waits
    until the first serves, copies its built `.web` and points it at this worker's port (True: serve
    it as built)."""
    if BUILDS:
        return False
    deadline = time.monotonic() + timeout
    while not REUSE_BUILD and not WEB_READY.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the first e2e worker's app never started")
        time.sleep(1)
    shutil.copytree(server.ROOT / ".web", TMP / "web", symlinks=True)
    server.point_build_at(TMP / "web", PORT)
    return True


def web_workdir_built() -> None:
    """The first worker's app serves: the others may copy its `.web` now."""
    if BUILDS and WORKER:
        WEB_READY.touch()


# The page the suite's shared browser context keeps open (conftest.py's `device`): any document of
# the app's site keeps Chromium's renderer for it alive; this one is static.
KEEPER_PAGE = "/favicon.ico"


def start_app() -> subprocess.Popen:
    """This worker's app, started as the suite serves it: on a migrated database, with compiled
    catalogs, from its own build or a copy of the first worker's; returns once it serves."""
    migrations.upgrade()
    catalogs_ready()
    process = server.start(PORT, APP_ENV, APP_LOG, prebuilt=web_workdir_ready())
    web_workdir_built()
    return process


def make_member(coverage_start: dt.date = dt.date(2026, 1, 1), *, bill: bool = False) -> dict:
    """Put a fresh member on the roster (no portal account); returns the identity a person would type.
    With `bill`, their bills are issued at import, as `import-roster` does for a new member; without
    it the test writes the member's billing history itself (`tests.support.bills`)."""
    n = next(_serial) + os.getpid() % 1000 * 100
    TYPED_SECRETS["ssn"].add(_ssn_for(n))
    identity = {
        "first_name": "Ana-Lucía",
        "last_name": f"O'Neill{chr(97 + n % 26)}",
        "date_of_birth": dt.date(1985, 4, 1 + n % 27),
        "ssn": _ssn_for(n),
        "email": f"member{n}@example.com",
        "member_number": f"9{n:011d}",
        "account_number": f"8{n:08d}",
    }
    row = roster.RosterRow(
        n,
        identity["member_number"],
        identity["first_name"],
        identity["last_name"],
        identity["date_of_birth"],
        identity["ssn"],
        identity["email"],
        "02110",
        identity["account_number"],
        "Silver Select PPO",
        45000,
        False,
        coverage_start,
    )
    with session_scope() as session:
        report = roster.ImportReport()
        roster.apply_rows(session, [row], report, clock.utcnow(), bill=bill)
        assert not report.errors, report.errors
    return identity


def make_user(member: dict) -> dict:
    """Give `member` a verified portal account through the service, as sign-up would."""
    username = f"user{member['member_number']}"  # member numbers are unique: so are these
    now = clock.utcnow()
    with session_scope() as session:
        pending = registration.start(
            session,
            first_name=member["first_name"],
            last_name=member["last_name"],
            date_of_birth=member["date_of_birth"].isoformat(),
            ssn=member["ssn"],
            email=member["email"],
            client_key="fixture",
            now=now,
            today=clock.today(),
        )
        registration.choose_credentials(session, pending_id=pending, username=username, password=PASSWORD, now=now)
        code = latest_code(member["email"])
        registration.verify(session, pending_id=pending, code=code, ip="fixture", now=now)
    return {**member, "username": username, "password": PASSWORD}


def latest_email(to: str, kind: str) -> OutboundEmail:
    """The newest email of `kind` in the outbox to `to` (fails if there is none)."""
    with session_scope() as session:
        query = (
            select(OutboundEmail)
            .where(OutboundEmail.to_address == to, OutboundEmail.kind == kind)
            .order_by(OutboundEmail.id.desc())
        )
        message = session.exec(query).first()
    assert message is not None, f"no {kind} email to {to}"
    return message


def latest_code(to: str) -> str:
    return re.search(r"verification code is (\d{6})", latest_email(to, "verification_code").body).group(1)


def session_is_live(token: str) -> bool:
    with session_scope() as session:
        return authn.resolve(session, token, now=clock.utcnow()) is not None


def give_session(page, user) -> None:
    """A session made by the log-in service, handed to the browser as its cookie."""
    with session_scope() as session:
        _user_id, token = authn.login(
            session, username=user["username"], password=user["password"], ip="127.0.0.1", now=clock.utcnow()
        )
    TYPED_SECRETS["session token"].add(token)
    page.context.add_cookies(
        [{"name": SESSION_COOKIE, "value": token, "url": BASE_URL, "sameSite": "Strict", "httpOnly": False}]
    )


def log_in_as(page, user) -> None:
    """Open the dashboard already logged in: the session is made by the log-in service and handed
    to the browser as its cookie, as Playwright's guides reuse a logged-in state. The log-in form
    itself is walked by tests/e2e/test_accounts.py; journeys that start after it skip the typing
    and the bcrypt wait."""
    give_session(page, user)
    page.goto("/dashboard")
    page.wait_for_url(re.compile(r"/dashboard/?$"))
    page.get_by_role("button", name="Log out").wait_for()


STAFF_PASSWORD = "Lantern-Quartz-Meadow-94"


def make_staff(prefix: str = "agent") -> dict:
    """A support login with its second factor enrolled (as `create-staff` and the enrolment link do)."""
    name = f"{prefix}{next(_serial)}{clock.utcnow():%H%M%S%f}"[:30]
    with session_scope() as session:
        staff_id = console.create_staff(
            session, username=name, email=f"{name}@hcpay.example", password=STAFF_PASSWORD, now=clock.utcnow()
        )
        second_factor.enrol(session, staff_id, now=clock.utcnow())
    return {"username": name, "password": STAFF_PASSWORD, "id": staff_id}


def staff_log_in(page, staff) -> None:
    """Log in on the landing page with the password, then the authenticator code."""
    page.goto("/")
    page.get_by_label("Username").fill(staff["username"])
    page.get_by_label("Password").fill(staff["password"])
    page.get_by_role("button", name="Log in").click()
    with session_scope() as session:
        code = second_factor.next_code(session, staff["id"], now=clock.utcnow())
    page.get_by_label("Authenticator code").fill(code)
    page.get_by_role("button", name="Verify code").click()
    page.wait_for_url("**/console")


def note_typed_secrets(payload: str) -> None:
    """Pick the sensitive fields out of an event the browser sent (socket.io text frame `42/_event,[…]`)."""
    start = payload.find("[")
    if start < 0 or "form_data" not in payload:
        return
    try:
        message = json.loads(payload[start:])
    except ValueError:
        return
    form = ((message[1] if len(message) > 1 and isinstance(message[1], dict) else {}).get("payload") or {}).get(
        "form_data"
    )
    if isinstance(form, dict) and isinstance(form.get("__reflex_form_data__"), list):
        form = {pair[0]: pair[1] for pair in form["__reflex_form_data__"] if isinstance(pair, list) and len(pair) == 2}
    if isinstance(form, dict):
        for field, kind in SECRET_FIELDS.items():
            if kind == "bank account" and "routing_number" not in form:
                continue  # the guest form's "account_number" is the (not secret) billing account
            value = form.get(field)
            if kind == "code" and not (isinstance(value, str) and re.fullmatch(r"[0-9]{6}", value.strip())):
                continue  # only a whole code is a secret ("12", typed to see an error, is not)
            if isinstance(value, str) and value.strip():
                TYPED_SECRETS[kind].add(value.strip())
