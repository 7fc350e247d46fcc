"""Benchmarks of what a phone downloads and how the pages score, next to a blank Reflex app built
and served in the same run:

- page weight: gzipped JS of the production build (goal ≤ 1.3× the blank app), and the cold load of
  the log-in page at 390×844 (p50 of fresh browser contexts);
- Lighthouse (npm `lighthouse`, installed at bench time into ~/.cache/hcpay-bench, driving Debian's
  Chromium), mobile form factor, on the log-in page, dashboard, history and Make a Payment (logged
  in); the median of three runs a page. Goal for every page: performance ≥ 0.95, accessibility 1.0,
  best practices 1.0.

Lighthouse audits in a Chromium this module starts with a debugging port (Playwright logs in through
the same browser, so the logged-in pages keep its cookies). Were that browser not answering,
Lighthouse would try to launch its own and exit 1 with "Unable to connect to Chrome": so the browser
is checked before every run, and any tool that fails (npm, Lighthouse, `reflex init`) fails the
benchmark with its own stderr (tools.py). A run that fails for a busy machine's reasons (no first
paint, page hung, protocol timeout) is tried once more.
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
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from sqlmodel import select

from hcpay_app import clock, migrations
from hcpay_app.config import get_settings
from hcpay_app.db import session_scope
from hcpay_app.models import BillingAccount
from tests.perf.bench_users import make_user
from tests.perf.tools import ToolFailed, run_tool
from tests.support import server
from tests.support.bills import issue_as_scheduled

LIGHTHOUSE_VERSION = "12.8.2"
CLS_GOAL = 0.02
LIGHTHOUSE_HOME = Path.home() / ".cache" / "hcpay-bench" / "lighthouse"
COLD_LOADS = 5
LIGHTHOUSE_RUNS = int(os.environ.get("HCPAY_BENCH_LIGHTHOUSE_RUNS", "3"))  # per page; the median is kept
CATEGORIES = ("performance", "accessibility", "best-practices")
GOALS = {"performance": 0.95, "accessibility": 1.0, "best-practices": 1.0}
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
    run_tool(
        [VENV_BIN / "reflex", "init", "--template", "blank", "--no-agents"],
        "reflex init of the blank app",
        cwd=root,
        env=_env(),
        timeout=300,
    )
    config = root / "rxconfig.py"
    generated = config.read_text()
    assert 'app_name="blankapp",' in generated, generated  # telemetry must be switched off below
    config.write_text(generated.replace('app_name="blankapp",', 'app_name="blankapp",\n    telemetry_enabled=False,'))
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


# The log-in page in each language: each is compiled on its own, so each carries its words only.
LANGUAGE_PAGES = {"en": "/", "es": "/es", "pt": "/pt"}


def page_js_gzip(base: str, path: str) -> int:
    """Compressed bytes of JavaScript a phone downloads to open `path` cold (what it weighs)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=server.CHROMIUM, args=server.CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto(base + path, wait_until="networkidle")
        size = page.evaluate(
            "performance.getEntriesByType('resource').filter((e) => e.name.split('?')[0].endsWith('.js'))"
            ".reduce((sum, e) => sum + e.encodedBodySize, 0)"
        )
        context.close()
        browser.close()
    return int(size)


def test_page_weight_and_cold_load(hcpay, blank, record):
    ours, theirs = gzipped_js(hcpay["root"]), gzipped_js(blank["root"])
    blank_page = page_js_gzip(blank["base"], "/")
    pages = {language: page_js_gzip(hcpay["base"], path) for language, path in LANGUAGE_PAGES.items()}
    ratio = max(pages.values()) / blank_page
    record(
        "page_weight",
        {
            "goal": "the JS a cold log-in page downloads (gzip), in every language, <= 1.3x a blank Reflex app's page",
            **{f"login_page_js_gzip_kb_{language}": round(size / 1024, 1) for language, size in pages.items()},
            "blank_page_js_gzip_kb": round(blank_page / 1024, 1),
            "ratio": round(ratio, 2),
            "met": ratio <= 1.3,
            # The whole build, every page in every language (a page downloads only its own).
            "hcpay_build_js_gzip_kb": round(ours[1] / 1024, 1),
            "blank_build_js_gzip_kb": round(theirs[1] / 1024, 1),
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
    """Lighthouse LIGHTHOUSE_VERSION from npm, installed once per machine into its own folder.

    Installed into a fresh folder and moved into place only once `lighthouse --version` answers,
    so an interrupted or failed install never leaves a half-installed Lighthouse for the next run."""
    home = LIGHTHOUSE_HOME / LIGHTHOUSE_VERSION
    binary = home / "node_modules" / ".bin" / "lighthouse"
    if binary.exists() and lighthouse_version(binary) == LIGHTHOUSE_VERSION:
        return binary
    LIGHTHOUSE_HOME.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"install-{LIGHTHOUSE_VERSION}-", dir=LIGHTHOUSE_HOME))
    try:
        (staging / "package.json").write_text(
            json.dumps({"private": True, "dependencies": {"lighthouse": LIGHTHOUSE_VERSION}})
        )
        run_tool(
            [VENV_BIN / "npm", "install", "--no-audit", "--no-fund", "--no-update-notifier", "--loglevel=warn"],
            f"npm install lighthouse@{LIGHTHOUSE_VERSION}",
            cwd=staging,
            env=_env(),
            timeout=600,
        )
        installed = lighthouse_version(staging / "node_modules" / ".bin" / "lighthouse")
        assert installed == LIGHTHOUSE_VERSION, f"npm installed lighthouse {installed!r}"
        shutil.rmtree(home, ignore_errors=True)
        staging.rename(home)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return binary


def lighthouse_version(binary: Path) -> str:
    try:
        return run_tool([binary, "--version"], "lighthouse --version", env=_env(), timeout=60).stdout.strip()
    except ToolFailed:
        return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Chromium:
    """Debian's Chromium with a debugging port: Playwright logs in through it, Lighthouse audits in
    it (keeping its cookies). Its output goes to a log, shown when it fails."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="hcpay-lh-chromium-"))
        self.log = self.root / "chromium.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [
                    server.CHROMIUM,
                    "--headless=new",
                    f"--remote-debugging-port={self.port}",
                    "--remote-debugging-address=127.0.0.1",
                    f"--user-data-dir={self.root / 'profile'}",
                    *server.CHROMIUM_ARGS,
                    "about:blank",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # A fresh machine's first Chromium builds its font cache first: give it time, then fail loudly.
        deadline = time.monotonic() + 120
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Chromium's debugging port never answered:\n{self.log_tail()}")
            time.sleep(0.2)

    def answers(self) -> bool:
        """Whether the DevTools endpoint answers (not just whether the port is open)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/version", timeout=5) as answer:
                return answer.status == 200 and "webSocketDebuggerUrl" in json.loads(answer.read())
        except (OSError, ValueError):
            return False

    def check(self) -> None:
        """Before each audit: Lighthouse, finding no browser on the port, would launch its own
        Chromium (without our cookies, and as root without --no-sandbox it can't start)."""
        if self.process.poll() is not None or not self.answers():
            raise RuntimeError(
                f"Chromium is gone (exit {self.process.poll()}) before a Lighthouse run:\n{self.log_tail()}"
            )

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


# Lighthouse's runtime errors that come from a busy machine rather than the page: worth one more try.
RETRIED = ("NO_FCP", "PAGE_HUNG", "PROTOCOL_TIMEOUT", "Debugger protocol timed out", "NO_NAVSTART", "NO_LCP")


def audit(binary: Path, chromium: Chromium, url: str, attempts: int = 2) -> dict:
    """One Lighthouse run against `chromium` (keeping its cookies). A run that fails for a busy
    machine's reasons is tried once more; any other failure fails the benchmark with Lighthouse's
    own stderr."""
    for attempt in range(1, attempts + 1):
        chromium.check()
        out = Path(tempfile.mkdtemp(prefix="hcpay-lh-")) / "report.json"
        try:
            run_tool(
                [
                    binary,
                    url,
                    f"--port={chromium.port}",
                    "--hostname=127.0.0.1",
                    "--disable-storage-reset",
                    "--form-factor=mobile",
                    "--screenEmulation.mobile",
                    f"--only-categories={','.join(CATEGORIES)}",
                    "--output=json",
                    f"--output-path={out}",
                    "--max-wait-for-load=60000",
                ],
                f"lighthouse {url} (attempt {attempt} of {attempts})",
                env={**_env(), "CHROME_PATH": server.CHROMIUM},
                timeout=300,
            )
            report = json.loads(out.read_text())
        except ToolFailed as failure:
            if attempt < attempts and any(word in failure.stderr for word in RETRIED):
                print(f"\n{failure.what}: {failure.stderr.strip().splitlines()[-1:]} — trying again")
                continue
            raise
        finally:
            shutil.rmtree(out.parent, ignore_errors=True)
        break
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
    # Cumulative layout shift (issue 13: the page does not move once drawn; goal < CLS_GOAL).
    shift = report["audits"].get("cumulative-layout-shift", {}).get("numericValue")
    # What the performance score misses by, when it does: total blocking time and main-thread work
    # (Lighthouse's simulated 4x-slower phone), next to the score.
    metrics = {
        name: round(report["audits"][audit_id]["numericValue"])
        for name, audit_id in (("tbt_ms", "total-blocking-time"), ("main_thread_ms", "mainthread-work-breakdown"))
        if report["audits"].get(audit_id, {}).get("numericValue") is not None
    }
    # How fast the host was at this run (Lighthouse's own benchmark, measured before the load): its
    # 4x CPU slowdown stands for a phone on a host of about 1,500; this one swings between ~950 and
    # ~1,950 within minutes, and the blocking time follows.
    host_index = report.get("environment", {}).get("benchmarkIndex")
    return {
        "scores": scores,
        "cls": shift,
        **metrics,
        "host_benchmark_index": round(host_index) if host_index is not None else None,
        "below_goal_audits": failing,
        "attempts": attempt,
    }


def audit_median(binary: Path, chromium: Chromium, url: str) -> dict:
    """LIGHTHOUSE_RUNS audits of `url`; the run with the median performance score is reported, with
    every run's score, blocking time and host speed next to it, in the order they ran."""
    runs = [audit(binary, chromium, url) for _ in range(LIGHTHOUSE_RUNS)]
    ranked = sorted(runs, key=lambda run: -1 if run["scores"]["performance"] is None else run["scores"]["performance"])
    return {
        **ranked[len(ranked) // 2],
        # In the order they ran, each with the host's speed at the time.
        "performance_runs": [run["scores"]["performance"] for run in runs],
        "tbt_ms_runs": [run.get("tbt_ms") for run in runs],
        "host_benchmark_index_runs": [run.get("host_benchmark_index") for run in runs],
    }


@pytest.fixture(scope="module")
def debuggable_chromium():
    chromium = Chromium()
    try:
        yield chromium
    finally:
        chromium.stop()


def test_lighthouse_mobile(hcpay, blank, debuggable_chromium, record):
    binary = lighthouse_bin()
    chromium = debuggable_chromium
    results = {
        "blank Reflex app, /": audit_median(binary, chromium, blank["base"] + "/"),
        "log-in page /": audit_median(binary, chromium, hcpay["base"] + "/"),
        # The same goals in every language: each language's pages are compiled on their own.
        "log-in page in Spanish /es": audit_median(binary, chromium, hcpay["base"] + "/es"),
        "log-in page in Portuguese /pt": audit_median(binary, chromium, hcpay["base"] + "/pt"),
        "Create Account in Spanish /es/register": audit_median(binary, chromium, hcpay["base"] + "/es/register"),
        "Create Account /register": audit_median(binary, chromium, hcpay["base"] + "/register"),
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{chromium.port}")
        # The audits keep storage, so the device now remembers the last page's language (Spanish):
        # forget it, or the log-in page below would be the Spanish one.
        browser.contexts[0].clear_cookies()
        page = browser.contexts[0].new_page()
        page.goto(hcpay["base"] + "/")
        page.get_by_label("Username").fill(hcpay["user"]["username"])
        page.get_by_label("Password").fill(hcpay["user"]["password"])
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/dashboard")
        page.close()
        for path, name in (("/dashboard", "dashboard"), ("/history", "history"), ("/pay", "Make a Payment")):
            results[f"{name} {path}"] = audit_median(binary, chromium, hcpay["base"] + path)
        browser.close()
    met = all(
        r["scores"][c] is not None and r["scores"][c] >= GOALS[c]
        for name, r in results.items()
        if not name.startswith("blank")
        for c in CATEGORIES
    )
    shifts = {name: r.get("cls") for name, r in results.items() if not name.startswith("blank")}
    record(
        "lighthouse_cls",
        {
            "goal": f"every page: Lighthouse cumulative layout shift < {CLS_GOAL}",
            "pages": shifts,
            "met": all(value is not None and value < CLS_GOAL for value in shifts.values()),
        },
    )
    record(
        "lighthouse_mobile",
        {
            "goal": "every page: performance >= 0.95, accessibility 1.0, best practices 1.0",
            "lighthouse": LIGHTHOUSE_VERSION,
            "runs_per_page": LIGHTHOUSE_RUNS,
            "pages": results,
            "met": met,
        },
    )
