"""Start nginx (Debian package `nginx`) as a throwaway reverse proxy on loopback for a test, and stop it.

Everything lives under one prefix directory (config, pid, logs, temp dirs); nginx runs in the
foreground (`daemon off`) as a child of the test, as the current user. The `location` block is the
README's production recipe (websocket upgrade, `$proxy_add_x_forwarded_for`), minus TLS.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

CONFIG = """\
daemon off;
worker_processes 1;
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen {listen_host}:{port};
        client_max_body_size 1m;
        location / {{
            proxy_pass http://{upstream};
            proxy_bind {bind};
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 120s;
        }}
    }}
}}
"""


def start(
    prefix: Path, *, port: int, upstream: str, bind: str, listen_host: str = "127.0.0.1", timeout: float = 20
) -> subprocess.Popen:
    """nginx on `listen_host`:`port` proxying to `upstream` ("host:port"), connecting from `bind`
    (an address of this host, e.g. 127.0.0.2, so the app can tell the proxy from direct clients)."""
    prefix.mkdir(parents=True, exist_ok=True)
    # Under root the master hands the workers to the `user`; root here, so they can use the prefix.
    user = "user root root;" if os.geteuid() == 0 else ""
    config = prefix / "nginx.conf"
    config.write_text(
        CONFIG.format(user=user, prefix=prefix, listen_host=listen_host, port=port, upstream=upstream, bind=bind)
    )
    log = prefix / "stderr.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited early:\n{log.read_text()}\n{_tail(prefix / 'error.log')}")
        try:
            with socket.create_connection((listen_host, port), timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"nginx did not listen in {timeout}s:\n{_tail(prefix / 'error.log')}")


def stop(process: subprocess.Popen) -> None:
    """Fast shutdown (SIGTERM to the master, which stops its workers)."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _tail(path: Path) -> str:
    return path.read_text()[-4000:] if path.exists() else ""
