"""Start the real app (production build, one port, loopback only) for a test run, and stop it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(
    port: int,
    env: dict[str, str],
    log: Path,
    timeout: float = 900,
    cwd: Path = ROOT,
    *,
    backend_only: bool = False,
    host: str = "127.0.0.1",
) -> subprocess.Popen:
    """`reflex run --env prod` of the app in `cwd` on `host`:`port`; returns once the page and the backend answer.

    `backend_only` serves the event socket and /ping alone (no frontend build, so a second instance
    starts in seconds next to the session's app without touching `.web`)."""
    full_env = {**os.environ, **env}
    full_env["PATH"] = f"{Path(sys.executable).parent}:{full_env.get('PATH', '')}"
    full_env.update(REFLEX_USE_NPM="1", REFLEX_TELEMETRY_ENABLED="false", REFLEX_CHECK_LATEST_VERSION="false")
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "reflex"),
                "run",
                "--env",
                "prod",
                "--backend-host",
                host,
                *(["--backend-only"] if backend_only else ["--frontend-port", str(port)]),
                "--backend-port",
                str(port),
            ],
            cwd=cwd,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{base}/ping", timeout=2) as ping:
                if ping.status == 200 and backend_only:
                    return process
            with urllib.request.urlopen(base, timeout=2) as page:
                if ping.status == 200 and page.status == 200:
                    return process
        except OSError:
            pass
        time.sleep(1)
    stop(process)
    raise RuntimeError(f"app did not start in {timeout}s:\n{log.read_text()[-4000:]}")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
