"""Throwaway PostgreSQL and Redis servers for a test run: loopback only, temporary data, stopped after.

Debian's `postgresql` and `redis-server` packages provide the binaries (`make services` installs them).
PostgreSQL refuses to run as root, so under root the cluster belongs to the `postgres` system user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text

from . import server

PG_USER = "hcpay"


def postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run `make services` (Debian package postgresql)")
    return found[-1]


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _wait_until(ready, what: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited early:\n{log.read_text()[-3000:]}")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start in {timeout}s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A fresh cluster on a free loopback port; yields the SQLAlchemy URL of its `postgres` database.

    Durability is switched off (fsync, synchronous_commit): the data is thrown away, and the tests are
    about behaviour (isolation, locking, SQL), not crash safety.
    """
    root = Path(tempfile.mkdtemp(prefix="hcpay-pg-"))
    data, log = root / "data", root / "postgres.log"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    subprocess.run(
        _as_owner(
            [postgres_bin("initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
        ),
        check=True,
        capture_output=True,
    )
    port = server.free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            _as_owner(
                [
                    postgres_bin("postgres"),
                    "-D",
                    str(data),
                    "-k",
                    str(root),
                    "-p",
                    str(port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=300",
                ]
            ),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"postgresql+psycopg://{PG_USER}@127.0.0.1:{port}/postgres"

    def ready() -> bool:
        return (
            subprocess.run(
                [postgres_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True
            ).returncode
            == 0
        )

    try:
        _wait_until(ready, "PostgreSQL", process, log)
        yield url
    finally:
        _stop(process)
        shutil.rmtree(root, ignore_errors=True)


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    """CREATE DATABASE `name` (optionally from a template); returns its URL."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            suffix = f' TEMPLATE "{template}"' if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    finally:
        engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def _real_time_env() -> dict[str, str]:
    """This environment without libfaketime: Redis can't start under it (clock_gettime recursion),
    and needs no faked time — its clients send their own (faked) timestamps where time matters."""
    return {
        name: value for name, value in os.environ.items() if name != "LD_PRELOAD" and not name.startswith("FAKETIME")
    }


@contextlib.contextmanager
def redis() -> Iterator[str]:
    """A Redis server on a free loopback port with no persistence; yields its URL."""
    root = Path(tempfile.mkdtemp(prefix="hcpay-redis-"))
    log = root / "redis.log"
    port = server.free_port()
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise RuntimeError("Redis is not installed: run `make services` (Debian package redis-server)")
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(root),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=_real_time_env(),
        )

    def ready() -> bool:
        import socket

        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
        return False

    try:
        _wait_until(ready, "Redis", process, log)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)
        shutil.rmtree(root, ignore_errors=True)


def drop_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()
