"""Benchmarks run against their own throwaway database and settings (never the developer's)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="hcpay-bench-"))
os.environ.update(
    HCPAY_ENV="test",
    HCPAY_BCRYPT_COST="4",
    HCPAY_SECRETS_FILE=str(_TMP / "secrets.json"),
    DATABASE_URL=f"sqlite:///{_TMP / 'bench.db'}",
)
# HCPAY_BENCH_RESULTS: another file for a run of a few benchmarks (a shared checkout's own results.json
# stays as `make bench` wrote it); results.md goes beside it.
RESULTS = Path(os.environ.get("HCPAY_BENCH_RESULTS") or Path(__file__).parent / "results.json")


@pytest.fixture(autouse=True)
def own_database(monkeypatch, tmp_path):
    """Each benchmark gets its own empty database."""
    from hcpay_app.config import get_settings

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bench.db'}")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def record():
    """Collect figures from every benchmark into one JSON file (tests/perf/results.json)."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}

    def put(name: str, figures: dict) -> None:
        results[name] = figures
        print(f"\n{name}: {json.dumps(figures, indent=2)}")

    yield put
    results["_run"] = run_info()
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True))
    from tests.perf.report import write

    print("\n" + write(results, RESULTS.with_suffix(".md")))


def run_info() -> dict:
    """When and where the figures were taken."""
    import datetime as dt
    import platform
    import subprocess

    import reflex

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    try:
        chromium = subprocess.run(
            ["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except OSError:
        chromium = "not installed"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, {cpu}, {platform.machine()}, Python {platform.python_version()}, "
        f"Reflex {reflex.__version__ if hasattr(reflex, '__version__') else '0.10.1'}, {chromium}",
    }
