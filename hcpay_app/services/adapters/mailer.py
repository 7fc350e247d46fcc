"""Email through the outbox: services add messages in their own transaction; `deliver_pending`
sends them by SMTP when `SMTP_HOST` is set. Without SMTP (local runs, tests) messages stay in the
outbox, readable at /dev/mailbox outside production.

Every email is written in its recipient's language: the subject, the body and the footer are
translated here (`catalogs.translate`) from the `Msg`s the templates give, in the language given,
or else the language of the login with that address (English when there is none)."""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
import ssl
from collections.abc import Iterable
from email.message import EmailMessage

from sqlmodel import Session, select

from hcpay_app.config import get_settings
from hcpay_app.i18n import languages
from hcpay_app.i18n.catalogs import translate
from hcpay_app.i18n.message import Msg
from hcpay_app.models import NoticeKind, OutboundEmail, User
from hcpay_app.services.common import contact
from hcpay_app.services.common.messages import Message

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5

# What an email may carry only until it is delivered: a reset link's token and a one-time code
# would let anyone who reads the outbox table take over the account.
_REMOVED_AFTER_DELIVERY = (
    (re.compile(r"(token=)[A-Za-z0-9_\-]+"), r"\1[removed after delivery]"),
    (re.compile(r"(verification code is )[0-9]{6}"), r"\1[removed after delivery]"),
)


# In any language, a code email's code stands alone as six digits (the English pattern above
# catches it too; this one finds it in a translated email).
_CODE_ALONE = re.compile(r"(?<![0-9A-Za-z$.,\-])[0-9]{6}(?![0-9A-Za-z,\-]|\.[0-9])")
_CODE_KINDS = {NoticeKind.VERIFICATION_CODE}


def without_secrets(body: str, kind: str | None = None) -> str:
    for pattern, replacement in _REMOVED_AFTER_DELIVERY:
        body = pattern.sub(replacement, body)
    if kind in _CODE_KINDS:
        body = _CODE_ALONE.sub("[removed after delivery]", body)
    return body


SIGNATURE = (
    "\n\n"
    + Msg("— Health Connector Payment Portal")
    + "\n"
    + Msg("We will never ask for your password, Social Security Number or a one-time code by email or phone.")
)


def with_footer(body: str, language: str = languages.DEFAULT) -> str:
    """A message as it is sent: the body, the signature, then how to reach Customer Service
    (phone, hours, interpreter line, walk-in centers — from the settings), in `language`."""
    return translate(body, language) + translate(SIGNATURE, language) + "\n\n" + translate(contact.footer(), language)


def recipient_language(session: Session, to: str) -> str:
    """The language of the login with this email address, or English when there is none."""
    found = session.exec(select(User.language).where(User.email == to).order_by(User.id)).first()
    return str(languages.parse(found) or languages.DEFAULT)


def recipient_languages(session: Session, addresses: Iterable[str]) -> dict[str, str]:
    """`recipient_language` of many addresses at once (a few hundred)."""
    wanted = sorted(set(addresses))
    found: dict[str, str] = {}
    if wanted:
        rows = session.exec(select(User.email, User.language).where(User.email.in_(wanted)).order_by(User.id)).all()
        for address, language in rows:
            found.setdefault(address, str(languages.parse(language) or languages.DEFAULT))
    return {address: found.get(address, str(languages.DEFAULT)) for address in wanted}


def enqueue(
    session: Session,
    *,
    to: str,
    subject: str,
    body: str,
    kind: str,
    now: dt.datetime,
    language: str | None = None,
) -> None:
    """Queue a message in the caller's transaction: it is sent only if the change commits. Every
    email ends with the signature and the support footer, added here and nowhere else. It is
    written in `language`, or else in the language of the login with the address `to`."""
    chosen = languages.parse(language) if language else None
    language = str(chosen or recipient_language(session, to))
    session.add(
        OutboundEmail(
            to_address=to,
            subject=translate(subject, language),
            body=with_footer(body, language),
            kind=kind,
            created_at=now,
        )
    )


def enqueue_message(
    session: Session, *, to: str, message: Message, kind: str, now: dt.datetime, language: str | None = None
) -> None:
    """Queue a templated message (see each domain's `templates` module)."""
    enqueue(session, to=to, subject=message.subject, body=message.body, kind=kind, now=now, language=language)


def _send(message: OutboundEmail) -> None:
    settings = get_settings()
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
        if settings.smtp_starttls:
            # Verify the relay's certificate and name: codes, reset links and our SMTP password
            # must not be readable by whoever sits on the path.
            smtp.starttls(context=ssl.create_default_context(cafile=settings.smtp_ca_file))
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(email)


def deliver_pending(session: Session, *, now: dt.datetime, limit: int = 50) -> int:
    """Send queued messages by SMTP; returns how many went out. A no-op without SMTP.

    Each message is claimed with a row lock that other workers skip (PostgreSQL's FOR UPDATE SKIP
    LOCKED; SQLite runs one worker), so with several workers every message is sent once."""
    if not get_settings().smtp_host:
        return 0
    sent, tried = 0, [0]
    for _ in range(limit):
        query = (
            select(OutboundEmail)
            .where(
                OutboundEmail.sent_at.is_(None), OutboundEmail.attempts < MAX_ATTEMPTS, OutboundEmail.id.not_in(tried)
            )  # one attempt per message per round
            .order_by(OutboundEmail.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        message = session.exec(query).first()
        if message is None:
            break
        tried.append(message.id)
        message.attempts += 1
        try:
            _send(message)
        except (OSError, smtplib.SMTPException) as exc:
            message.last_error = type(exc).__name__
            log.warning("email %s not sent (attempt %s): %s", message.id, message.attempts, type(exc).__name__)
        else:
            message.sent_at = now
            message.body = without_secrets(message.body, message.kind)
            sent += 1
        session.add(message)
        session.commit()
    return sent


def recent(session: Session, limit: int = 50) -> list[OutboundEmail]:
    """The newest messages, for the development mailbox."""
    return list(session.exec(select(OutboundEmail).order_by(OutboundEmail.id.desc()).limit(limit)).all())
