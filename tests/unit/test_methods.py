"""Saved payment methods: a token and a masked label per member, one default, only the owner can
touch them, and a method a scheduled payment needs can't silently disappear."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from hcpay_app.config import get_settings
from hcpay_app.models import LoginThrottle, PaymentMethod, PaymentStatus
from hcpay_app.services.accounts import authn
from hcpay_app.services.common.errors import AccountLocked, NotAllowed, NotFound, ValidationError
from hcpay_app.services.jobs import scheduled_charges
from hcpay_app.services.payments import checkout, methods
from tests.unit.payment_helpers import (
    BANKS,
    CARDS,
    NOW,
    TODAY,
    add_ben,
    at,
    bank,
    billed_actor,
    card,
    payment,
    sandbox_charges,
    submit,
    token_of,
)


@pytest.fixture
def renee(session, registered_user):
    return billed_actor(session, registered_user)[0]


def save(session, who, choice, nickname: str = "") -> PaymentMethod:
    method = methods.save(session, who, token_of(choice), nickname=nickname, now=NOW)
    session.commit()
    return method


def test_the_first_saved_method_becomes_the_default(session, renee):
    visa = save(session, renee, card(), "My Visa")
    checking = save(session, renee, bank())
    assert (visa.is_default, checking.is_default) == (True, False)
    listed = methods.list_methods(session, renee)
    assert [(m.id, m.label, m.nickname, m.expires, m.is_default) for m in listed] == [
        (visa.id, "Visa ••••4242", "My Visa", "12/30", True),
        (checking.id, "Checking ••••6789", "", "", False),
    ]
    stored = session.get(PaymentMethod, visa.id)
    assert stored.processor_token == visa.processor_token and stored.processor_token.startswith("sbx_card_")


@pytest.mark.parametrize("action", ["set-default", "rename", "remove"])
def test_set_default_and_rename_work_only_on_your_own_methods(session, renee, add_member, register, action):
    ben = add_ben(session, add_member, register)[0]
    mine_first, mine_second = save(session, renee, card()), save(session, renee, bank())
    bens = save(session, ben, card(CARDS["insufficient_funds"]))
    assert bens.is_default  # defaults are per member

    methods.set_default(session, renee, mine_second.id)
    assert [m.id for m in methods.list_methods(session, renee) if m.is_default] == [mine_second.id]
    methods.rename(session, renee, mine_first.id, "  Work   card ")
    assert session.get(PaymentMethod, mine_first.id).nickname == "Work card"

    on_bens = {
        "set-default": lambda: methods.set_default(session, renee, bens.id),
        "rename": lambda: methods.rename(session, renee, bens.id, "Mine now"),
        "remove": lambda: methods.remove(session, renee, bens.id, now=NOW),
    }[action]
    with pytest.raises(NotFound):
        on_bens()
    session.expire_all()
    untouched = session.get(PaymentMethod, bens.id)
    assert (untouched.is_default, untouched.nickname, untouched.removed_at) == (True, "", None)
    assert [m.id for m in methods.list_methods(session, ben)] == [bens.id]
    assert bens.id not in {m.id for m in methods.list_methods(session, renee)}


@pytest.mark.parametrize("method_id", ["1", None, 1.0, -1, 10**9, [1]])
def test_method_ids_that_are_not_your_methods_read_as_not_found(session, renee, method_id):
    save(session, renee, card())
    with pytest.raises(NotFound):
        methods.rename(session, renee, method_id, "x")


@pytest.mark.parametrize(
    "bad", [pytest.param("<b>Visa</b>", id="markup"), pytest.param("4242 4242 4242 4242", id="card-number")]
)
def test_nicknames_refuse_markup_and_long_numbers(session, renee, bad):
    visa = save(session, renee, card())
    with pytest.raises(ValidationError):
        methods.rename(session, renee, visa.id, bad)
    methods.rename(session, renee, visa.id, "A" * 60)
    assert session.get(PaymentMethod, visa.id).nickname == "A" * 40


@pytest.mark.parametrize("nickname", ["Amex 371449635398431", "Discover 6011 0009 9013 9424"])
def test_a_nickname_cannot_hold_a_card_number(session, renee, nickname):
    visa = save(session, renee, card())
    with pytest.raises(ValidationError):
        methods.rename(session, renee, visa.id, nickname)


def test_removing_a_method_a_scheduled_payment_uses_needs_a_replacement(session, renee):
    visa, checking = save(session, renee, card()), save(session, renee, bank())
    on = TODAY + dt.timedelta(days=4)
    scheduled = submit(session, renee, checkout.saved_method(session, renee, visa.id), 51250, on=on)
    assert payment(session, scheduled.reference).payment_method_id == visa.id

    with pytest.raises(ValidationError) as caught:
        methods.remove(session, renee, visa.id, now=NOW)
    assert "scheduled payment" in caught.value.errors["method"]
    with pytest.raises(ValidationError):
        methods.remove(session, renee, visa.id, now=NOW, replacement_id=visa.id)
    assert {m.id for m in methods.list_methods(session, renee)} == {visa.id, checking.id}

    methods.remove(session, renee, visa.id, now=NOW, replacement_id=checking.id)
    moved = payment(session, scheduled.reference)
    assert (moved.payment_method_id, moved.processor_token, moved.method_label) == (
        checking.id,
        checking.processor_token,
        "Checking ••••6789",
    )
    assert [(m.id, m.is_default) for m in methods.list_methods(session, renee)] == [(checking.id, True)]
    with pytest.raises(NotFound):
        checkout.saved_method(session, renee, visa.id)

    # On its date the payment is charged to the replacement, not the removed card.
    assert scheduled_charges.run_scheduled(session, today=on, now=at(on)) == 1
    charges = sandbox_charges(session)
    assert [c.token for c in charges] == [checking.processor_token]
    assert payment(session, scheduled.reference).status == PaymentStatus.PENDING


def test_a_replacement_must_be_your_own(session, renee, add_member, register):
    ben = add_ben(session, add_member, register)[0]
    visa = save(session, renee, card())
    bens = save(session, ben, bank(BANKS["R01"]))
    scheduled = submit(
        session, renee, checkout.saved_method(session, renee, visa.id), 51250, on=TODAY + dt.timedelta(days=2)
    )
    with pytest.raises(NotFound):
        methods.remove(session, renee, visa.id, now=NOW, replacement_id=bens.id)
    assert payment(session, scheduled.reference).payment_method_id == visa.id


def test_a_method_only_used_by_finished_or_canceled_payments_can_be_removed(session, renee):
    visa, checking = save(session, renee, card()), save(session, renee, bank())
    submit(session, renee, checkout.saved_method(session, renee, visa.id), 51250)
    later = submit(
        session, renee, checkout.saved_method(session, renee, checking.id), 100, on=TODAY + dt.timedelta(days=9)
    )
    checkout.cancel_scheduled(session, renee, later.reference, now=NOW)
    methods.remove(session, renee, visa.id, now=NOW)
    methods.remove(session, renee, checking.id, now=NOW)
    assert methods.list_methods(session, renee) == []
    # A new method after removing everything is the default again.
    assert save(session, renee, card()).is_default


def test_removing_the_default_promotes_another(session, renee):
    visa, checking = save(session, renee, card()), save(session, renee, bank())
    methods.remove(session, renee, visa.id, now=NOW)
    assert [(m.id, m.is_default) for m in methods.list_methods(session, renee)] == [(checking.id, True)]
    assert session.get(PaymentMethod, visa.id).removed_at is not None


def test_adding_a_method_needs_a_log_in_within_ten_minutes(session, renee):
    started = renee.session_started_at
    assert started == NOW
    assert not methods.needs_recent_login(renee, NOW)
    assert not methods.needs_recent_login(renee, NOW + dt.timedelta(minutes=10))
    assert methods.needs_recent_login(renee, NOW + dt.timedelta(minutes=10, seconds=1))
    assert methods.needs_recent_login(renee, NOW + dt.timedelta(hours=2))


def test_the_password_asked_again_counts_failures_like_log_in(session, renee, registered_user):
    later = NOW + dt.timedelta(hours=1)  # the log-in is old: adding a method asks for the password
    threshold = get_settings().lockout_threshold
    for _ in range(threshold - 1):
        with pytest.raises(ValidationError):
            methods.confirm_recent_login(session, renee, "Not-My-Password-1", later)
    with pytest.raises(AccountLocked):
        methods.confirm_recent_login(session, renee, "Not-My-Password-1", later)
    with pytest.raises(AccountLocked):  # locked: even the right password waits
        methods.confirm_recent_login(session, renee, registered_user.password, later)
    # It locks only this prompt, not the log-in.
    authn.login(session, username="renee.oneil", password=registered_user.password, ip="192.0.2.9", now=later)
    # After the lock, the right password is accepted and the count starts again.
    methods.confirm_recent_login(session, renee, registered_user.password, later + dt.timedelta(minutes=16))
    assert session.exec(select(LoginThrottle).where(LoginThrottle.username_key.startswith("reauth:"))).all() == []


def test_no_member_no_methods(session, renee):
    with pytest.raises(NotAllowed):
        methods.list_methods(session, None)
    with pytest.raises(NotAllowed):
        methods.save(session, None, token_of(card()), now=NOW)
    assert session.exec(select(PaymentMethod)).all() == []
