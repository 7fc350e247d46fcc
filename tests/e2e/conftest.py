"""Fixtures for the end-to-end tests; the machinery lives in `tests.e2e.harness` (importable by tests).

`harness` sets the test process's environment to the app's at import, so it is imported first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import secret_scan
from tests.e2e.harness import (
    APP_LOG,
    BASE_URL,
    KEEPER_PAGE,
    RECEIVED_FRAMES,
    make_member,
    make_user,
    note_typed_secrets,
    start_app,
)
from tests.support import server

# isort: split
# hcpay_app reads the environment the harness set when it is first imported: after the harness.
from hcpay_app import routes


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": server.CHROMIUM, "args": server.CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, app_server):
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}, "base_url": app_server}


@pytest.fixture(scope="session")
def device(browser, browser_context_args):
    """One browser context per worker, shared by the tests' pages, with a page of the app's origin
    kept open. Chromium starts a renderer process for a site that has no page open, and that cold
    start (the process, its compiled scripts, its fonts) cost ~1.4 s of CPU per test against ~0.6 s
    for a page opened beside a live one; Chromium was most of the suite's CPU. `context` below gives
    each test a clean device: no cookie, storage, permission or page of the test before it."""
    shared = browser.new_context(**browser_context_args)
    keeper = shared.new_page()
    keeper.goto(KEEPER_PAGE)
    storage = shared.new_cdp_session(keeper)
    yield shared, keeper, storage
    shared.close()


@pytest.fixture
def context(device):
    """The shared context, cleaned after each test as a new device would be (pytest-playwright's
    `page` fixture opens the test's page in it)."""
    shared, keeper, storage = device
    yield shared
    for page in shared.pages:
        if page is not keeper:
            page.close()
    shared.clear_cookies()
    shared.clear_permissions()
    # Local storage (the language chosen before log-in) and the rest; the HTTP cache stays, as on a
    # returning member's phone. Session storage belongs to a tab, and the tabs are closed.
    storage.send(
        "Storage.clearDataForOrigin",
        {"origin": BASE_URL, "storageTypes": "local_storage,indexeddb,service_workers,cache_storage,file_systems"},
    )


@pytest.fixture(scope="session")
def app_server():
    """Build and serve the app once for the whole run; stop it afterwards."""
    process = start_app()
    try:
        yield BASE_URL
    finally:
        server.stop(process)


@pytest.fixture(scope="session", autouse=True)
def no_secret_left_behind():
    """At the end of the run (of each xdist worker): nothing secret reached the database, the app's
    log, the emails or the browsers (tests/e2e/secret_scan.py). A leak fails the run at teardown."""
    yield
    if RECEIVED_FRAMES:  # pages were driven: there is something to scan
        hits = secret_scan.leaks(APP_LOG)
        assert hits == [], hits


@pytest.fixture(scope="session")
def app_log(app_server) -> Path:
    return APP_LOG


@pytest.fixture
def new_member():
    """A fresh roster member with no portal account; returns the identity a person would type."""
    return make_member()


@pytest.fixture
def another_member():
    """A second, unrelated roster member."""
    return make_member()


@pytest.fixture
def new_user(new_member):
    """A member who already has a verified account (created through the service, not the browser)."""
    return make_user(new_member)


@pytest.fixture(autouse=True)
def no_script_errors(request):
    """Fail a journey whose page throws, or whose script the Content Security Policy blocks (Reflex
    runs scripts sent from the server through eval, which the CSP forbids: they must be compiled in)."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.expose_function("__hcpayCspViolation", lambda what: errors.append(f"CSP blocked: {what}"))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => "
        "window.__hcpayCspViolation(e.violatedDirective + ' ' + e.blockedURI))"
    )
    yield
    assert errors == [], errors


@pytest.fixture(autouse=True)
def record_frames(request):
    """Keep every frame the server sends to the page, and every secret typed into it, for the scan."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")

    def keep(payload) -> None:
        # The development mailbox shows the outbox, codes and links included, by design — and
        # only outside production (tests/state/test_account_states.py): not part of the scan.
        if routes.DEV_MAILBOX not in page.url:
            RECEIVED_FRAMES.append(str(payload))

    def watch(websocket) -> None:
        websocket.on("framereceived", keep)
        websocket.on("framesent", lambda payload: note_typed_secrets(str(payload)))

    page.on("websocket", watch)
    yield
