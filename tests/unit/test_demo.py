"""Demo data: the roster the README describes, with a ready login and an unclaimed identity."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from hcpay_app.models import BillingAccount, Member, User
from hcpay_app.services.accounts import authn, registration
from hcpay_app.services.common import validators
from hcpay_app.services.jobs import demo

IP = "192.0.2.10"


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def seeded(session, now, today):
    assert demo.is_empty(session)
    report = demo.seed(session, now=now, today=today)
    assert not demo.is_empty(session)
    return report


def test_seed_creates_the_demo_roster(session, seeded, today):
    assert (seeded.created, seeded.updated, seeded.errors) == (36, 0, [])
    assert count(session, Member) == 36
    assert count(session, BillingAccount) == 36
    assert count(session, User) == 12  # the ready login and every third member after the first two
    for member in session.exec(select(Member)).all():
        # Every demo row is something a real roster file could hold.
        assert validators.clean_name(member.first_name, "f", "first name") == member.first_name
        assert validators.clean_name(member.last_name, "l", "last name") == member.last_name
        assert validators.clean_email(member.email) == member.email
        assert member.date_of_birth < today
    assert len({m.email for m in session.exec(select(Member)).all()}) == 36


def test_ready_login_works(session, seeded, now):
    username = demo.READY_LOGIN["username"]
    user_id, token = authn.login(session, username=username, password=demo.DEMO_PASSWORD, ip=IP, now=now)
    who = authn.resolve(session, token, now=now)
    member = session.get(Member, who.member_id)
    assert member.member_number == demo.READY_LOGIN["member_number"]
    assert (member.first_name, member.last_name) == ("María", "López")


def test_unclaimed_identity_can_create_an_account(session, seeded, now, today, latest_code):
    person = demo.UNCLAIMED
    pending_id = registration.start(
        session,
        first_name=person["first_name"],
        last_name=person["last_name"],
        date_of_birth=person["date_of_birth"].strftime("%m/%d/%Y"),
        ssn=person["ssn"],
        email=person["email"],
        client_key=IP,
        now=now,
        today=today,
    )
    registration.choose_credentials(
        session, pending_id=pending_id, username="jordan.avery", password="Violet-Kayak-Thunder-93", now=now
    )
    user_id, _ = registration.verify(session, pending_id=pending_id, code=latest_code(), ip=IP, now=now)
    assert session.get(User, user_id).email == person["email"]


def test_seeding_twice_changes_nothing(session, seeded, now, today):
    users_before = {(u.username, u.member_id) for u in session.exec(select(User)).all()}
    again = demo.seed(session, now=now, today=today)
    assert (again.created, again.updated, again.errors) == (0, 36, [])
    assert count(session, Member) == 36 and count(session, BillingAccount) == 36
    assert {(u.username, u.member_id) for u in session.exec(select(User)).all()} == users_before
    assert authn.login(session, username=demo.READY_LOGIN["username"], password=demo.DEMO_PASSWORD, ip=IP, now=now)


def test_ready_login_works_when_seeding_a_database_that_already_has_members(session, add_member, now, today):
    add_member(member_number="000000000099", ssn="219550099", account_number="987650099")
    demo.seed(session, now=now, today=today)
    user_id, token = authn.login(
        session, username=demo.READY_LOGIN["username"], password=demo.DEMO_PASSWORD, ip=IP, now=now
    )
    member = session.get(Member, session.get(User, user_id).member_id)
    assert member.member_number == demo.READY_LOGIN["member_number"]
