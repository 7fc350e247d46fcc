"""The daily job's set-based notices (`notice_batch`): the same words `notices.notify` writes, in
each member's language, and each notice once — however often, and however many jobs at once, write
a batch. Also the set-based duties that use it: reminders and late fees."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from hcpay_app import routes
from hcpay_app.db import engine_for
from hcpay_app.i18n.catalogs import translate
from hcpay_app.i18n.languages import Language
from hcpay_app.models import NoticeKind, Notification, OnceMarker, OutboundEmail, User
from hcpay_app.services.accounts import notice_batch, notices
from hcpay_app.services.billing import delinquency, reminders, templates
from tests.support.together import run_together
from tests.unit.autopay_helpers import NOW, at, billed, emails_to, enroll, late_fees, notices_of, pay_binder, roster_row

D = dt.date
APRIL_DUE = D(2026, 3, 23)


@pytest.fixture
def members(session):
    """Two members, March paid, April unpaid (due Mar 23): one reads English, one Spanish."""
    enrolled = [enroll(session, roster_row(n)) for n in (0, 1)]
    for member in enrolled:
        pay_binder(session, member)
    user = session.get(User, enrolled[1].user_id)
    user.language = Language.ES
    session.add(user)
    session.commit()
    return enrolled


def reminder(member, key: str = "", **options) -> notice_batch.Notice:
    message = templates.payment_reminder(D(2026, 4, 1), 51250, APRIL_DUE, 7)
    return notice_batch.Notice(
        key or f"test-reminder:{member.user_id}",
        member.user_id,
        message,
        NoticeKind.PAYMENT_REMINDER,
        routes.PAY,
        **options,
    )


def written(session, kind: str = NoticeKind.PAYMENT_REMINDER) -> tuple[list, list]:
    session.expire_all()
    in_app = session.exec(select(Notification).where(Notification.kind == kind).order_by(Notification.id)).all()
    emails = session.exec(select(OutboundEmail).where(OutboundEmail.kind == kind).order_by(OutboundEmail.id)).all()
    return (
        [(n.user_id, n.title, n.body, n.link, n.invoice_id, n.created_at) for n in in_app],
        [(m.to_address, m.subject, m.body, m.created_at) for m in emails],
    )


def clear(session) -> None:
    for model in (Notification, OutboundEmail):
        for row in session.exec(select(model)).all():
            session.delete(row)
    session.commit()


def test_a_batch_writes_what_notify_writes_in_each_members_language(session, members):
    invoice_id = billed(session, members[0])[-1].id
    for member in members:
        notices.notify(
            session,
            member.user_id,
            reminder(member).message,
            kind=NoticeKind.PAYMENT_REMINDER,
            now=NOW,
            link=routes.PAY,
            invoice_id=invoice_id,
        )
    session.commit()
    one_at_a_time = written(session)
    clear(session)

    sent = notice_batch.send_once(session, [reminder(m, invoice_id=invoice_id) for m in members], NOW)
    session.commit()

    assert len(sent) == 2
    assert written(session) == one_at_a_time
    in_app, emails = one_at_a_time
    subject = reminder(members[1]).message.subject
    assert in_app[1][1] == emails[1][1] == translate(subject, Language.ES) != translate(subject, Language.EN)


def test_the_same_batch_again_writes_nothing(session, members):
    batch = [reminder(m) for m in members]
    assert len(notice_batch.send_once(session, batch, NOW)) == 2
    session.commit()
    assert notice_batch.send_once(session, batch, NOW + dt.timedelta(hours=5)) == []
    session.commit()
    in_app, emails = written(session)
    assert len(in_app) == 2 and len(emails) == 2
    assert len(session.exec(select(OnceMarker).where(OnceMarker.key.like("test-reminder:%"))).all()) == 2


def test_a_key_repeated_in_one_batch_is_written_once(session, members):
    sent = notice_batch.send_once(session, [reminder(members[0], "same"), reminder(members[1], "same")], NOW)
    session.commit()
    assert [n.user_id for n in sent] == [members[0].user_id]
    assert [row[0] for row in written(session)[0]] == [members[0].user_id]


def test_in_app_only_and_email_only(session, members):
    notice_batch.send_once(session, [reminder(members[0], by_email=False), reminder(members[1], in_app=False)], NOW)
    session.commit()
    assert (
        len(notices_of(session, members[0].user_id)) == 1
        and emails_to(session, members[0].email, NoticeKind.PAYMENT_REMINDER) == []
    )
    assert notices_of(session, members[1].user_id) == []
    assert len(emails_to(session, members[1].email, NoticeKind.PAYMENT_REMINDER)) == 1


def test_a_notice_must_link_to_one_of_the_portals_pages(session, members):
    bad = notice_batch.Notice("x", members[0].user_id, reminder(members[0]).message, "payment_reminder", "https://x")
    with pytest.raises(ValueError):
        notice_batch.send_once(session, [bad], NOW)


def test_two_batches_at_once_write_each_notice_once(session, members, db_url):
    batch = [reminder(members[n % 2], f"test-reminder:{n}") for n in range(300)]

    def job() -> None:
        with Session(engine_for(db_url)) as own:
            for chunk in range(0, len(batch), 50):
                notice_batch.send_once(own, batch[chunk : chunk + 50], NOW)
                own.commit()

    assert run_together(2, job) == []
    in_app, emails = written(session)
    assert len(in_app) == 300 and len(emails) == 300


def test_two_reminder_runs_at_once_send_each_reminder_once(session, members, db_url):
    day = APRIL_DUE - dt.timedelta(days=7)

    def job() -> None:
        with Session(engine_for(db_url)) as own:
            reminders.send_due(own, today=day, now=at(day))

    assert run_together(2, job) == []
    reminders.send_due(session, today=day, now=at(day) + dt.timedelta(hours=5))  # and a rerun later
    for member in members:
        assert len(notices_of(session, member.user_id, NoticeKind.PAYMENT_REMINDER)) == 1
        assert len(emails_to(session, member.email, NoticeKind.PAYMENT_REMINDER)) == 1


def test_two_late_fee_runs_at_once_charge_each_fee_once(session, members, db_url):
    day = APRIL_DUE + dt.timedelta(days=15)
    counts = []

    def job() -> None:
        with Session(engine_for(db_url)) as own:
            counts.append(delinquency.assess_late_fees(own, today=day, now=at(day)))

    assert run_together(2, job) == []
    assert sum(counts) == 2
    assert delinquency.assess_late_fees(session, today=day, now=at(day)) == 0  # a rerun
    for member in members:
        fees = late_fees(session, member.account_id)
        assert [(f.amount_cents, f.effective_on, f.description) for f in fees] == [
            (2500, day, "Late fee: April 2026 premium unpaid")
        ]
        assert len(notices_of(session, member.user_id, NoticeKind.LATE_FEE)) == 1
        assert len(emails_to(session, member.email, NoticeKind.LATE_FEE)) == 1


def test_two_claims_of_the_same_keys_in_opposite_orders_both_finish(session, db_url):
    """Keys are claimed in one order whoever lists them: on PostgreSQL, two transactions inserting
    the same unique keys in opposite orders would wait on each other and one be aborted."""
    keys = [f"test-order:{n:05d}" for n in range(1500)]
    claimed: list[set[str]] = []

    def job(order: list[str]) -> None:
        with Session(engine_for(db_url)) as own:
            claimed.append(notice_batch.claim(own, order, NOW))
            own.commit()

    orders = iter([keys, keys[::-1]])
    assert run_together(2, lambda: job(next(orders))) == []
    assert sorted(claimed[0] | claimed[1]) == keys and not claimed[0] & claimed[1]
