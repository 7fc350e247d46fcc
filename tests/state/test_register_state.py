"""Create Account — RegisterState: identity → credentials → verification code.

The pending sign-up id stays in a backend-only var, and nothing secret (SSN, password, bcrypt hash,
one-time code) ever reaches the browser at any step, on success or failure.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import select

from hcpay_app import clock, routes
from hcpay_app.db import session_scope
from hcpay_app.models import Member, PendingRegistration
from hcpay_app.services.accounts import registration
from hcpay_app.state.register import RegisterState
from hcpay_app.state.session import SessionState
from tests.state.state_harness import (
    ALICE,
    CAROL,
    PASSWORD,
    Browser,
    emails,
    fire,
    latest_code,
    resolve,
    user_by_username,
)

pytestmark = pytest.mark.asyncio

USERNAME = "carol.d"


def credentials_form(password: str = PASSWORD, confirm: str | None = None, username: str = USERNAME) -> dict:
    return {"username": username, "password": password, "confirm_password": password if confirm is None else confirm}


class Watcher:
    """Follows one Create Account tab and checks every frame the browser receives for secrets."""

    def __init__(self, person=CAROL, password: str = PASSWORD, ip: str = "198.51.100.77"):
        self.tab = Browser(routes.REGISTER, ip=ip)
        self.person = person
        self.secrets = {person.ssn, person.ssn_digits, password, "$2b$", "$2a$", "$2y$"}
        self.seen: list[str] = [self.tab.public()]

    @property
    def state(self) -> RegisterState:
        return self.tab.state(RegisterState)

    async def fire(self, name: str, **payload):
        out = await fire(self.tab, RegisterState, name, **payload)
        self.seen += [*out.frames, self.tab.public()]
        self.check()
        return out

    def remember_secret(self, value: str) -> None:
        self.secrets.add(value)
        self.check()

    def check(self) -> None:
        everything = "\n".join(self.seen)
        for secret in self.secrets:
            assert secret not in everything, f"{secret!r} reached the browser"
        public_names = set(self.tab.public_of(RegisterState))
        assert not {name for name in public_names if "pending" in name or "user_inputs" in name}
        for frame in self.seen:
            assert "_pending_id" not in frame and "pending_id" not in frame and "_user_inputs" not in frame

    async def identity(self, **overrides):
        return await self.fire("submit_identity", form_data=self.person.identity_form(**overrides))

    async def credentials(self, **kwargs):
        return await self.fire("submit_credentials", form_data=credentials_form(**kwargs))

    async def code(self, code: str):
        return await self.fire("submit_code", form_data={"code": code})


def pending_rows(member_number: str) -> list[PendingRegistration]:
    with session_scope() as s:
        member = s.exec(select(Member).where(Member.member_number == member_number)).one()
        return list(s.exec(select(PendingRegistration).where(PendingRegistration.member_id == member.id)).all())


# --------------------------------------------------------------------------------------------
# The whole journey
# --------------------------------------------------------------------------------------------


async def test_the_three_steps_create_the_account_and_log_in():
    w = Watcher()

    out = await w.identity()
    assert out.busy[0] is True and w.state.processing is False
    assert w.state.step == "credentials" and w.state.errors == {} and w.state.message == ""
    [pending] = pending_rows(CAROL.member_number)

    await w.fire("check_password", value=PASSWORD)
    assert w.state.strength_score >= 3 and w.state.strength_label in ("Strong", "Very strong")

    out = await w.credentials()
    assert w.state.step == "verify"
    assert w.state.masked_email == "c•••@example.com"
    assert [row.id for row in pending_rows(CAROL.member_number)] == [pending.id]  # the same sign-up, continued
    code = latest_code(CAROL.email)
    w.remember_secret(code)

    out = await w.code(code)
    assert out.redirects == [routes.DASHBOARD]
    token = w.tab.cookie()
    user = resolve(token)
    assert user is not None and user.username == USERNAME
    assert w.tab.state(SessionState).logged_in is True
    assert w.tab.state(SessionState).display_name == USERNAME
    # The form is back to its first step and the pending sign-up is gone, server and tab.
    assert w.state.step == "identity" and w.state.masked_email == ""
    assert pending_rows(CAROL.member_number) == []
    out = await w.code(code)  # replayed: the tab holds no sign-up any more
    assert out.redirects == [] and w.state.message == "Your sign-up session has expired. Please start again."
    assert [m.kind for m in emails(CAROL.email)] == ["verification_code", "account_created"]


async def test_the_pending_id_never_appears_in_the_public_dict_or_any_delta():
    w = Watcher()
    await w.identity()
    state = w.state
    full_name = RegisterState.get_full_name()
    assert pending_rows(CAROL.member_number), "a sign-up is pending"
    assert all("pending" not in key for key in state.dict()[full_name])
    assert "_pending_id" not in RegisterState.base_vars and "_pending_id" not in RegisterState.computed_vars
    state._pending_id = state._pending_id  # even freshly written, a backend var is not in the delta
    delta = w.tab.root.get_delta()
    assert all("pending" not in key for key in delta.get(full_name, {}))
    assert "pending" not in json.dumps(w.tab.root.dict(), default=str)


@pytest.mark.parametrize("name", ["_pending_id", "pending_id", "step", "_user_inputs", "masked_email"])
async def test_the_browser_cannot_write_backend_or_flow_vars_through_setvar(name):
    w = Watcher()
    await w.identity()
    [real] = pending_rows(CAROL.member_number)
    value = {
        "_pending_id": real.id + 1,
        "pending_id": real.id + 1,
        "step": "verify",
        "_user_inputs": [],
        "masked_email": "x",
    }[name]
    with pytest.raises(AttributeError):
        await fire(w.tab, RegisterState, "setvar", var_name=name, value=value)
    assert w.state.step == "credentials"
    await w.credentials()  # the tab still continues its own sign-up
    assert w.state.step == "verify" and w.state.masked_email == "c•••@example.com"


async def test_one_tab_cannot_continue_another_tabs_sign_up():
    victim = Watcher()
    await victim.identity()
    attacker = Watcher(ip="192.0.2.99")
    [stolen] = [row.id for row in pending_rows(CAROL.member_number)]
    out = await attacker.fire(
        "submit_credentials", form_data={**credentials_form(), "pending_id": stolen, "_pending_id": stolen}
    )
    assert attacker.state.step == "identity"
    assert attacker.state.message == "Your sign-up session has expired. Please start again."
    assert emails(CAROL.email, "verification_code") == [] and out.redirects == []


# --------------------------------------------------------------------------------------------
# Step 1: identity
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"date_of_birth": "1990-03-01"},
        {"last_name": "Dsouza-Smith"},
        {"email": "someone.else@example.com"},
        {"ssn": "403-44-7053"},
    ],
)
async def test_identity_that_does_not_match_the_roster_gets_the_one_message(overrides):
    w = Watcher()
    await w.identity(**overrides)
    assert w.state.step == "identity" and pending_rows(CAROL.member_number) == []
    assert w.state.message == registration.NO_MATCH_MESSAGE and w.state.errors == {}


async def test_identity_matching_ignores_case_accents_and_apostrophe_style():
    w = Watcher()
    await w.identity(first_name="carol", last_name="D’SOUZA", email=CAROL.email.upper(), ssn=CAROL.ssn_digits)
    assert w.state.step == "credentials"


async def test_identity_of_someone_with_an_account_says_nothing_new_and_tells_them_by_email():
    w = Watcher(person=ALICE)
    await w.identity()
    assert w.state.step == "identity" and w.state.message == registration.NO_MATCH_MESSAGE
    assert pending_rows(ALICE.member_number) == []
    assert [m.kind for m in emails(ALICE.email, "duplicate_registration")] == ["duplicate_registration"]


async def test_identity_field_errors_are_per_field_and_do_not_echo_the_ssn():
    w = Watcher()
    await w.fire(
        "submit_identity",
        form_data={
            "first_name": "C4rol",
            "last_name": "",
            "date_of_birth": "31/31/1990",
            "ssn": "40344705",
            "email": "not-an-email",
        },
    )
    assert set(w.state.errors) == {"first_name", "last_name", "date_of_birth", "ssn", "email"}
    assert "40344705" not in w.tab.public()
    assert w.state.step == "identity" and w.state.processing is False


async def test_identity_attempts_are_limited_per_device():
    w = Watcher()
    for _ in range(10):
        await w.identity(date_of_birth="1990-03-01")
    await w.identity()
    assert w.state.step == "identity" and w.state.message == registration.TOO_MANY_ATTEMPTS
    other_device = Watcher(ip="203.0.113.200")
    await other_device.identity()
    assert other_device.state.step == "credentials"


# --------------------------------------------------------------------------------------------
# Live strength meter
# --------------------------------------------------------------------------------------------


async def test_check_password_scores_advises_and_stores_nothing():
    w = Watcher()
    await w.identity()
    await w.fire("check_password", value="carol1990")
    weak_score, advice = w.state.strength_score, w.state.strength_advice
    assert 0 <= weak_score <= 2 and advice
    assert w.state.strength_label in ("Very weak", "Weak", "Fair")
    w.remember_secret("carol1990")

    await w.fire("check_password", value=PASSWORD)
    assert w.state.strength_score >= 3

    await w.fire("check_password", value="")
    assert w.state.strength_score == -1 and w.state.strength_label == ""


async def test_check_password_advises_on_length_limits():
    w = Watcher()
    await w.fire("check_password", value="Sh0rt!x")
    assert w.state.strength_advice == "Use at least 12 characters."
    long_password = "Ω" * 40  # 80 bytes
    await w.fire("check_password", value=long_password)
    assert w.state.strength_advice == "Too long: use at most 72 bytes." and w.state.strength_score == 0
    w.remember_secret(long_password)
    w.remember_secret("Sh0rt!x")


async def test_check_password_uses_what_the_member_typed_about_themselves():
    w = Watcher()
    await w.identity()
    await w.fire("check_password", value="Carol.DSouza@Example.com")
    with_context = w.state.strength_score
    fresh = Watcher(ip="203.0.113.201")
    await fresh.fire("check_password", value="Carol.DSouza@Example.com")
    assert with_context < 3 <= fresh.state.strength_score


@pytest.mark.parametrize("value", [None, 0, 3.5, True, [], ["a" * 20], {"value": PASSWORD}, b"bytes"], ids=repr)
async def test_check_password_ignores_wrong_types(value):
    w = Watcher()
    await w.fire("check_password", value=PASSWORD)
    before = w.tab.public_of(RegisterState)
    await w.fire("check_password", value=value)
    assert w.tab.public_of(RegisterState) == before


async def test_check_password_with_a_huge_string_is_refused_cheaply():
    w = Watcher()
    await w.fire("check_password", value="a" * 1_000_000)
    assert w.state.strength_score == 0 and w.state.strength_advice.startswith("Too long")
    assert "a" * 100 not in w.tab.public()


# --------------------------------------------------------------------------------------------
# Step 2: credentials
# --------------------------------------------------------------------------------------------


async def test_credentials_with_mismatched_passwords_stop_before_the_service():
    w = Watcher()
    await w.identity()
    out = await w.credentials(confirm=PASSWORD + "x")
    assert w.state.errors == {"confirm_password": "The passwords don't match."}
    assert w.state.step == "credentials" and out.yields == 0
    assert emails(CAROL.email, "verification_code") == []
    w.remember_secret(PASSWORD + "x")


@pytest.mark.parametrize("password", ["password1234", "Carol.DSouza@Example.com", "Sh0rt!", "Ω" * 40])
async def test_credentials_refuse_a_weak_short_or_long_password(password):
    w = Watcher(password=password)
    await w.identity()
    await w.credentials(password=password)
    assert set(w.state.errors) == {"password"}
    assert w.state.step == "credentials"
    assert emails(CAROL.email, "verification_code") == []


@pytest.mark.parametrize("username", ["alice.w", "ALICE.W", "ab", "has space", "x" * 33, "<script>"])
async def test_credentials_refuse_a_taken_or_malformed_username(username):
    w = Watcher()
    await w.identity()
    await w.credentials(username=username)
    assert set(w.state.errors) == {"username"} and w.state.step == "credentials"


async def test_credentials_without_step_one_say_the_sign_up_expired():
    w = Watcher()
    await w.credentials()
    assert w.state.step == "identity"
    assert w.state.message == "Your sign-up session has expired. Please start again."


async def test_a_pending_sign_up_expires_after_an_hour():
    w = Watcher()
    await w.identity()
    clock.shift(registration.PENDING_LIFETIME + dt.timedelta(seconds=1))
    await w.credentials()
    assert w.state.step == "credentials"
    assert w.state.message == "Your sign-up session has expired. Please start again."


# --------------------------------------------------------------------------------------------
# Step 3: the code
# --------------------------------------------------------------------------------------------


async def walk_to_verify() -> tuple[Watcher, str]:
    w = Watcher()
    await w.identity()
    await w.credentials()
    assert w.state.step == "verify"
    code = latest_code(CAROL.email)
    w.remember_secret(code)
    return w, code


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_a_wrong_code_counts_down_and_logs_no_one_in():
    w, code = await walk_to_verify()
    out = await w.code(other_code(code))
    assert w.state.message == "That code isn't right. You have 4 tries left."
    assert w.tab.cookie() == "" and out.redirects == [] and w.state.step == "verify"
    assert user_by_username(USERNAME) is None


async def test_too_many_wrong_codes_lock_the_code():
    w, code = await walk_to_verify()
    for _ in range(5):
        await w.code(other_code(code))
    assert w.state.message.startswith("Too many incorrect codes")
    out = await w.code(code)
    assert w.state.message.startswith("Too many incorrect codes")
    assert out.redirects == [] and user_by_username(USERNAME) is None


async def test_the_code_accepts_spaces_the_way_people_type_it():
    w, code = await walk_to_verify()
    out = await w.code(f" {code[:3]} {code[3:]} ")
    assert out.redirects == [routes.DASHBOARD]


async def test_code_before_credentials_is_refused():
    w = Watcher()
    await w.identity()
    await w.code("123456")
    assert w.state.message == "Choose your username and password first."
    assert w.tab.cookie() == ""


async def test_resend_waits_for_the_cooldown_then_replaces_the_code():
    w, first = await walk_to_verify()
    await w.fire("resend_code")
    assert w.state.message.startswith("Please wait") and w.state.info == ""
    assert len(emails(CAROL.email, "verification_code")) == 1

    clock.shift(dt.timedelta(seconds=61))
    out = await w.fire("resend_code")
    assert out.busy[0] is True
    assert w.state.info == "We sent a new code to c•••@example.com." and w.state.message == ""
    second = latest_code(CAROL.email)
    w.remember_secret(second)
    if second != first:
        await w.code(first)
        assert w.state.message.startswith("That code isn't right")
    out = await w.code(second)
    assert out.redirects == [routes.DASHBOARD]


async def test_resend_without_a_sign_up_says_it_expired():
    w = Watcher()
    await w.fire("resend_code")
    assert w.state.message == "Your sign-up session has expired. Please start again."


async def test_start_over_forgets_everything_including_the_pending_id():
    w, _code = await walk_to_verify()
    await w.fire("start_over")
    assert w.tab.public_of(RegisterState) == Browser().public_of(RegisterState)
    await w.credentials()
    assert w.state.message == "Your sign-up session has expired. Please start again."


@pytest.mark.parametrize("name", ["submit_identity", "submit_credentials", "submit_code"])
async def test_handlers_ignore_a_second_submit_while_one_is_running(name):
    w = Watcher()
    w.state.processing = True
    out = await w.fire(name, form_data={})
    assert out.yields == 0 and out.events == []
    out = await w.fire("resend_code")
    assert out.yields == 0
    assert w.state.step == "identity" and pending_rows(CAROL.member_number) == []


# --------------------------------------------------------------------------------------------
# Wrong types from a hand-made client
# --------------------------------------------------------------------------------------------

HUGE = "9" * 1_000_000
WRONG = [
    None,
    0,
    7.5,
    False,
    "first_name=Carol",
    [],
    [CAROL.identity_form()],
    {"first_name": None, "last_name": 1, "date_of_birth": [], "ssn": 403447052, "email": {"a": 1}},
    {"first_name": HUGE, "last_name": HUGE, "date_of_birth": HUGE, "ssn": HUGE, "email": HUGE + "@example.com"},
    {"username": None, "password": None, "confirm_password": None, "code": None},
    {"username": HUGE, "password": HUGE, "confirm_password": HUGE, "code": HUGE},
    {"username": [USERNAME], "password": [PASSWORD], "confirm_password": [PASSWORD], "code": [123456]},
    {"code": 123456},
]


@pytest.mark.parametrize("form_data", WRONG, ids=lambda v: type(v).__name__ + ":" + repr(v)[:24])
async def test_every_step_survives_wrong_types(form_data):
    w = Watcher()
    await w.fire("submit_identity", form_data=form_data)
    assert w.state.step == "identity" and w.state.processing is False
    assert pending_rows(CAROL.member_number) == []
    assert w.state.errors or w.state.message

    await w.identity()
    assert w.state.step == "credentials"
    await w.fire("submit_credentials", form_data=form_data)
    assert w.state.step == "credentials" and w.state.processing is False
    assert w.state.errors or w.state.message

    await w.credentials()
    code = latest_code(CAROL.email)
    w.remember_secret(code)
    await w.fire("submit_code", form_data=form_data)
    assert w.state.step == "verify" and w.tab.cookie() == "" and w.state.processing is False
    assert w.state.errors or w.state.message
    assert HUGE[:1000] not in w.tab.public()
