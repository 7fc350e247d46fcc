"""Notices to members: the notifications center, the same words by email, and exactly-once
markers for notices (and other actions) the daily job must never repeat.

Every notice links to the page that acts on it: a path built here, on the server, from the route
constants (`payment_link` for one payment's status page) — never from anything a browser sent. A
notice about a bill carries the bill's id; once the bill is paid in full, billing marks the notice
resolved (`billing.paid_notices`): it stops counting as unread and reads "Paid — no action needed".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import urllib.parse

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select, update

from hcpay_app import clock, routes
from hcpay_app.i18n.catalogs import translate
from hcpay_app.i18n.message import Msg
from hcpay_app.models import Notification, OnceMarker, User
from hcpay_app.services.accounts import profile, templates
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.adapters import mailer
from hcpay_app.services.common import references
from hcpay_app.services.common.errors import NotAllowed
from hcpay_app.services.common.messages import Message


@dataclasses.dataclass(frozen=True)
class NoticeView:
    id: int
    title: str
    body: str
    when: str
    unread: bool
    link: str = ""  # a page of the portal, or "" (a resolved notice has nothing left to do)
    action: str = ""  # the link's name: what it does there ("Make a Payment", "See payment HC-…")
    resolved: str = ""  # "Paid — no action needed" once the bill it was about is paid


def payment_link(reference: str) -> str:
    """The link to one payment's status page."""
    return f"{routes.PAYMENT}?{urllib.parse.urlencode({'reference': reference})}"


def _payment_reference(link: str) -> str | None:
    """The reference of a link to a payment's status page (None for any other link)."""
    parts = urllib.parse.urlsplit(link)
    if parts.scheme or parts.netloc or parts.fragment or parts.path != routes.PAYMENT:
        return None
    try:
        query = urllib.parse.parse_qs(parts.query, strict_parsing=True) if parts.query else {}
    except ValueError:
        return None
    values = query.get("reference", [])
    if set(query) != {"reference"} or len(values) != 1:
        return None
    canonical = references.normalize(values[0])
    return canonical if canonical == values[0] else None


def action_for(kind: str, link: str) -> str:
    """What a notice's link is called, or "" for a link that isn't one of the portal's own pages
    (such a link is never shown)."""
    if link in templates.NOTICE_ACTIONS:
        return templates.NOTICE_ACTIONS_BY_KIND.get((kind, link), templates.NOTICE_ACTIONS[link])
    reference = _payment_reference(link)
    return templates.SEE_PAYMENT.format(reference=reference) if reference else ""


def mark_once(session: Session, key: str, now: dt.datetime) -> None:
    """Add the marker for `key` to the caller's transaction; its commit fails with IntegrityError
    if the key was already used, so the whole action rolls back and happens only once."""
    session.add(OnceMarker(key=key[:120], created_at=now))


def done_before(session: Session, key: str) -> bool:
    return session.exec(select(OnceMarker.id).where(OnceMarker.key == key[:120])).first() is not None


def run_once(session: Session, key: str, now: dt.datetime, action) -> bool:
    """Do `action(session)` and record `key` in one transaction; False if it was already done."""
    if done_before(session, key):
        return False
    try:
        mark_once(session, key, now)
        session.flush()  # claim the key first: a concurrent job fails here, before doing anything
        action(session)
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def notify(
    session: Session,
    user_id: int,
    message: Message,
    *,
    kind: str,
    now: dt.datetime,
    link: str,
    invoice_id: int | None = None,
    in_app: bool = True,
    by_email: bool = True,
    email: str | None = None,
) -> None:
    """A notice in the notifications center and by email (in the caller's transaction).

    `link` is the page that acts on it: a route constant, or `payment_link(reference)`.
    `invoice_id` is the bill it is about, if any: the notice resolves once that bill is paid.
    Both are written in the member's own language (`User.language`), whoever triggered them.
    """
    if not action_for(kind, link):
        raise ValueError(f"a notice links to one of the portal's pages, not {link!r}")
    language = profile.language_of(session, user_id)
    title, body = translate(message.subject, language), translate(message.body, language)
    if in_app:
        session.add(
            Notification(
                user_id=user_id,
                kind=kind,
                title=title[:120],
                body=body[:1000],
                link=link,
                invoice_id=invoice_id,
                created_at=now,
            )
        )
    if by_email:
        address = email or session.exec(select(User.email).where(User.id == user_id)).first()
        if address:
            mailer.enqueue(session, to=address, subject=title, body=body, kind=kind, now=now, language=language)


def _member(actor: SessionUser | None) -> SessionUser:
    if actor is None or actor.member_id is None:
        raise NotAllowed()
    return actor


# Built once: every member page shows the count.
_UNREAD = (
    select(func.count())
    .select_from(Notification)
    .where(
        Notification.user_id == bindparam("user_id"),
        Notification.read_at.is_(None),
        Notification.resolved_at.is_(None),
    )
)


def unread_count(session: Session, actor: SessionUser) -> int:
    """Notices not yet read (a resolved notice is read: nothing is left to do about it)."""
    actor = _member(actor)
    return session.exec(_UNREAD, params={"user_id": actor.user_id}).one()


def _view(n: Notification) -> NoticeView:
    resolved = n.resolved_at is not None
    link = "" if resolved else n.link
    action = action_for(n.kind, link) if link else ""
    return NoticeView(
        n.id,
        n.title,
        n.body,
        Msg("{day} {time}", day=clock.local_date(n.created_at), time=clock.format_local_time(n.created_at)),
        n.read_at is None and not resolved,
        link if action else "",
        action,
        templates.NOTICE_RESOLVED if resolved else "",
    )


def recent(session: Session, actor: SessionUser, limit: int = 50) -> list[NoticeView]:
    actor = _member(actor)
    rows = session.exec(
        select(Notification).where(Notification.user_id == actor.user_id).order_by(Notification.id.desc()).limit(limit)
    ).all()
    return [_view(n) for n in rows]


def mark_read(session: Session, actor: SessionUser, notice_id: object | None, *, now: dt.datetime) -> None:
    """Mark one of the member's own notices read (or all of them when `notice_id` is None)."""
    actor = _member(actor)
    query = update(Notification).where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
    if notice_id is not None:
        if type(notice_id) is not int or not 0 < notice_id < 2**62:  # SQLite integers are 64-bit
            return
        query = query.where(Notification.id == notice_id)
    session.exec(query.values(read_at=now))
    session.commit()
