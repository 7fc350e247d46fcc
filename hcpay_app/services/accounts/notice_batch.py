"""Notices to many members at once, each exactly once: the daily job's reminders, late fees and
pre-debit notices, written set-based.

The same notices `notices.notify` writes one at a time — in the member's own language, in the
notifications center and by email, each behind its once-marker — but the markers are claimed with
one `INSERT … ON CONFLICT DO NOTHING RETURNING key` per batch, and the notifications and emails are
inserted with executemany. A marker that already exists (a rerun, or another job that got there
first) is simply not returned, and its notice is not written: two jobs at once, or the same job
twice, write each notice once. A text is rendered once per distinct message and language.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from sqlalchemy import insert
from sqlmodel import Session, select

from hcpay_app.i18n import languages
from hcpay_app.i18n.catalogs import translate
from hcpay_app.models import Notification, OnceMarker, OutboundEmail, User
from hcpay_app.services.accounts import notices
from hcpay_app.services.adapters import mailer
from hcpay_app.services.common import bulk
from hcpay_app.services.common.messages import Message

CHUNK = 2000


@dataclasses.dataclass(frozen=True)
class Notice:
    """One notice to write once: its once-marker `key` and what `notices.notify` would be given."""

    key: str
    user_id: int
    message: Message
    kind: str
    link: str
    invoice_id: int | None = None
    in_app: bool = True
    by_email: bool = True
    email: str | None = None  # the address, when the caller has it (else the login's)


def claim(session: Session, keys: Iterable[str], now: dt.datetime) -> set[str]:
    """Insert the once-markers of `keys` in the caller's transaction; returns the keys this call
    inserted (those already used — by an earlier run or a concurrent job — are left out)."""
    # In one order whoever claims: two jobs at once then wait on each other's keys one way only
    # (PostgreSQL would otherwise abort one of them for a deadlock).
    wanted = sorted({key[:120] for key in keys})
    claimed: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        rows = [{"key": key, "created_at": now} for key in wanted[start : start + CHUNK]]
        claimed.update(bulk.insert_new(session, OnceMarker, rows, unique=["key"], returning=OnceMarker.key))
    return claimed


def used(session: Session, keys: list[str]) -> set[str]:
    """Which of `keys` have their once-marker already: skipped before any work is done for them."""
    found: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        part = [key[:120] for key in keys[start : start + CHUNK]]
        found.update(session.exec(select(OnceMarker.key).where(OnceMarker.key.in_(part))).all())
    return found


class _Renderer:
    """Translations of the texts of one batch, each made once per (text, language)."""

    def __init__(self) -> None:
        self._texts: dict[tuple, str] = {}
        self._bodies: dict[tuple, str] = {}

    @staticmethod
    def _key(text: str, language: str) -> tuple:
        # A Msg and a plain str of the same English are different texts (only the Msg is translated).
        return (type(text), getattr(text, "msgid", None), str(text), language)

    def text(self, text: str, language: str) -> str:
        key = self._key(text, language)
        if key not in self._texts:
            self._texts[key] = translate(text, language)
        return self._texts[key]

    def email_body(self, text: str, language: str) -> str:
        key = self._key(text, language)
        if key not in self._bodies:
            self._bodies[key] = mailer.with_footer(text, language)
        return self._bodies[key]


def _recipients(session: Session, user_ids: list[int]) -> dict[int, tuple[str | None, str]]:
    """(email, language) of each login, as `notices.notify` reads them."""
    found: dict[int, tuple[str | None, str]] = {}
    for start in range(0, len(user_ids), CHUNK):
        part = user_ids[start : start + CHUNK]
        for user_id, email, language in session.exec(
            select(User.id, User.email, User.language).where(User.id.in_(part))
        ).all():
            found[user_id] = (email, str(language or languages.DEFAULT))
    return found


def write(session: Session, batch: list[Notice], now: dt.datetime) -> None:
    """Add the notifications and emails of `batch` to the caller's transaction (no markers: see
    `send_once`)."""
    for kind, link in {(n.kind, n.link) for n in batch}:
        if not notices.action_for(kind, link):
            raise ValueError(f"a notice links to one of the portal's pages, not {link!r}")
    recipients = _recipients(session, sorted({n.user_id for n in batch}))
    render = _Renderer()
    offered = {language.value.lower(): str(language) for language in languages.offered()}  # as `parse`
    in_app, emails = [], []
    for notice in batch:
        address, language = recipients.get(notice.user_id, (None, str(languages.DEFAULT)))
        title, body = render.text(notice.message.subject, language), render.text(notice.message.body, language)
        if notice.in_app:
            in_app.append(
                {
                    "user_id": notice.user_id,
                    "kind": notice.kind,
                    "title": title[:120],
                    "body": body[:1000],
                    "link": notice.link,
                    "invoice_id": notice.invoice_id,
                    "created_at": now,
                }
            )
        address = notice.email or address
        if notice.by_email and address:
            # As `mailer.enqueue`: the member's language, or else that of the login with the address.
            email_language = offered.get(language.lower()) or str(mailer.recipient_language(session, address))
            emails.append(
                {
                    "to_address": address,
                    "subject": render.text(notice.message.subject, email_language),
                    "body": render.email_body(notice.message.body, email_language),
                    "kind": notice.kind,
                    "created_at": now,
                }
            )
    if in_app:
        session.execute(insert(Notification.__table__), in_app)
    if emails:
        session.execute(insert(OutboundEmail.__table__), emails)


def send_once(session: Session, batch: list[Notice], now: dt.datetime) -> list[Notice]:
    """Claim the markers of `batch` and write the notices whose marker this call claimed, in the
    caller's transaction (commit it to make them count). Returns the notices written."""
    claimed = claim(session, (n.key for n in batch), now)
    mine = []
    for notice in batch:
        if notice.key[:120] in claimed:
            claimed.discard(notice.key[:120])  # one notice per key, even if the batch repeats one
            mine.append(notice)
    if mine:
        write(session, mine, now)
    return mine
