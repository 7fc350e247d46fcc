"""The secret scan: after a run of end-to-end journeys, no secret is anywhere it should not be — in
the database, the app's log, the emails, or the websocket frames the server sent to the browsers.

What the run used is gathered as it goes (tests/e2e/harness.py, fed by conftest.py's fixtures):
every SSN it created members with, every card number, CVC, bank account number, password and
one-time code typed into a page (read from the frames the browser sent), every session handed to a
browser, and every frame the server sent back. conftest.py scans at the end of each test process
(each xdist worker has its own app, database and log, so each scans its own).
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import text
from sqlmodel import SQLModel

from hcpay_app.config import get_settings
from hcpay_app.db import get_engine
from tests.e2e.harness import RECEIVED_FRAMES, TYPED_SECRETS


def stored_text() -> str:
    """Everything the database holds: the raw SQLite files (free pages and WAL included), or on
    PostgreSQL every row of every table."""
    url = get_settings().database_url
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        chunks = []
        for suffix in ("", "-wal"):
            try:
                with open(path + suffix, "rb") as handle:
                    chunks.append(handle.read().decode("latin-1"))
            except FileNotFoundError:
                pass
        return "\n".join(chunks)
    return rows_text(set())


def rows_text(exclude: set[str]) -> str:
    with get_engine().connect() as connection:
        return "\n".join(
            repr(tuple(row))
            for table in SQLModel.metadata.sorted_tables
            if table.name not in exclude
            for row in connection.execute(text(f'SELECT * FROM "{table.name}"'))
        )


def column(sql: str) -> set[str]:
    with get_engine().connect() as connection:
        return {str(value) for (value,) in connection.execute(text(sql)) if value}


def forms_of(kind: str, value: str) -> list[str]:
    """The ways a secret could be written: as typed, bare digits, and the usual groupings."""
    digits = re.sub(r"\D", "", value)
    forms = {value}
    if kind == "ssn" and len(digits) == 9:
        forms |= {digits, f"{digits[:3]}-{digits[3:5]}-{digits[5:]}", f"{digits[:3]} {digits[3:5]} {digits[5:]}"}
    if kind == "card" and len(digits) >= 13:
        forms |= {digits, " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))}
    if kind == "bank account" and digits:
        forms.add(digits)
    return sorted(forms)


def _standalone(haystack: str, form: str) -> int:
    """Where `form` first occurs not glued to a letter or digit on either side, or -1. (A plain
    substring search with the boundary checked by hand: a regex with a lookbehind per secret, over
    megabytes of frames, took most of a minute a run.)"""
    start = haystack.find(form)
    while start != -1:
        end = start + len(form)
        before = haystack[start - 1] if start else ""
        after = haystack[end] if end < len(haystack) else ""
        if not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum()):
            return start
        start = haystack.find(form, start + 1)
    return -1


_CVC_LABELLED = re.compile(r"cvc\W{0,12}([0-9]{3,4})(?![0-9])", re.IGNORECASE)


def scan(places: dict[str, str], kind: str, values: set[str]) -> list[str]:
    hits = []
    if kind == "cvc":  # three or four digits are everywhere: only a CVC written next to its label counts
        for where, haystack in places.items():
            labelled = {}
            for found in _CVC_LABELLED.finditer(haystack):
                labelled.setdefault(found.group(1), found.start())
            for value in sorted(values & labelled.keys()):
                at = labelled[value]
                hits.append(f"cvc {value[:4]}… in {where} after {haystack[max(0, at - 60) : at][-60:]!r}")
        return hits
    for value in values:
        for form in forms_of(kind, value):
            for where, haystack in places.items():
                at = _standalone(haystack, form)
                if at != -1:
                    context = haystack[max(0, at - 60) : at].replace(form, "…")
                    hits.append(f"{kind} {form[:4]}… in {where} after {context[-60:]!r}")
    return hits


def leaks(app_log: Path) -> list[str]:
    """Every secret the run gathered that turned up where it must not be (empty: none)."""
    frames = "\n".join(RECEIVED_FRAMES)
    emails = "\n".join(column("SELECT subject || ' ' || body FROM outboundemail"))
    log = app_log.read_text(errors="replace")
    stored = stored_text()
    everywhere = {"database": stored, "app log": log, "emails": emails, "frames sent to browsers": frames}

    hits = []
    for kind in ("ssn", "card", "cvc", "bank account", "password"):
        hits += scan(everywhere, kind, TYPED_SECRETS[kind])
    # One-time codes and reset links travel by email, and wait in the outbox table until delivered
    # (this run has no SMTP, so none is; delivered ones lose them: tests/unit/test_smtp.py). Nowhere else.
    outside_outbox = {
        "database (but the outbox)": rows_text({"outboundemail"}),
        "app log": log,
        "frames sent to browsers": frames,
    }
    hits += scan(outside_outbox, "code", TYPED_SECRETS["code"])

    # Hashes stay in the database.
    hashes = (
        column('SELECT password_hash FROM "user"')
        | column("SELECT token_hash FROM authsession")
        | column("SELECT token_hash FROM passwordresettoken")
        | column("SELECT password_hash FROM pendingregistration")
        | column("SELECT code_hash FROM pendingregistration")
    )
    hits += scan({"app log": log, "emails": emails, "frames sent to browsers": frames}, "hash", hashes)

    # Session tokens reach the browser once, in the frame that writes the cookie (Reflex sets
    # rx.Cookie from JavaScript): that frame goes to the one browser that logged in. The server keeps
    # only their hashes, and reset tokens live only in the emailed link.
    session_tokens = set(re.findall(r'auth_token_rx_state_"\s*:\s*"([A-Za-z0-9_\-]{20,})"', frames))
    session_tokens |= TYPED_SECRETS["session token"]  # sessions handed to browsers as cookies (log_in_as)
    reset_tokens = set(re.findall(r"reset-password\?token=([A-Za-z0-9_\-]{20,})", emails))
    hits += scan({"database": stored, "app log": log, "emails": emails}, "session token", session_tokens)
    hits += scan(
        {k: v for k, v in outside_outbox.items() if k != "frames sent to browsers"}, "reset token", reset_tokens
    )
    return hits
