"""Notices to members: the notifications center, the same words by email, and exactly-once
markers for notices (and other actions) the daily job must never repeat."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select, update

from hcpay_app import clock
from hcpay_app.models import Notification, OnceMarker, User
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.adapters import mailer
from hcpay_app.services.common.errors import NotAllowed
from hcpay_app.services.common.messages import Message


@dataclasses.dataclass(frozen=True)
class NoticeView:
    id: int
    title: str
    body: str
    when: str
    unread: bool


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
    in_app: bool = True,
    by_email: bool = True,
    email: str | None = None,
) -> None:
    """A notice in the notifications center and by email (in the caller's transaction)."""
    title, body = message.subject, message.body
    if in_app:
        session.add(Notification(user_id=user_id, kind=kind, title=title[:120], body=body[:1000], created_at=now))
    if by_email:
        address = email or session.exec(select(User.email).where(User.id == user_id)).first()
        if address:
            mailer.enqueue(session, to=address, subject=title, body=body, kind=kind, now=now)


def _member(actor: SessionUser | None) -> SessionUser:
    if actor is None or actor.member_id is None:
        raise NotAllowed()
    return actor


def unread_count(session: Session, actor: SessionUser) -> int:
    actor = _member(actor)
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
    ).one()


def recent(session: Session, actor: SessionUser, limit: int = 50) -> list[NoticeView]:
    actor = _member(actor)
    rows = session.exec(
        select(Notification).where(Notification.user_id == actor.user_id).order_by(Notification.id.desc()).limit(limit)
    ).all()
    return [
        NoticeView(
            n.id,
            n.title,
            n.body,
            f"{clock.local_date(n.created_at):%b %-d, %Y} {clock.format_local_time(n.created_at)}",
            n.read_at is None,
        )
        for n in rows
    ]


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
