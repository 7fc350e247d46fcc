"""Benchmarks of what a phone downloads and how the pages score, next to a blank Reflex app built
and served in the same run:

- page weight: gzipped JS of the production build (goal ≤ 1.3× the blank app), and the cold load of
  the log-in page at 390×844 (p50 of fresh browser contexts);
- Lighthouse (npm `lighthouse`, installed at bench time into ~/.cache/hcpay-bench, driving Debian's
  Chromium), mobile form factor, on the log-in page, dashboard, history and Make a Payment (logged
  in). Goal for every page: performance ≥ 0.90, accessibility 1.0, best practices 1.0.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from sqlmodel import select

from hcpay_app import clock, migrations
from hcpay_app.config import get_settings
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount
from tests.perf.bench_users import make_user
from tests.support import server
from tests.support.bills import issue_as_scheduled

LIGHTHOUSE_VERSION = "12.8.2"
LIGHTHOUSE_HOME = Path.home() / ".cache" / "hcpay-bench" / "lighthouse"
COLD_LOADS = 5
CATEGORIES = ("performance", "accessibility", "best-practices")
GOALS = {"performance": 0.90, "accessibility": 1.0, "best-practices": 1.0}
VENV_BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
    }


@pytest.fixture(scope="module")
def hcpay(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hcpay-app")
    port = server.free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "HCPAY_ENV": "test",
        "DATABASE_URL": f"sqlite:///{tmp / 'app.db'}",
        "HCPAY_SECRETS_FILE": str(tmp / "secrets.json"),
        "HCPAY_BASE_URL": base,
        "HCPAY_CORS_ORIGINS": base,
        "HCPAY_BCRYPT_COST": "4",
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    get_settings.cache_clear()
    migrations.upgrade()
    user = make_user(0)
    with session_scope() as session:
        for account in session.exec(select(BillingAccount)).all():
            issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        session.commit()
    process = server.start(port, env, tmp / "app.log")
    try:
        yield {"base": base, "user": user, "root": server.ROOT}
    finally:
        server.stop(process)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    """`reflex init --template blank`, as generated, built and served in production mode."""
    root = tmp_path_factory.mktemp("blank") / "blankapp"
    root.mkdir()
    subprocess.run(
        [str(VENV_BIN / "reflex"), "init", "--template", "blank", "--no-agents"],
        cwd=root,
        env=_env(),
        check=True,
        capture_output=True,
        timeout=300,
    )
    config = root / "rxconfig.py"
    config.write_text(
        config.read_text().replace('app_name="blankapp",', 'app_name="blankapp",\n    telemetry_enabled=False,')
    )
    port = server.free_port()
    process = server.start(port, {}, root / "app.log", cwd=root)
    try:
        yield {"base": f"http://127.0.0.1:{port}", "root": root}
    finally:
        server.stop(process)


def gzipped_js(root: Path) -> tuple[int, int]:
    """(raw, gzipped) bytes of every JS file of the production build."""
    raw = zipped = 0
    for path in (root / ".web" / "build" / "client").rglob("*.js"):
        data = path.read_bytes()
        raw += len(data)
        zipped += len(gzip.compress(data, compresslevel=9))
    return raw, zipped


def cold_loads(base: str) -> dict[str, float]:
    loads, paints = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=server.CHROMIUM, args=server.CHROMIUM_ARGS)
        for _ in range(COLD_LOADS):
            context = browser.new_context(viewport={"width": 390, "height": 844})
            page = context.new_page()
            page.goto(base + "/", wait_until="load")
            page.wait_for_timeout(300)
            loads.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
            paints.append(
                page.evaluate(
                    "(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: NaN}).startTime"
                )
            )
            context.close()
        browser.close()
    return {"load_p50_ms": round(statistics.median(loads), 1), "fcp_p50_ms": round(statistics.median(paints), 1)}


def test_page_weight_and_cold_load(hcpay, blank, record):
    ours, theirs = gzipped_js(hcpay["root"]), gzipped_js(blank["root"])
    ratio = ours[1] / theirs[1]
    record(
        "page_weight",
        {
            "goal": "gzipped JS <= 1.3x a blank Reflex app built in the same run",
            "hcpay_js_kb": round(ours[0] / 1024, 1),
            "hcpay_js_gzip_kb": round(ours[1] / 1024, 1),
            "blank_js_kb": round(theirs[0] / 1024, 1),
            "blank_js_gzip_kb": round(theirs[1] / 1024, 1),
            "ratio": round(ratio, 2),
            "met": ratio <= 1.3,
        },
    )
    ours_load, blank_load = cold_loads(hcpay["base"]), cold_loads(blank["base"])
    record(
        "cold_load_login_page",
        {
            "goal": "cold load of the log-in page at 390x844, p50 of 5 fresh contexts (reported next to the blank app)",
            "hcpay": ours_load,
            "blank": blank_load,
        },
    )


def lighthouse_bin() -> Path:
    binary = LIGHTHOUSE_HOME / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        LIGHTHOUSE_HOME.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                str(VENV_BIN / "npm"),
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                f"lighthouse@{LIGHTHOUSE_VERSION}",
            ],
            cwd=LIGHTHOUSE_HOME,
            env=_env(),
            check=True,
            capture_output=True,
            timeout=600,
        )
    return binary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def audit(binary: Path, port: int, url: str) -> dict:
    """One Lighthouse run against the Chromium listening on `port` (keeping its cookies)."""
    out = Path(tempfile.mkdtemp(prefix="hcpay-lh-")) / "report.json"
    subprocess.run(
        [
            str(binary),
            url,
            f"--port={port}",
            "--disable-storage-reset",
            "--form-factor=mobile",
            "--screenEmulation.mobile",
            f"--only-categories={','.join(CATEGORIES)}",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
            "--max-wait-for-load=60000",
        ],
        env={**_env(), "CHROME_PATH": server.CHROMIUM},
        check=True,
        capture_output=True,
        timeout=300,
    )
    report = json.loads(out.read_text())
    shutil.rmtree(out.parent, ignore_errors=True)
    scores = {category: report["categories"][category]["score"] for category in CATEGORIES}
    failing = {}
    for category in CATEGORIES:
        if scores[category] is not None and scores[category] < GOALS[category]:
            failing[category] = sorted(
                ref["id"]
                for ref in report["categories"][category]["auditRefs"]
                if ref.get("weight", 0) > 0
                and (report["audits"][ref["id"]].get("score") is not None)
                and report["audits"][ref["id"]]["score"] < 0.9
            )
    return {"scores": scores, "below_goal_audits": failing}


@pytest.fixture(scope="module")
def debuggable_chromium():
    """Debian's Chromium with a debugging port: Playwright logs in through it, Lighthouse audits in it."""
    port = free_port()
    profile = Path(tempfile.mkdtemp(prefix="hcpay-lh-profile-"))
    process = subprocess.Popen(
        [
            server.CHROMIUM,
            "--headless=new",
            f"--remote-debugging-port={port}",
            f"--user-data-dir={profile}",
            *server.CHROMIUM_ARGS,
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(profile, ignore_errors=True)


def test_lighthouse_mobile(hcpay, blank, debuggable_chromium, record):
    binary = lighthouse_bin()
    port = debuggable_chromium
    results = {
        "blank Reflex app, /": audit(binary, port, blank["base"] + "/"),
        "log-in page /": audit(binary, port, hcpay["base"] + "/"),
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
        page = browser.contexts[0].new_page()
        page.goto(hcpay["base"] + "/")
        page.get_by_label("Username").fill(hcpay["user"]["username"])
        page.get_by_label("Password").fill(hcpay["user"]["password"])
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/dashboard")
        page.close()
        for path, name in (("/dashboard", "dashboard"), ("/history", "history"), ("/pay", "Make a Payment")):
            results[f"{name} {path}"] = audit(binary, port, hcpay["base"] + path)
        browser.close()
    met = all(
        r["scores"][c] is not None and r["scores"][c] >= GOALS[c]
        for name, r in results.items()
        if not name.startswith("blank")
        for c in CATEGORIES
    )
    record(
        "lighthouse_mobile",
        {
            "goal": "every page: performance >= 0.90, accessibility 1.0, best practices 1.0",
            "lighthouse": LIGHTHOUSE_VERSION,
            "pages": results,
            "met": met,
        },
    )
