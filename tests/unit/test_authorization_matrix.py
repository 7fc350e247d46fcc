"""Who may use the support console and the contact-support service: every console function, called by
nobody, by a member, by another member or by a forged role, is refused and writes nothing; staff get
through; staff can't open or list member requests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect

import pytest
from sqlmodel import select

from hcpay_app.models import LedgerEntry, LoginThrottle, Payment, PaymentStatus
from hcpay_app.services.accounts import authn
from hcpay_app.services.common.errors import AuthenticationFailed, NotAllowed
from hcpay_app.services.support import console, refund_review, tickets
from tests.unit.payment_helpers import TODAY, add_ben, billed_actor, card, submit
from tests.unit.support_helpers import REASON, add_late_fee, make_staff, open_one, snapshot


@dataclasses.dataclass
class World:
    renee: authn.SessionUser
    ben: authn.SessionUser
    staff: authn.SessionUser
    member_id: int
    fee_id: int
    scheduled_reference: str
    ticket_number: str
    now: dt.datetime
    today: dt.date


@pytest.fixture
def world(session, now, today, registered_user, add_member, register) -> World:
    """Renée with a late fee, a scheduled payment, an open request and a failed log-in; Ben; a staff user."""
    renee, account = billed_actor(session, registered_user)
    ben, _ben_account = add_ben(session, add_member, register)
    staff = make_staff(session, now)
    fee = add_late_fee(session, account, now=now, today=today)
    result = submit(session, renee, card(), 20000, on=TODAY + dt.timedelta(days=5))
    assert result.status == PaymentStatus.SCHEDULED
    ticket = open_one(session, renee, now=now)
    with pytest.raises(AuthenticationFailed):
        authn.login(session, username="renee.oneil", password="Not-The-Password-1", ip="203.0.113.9", now=now)
    assert session.exec(select(LoginThrottle)).one().failures == 1
    return World(renee, ben, staff, account.member_id, fee.id, result.reference, ticket.number, now, today)


# Every console function that takes an acting user, called with arguments that would work for staff.
CALLS = {
    "require_staff": lambda s, who, w: console.require_staff(who),
    "search_members": lambda s, who, w: console.search_members(s, who, "dubois"),
    "find_payment": lambda s, who, w: console.find_payment(s, who, w.scheduled_reference),
    "member_record": lambda s, who, w: console.member_record(s, who, w.member_id, today=w.today),
    "open_tickets": lambda s, who, w: console.open_tickets(s, who),
    "reply": lambda s, who, w: console.reply(
        s, who, ticket_number=w.ticket_number, body="We fixed it.", close=True, now=w.now
    ),
    "close_ticket": lambda s, who, w: console.close_ticket(
        s, who, ticket_number=w.ticket_number, reason=REASON, now=w.now
    ),
    "waive_fee": lambda s, who, w: console.waive_fee(
        s, who, entry_id=w.fee_id, reason=REASON, now=w.now, today=w.today
    ),
    "post_adjustment": lambda s, who, w: console.post_adjustment(
        s, who, member_id=w.member_id, amount="25.00", direction="credit", reason=REASON, now=w.now, today=w.today
    ),
    "unlock": lambda s, who, w: console.unlock(s, who, user_id=w.renee.user_id, reason=REASON, now=w.now),
    "send_reset_email": lambda s, who, w: console.send_reset_email(
        s, who, user_id=w.renee.user_id, reason=REASON, now=w.now
    ),
    "cancel_payment": lambda s, who, w: console.cancel_payment(
        s, who, reference=w.scheduled_reference, reason=REASON, now=w.now
    ),
    "audit_trail": lambda s, who, w: console.audit_trail(s, who),
    "member_tables": lambda s, who, w: console.member_tables(s, who, w.member_id),
}
OPERATOR_COMMANDS = {"create_staff"}  # no acting user: run from the CLI by an operator
# Pure formatters of rows that `member_tables` (staff-checked) has already read: no session, no data.
ROW_FORMATTERS = {"payment_row", "refund_row", "dispute_row"}


def intruders(w: World) -> dict[str, authn.SessionUser | None]:
    """Everyone who is not support staff, including sessions whose role was tampered with."""
    forged = {
        f"renee as {role!r}": dataclasses.replace(w.renee, role=role)
        for role in ("SUPPORT", "Support", "support ", "admin", "", None)
    }
    return {
        "nobody": None,
        "renee": w.renee,
        "ben": w.ben,
        "staff id, member role": dataclasses.replace(w.staff, role="member"),
        **forged,
    }


def test_the_matrix_covers_every_console_function():
    public = {
        name
        for name, fn in inspect.getmembers(console, inspect.isfunction)
        if fn.__module__ == console.__name__ and not name.startswith("_")
    }
    assert public == set(CALLS) | OPERATOR_COMMANDS | ROW_FORMATTERS
    for name in ROW_FORMATTERS:
        assert "session" not in inspect.signature(getattr(console, name)).parameters


def test_no_one_but_staff_can_review_or_issue_a_refund(session, world):
    reviewed = refund_review.RefundReview("HC-0000-0000-0000", "Visa ••••4242", "$1.00", 100, "$0.00", REASON, "")
    before = snapshot(session)
    for label, who in intruders(world).items():
        with pytest.raises(NotAllowed):
            refund_review.review(
                session,
                who,
                member_id=world.member_id,
                payment_reference="HC-0000-0000-0000",
                amount="1.00",
                reason=REASON,
                today=world.today,
            )
        with pytest.raises(NotAllowed):
            refund_review.issue(
                session, who, reviewed=reviewed, idempotency_key="k" * 32, now=world.now, today=world.today
            )
        assert snapshot(session) == before, f"a refund call by {label} wrote something"


@pytest.mark.parametrize("name", sorted(CALLS))
def test_no_one_but_staff_can_call(session, world, name):
    call = CALLS[name]
    before = snapshot(session)
    for label, who in intruders(world).items():
        with pytest.raises(NotAllowed):
            call(session, who, world)
        assert snapshot(session) == before, f"{name} by {label} wrote something"


@pytest.mark.parametrize("name", sorted(CALLS))
def test_staff_can_call(session, world, name):
    CALLS[name](session, world.staff, world)  # no NotAllowed, no other error


def test_staff_actions_take_effect(session, world):
    """The control for the matrix: the same calls by staff change what they should."""
    for name in ("waive_fee", "post_adjustment", "cancel_payment", "unlock", "close_ticket"):
        CALLS[name](session, world.staff, world)
    session.expire_all()
    assert session.exec(select(LoginThrottle)).all() == []
    assert (
        session.exec(select(Payment.status).where(Payment.reference == world.scheduled_reference)).one() == "canceled"
    )
    kinds = session.exec(select(LedgerEntry.kind).order_by(LedgerEntry.id.desc()).limit(2)).all()
    assert sorted(kinds) == ["credit", "fee_waiver"]


@pytest.mark.parametrize("who", ["nobody", "staff", "staff with a member id"])
def test_only_members_open_or_list_requests(session, world, who):
    actor = {
        "nobody": None,
        "staff": world.staff,
        "staff with a member id": dataclasses.replace(world.staff, member_id=world.renee.member_id),
    }[who]
    before = snapshot(session)
    with pytest.raises(NotAllowed):
        tickets.open_ticket(
            session, actor, topic="other", reference="", message="Please call me back soon.", now=world.now
        )
    with pytest.raises(NotAllowed):
        tickets.my_tickets(session, actor)
    assert snapshot(session) == before


def test_a_member_never_sees_anothers_requests(session, world):
    assert tickets.my_tickets(session, world.ben) == []
    assert [t.number for t in tickets.my_tickets(session, world.renee)] == [world.ticket_number]
