"""The support console: finding members and payments, the member record (SSN only masked), and
every staff action — each with a written reason, audited as who did what to whom and why."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlmodel import Session, select

from hcpay_app.db import engine_for
from hcpay_app.models import (
    BillingAccount,
    EntryKind,
    LedgerEntry,
    LoginThrottle,
    Notification,
    PasswordResetToken,
    Payment,
    PaymentEvent,
    PaymentStatus,
    User,
)
from hcpay_app.services.accounts import authn, recovery
from hcpay_app.services.billing import ledger
from hcpay_app.services.common import money, validators
from hcpay_app.services.common.errors import (
    AccountLocked,
    AuthenticationFailed,
    NotFound,
    ValidationError,
)
from hcpay_app.services.jobs import scheduled_charges
from hcpay_app.services.support import console
from tests.unit.billing_helpers import pay
from tests.unit.payment_helpers import TODAY, add_ben, billed_actor, card, submit
from tests.unit.support_helpers import (
    REASON,
    STAFF_USERNAME,
    add_late_fee,
    audits,
    balance,
    counts,
    invoices,
    make_staff,
    open_one,
    snapshot,
)

SSN = "219550123"  # Renée's, from the unit conftest's roster row
BAD_REASONS = [
    pytest.param("", id="empty"),
    pytest.param("    ", id="blank"),
    pytest.param("ok", id="two-letters"),
    pytest.param("abcd", id="four-letters"),
    pytest.param(" a  b ", id="spaced-letters"),
    pytest.param(None, id="none"),
    pytest.param(123456, id="number"),
]


@pytest.fixture
def renee(session, registered_user):
    """(acting user, billing account) for Renée, billed through TODAY."""
    return billed_actor(session, registered_user)


@pytest.fixture
def ben(session, add_member, register, renee):
    return add_ben(session, add_member, register)


@pytest.fixture
def staff(session, now):
    return make_staff(session, now)


def entries(session, account, kind: str) -> list[LedgerEntry]:
    session.expire_all()
    return list(
        session.exec(
            select(LedgerEntry)
            .where(LedgerEntry.billing_account_id == account.id, LedgerEntry.kind == kind)
            .order_by(LedgerEntry.id)
        ).all()
    )


def refuses_bad_reason(session, reason, call) -> None:
    """`call(reason)` is refused with a reason field error for a bad reason, writing nothing."""
    before = snapshot(session)
    with pytest.raises(ValidationError) as caught:
        call(reason)
    assert set(caught.value.errors) == {"reason"}, reason
    assert snapshot(session) == before


def assert_audited(session, action: str, *, staff, subject: int, reason: str = REASON):
    [event] = audits(session, action)
    assert event.actor_user_id == staff.user_id
    assert event.subject_user_id == subject
    assert reason in event.detail
    return event


# ---- waive a late fee ------------------------------------------------------------------------


def test_waiving_a_late_fee_posts_a_waiver_on_the_same_invoice(session, now, today, renee, staff):
    who, account = renee
    fee = add_late_fee(session, account, now=now, today=today)
    before = balance(session, account)

    console.waive_fee(session, staff, entry_id=fee.id, reason=REASON, now=now, today=today)

    [waiver] = entries(session, account, EntryKind.FEE_WAIVER)
    assert (waiver.amount_cents, waiver.invoice_id, waiver.effective_on) == (-2500, fee.invoice_id, today)
    assert REASON in waiver.description
    assert balance(session, account) == before - 2500
    event = assert_audited(session, "fee_waived", staff=staff, subject=who.user_id)
    assert "$25.00" in event.detail and f"entry {fee.id}" in event.detail
    record = console.member_record(session, staff, account.member_id, today=today)
    assert record.fees == []


def test_a_fee_can_be_waived_only_once(session, now, today, renee, staff):
    _who, account = renee
    fee = add_late_fee(session, account, now=now, today=today)
    console.waive_fee(session, staff, entry_id=fee.id, reason=REASON, now=now, today=today)
    after_first = balance(session, account)
    before = counts(session)

    with pytest.raises(ValidationError) as caught:
        console.waive_fee(session, staff, entry_id=fee.id, reason="Asked again on the phone", now=now, today=today)

    assert set(caught.value.errors) == {"entry_id"}
    assert balance(session, account) == after_first
    assert counts(session) == before


@pytest.mark.parametrize("which", ["premium", "payment", "unknown", "id-as-text", "none", "float"])
def test_only_late_fees_can_be_waived(session, now, today, renee, staff, which):
    _who, account = renee
    add_late_fee(session, account, now=now, today=today)
    premium = entries(session, account, EntryKind.PREMIUM)[0]
    payment = pay(session, account, 51250, TODAY)
    payment_entry = session.exec(select(LedgerEntry).where(LedgerEntry.payment_id == payment.id)).one()
    before = snapshot(session)

    entry_id = {
        "premium": premium.id,
        "payment": payment_entry.id,
        "unknown": 999_999,
        "id-as-text": str(premium.id),
        "none": None,
        "float": 1.0,
    }[which]
    with pytest.raises(NotFound):
        console.waive_fee(session, staff, entry_id=entry_id, reason=REASON, now=now, today=today)
    assert snapshot(session) == before


@pytest.mark.parametrize("reason", BAD_REASONS)
def test_waiving_needs_a_reason(session, now, today, renee, staff, reason):
    _who, account = renee
    fee = add_late_fee(session, account, now=now, today=today)
    refuses_bad_reason(
        session,
        reason,
        lambda bad: console.waive_fee(session, staff, entry_id=fee.id, reason=bad, now=now, today=today),
    )


def test_a_long_reason_is_kept_to_300_characters_with_spaces_collapsed(session, now, today, renee, staff):
    _who, account = renee
    fee = add_late_fee(session, account, now=now, today=today)
    console.waive_fee(session, staff, entry_id=fee.id, reason="Member   called\n\t" + "x" * 400, now=now, today=today)
    [event] = audits(session, "fee_waived")
    assert "Member called " + "x" * 286 in event.detail
    assert "x" * 287 not in event.detail


# ---- adjustments -----------------------------------------------------------------------------


def test_a_credit_is_a_negative_credit_entry(session, now, today, renee, staff):
    who, account = renee
    before = balance(session, account)

    console.post_adjustment(
        session,
        staff,
        member_id=account.member_id,
        amount="$25.00",
        direction="credit",
        reason=REASON,
        now=now,
        today=today,
    )

    [credit] = entries(session, account, EntryKind.CREDIT)
    assert (credit.amount_cents, credit.invoice_id, credit.effective_on) == (-2500, None, today)
    assert balance(session, account) == before - 2500
    event = assert_audited(session, "adjustment_posted", staff=staff, subject=who.user_id)
    assert event.detail == f"credit $25.00: {REASON}"


def test_a_charge_is_a_positive_adjustment_on_the_newest_invoice(session, now, today, renee, staff):
    who, account = renee
    newest = invoices(session, account)[-1]
    before = balance(session, account)

    console.post_adjustment(
        session,
        staff,
        member_id=account.member_id,
        amount="1,010.5",
        direction="charge",
        reason=REASON,
        now=now,
        today=today,
    )

    [charge] = entries(session, account, EntryKind.ADJUSTMENT)
    assert (charge.amount_cents, charge.invoice_id) == (101050, newest.id)
    assert balance(session, account) == before + 101050
    event = assert_audited(session, "adjustment_posted", staff=staff, subject=who.user_id)
    assert event.detail == f"charge $1,010.50: {REASON}"


@pytest.mark.parametrize(
    "amount",
    [
        pytest.param("0", id="zero"),
        pytest.param("0.00", id="zero-cents"),
        pytest.param("-5", id="negative"),
        pytest.param("$-5.00", id="negative-dollars"),
        pytest.param("abc", id="letters"),
        pytest.param("", id="empty"),
        pytest.param("10000.01", id="over-the-limit"),
        pytest.param("1.234", id="fraction-of-a-cent"),
        pytest.param(25, id="int"),
        pytest.param(25.0, id="float"),
        pytest.param(None, id="none"),
    ],
)
@pytest.mark.parametrize("direction", ["credit", "charge"])
def test_bad_adjustment_amounts_are_refused(session, now, today, renee, staff, amount, direction):
    _who, account = renee
    before = snapshot(session)
    with pytest.raises(ValidationError) as caught:
        console.post_adjustment(
            session,
            staff,
            member_id=account.member_id,
            amount=amount,
            direction=direction,
            reason=REASON,
            now=now,
            today=today,
        )
    assert set(caught.value.errors) == {"amount"}, (amount, direction)
    assert snapshot(session) == before


def test_the_adjustment_limits_are_inclusive(session, now, today, renee, staff):
    _who, account = renee
    for amount in ("0.01", "10000.00"):
        console.post_adjustment(
            session,
            staff,
            member_id=account.member_id,
            amount=amount,
            direction="credit",
            reason=REASON,
            now=now,
            today=today,
        )
    assert [e.amount_cents for e in entries(session, account, EntryKind.CREDIT)] == [-1, -1_000_000]


@pytest.mark.parametrize(
    "direction",
    [
        pytest.param("", id="empty"),
        pytest.param("refund", id="refund"),
        pytest.param("Credit", id="capitalized"),
        pytest.param(None, id="none"),
        pytest.param(True, id="bool"),
    ],
)
def test_an_adjustment_needs_a_direction(session, now, today, renee, staff, direction):
    _who, account = renee
    before = snapshot(session)
    with pytest.raises(ValidationError) as caught:
        console.post_adjustment(
            session,
            staff,
            member_id=account.member_id,
            amount="5.00",
            direction=direction,
            reason=REASON,
            now=now,
            today=today,
        )
    assert set(caught.value.errors) == {"direction"}, direction
    assert snapshot(session) == before


@pytest.mark.parametrize("reason", BAD_REASONS)
@pytest.mark.parametrize("direction", ["credit", "charge"])
def test_an_adjustment_needs_a_reason(session, now, today, renee, staff, direction, reason):
    _who, account = renee
    refuses_bad_reason(
        session,
        reason,
        lambda bad: console.post_adjustment(
            session,
            staff,
            member_id=account.member_id,
            amount="5.00",
            direction=direction,
            reason=bad,
            now=now,
            today=today,
        ),
    )


@pytest.mark.parametrize("which", ["unknown", "id-as-text", "none"])
def test_an_adjustment_for_an_unknown_member_is_not_found(session, now, today, renee, staff, which):
    _who, account = renee
    before = snapshot(session)
    member_id = {"unknown": 999_999, "id-as-text": str(account.member_id), "none": None}[which]
    with pytest.raises(NotFound):
        console.post_adjustment(
            session,
            staff,
            member_id=member_id,
            amount="5.00",
            direction="credit",
            reason=REASON,
            now=now,
            today=today,
        )
    assert snapshot(session) == before


def test_a_charge_needs_an_invoice_to_sit_on(session, now, today, member, staff):
    assert invoices(session, session.exec(select(BillingAccount)).one()) == []
    before = snapshot(session)
    with pytest.raises(ValidationError) as caught:
        console.post_adjustment(
            session, staff, member_id=member.id, amount="5.00", direction="charge", reason=REASON, now=now, today=today
        )
    assert set(caught.value.errors) == {"amount"}
    assert snapshot(session) == before


# ---- unlock ----------------------------------------------------------------------------------


def lock_out(session, registered, now) -> None:
    for _ in range(20):
        try:
            authn.login(session, username=registered.username, password="Wrong-Password-1", ip="203.0.113.9", now=now)
        except AccountLocked:
            return
        except AuthenticationFailed:  # until the threshold
            continue
    raise AssertionError("never locked")


def test_unlock_removes_the_lockout_so_the_member_can_log_in(session, now, renee, registered_user, staff):
    who, _account = renee
    lock_out(session, registered_user, now)
    with pytest.raises(AccountLocked):
        authn.login(
            session, username=registered_user.username, password=registered_user.password, ip="203.0.113.9", now=now
        )

    console.unlock(session, staff, user_id=who.user_id, reason=REASON, now=now)

    key = validators.username_key(registered_user.username)
    assert session.exec(select(LoginThrottle).where(LoginThrottle.username_key == key)).first() is None
    user_id, token = authn.login(
        session, username=registered_user.username, password=registered_user.password, ip="203.0.113.9", now=now
    )
    assert user_id == who.user_id and authn.resolve(session, token, now=now) is not None
    event = assert_audited(session, "account_unlocked", staff=staff, subject=who.user_id)
    assert event.detail == REASON


def test_unlocking_a_user_who_is_not_locked_is_harmless_and_audited(session, now, renee, staff):
    who, _account = renee
    console.unlock(session, staff, user_id=who.user_id, reason=REASON, now=now)
    assert_audited(session, "account_unlocked", staff=staff, subject=who.user_id)


def test_unlock_touches_only_that_members_throttle(session, now, renee, registered_user, ben, staff):
    who, _account = renee
    lock_out(session, registered_user, now)
    with pytest.raises(AuthenticationFailed):
        authn.login(session, username="ben.okafor", password="nope-nope-nope", ip="203.0.113.9", now=now)
    console.unlock(session, staff, user_id=who.user_id, reason=REASON, now=now)
    keys = session.exec(select(LoginThrottle.username_key)).all()
    assert keys == ["ben.okafor"]


def test_the_member_record_shows_a_lockout(session, now, today, renee, registered_user, staff):
    _who, account = renee
    lock_out(session, registered_user, now)
    assert console.member_record(session, staff, account.member_id, today=today, now=now).locked is True
    later = now + dt.timedelta(hours=2)  # the lockout has run out
    assert console.member_record(session, staff, account.member_id, today=today, now=later).locked is False


@pytest.mark.parametrize("reason", BAD_REASONS)
def test_unlock_needs_a_reason(session, now, renee, registered_user, staff, reason):
    who, _account = renee
    lock_out(session, registered_user, now)
    refuses_bad_reason(
        session, reason, lambda bad: console.unlock(session, staff, user_id=who.user_id, reason=bad, now=now)
    )


@pytest.mark.parametrize("which", ["unknown", "id-as-text", "none"])
def test_unlocking_an_unknown_user_is_not_found(session, now, renee, staff, which):
    who, _account = renee
    before = snapshot(session)
    user_id = {"unknown": 999_999, "id-as-text": str(who.user_id), "none": None}[which]
    with pytest.raises(NotFound):
        console.unlock(session, staff, user_id=user_id, reason=REASON, now=now)
    assert snapshot(session) == before


# ---- password reset email --------------------------------------------------------------------


def test_support_can_send_a_password_reset_email(session, now, renee, staff, outbox):
    who, _account = renee
    console.send_reset_email(session, staff, user_id=who.user_id, reason=REASON, now=now)

    [email] = outbox("password_reset")
    user = session.get(User, who.user_id)
    assert email.to_address == user.email
    assert "/reset-password?token=" in email.body and "renee.oneil" in email.body
    assert len(session.exec(select(PasswordResetToken).where(PasswordResetToken.user_id == who.user_id)).all()) == 1
    assert_audited(session, "reset_email_sent_by_support", staff=staff, subject=who.user_id)


@pytest.mark.parametrize("reason", BAD_REASONS)
def test_a_reset_email_needs_a_reason(session, now, renee, staff, reason):
    who, _account = renee
    refuses_bad_reason(
        session, reason, lambda bad: console.send_reset_email(session, staff, user_id=who.user_id, reason=bad, now=now)
    )


def test_a_reset_email_for_an_unknown_user_is_not_found(session, now, renee, staff):
    before = snapshot(session)
    with pytest.raises(NotFound):
        console.send_reset_email(session, staff, user_id=999_999, reason=REASON, now=now)
    assert snapshot(session) == before


def test_support_reset_emails_are_not_capped_across_all_members(session, now, renee, staff, outbox):
    users = []
    for n in range(6):
        name = f"member{n}.test"
        user = User(
            username=name,
            username_key=validators.username_key(name),
            email=f"{name}@example.com",
            password_hash="x",
            verified_at=now,
            password_changed_at=now,
            created_at=now,
        )
        session.add(user)
        users.append(user)
    session.commit()

    for user in users:
        console.send_reset_email(session, staff, user_id=user.id, reason=REASON, now=now)

    assert len(audits(session, "reset_email_sent_by_support")) == 6
    assert sorted(e.to_address for e in outbox("password_reset")) == sorted(u.email for u in users)


def test_a_reset_from_support_still_goes_out_after_the_members_own_attempts(session, now, renee, staff, outbox):
    who, _account = renee
    for n in range(5):
        recovery.request_password_reset(session, identifier="renee.oneil", ip=f"203.0.113.{n}", now=now)
    assert len(outbox("password_reset")) == 5

    console.send_reset_email(session, staff, user_id=who.user_id, reason=REASON, now=now)

    assert len(outbox("password_reset")) == 6


# ---- cancel a scheduled payment --------------------------------------------------------------


def scheduled(session, who) -> Payment:
    result = submit(session, who, card(), 20000, on=TODAY + dt.timedelta(days=7))
    assert result.status == PaymentStatus.SCHEDULED
    return session.exec(select(Payment).where(Payment.reference == result.reference)).one()


def test_a_scheduled_payment_can_be_canceled(session, now, renee, staff):
    who, _account = renee
    payment = scheduled(session, who)
    typed = payment.reference.replace("-", "").lower()

    console.cancel_payment(session, staff, reference=typed, reason=REASON, now=now)

    session.expire_all()
    assert session.get(Payment, payment.id).status == PaymentStatus.CANCELED
    steps = session.exec(
        select(PaymentEvent.status, PaymentEvent.note)
        .where(PaymentEvent.payment_id == payment.id)
        .order_by(PaymentEvent.id)
    ).all()
    assert steps[-1] == (PaymentStatus.CANCELED, "Canceled by support")
    event = assert_audited(session, "payment_canceled_by_support", staff=staff, subject=who.user_id)
    assert event.detail == f"{payment.reference}: {REASON}"
    # and the daily job no longer charges it
    assert (
        scheduled_charges.run_scheduled(session, today=TODAY + dt.timedelta(days=7), now=now + dt.timedelta(days=7))
        == 0
    )


def test_the_member_is_emailed_and_notified_when_support_cancels(session, now, renee, staff, outbox):
    who, account = renee
    payment = scheduled(session, who)
    later = now + dt.timedelta(hours=2)

    console.cancel_payment(session, staff, reference=payment.reference, reason=REASON, now=later)

    told = (
        "Our support team canceled your scheduled payment of $200.00 that was to be made on Mar 17, 2026. "
        "Nothing was charged. If you didn't ask for this, please contact us under Help → Contact support."
    )
    [email] = outbox("payment_canceled")
    assert email.to_address == "Renee.ONeil@example.com"  # the member's address on file, like every payment email
    assert email.subject == f"Scheduled payment canceled — {payment.reference}"
    assert email.body.startswith(f"Hello Renée,\n\n{told}\n\nReference number: {payment.reference}\n")
    assert "Status: Canceled" in email.body and email.created_at == later
    assert REASON not in email.body  # the reason is staff's note for the audit trail
    [note] = session.exec(select(Notification).where(Notification.user_id == who.user_id)).all()
    assert (note.kind, note.title, note.created_at) == (
        "payment_canceled_by_support",
        f"Scheduled payment canceled — {payment.reference}",
        later,
    )
    assert note.body == f"{told}\n\nReference number: {payment.reference}" and REASON not in note.body
    record = console.member_record(session, staff, account.member_id, today=TODAY, now=later)
    assert [n.text for n in record.notices] == [note.title]  # staff see the notice the member got


@pytest.mark.parametrize("which", ["already-paid", "unknown"])
def test_a_refused_cancel_emails_and_notifies_no_one(session, now, renee, staff, outbox, which):
    who, account = renee
    done = pay(session, account, 51250, TODAY)
    reference = {"already-paid": done.reference, "unknown": "HC-0000-0000-0000"}[which]
    with pytest.raises((ValidationError, NotFound)):
        console.cancel_payment(session, staff, reference=reference, reason=REASON, now=now)
    payment = scheduled(session, who)
    with pytest.raises(ValidationError):
        console.cancel_payment(session, staff, reference=payment.reference, reason="no", now=now)
    assert outbox("payment_canceled") == []
    assert session.exec(select(Notification).where(Notification.user_id == who.user_id)).all() == []


@pytest.mark.parametrize("which", ["succeeded", "canceled"])
def test_only_a_scheduled_payment_can_be_canceled(session, now, renee, staff, which):
    who, account = renee
    done = pay(session, account, 51250, TODAY)
    canceled = scheduled(session, who)
    console.cancel_payment(session, staff, reference=canceled.reference, reason=REASON, now=now)
    before = snapshot(session)

    reference = {"succeeded": done.reference, "canceled": canceled.reference}[which]
    with pytest.raises(ValidationError) as caught:
        console.cancel_payment(session, staff, reference=reference, reason=REASON, now=now)
    assert set(caught.value.errors) == {"reference"}
    with pytest.raises(NotFound):
        console.cancel_payment(session, staff, reference="HC-0000-0000-0000", reason=REASON, now=now)
    assert snapshot(session) == before


@pytest.mark.parametrize("reason", BAD_REASONS)
def test_canceling_needs_a_reason(session, now, renee, staff, reason):
    who, _account = renee
    payment = scheduled(session, who)
    refuses_bad_reason(
        session,
        reason,
        lambda bad: console.cancel_payment(session, staff, reference=payment.reference, reason=bad, now=now),
    )


def test_canceling_races_safely_with_the_daily_job(session, db_url, now, renee, staff, monkeypatch):
    who, _account = renee
    payment = scheduled(session, who)
    run_day = payment.payment_date
    real_find = console.find_payment

    def find_then_job_runs(s, actor, reference):
        found = real_find(s, actor, reference)
        with Session(engine_for(db_url)) as job:  # the daily job, in its own session, in between
            assert scheduled_charges.run_scheduled(job, today=run_day, now=now) == 1
        return found

    monkeypatch.setattr(console, "find_payment", find_then_job_runs)
    with pytest.raises(ValidationError):
        console.cancel_payment(session, staff, reference=payment.reference, reason=REASON, now=now)
    session.expire_all()
    assert session.get(Payment, payment.id).status == PaymentStatus.SUCCEEDED


# ---- audit trail -----------------------------------------------------------------------------


def test_the_audit_trail_lists_staff_actions_newest_first(session, now, today, renee, staff):
    who, account = renee
    fee = add_late_fee(session, account, now=now, today=today)
    ticket = open_one(session, who, now=now)
    later = [now + dt.timedelta(minutes=n) for n in range(1, 6)]
    console.waive_fee(session, staff, entry_id=fee.id, reason="Waive: first late payment", now=later[0], today=today)
    console.post_adjustment(
        session,
        staff,
        member_id=account.member_id,
        amount="5",
        direction="credit",
        reason="Goodwill credit",
        now=later[1],
        today=today,
    )
    console.unlock(session, staff, user_id=who.user_id, reason="Verified by phone", now=later[2])
    console.reply(session, staff, ticket_number=ticket.number, body="Thanks, all fixed.", close=False, now=later[3])
    console.close_ticket(session, staff, ticket_number=ticket.number, reason="Resolved on call", now=later[4])

    trail = console.audit_trail(session, staff)
    ids = [line.id for line in trail]
    assert ids == sorted(ids, reverse=True)
    actions = [line.text.split(" · ")[-1] for line in trail]
    assert actions[:5] == ["ticket_closed", "ticket_replied", "account_unlocked", "adjustment_posted", "fee_waived"]
    assert trail[0].text.startswith("Mar 10 1:05 PM ET")
    assert trail[0].detail == f"by {STAFF_USERNAME} · about renee.oneil · {ticket.number}: Resolved on call"
    assert "Goodwill credit" in trail[3].detail
    assert [line.id for line in console.audit_trail(session, staff, limit=2)] == ids[:2]


# ---- search and lookup -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("renée", id="first-name"),
        pytest.param("RENÉE", id="first-name-upper-case"),
        pytest.param("o’neil", id="part-of-last-name"),
        pytest.param("O’NEIL-DUBOIS", id="last-name-upper-case"),
        pytest.param("neil-dub", id="middle-of-last-name"),
        pytest.param("Renée O’Neil", id="full-name"),
        pytest.param("  dubois  ", id="padded"),
    ],
)
def test_search_by_part_of_a_name_ignores_case(session, renee, ben, staff, query):
    _who, account = renee
    rows = console.search_members(session, staff, query)
    assert [(r.name, r.account_number, r.member_number, r.username) for r in rows] == [
        ("Renée O’Neil-Dubois", "987654321", "123456789012", "renee.oneil")
    ], query
    assert rows[0].member_id == account.member_id


@pytest.mark.parametrize(
    ("query", "name"),
    [
        pytest.param("o'neil", "Renée O’Neil-Dubois", id="straight-apostrophe"),
        pytest.param("RENEE O'NEIL", "Renée O’Neil-Dubois", id="no-accent-upper-case"),
        pytest.param("ÉLODIE", "Élodie Zola", id="accented-upper-case"),
        pytest.param("élodie", "Élodie Zola", id="accented-lower-case"),
        pytest.param("elodie z", "Élodie Zola", id="no-accent"),
    ],
)
def test_search_forgives_apostrophe_style_accents_and_non_ascii_case(session, add_member, renee, staff, query, name):
    """Staff type a straight apostrophe and often no accents; SQLite's lower()/LIKE fold ASCII only."""
    add_member(
        member_number="123456789099",
        first_name="Élodie",
        last_name="Zola",
        ssn="219550199",
        email="elodie@example.com",
        account_number="987654399",
    )
    assert [r.name for r in console.search_members(session, staff, query)] == [name], query


def test_search_by_a_name_finds_everyone_matching(session, renee, ben, staff):
    assert [r.name for r in console.search_members(session, staff, "e")] == []  # too short
    assert [r.name for r in console.search_members(session, staff, "ok")] == ["Ben Okafor"]
    names = [r.name for r in console.search_members(session, staff, "o")]
    assert names == []
    assert sorted(r.name for r in console.search_members(session, staff, "en")) == ["Ben Okafor", "Renée O’Neil-Dubois"]


def test_search_by_exact_billing_account_number(session, renee, ben, staff):
    assert [r.name for r in console.search_members(session, staff, "987654322")] == ["Ben Okafor"]
    assert [r.name for r in console.search_members(session, staff, " 987654321 ")] == ["Renée O’Neil-Dubois"]
    assert console.search_members(session, staff, "98765432") == []  # only the whole number
    assert console.search_members(session, staff, "9876543210") == []


def test_search_by_12_digit_member_id(session, renee, ben, staff):
    assert [r.name for r in console.search_members(session, staff, "123456789013")] == ["Ben Okafor"]
    assert [r.name for r in console.search_members(session, staff, "123456789012")] == ["Renée O’Neil-Dubois"]
    assert console.search_members(session, staff, "12345678901") == []


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("", id="empty"),
        pytest.param(" ", id="blank"),
        pytest.param("x", id="one-letter"),
        pytest.param(None, id="none"),
        pytest.param(987654321, id="number"),
        pytest.param(["renée"], id="list"),
        pytest.param("%", id="percent"),
        pytest.param("_", id="underscore"),
        pytest.param("zzz-nobody", id="nobody"),
    ],
)
def test_search_with_nothing_useful_finds_nothing(session, renee, staff, query):
    assert console.search_members(session, staff, query) == [], query


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("%%", id="percents"),
        pytest.param("__", id="underscores"),
        pytest.param("%_", id="percent-underscore"),
        pytest.param(" %% ", id="padded-percents"),
        pytest.param("%e%", id="percent-letter-percent"),
    ],
)
def test_wildcards_alone_do_not_list_every_member(session, renee, ben, staff, query):
    assert console.search_members(session, staff, query) == [], query


def test_search_lists_a_member_without_a_login(session, member, staff):
    [row] = console.search_members(session, staff, "dubois")
    assert row.username == ""


@pytest.mark.parametrize("how", ["no-dashes-lower-case", "spaces-lower-case", "padded"])
def test_find_payment_by_a_reference_typed_loosely(session, renee, ben, staff, how):
    _who, account = renee
    _ben, ben_account = ben
    mine = pay(session, account, 51250, TODAY)
    his = pay(session, ben_account, 10000, TODAY)

    typed = {
        "no-dashes-lower-case": mine.reference.replace("-", "").lower(),
        "spaces-lower-case": mine.reference.replace("-", " ").lower(),
        "padded": f"  {mine.reference}  ",
    }[how]
    found, member_id = console.find_payment(session, staff, typed)
    assert (found.id, member_id) == (mine.id, account.member_id)
    found, member_id = console.find_payment(session, staff, his.reference.lower())
    assert (found.id, member_id) == (his.id, ben_account.member_id)


@pytest.mark.parametrize("typed", ["HC-0000-0000-0000", "", "garbage", None, 42])
def test_find_payment_with_an_unknown_reference_is_not_found(session, renee, staff, typed):
    with pytest.raises(NotFound):
        console.find_payment(session, staff, typed)


# ---- member record ---------------------------------------------------------------------------


def test_the_member_record_shows_only_a_masked_ssn(session, now, today, renee, staff):
    who, account = renee
    add_late_fee(session, account, now=now, today=today)
    payment = pay(session, account, 51250, TODAY)
    ticket = open_one(session, who, now=now)

    record = console.member_record(session, staff, account.member_id, today=today)

    assert record.masked_ssn == "•••-••-0123"
    text = repr(record)
    for secret in (SSN, "219-55-0123", "219 55 0123"):
        assert secret not in text
    for value in dataclasses.asdict(record).values():
        assert SSN not in str(value)
    assert (record.member_id, record.user_id, record.name, record.member_number, record.account_number) == (
        account.member_id,
        who.user_id,
        "Renée O’Neil-Dubois",
        "123456789012",
        "987654321",
    )
    assert record.email == "Renee.ONeil@example.com"
    assert record.plan == "Silver Select PPO · $512.50"
    assert record.balance == money.format_cents(ledger.balance(session, account.id))
    assert record.payments[0].id == payment.id and payment.reference in record.payments[0].text
    assert [line.text for line in record.fees] == ["Late fee $25.00"]
    assert [t.number for t in record.tickets] == [ticket.number]
    assert record.locked is False


def test_a_member_without_a_login_has_a_record_too(session, today, member, staff):
    record = console.member_record(session, staff, member.id, today=today)
    assert record.user_id == 0 and record.masked_ssn == "•••-••-0123"
    assert record.notices == [] and record.payments == []


@pytest.mark.parametrize("member_id", [999_999, "1", None, 1.0])
def test_the_record_of_an_unknown_member_is_not_found(session, today, member, staff, member_id):
    with pytest.raises(NotFound):
        console.member_record(session, staff, member_id, today=today)


def test_staff_accounts_are_made_like_any_login(session, now):
    before = counts(session)
    with pytest.raises(ValidationError):
        console.create_staff(
            session, username="sam.support", email="sam@connector.example", password="password1", now=now
        )
    assert counts(session) == before
    make_staff(session, now)
    with pytest.raises(ValidationError) as caught:
        console.create_staff(
            session,
            username="SAM.SUPPORT",
            email="other@connector.example",
            password="Quartz-Meadow-Lantern-58",
            now=now,
        )
    assert set(caught.value.errors) == {"username"}
    [event] = audits(session, "staff_created")
    assert event.detail == "sam.support"
