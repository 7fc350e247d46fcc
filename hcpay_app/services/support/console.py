"""The support console (role `support`): find members and payments, read their records (SSN
always masked), and act — every action with a written reason, audited as who, what, when, why."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import or_
from sqlmodel import Session, select

from hcpay_app import clock, routes
from hcpay_app.i18n.message import Dated, DateText, Msg
from hcpay_app.models import (
    AuditEvent,
    BillingAccount,
    CoverageStatus,
    Dispute,
    EntryKind,
    LedgerEntry,
    LoginThrottle,
    Member,
    NoticeKind,
    Notification,
    Payment,
    PaymentStatus,
    Refund,
    Role,
    SupportTicket,
    TicketMessage,
    TicketStatus,
    User,
)
from hcpay_app.services.accounts import authn, notices, recovery
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.adapters import crypto
from hcpay_app.services.billing import ledger, paid_notices
from hcpay_app.services.common import audit, dates, money, references, validators
from hcpay_app.services.common.errors import NotAllowed, NotFound, ValidationError
from hcpay_app.services.payments import checkout, disputes, records, refunds, statuses
from hcpay_app.services.payments import templates as payment_templates
from hcpay_app.services.support import tables, watchlist
from hcpay_app.services.support import templates as support_templates
from hcpay_app.services.support.tickets import TicketView, language_name, staff_ticket_view
from hcpay_app.services.support.watchlist import Flag


@dataclasses.dataclass(frozen=True)
class MemberRow:
    member_id: int
    name: str
    member_number: str
    account_number: str
    username: str
    language: str = ""  # the member's language, in its own name ("Español")


@dataclasses.dataclass(frozen=True)
class Line:
    """One row of a list in the console: an id to act on, and display text."""

    id: int
    text: str
    detail: str


@dataclasses.dataclass(frozen=True)
class MemberRecord:
    member_id: int
    user_id: int
    name: str
    member_number: str
    masked_ssn: str
    email: str
    account_number: str
    plan: str
    coverage: str
    balance: str
    locked: bool
    payments: list[Line]
    ledger: list[Line]
    fees: list[Line]
    notices: list[Line]
    tickets: list[TicketView]
    flags: list[Flag] = dataclasses.field(default_factory=list)  # patterns worth a look (watchlist)
    language: str = ""  # the member's language, in its own name ("Español"): the one they read and write in


COVERAGE_LABELS = {
    CoverageStatus.PENDING_FIRST_PAYMENT: Msg("Pending First Payment"),
    CoverageStatus.ACTIVE: Msg("Active"),
    CoverageStatus.IN_GRACE: Msg("In Grace"),
    CoverageStatus.TERMINATED: Msg("Terminated"),
}
TABLE_ROWS_LIMIT = 500  # a member's payments in the console's table (newest first)


def require_staff(actor: SessionUser | None) -> SessionUser:
    if actor is None or actor.role != Role.SUPPORT:
        raise NotAllowed(Msg("Only support staff can do that."))
    return actor


def _reason(raw: object) -> str:
    text = " ".join(raw.split()) if isinstance(raw, str) else ""
    if len(text) < 5:
        raise ValidationError({"reason": Msg("Write the reason for this action (at least 5 characters).")})
    return text[:300]


def search_members(session: Session, staff: SessionUser, query: object) -> list[MemberRow]:
    require_staff(staff)
    text = query.replace("%", "").replace("_", "").strip()[:60] if isinstance(query, str) else ""
    if len(text) < 2:
        return []
    key = validators.name_key(text)  # case-, accent- and apostrophe-insensitive, as at registration
    rows = session.exec(
        select(Member, BillingAccount, User)
        .join(BillingAccount, BillingAccount.member_id == Member.id)
        .outerjoin(User, User.member_id == Member.id)
        .where(or_(Member.name_key.contains(key), BillingAccount.account_number == text, Member.member_number == text))
        .order_by(Member.last_name)
        .limit(25)
    ).all()
    return [
        MemberRow(
            m.id,
            f"{m.first_name} {m.last_name}",
            m.member_number,
            a.account_number,
            u.username if u else "",
            language_name(u.language if u else None),
        )
        for m, a, u in rows
    ]


def find_payment(session: Session, staff: SessionUser, reference: object) -> tuple[Payment, int]:
    """Any payment by reference: (payment, member id)."""
    require_staff(staff)
    canonical = references.normalize(reference)
    payment = session.exec(select(Payment).where(Payment.reference == canonical)).first() if canonical else None
    if payment is None:
        raise NotFound(Msg("No payment has that reference number."))
    account = session.get(BillingAccount, payment.billing_account_id)
    return payment, account.member_id


def member_record(
    session: Session, staff: SessionUser, member_id: object, *, today: dt.date, now: dt.datetime | None = None
) -> MemberRecord:
    require_staff(staff)
    member = session.get(Member, member_id) if type(member_id) is int else None
    if member is None:
        raise NotFound(Msg("No such member."))
    account = session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).first()
    user = session.exec(select(User).where(User.member_id == member.id)).first()
    throttle = (
        session.exec(select(LoginThrottle).where(LoginThrottle.username_key == user.username_key)).first()
        if user
        else None
    )
    payments = session.exec(
        select(Payment).where(Payment.billing_account_id == account.id).order_by(Payment.id.desc()).limit(30)
    ).all()
    entries = session.exec(
        select(LedgerEntry)
        .where(LedgerEntry.billing_account_id == account.id)
        .order_by(LedgerEntry.effective_on.desc(), LedgerEntry.id.desc())
        .limit(40)
    ).all()
    fee_keys = {f"waive-fee:{e.id}": e for e in entries if e.kind == EntryKind.LATE_FEE}
    waived = set(session.exec(select(notices.OnceMarker.key).where(notices.OnceMarker.key.in_(list(fee_keys)))).all())
    fees = [fee for key, fee in fee_keys.items() if key not in waived]
    notes = (
        session.exec(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc()).limit(20)
        ).all()
        if user
        else []
    )
    tickets = session.exec(
        select(SupportTicket)
        .where(SupportTicket.billing_account_id == account.id)
        .order_by(SupportTicket.id.desc())
        .limit(20)
    ).all()
    moment = now or clock.utcnow()
    flags = watchlist.flags_for_accounts(session, [account.id], now=moment).get(account.id, [])
    return MemberRecord(
        member_id=member.id,
        user_id=user.id if user else 0,
        name=f"{member.first_name} {member.last_name}",
        member_number=member.member_number,
        masked_ssn=crypto.mask_ssn(member.ssn_last4),
        email=member.email,
        account_number=account.account_number,
        plan=f"{account.plan_name} · {money.format_cents(account.monthly_premium_cents)}",
        coverage=COVERAGE_LABELS.get(account.coverage_status, account.coverage_status.replace("_", " ").title()),
        balance=money.format_cents(ledger.balance(session, account.id)),
        locked=bool(throttle and throttle.locked_until and throttle.locked_until > (now or clock.utcnow())),
        payments=[
            Line(
                p.id,
                Msg(
                    "{reference} · {amount} · {status}",
                    reference=p.reference,
                    amount=money.format_cents(p.amount_cents),
                    status=statuses.LABELS.get(p.status, p.status),
                ),
                Msg("{day} · {method}", day=p.payment_date, method=p.method_label),
            )
            for p in payments
        ],
        ledger=[
            Line(
                e.id,
                Msg(
                    "{day} · {kind} · {amount}",
                    day=e.effective_on,
                    kind=e.kind,
                    amount=money.format_cents(e.amount_cents),
                ),
                statuses.known_text(e.description) or "",
            )
            for e in entries
        ],
        fees=[
            Line(
                e.id,
                Msg("Late fee {amount}", amount=money.format_cents(e.amount_cents)),
                statuses.known_text(e.description) or "",
            )
            for e in fees
        ],
        notices=[Line(n.id, n.title, Dated(clock.local_date(n.created_at))) for n in notes],
        tickets=[staff_ticket_view(session, t, now=moment, flags=[f.label for f in flags]) for t in tickets],
        flags=flags,
        language=language_name(user.language if user else None),
    )


def payment_row(payment: Payment) -> dict:
    """A payment as a row of the console's payments table (`tables.PAYMENTS`): display strings,
    and the raw values sorting and filtering compare."""
    return {
        "date": dates.short_date(payment.payment_date),
        "reference": payment.reference,
        "method": payment.method_label,
        "amount": money.format_cents(payment.amount_cents),
        "status": statuses.LABELS.get(payment.status, str(payment.status)),
        "_date": (payment.payment_date.isoformat(), payment.id),
        "_amount": (payment.amount_cents, payment.id),
        "_status": str(payment.status),
        "_method": str(payment.method_kind),
    }


def refund_row(refund: Refund, view: refunds.RefundView) -> dict:
    """A refund as a row of the console's refunds table (`tables.REFUNDS`)."""
    return {
        "date": view.created,
        "reference": view.reference,
        "payment": view.payment_reference,
        "amount": view.amount,
        "reason": view.reason,
        "status": view.status_label + (f" — {view.failure}" if view.failure else ""),
        "_date": (refund.created_at.isoformat(), refund.id),
        "_amount": (refund.amount_cents, refund.id),
        "_status": str(refund.status),
    }


def dispute_row(dispute: Dispute, view: disputes.DisputeView) -> dict:
    """A dispute as a row of the console's disputes table (`tables.DISPUTES`)."""
    return {
        "date": view.opened_on,
        "reference": view.payment_reference,
        "amount": view.amount,
        "reason": view.reason,
        "status": view.status_label,
        "_date": (dispute.opened_on.isoformat(), dispute.id),
        "_amount": (dispute.amount_cents, dispute.id),
        "_status": str(dispute.status),
    }


def member_tables(session: Session, staff: SessionUser, member_id: object) -> dict[str, list[dict]]:
    """Every table of a member's record, by `tables.SPECS` name, rows newest first (see `tables`)."""
    require_staff(staff)
    member = session.get(Member, member_id) if type(member_id) is int else None
    if member is None:
        raise NotFound(Msg("No such member."))
    account = session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).first()
    payments = session.exec(
        select(Payment)
        .where(Payment.billing_account_id == account.id)
        .order_by(Payment.payment_date.desc(), Payment.id.desc())
        .limit(TABLE_ROWS_LIMIT)
    ).all()
    account_refunds = session.exec(
        select(Refund).where(Refund.billing_account_id == account.id).order_by(Refund.id.desc()).limit(TABLE_ROWS_LIMIT)
    ).all()
    account_disputes = session.exec(
        select(Dispute)
        .where(Dispute.billing_account_id == account.id)
        .order_by(Dispute.id.desc())
        .limit(TABLE_ROWS_LIMIT)
    ).all()
    # The payments the refund and dispute rows name, in one query: held here, so each row's view
    # finds its payment in the session's identity map instead of asking the database again.
    named = {r.payment_id for r in account_refunds} | {d.payment_id for d in account_disputes}
    held = session.exec(select(Payment).where(Payment.id.in_(named))).all() if named else []
    rows = {
        tables.PAYMENTS.name: [payment_row(p) for p in payments],
        tables.REFUNDS.name: [refund_row(r, refunds.view(session, r)) for r in account_refunds],
        tables.DISPUTES.name: [dispute_row(d, disputes.view(session, d)) for d in account_disputes],
    }
    del held
    return rows


def open_tickets(
    session: Session, staff: SessionUser, *, now: dt.datetime | None = None
) -> list[tuple[int, TicketView]]:
    """The queue: every request not closed, oldest first, with its member, age and watchlist badges."""
    require_staff(staff)
    moment = now or clock.utcnow()
    rows = session.exec(
        select(SupportTicket, BillingAccount)
        .join(BillingAccount)
        .where(SupportTicket.status != TicketStatus.CLOSED)
        .order_by(SupportTicket.id)
        .limit(50)
    ).all()
    flags = watchlist.flags_for_accounts(session, [account.id for _t, account in rows], now=moment)
    return [
        (
            account.member_id,
            staff_ticket_view(session, t, now=moment, flags=[f.label for f in flags.get(account.id, [])]),
        )
        for t, account in rows
    ]


def _ticket(session: Session, number: object) -> SupportTicket:
    ticket = (
        session.exec(select(SupportTicket).where(SupportTicket.ticket_number == number)).first()
        if isinstance(number, str)
        else None
    )
    if ticket is None:
        raise NotFound(Msg("No such ticket."))
    return ticket


def reply(
    session: Session, staff: SessionUser, *, ticket_number: object, body: object, close: bool, now: dt.datetime
) -> None:
    require_staff(staff)
    ticket = _ticket(session, ticket_number)
    text = body.strip() if isinstance(body, str) else ""
    if not 2 <= len(text) <= 2000:
        raise ValidationError({"body": Msg("Write a reply (up to 2,000 characters).")})
    session.add(
        TicketMessage(ticket_id=ticket.id, author_user_id=staff.user_id, from_support=True, body=text, created_at=now)
    )
    ticket.status, ticket.updated_at = (TicketStatus.CLOSED if close else TicketStatus.ANSWERED), now
    session.add(ticket)
    notices.notify(
        session,
        ticket.user_id,
        support_templates.support_replied(ticket.ticket_number, text),
        kind=NoticeKind.TICKET_REPLY,
        now=now,
        link=routes.SUPPORT,
    )
    audit.record(
        session,
        "ticket_replied" + ("_closed" if close else ""),
        now=now,
        actor_user_id=staff.user_id,
        subject_user_id=ticket.user_id,
        detail=ticket.ticket_number,
    )
    session.commit()


def close_ticket(
    session: Session, staff: SessionUser, *, ticket_number: object, reason: object, now: dt.datetime
) -> None:
    require_staff(staff)
    why = _reason(reason)
    ticket = _ticket(session, ticket_number)
    ticket.status, ticket.updated_at = TicketStatus.CLOSED, now
    session.add(ticket)
    audit.record(
        session,
        "ticket_closed",
        now=now,
        actor_user_id=staff.user_id,
        subject_user_id=ticket.user_id,
        detail=f"{ticket.ticket_number}: {why}",
    )
    session.commit()


def _subject_user(session: Session, account_id: int) -> int | None:
    account = session.get(BillingAccount, account_id)
    return session.exec(select(User.id).where(User.member_id == account.member_id)).first()


def waive_fee(
    session: Session, staff: SessionUser, *, entry_id: object, reason: object, now: dt.datetime, today: dt.date
) -> None:
    """Waive one late fee (once), with a ledger entry against the same invoice."""
    require_staff(staff)
    why = _reason(reason)
    fee = session.get(LedgerEntry, entry_id) if type(entry_id) is int else None
    if fee is None or fee.kind != EntryKind.LATE_FEE:
        raise NotFound(Msg("No such late fee."))

    def waive(s: Session) -> None:
        ledger.post(
            s,
            account_id=fee.billing_account_id,
            kind=EntryKind.FEE_WAIVER,
            amount_cents=-fee.amount_cents,
            effective_on=today,
            now=now,
            invoice_id=fee.invoice_id,
            description=Msg("Late fee waived: {why}", why=why),
        )
        paid_notices.resolve_for_account(s, fee.billing_account_id, now=now)  # the waiver may pay the bill
        audit.record(
            s,
            "fee_waived",
            now=now,
            actor_user_id=staff.user_id,
            subject_user_id=_subject_user(s, fee.billing_account_id),
            detail=f"{money.format_cents(fee.amount_cents)} (entry {fee.id}): {why}",
        )

    if not notices.run_once(session, f"waive-fee:{fee.id}", now, waive):
        raise ValidationError({"entry_id": Msg("This fee was already waived.")})


def post_adjustment(
    session: Session,
    staff: SessionUser,
    *,
    member_id: object,
    amount: object,
    direction: object,
    reason: object,
    now: dt.datetime,
    today: dt.date,
) -> None:
    """A credit to the member, or an extra charge on their newest invoice."""
    require_staff(staff)
    why = _reason(reason)
    member = session.get(Member, member_id) if type(member_id) is int else None
    if member is None:
        raise NotFound(Msg("No such member."))
    account = session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()
    try:
        cents = money.parse_dollars(amount)
    except money.AmountError as exc:
        raise ValidationError({"amount": exc.args[0] if exc.args else str(exc)}) from None  # a Msg stays one
    if not 1 <= cents <= 1_000_000:
        raise ValidationError({"amount": Msg("Adjustments are between $0.01 and $10,000.00.")})
    if direction == "credit":
        ledger.post(
            session,
            account_id=account.id,
            kind=EntryKind.CREDIT,
            amount_cents=-cents,
            effective_on=today,
            now=now,
            description=Msg("Credit: {why}", why=why),
        )
        paid_notices.resolve_for_account(session, account.id, now=now)  # the credit may pay a bill
    elif direction == "charge":
        newest = session.exec(
            select(ledger.Invoice)
            .where(ledger.Invoice.billing_account_id == account.id)
            .order_by(ledger.Invoice.due_on.desc())
        ).first()
        if newest is None:
            raise ValidationError({"amount": Msg("There's no invoice to add a charge to.")})
        ledger.post(
            session,
            account_id=account.id,
            kind=EntryKind.ADJUSTMENT,
            amount_cents=cents,
            effective_on=today,
            now=now,
            invoice_id=newest.id,
            description=Msg("Adjustment: {why}", why=why),
        )
    else:
        raise ValidationError({"direction": Msg("Choose credit or charge.")})
    audit.record(
        session,
        "adjustment_posted",
        now=now,
        actor_user_id=staff.user_id,
        subject_user_id=_subject_user(session, account.id),
        detail=f"{direction} {money.format_cents(cents)}: {why}",
    )
    session.commit()


def unlock(session: Session, staff: SessionUser, *, user_id: object, reason: object, now: dt.datetime) -> None:
    require_staff(staff)
    why = _reason(reason)
    user = session.get(User, user_id) if type(user_id) is int else None
    if user is None:
        raise NotFound(Msg("No such user."))
    authn.clear_lockouts(session, user)
    audit.record(session, "account_unlocked", now=now, actor_user_id=staff.user_id, subject_user_id=user.id, detail=why)
    session.commit()


def send_reset_email(
    session: Session, staff: SessionUser, *, user_id: object, reason: object, now: dt.datetime
) -> None:
    require_staff(staff)
    why = _reason(reason)
    user = session.get(User, user_id) if type(user_id) is int else None
    if user is None:
        raise NotFound(Msg("No such user."))
    recovery.issue_reset_link(session, user, now=now)  # not subject to the public rate limits
    audit.record(
        session,
        "reset_email_sent_by_support",
        now=now,
        actor_user_id=staff.user_id,
        subject_user_id=user.id,
        detail=why,
    )
    session.commit()


def cancel_payment(
    session: Session, staff: SessionUser, *, reference: object, reason: object, now: dt.datetime
) -> None:
    require_staff(staff)
    why = _reason(reason)
    payment, _member_id = find_payment(session, staff, reference)
    if not records.claim_scheduled(session, payment, now):
        raise ValidationError({"reference": Msg("Only a scheduled payment can be canceled.")})
    records.move(session, payment, PaymentStatus.CANCELED, now=now, note="Canceled by support")
    member_user = _subject_user(session, payment.billing_account_id)
    audit.record(
        session,
        "payment_canceled_by_support",
        now=now,
        actor_user_id=staff.user_id,
        subject_user_id=member_user,
        detail=f"{payment.reference}: {why}",
    )
    # Tell the member, by email and in the portal, in the same transaction. The written reason is
    # for the audit trail only: it is staff's note, not words for the member.
    checkout.email_member(
        session,
        session.get(BillingAccount, payment.billing_account_id),
        payment,
        NoticeKind.PAYMENT_CANCELED,
        now=now,
        lead=payment_templates.canceled_by_support_lead(payment),
    )
    if member_user is not None:
        notices.notify(
            session,
            member_user,
            payment_templates.canceled_by_support(payment),
            kind=NoticeKind.PAYMENT_CANCELED_BY_SUPPORT,
            now=now,
            link=notices.payment_link(payment.reference),
            by_email=False,
        )  # the email above already says it
    session.commit()


def audit_trail(session: Session, staff: SessionUser, limit: int = 100) -> list[Line]:
    require_staff(staff)
    rows = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)).all()
    people = {e.actor_user_id for e in rows} | {e.subject_user_id for e in rows}
    names = dict(session.exec(select(User.id, User.username).where(User.id.in_([p for p in people if p]))).all())
    return [
        Line(
            e.id,
            Msg(
                "{day} {time} · {action}",
                day=DateText(clock.local_date(e.at), "MMM d"),  # "Nov 30"
                time=clock.format_local_time(e.at),
                action=e.action,
            ),
            Msg(
                "by {actor} · about {subject} · {detail}",
                actor=names.get(e.actor_user_id) or Msg("system"),
                subject=names.get(e.subject_user_id, "—"),
                detail=e.detail,
            ),
        )
        for e in rows
    ]


def create_staff(session: Session, *, username: str, email: str, password: str, now: dt.datetime) -> int:
    """Operator command: a support login (validated like any password)."""
    from hcpay_app.services.adapters import passwords
    from hcpay_app.services.common import validators

    name = validators.clean_username(username)
    address = validators.clean_email(email)
    secret = validators.check_new_password(password, [name, address])
    if session.exec(select(User.id).where(User.username_key == validators.username_key(name))).first():
        raise ValidationError({"username": Msg("That username is taken.")})
    user = User(
        username=name,
        username_key=validators.username_key(name),
        email=address,
        password_hash=passwords.hash_password(secret),
        role=Role.SUPPORT,
        verified_at=now,
        password_changed_at=now,
        created_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(session, "staff_created", now=now, subject_user_id=user.id, detail=name)
    session.commit()
    return user.id
