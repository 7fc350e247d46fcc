"""Staff second factor through the states: the code step of LoginState after a staff password, and
the enrolment page (StaffEnrolState) that create-staff's link opens. Members are unaffected."""

from __future__ import annotations

import pyotp
import pytest
from sqlmodel import select

from hcpay_app import clock, routes
from hcpay_app.config import get_settings
from hcpay_app.db import session_scope
from hcpay_app.models import StaffFactor, User
from hcpay_app.services.accounts import second_factor
from hcpay_app.services.support import console
from hcpay_app.state.login import ENTER_CODE, LoginState
from hcpay_app.state.staff_enrol import StaffEnrolState
from tests.state.console_flow import STAFF_PASSWORD, STAFF_USERNAME, create_staff, staff_code
from tests.state.state_harness import ALICE, Browser, fire, resolve

pytestmark = pytest.mark.asyncio


def staff_form(password: str = STAFF_PASSWORD) -> dict[str, str]:
    return {"username": STAFF_USERNAME, "password": password}


async def test_a_staff_log_in_asks_for_a_code_after_the_password(db):
    create_staff()
    tab = Browser("/")
    out = await fire(tab, LoginState, "login", form_data=staff_form())
    login = tab.state(LoginState)
    assert out.redirects == [] and login.needs_code and login.error == ""
    assert tab.cookie() == ""  # no session from the password alone
    assert login._challenge and login._challenge not in tab.public()  # the proof stays on the server

    out = await fire(tab, LoginState, "verify_code", form_data={"code": ""})
    assert login.errors == {"code": ENTER_CODE} and tab.cookie() == ""
    out = await fire(tab, LoginState, "verify_code", form_data={"code": "000000"})
    assert login.error == second_factor.WRONG_CODE and login.needs_code and tab.cookie() == ""

    out = await fire(tab, LoginState, "verify_code", form_data={"code": staff_code()})
    assert out.redirects == [routes.CONSOLE]
    who = resolve(tab.cookie())
    assert who is not None and who.role == "support"
    assert not login.needs_code and login._challenge == ""


async def test_a_code_is_accepted_once(db):
    create_staff()
    code = staff_code()
    first, second = Browser("/"), Browser("/")
    for tab in (first, second):
        await fire(tab, LoginState, "login", form_data=staff_form())
    out = await fire(first, LoginState, "verify_code", form_data={"code": code})
    assert out.redirects == [routes.CONSOLE]
    out = await fire(second, LoginState, "verify_code", form_data={"code": code})
    assert out.redirects == [] and second.cookie() == ""
    assert second.state(LoginState).error == second_factor.WRONG_CODE


async def test_wrong_codes_lock_the_staff_log_in(db):
    create_staff()
    tab = Browser("/")
    await fire(tab, LoginState, "login", form_data=staff_form())
    for _ in range(get_settings().lockout_threshold):
        await fire(tab, LoginState, "verify_code", form_data={"code": "000000"})
    assert tab.state(LoginState).error.startswith("Too many wrong codes")
    out = await fire(tab, LoginState, "verify_code", form_data={"code": staff_code()})
    assert out.redirects == [] and tab.cookie() == ""


async def test_the_code_step_without_a_password_step_opens_nothing(db):
    create_staff()
    tab = Browser("/")
    out = await fire(tab, LoginState, "verify_code", form_data={"code": staff_code()})
    assert out.redirects == [] and tab.cookie() == ""
    assert tab.state(LoginState).error == second_factor.CHALLENGE_EXPIRED


async def test_start_over_goes_back_to_the_password(db):
    create_staff()
    tab = Browser("/")
    await fire(tab, LoginState, "login", form_data=staff_form())
    await fire(tab, LoginState, "start_over")
    login = tab.state(LoginState)
    assert not login.needs_code and login._challenge == ""
    out = await fire(tab, LoginState, "verify_code", form_data={"code": staff_code()})
    assert out.redirects == [] and tab.cookie() == ""


async def test_staff_who_have_not_enrolled_are_sent_to_their_link(db):
    with session_scope() as s:
        console.create_staff(
            s, username="new.agent", email="new@connector.example", password=STAFF_PASSWORD, now=clock.utcnow()
        )
    tab = Browser("/")
    out = await fire(tab, LoginState, "login", form_data={"username": "new.agent", "password": STAFF_PASSWORD})
    login = tab.state(LoginState)
    assert out.redirects == [] and not login.needs_code and tab.cookie() == ""
    assert login.error == second_factor.NOT_ENROLLED


async def test_members_log_in_with_a_password_alone(db):
    tab = Browser("/")
    out = await fire(tab, LoginState, "login", form_data={"username": ALICE.username, "password": ALICE.password})
    assert out.redirects == [routes.DASHBOARD] and not tab.state(LoginState).needs_code


async def test_the_enrolment_page_shows_the_secret_once_then_the_recovery_codes(db):
    now = clock.utcnow()
    with session_scope() as s:
        user_id = console.create_staff(
            s, username="new.agent", email="new@connector.example", password=STAFF_PASSWORD, now=now
        )
        token = second_factor.start_enrolment(s, user_id, now=now)
        s.commit()
    tab = Browser(f"{routes.STAFF_ENROL}?token={token}")
    await fire(tab, StaffEnrolState, "open_link")
    page = tab.state(StaffEnrolState)
    assert page.link_valid and page.username == "new.agent"
    assert page.qr_code.startswith("data:image/svg+xml") and len(page.secret) >= 16
    assert token not in tab.public()  # the link's token stays on the server
    secret = page.secret

    await fire(tab, StaffEnrolState, "confirm", form_data={"code": "000000"})
    assert page.errors == {"code": second_factor.ENROL_WRONG_CODE} and page.link_valid
    await fire(tab, StaffEnrolState, "confirm", form_data={"code": pyotp.TOTP(secret).at(clock.utcnow())})
    assert len(page.recovery_codes) == 10
    assert page.secret == "" and page.qr_code == "" and secret not in tab.public()
    with session_scope() as s:
        factor = s.exec(select(StaffFactor).where(StaffFactor.user_id == user_id)).one()
        assert factor.enrolled_at is not None and secret not in factor.secret_encrypted

    # The link is spent: opening it again shows nothing secret.
    again = Browser(f"{routes.STAFF_ENROL}?token={token}")
    await fire(again, StaffEnrolState, "open_link")
    assert not again.state(StaffEnrolState).link_valid and again.state(StaffEnrolState).secret == ""

    # A recovery code logs the new agent in, once.
    tab = Browser("/")
    await fire(tab, LoginState, "login", form_data={"username": "new.agent", "password": STAFF_PASSWORD})
    out = await fire(tab, LoginState, "verify_code", form_data={"code": page.recovery_codes[0]})
    assert out.redirects == [routes.CONSOLE]
    with session_scope() as s:
        assert s.exec(select(User.last_login_at).where(User.id == user_id)).one() is not None
        assert second_factor.recovery_codes_left(s, user_id) == 9


async def test_a_bad_enrolment_link_shows_nothing(db):
    tab = Browser(f"{routes.STAFF_ENROL}?token=not-a-real-token-at-all-xxxxxxxx")
    await fire(tab, StaffEnrolState, "open_link")
    page = tab.state(StaffEnrolState)
    assert page.checked and not page.link_valid and page.qr_code == ""
    await fire(tab, StaffEnrolState, "confirm", form_data={"code": "123456"})
    assert page.recovery_codes == []
