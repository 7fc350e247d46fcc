"""Start the real app (production build, one port, loopback only) for a test run, and stop it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
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
    prebuilt: bool = False,
    host: str = "127.0.0.1",
) -> subprocess.Popen:
    """`reflex run --env prod` of the app in `cwd` on `host`:`port`; returns once the page and the backend answer.

    `backend_only` serves the event socket and /ping alone (no frontend build, so a second instance
    starts in seconds next to the session's app without touching `.web`). `prebuilt` serves the
    frontend already built in REFLEX_WEB_WORKDIR (see `point_build_at`) instead of building it."""
    full_env = {**os.environ, **env}
    full_env["PATH"] = f"{Path(sys.executable).parent}:{full_env.get('PATH', '')}"
    full_env.update(REFLEX_USE_NPM="1", REFLEX_TELEMETRY_ENABLED="false", REFLEX_CHECK_LATEST_VERSION="false")
    with log.open("w") as out:
        launcher = (
            [sys.executable, "-m", "tests.support.prebuilt_backend"]
            if prebuilt
            else [str(Path(sys.executable).parent / "reflex")]
        )
        process = subprocess.Popen(
            [
                *launcher,
                "run",
                "--env",
                "prod",
                "--backend-host",
                host,
                *(["--backend-only"] if backend_only or prebuilt else ["--frontend-port", str(port)]),
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


def point_build_at(web_dir: Path, port: int) -> None:
    """Make a copy of a built `.web` talk to the backend on `port`: the backend's address lives in
    one small asset (and its compressed twins, dropped so the edited file is served)."""
    built = json.loads((web_dir / "env.json").read_text())
    old = urllib.parse.urlsplit(built["PING"]).netloc
    new = f"{urllib.parse.urlsplit(built['PING']).hostname}:{port}"
    pointed = {name: value.replace(old, new) if isinstance(value, str) else value for name, value in built.items()}
    (web_dir / "env.json").write_text(json.dumps(pointed))
    touched = 0
    for asset in (web_dir / "build" / "client" / "assets").glob("*.js"):
        text = asset.read_text(encoding="utf-8")
        if old in text:
            asset.write_text(text.replace(old, new), encoding="utf-8")
            for twin in (asset.with_name(asset.name + ".gz"), asset.with_name(asset.name + ".br")):
                twin.unlink(missing_ok=True)
            touched += 1
    if not touched:
        raise RuntimeError(f"no built asset names the backend at {old}: rebuild instead")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
