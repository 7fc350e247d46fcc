"""Emails and notices are written in the recipient's language.

With the en-XA pseudo catalog (extracted fresh from the source), every word of a notice, of its
email and of the email's signature and support footer came through the catalogs: no plain ASCII
word is left outside ⟦…⟧ except data (phone numbers, usernames, the walk-in centers' addresses).
An English member reads exactly the English of before; the Create Account code email goes out in
the language the member signed up in, and the new login keeps it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import select

from hcpay_app import routes
from hcpay_app.i18n import catalogs
from hcpay_app.models import NoticeKind, Notification, OutboundEmail, User
from hcpay_app.services.accounts import notices, registration, templates
from hcpay_app.services.adapters import mailer
from hcpay_app.services.common import contact
from tests.support import pseudo_pages
from tests.unit.conftest import STRONG_PASSWORD, personal_details

PSEUDO = "en-XA"
CLIENT = "198.51.100.7"


@pytest.fixture
def pseudo_catalog(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("HCPAY_PSEUDO_LOCALE", "1")
    try:
        assert pseudo_pages.pseudo_catalogs(tmp_path) > 0
        yield
    finally:
        catalogs.LOCALES_DIR = pseudo_pages.APP_DIR / "locales"
        catalogs.catalog.cache_clear()


def _settings_data() -> set[str]:
    support = contact.support_contact()
    return {support.phone, support.tty, support.interpreter_line} | {
        value for centre in support.centres for value in (centre.town, centre.address)
    }


def english_lines(text: str, data: tuple[str, ...] = ()) -> list[str]:
    """Lines of `text` with English words that skipped the catalogs (data taken out first)."""
    left = []
    for line in text.split("\n"):
        stripped = line
        for value in sorted({*data, *_settings_data()}, key=len, reverse=True):
            if value:
                stripped = stripped.replace(value, " ")
        if stripped.strip() and pseudo_pages.english_left(stripped):
            left.append(line)
    return left


def _set_language(session, user_id: int, language: str) -> User:
    user = session.get(User, user_id)
    user.language = language
    session.add(user)
    session.commit()
    return user


def _notify_password_changed(session, user: User, now) -> tuple[Notification, OutboundEmail]:
    notices.notify(
        session,
        user.id,
        templates.password_changed(user.username),
        kind=NoticeKind.PASSWORD_CHANGED,
        now=now,
        link=routes.SETTINGS,
    )
    session.commit()
    notice = session.exec(select(Notification).where(Notification.user_id == user.id)).one()
    email = session.exec(
        select(OutboundEmail).where(OutboundEmail.kind == NoticeKind.PASSWORD_CHANGED).order_by(OutboundEmail.id)
    ).all()[-1]
    return notice, email


def test_a_pseudo_locale_member_gets_the_notice_and_its_email_in_their_language(
    pseudo_catalog, session, registered_user, now
):
    user = _set_language(session, registered_user.user_id, PSEUDO)
    notice, email = _notify_password_changed(session, user, now)
    data = (user.username,)

    assert "⟦" in notice.title and english_lines(notice.title, data) == []
    assert "⟦" in notice.body and english_lines(notice.body, data) == []
    assert "⟦" in email.subject and english_lines(email.subject, data) == []
    assert english_lines(email.body, data) == [], email.body
    # The signature and the support footer came through the catalogs too.
    assert "Health Connector Payment Portal" not in email.body
    assert "Questions?" not in email.body and "Free interpreter" not in email.body
    assert contact.support_contact().phone in email.body  # data stays as it is
    # The notifications center shows the notice's link name in the member's language at the edge.
    view = notices.recent(session, registered_user_actor(session, user, now))[0]
    assert english_lines(catalogs.translate(view.action, PSEUDO)) == []
    assert english_lines(catalogs.translate(view.when, PSEUDO), (view.when.params["time"],)) == []


def registered_user_actor(session, user: User, now):
    from hcpay_app.services.accounts.authn import SessionUser

    return SessionUser(user.id, user.member_id, user.username, user.role, 0, now)


def test_an_english_member_gets_the_same_english_as_before(pseudo_catalog, session, registered_user, now):
    user = session.get(User, registered_user.user_id)
    assert user.language == "en"
    message = templates.password_changed(user.username)
    notice, email = _notify_password_changed(session, user, now)

    assert notice.title == "Your Health Connector password was changed"
    assert notice.body == str(message.body)
    assert notice.body.startswith("Hello,\n\nThe password for renee.oneil was just changed")
    assert email.subject == "Your Health Connector password was changed"
    assert email.body == str(message.body) + str(mailer.SIGNATURE) + "\n\n" + str(contact.footer())
    assert "⟦" not in email.body
    assert "\n\n— Health Connector Payment Portal\nWe will never ask for your password" in email.body
    assert "Questions? Call Customer Service at 1-877-555-0142 (TTY 711)" in email.body


def test_an_email_with_no_language_given_follows_the_login_with_that_address(
    pseudo_catalog, session, registered_user, now
):
    user = _set_language(session, registered_user.user_id, PSEUDO)
    mailer.enqueue_message(
        session, to=user.email, message=templates.username_reminder([user.username]), kind="username_reminder", now=now
    )
    mailer.enqueue_message(
        session,
        to="nobody@example.com",
        message=templates.username_reminder(["someone"]),
        kind="username_reminder",
        now=now,
    )
    mailer.enqueue_message(
        session,
        to="nobody@example.com",
        message=templates.username_reminder(["someone"]),
        kind="username_reminder",
        now=now,
        language=PSEUDO,
    )
    session.commit()
    member_mail, stranger_mail, chosen_mail = session.exec(select(OutboundEmail).order_by(OutboundEmail.id)).all()[-3:]
    assert english_lines(member_mail.subject + "\n" + member_mail.body, (user.username,)) == []
    assert stranger_mail.subject == "Your Health Connector username"  # no login: English
    assert stranger_mail.body.startswith("Hello,\n\nThe username for your Health Connector payment account is:")
    assert english_lines(chosen_mail.subject + "\n" + chosen_mail.body, ("someone",)) == []


def _code(body: str) -> str:
    match = re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", body)
    assert match, body
    return match.group(1)


def test_the_create_account_code_email_goes_out_in_the_language_signed_up_in(pseudo_catalog, session, member, now):
    from hcpay_app import clock

    pending_id = registration.start(
        session, **personal_details(), client_key=CLIENT, now=now, today=clock.local_date(now)
    )
    registration.choose_credentials(
        session, pending_id=pending_id, username="renee.oneil", password=STRONG_PASSWORD, now=now, language=PSEUDO
    )
    code_mail = session.exec(select(OutboundEmail).where(OutboundEmail.kind == NoticeKind.VERIFICATION_CODE)).one()
    code = _code(code_mail.body)
    assert "⟦" in code_mail.subject and english_lines(code_mail.subject) == []
    assert english_lines(code_mail.body, (member.first_name, code)) == [], code_mail.body
    # The code is removed after delivery in any language.
    assert code not in mailer.without_secrets(code_mail.body, code_mail.kind)

    user_id, _token = registration.verify(
        session, pending_id=pending_id, code=code, ip=CLIENT, now=now, language=PSEUDO
    )
    user = session.get(User, user_id)
    assert user.language == PSEUDO  # the new login keeps the language it was created in
    created = session.exec(select(OutboundEmail).where(OutboundEmail.kind == NoticeKind.ACCOUNT_CREATED)).one()
    assert english_lines(created.subject + "\n" + created.body, (member.first_name, "renee.oneil")) == []


def test_a_language_not_offered_signs_up_in_english(session, member, now):
    from hcpay_app import clock

    pending_id = registration.start(
        session, **personal_details(), client_key=CLIENT, now=now, today=clock.local_date(now)
    )
    registration.choose_credentials(
        session, pending_id=pending_id, username="renee.oneil", password=STRONG_PASSWORD, now=now, language="xx"
    )
    code_mail = session.exec(select(OutboundEmail).where(OutboundEmail.kind == NoticeKind.VERIFICATION_CODE)).one()
    assert code_mail.subject == "Your Health Connector verification code"
    assert "Your verification code is " in code_mail.body
    user_id, _token = registration.verify(
        session, pending_id=pending_id, code=_code(code_mail.body), ip=CLIENT, now=now, language="en-XA"
    )
    assert session.get(User, user_id).language == "en"  # en-XA is offered only in tests that turn it on
