"""What a hand-made client can reach: the handler surface, the cookie, and fuzzed payloads.

Any public method of a state is callable by any browser with any JSON it likes. These tests pin
which names are handlers, and throw arbitrary JSON (hypothesis) at every form handler: none may
raise, none may log anyone in or change a password.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
import reflex as rx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hcpay_app import routes
from hcpay_app.services.common import validators
from hcpay_app.state.login import LoginState
from hcpay_app.state.recovery import (
    ForgotPasswordState,
    ForgotUsernameState,
    ResetPasswordState,
)
from hcpay_app.state.register import RegisterState
from hcpay_app.state.session import SessionState
from hcpay_app.state.settings import SettingsState
from tests.state.state_harness import ALICE, BOB, Browser, fire, logged_in_browser, password_hash


def app_states() -> list[type[rx.State]]:
    found, stack = [], list(rx.State.get_substates())
    while stack:
        cls = stack.pop()
        if cls.__module__.startswith("hcpay_app."):
            found.append(cls)
        stack.extend(cls.get_substates())
    return found


def test_helpers_the_browser_must_not_call_are_not_event_handlers():
    states = app_states()
    assert {SessionState, LoginState, RegisterState, SettingsState, ResetPasswordState} <= set(states)
    for cls in states:
        assert not [name for name in cls.event_handlers if name.startswith("_")], cls


@pytest.mark.parametrize(
    ("cls", "helper"),
    [
        pytest.param(SessionState, "_begin", id="SessionState._begin"),
        pytest.param(SessionState, "_resolve", id="SessionState._resolve"),
        pytest.param(SessionState, "_to_login", id="SessionState._to_login"),
        pytest.param(RegisterState, "_show_error", id="RegisterState._show_error"),
        pytest.param(RegisterState, "_call", id="RegisterState._call"),
    ],
)
def test_the_named_private_helpers_are_not_event_handlers(cls, helper):
    assert hasattr(cls, helper) and helper not in cls.event_handlers


def test_no_auto_setters_exist_for_app_vars():
    for cls in app_states():
        for name in cls.base_vars:
            assert f"set_{name}" not in cls.event_handlers, (cls, name)


def test_the_state_tree_is_flat():
    for cls in app_states():
        assert cls.get_parent_state() is rx.State, f"{cls.__name__} is nested under {cls.get_parent_state()}"


def test_the_session_cookie_is_strict_site_wide_and_named():
    cookie = SessionState.get_fields()["auth_token"].default
    assert isinstance(cookie, rx.Cookie)
    assert cookie.same_site == "strict" and cookie.path == "/" and cookie.name and cookie.max_age is None
    assert cookie == ""


def test_backend_only_secrets_are_backend_vars():
    assert "_pending_id" not in RegisterState.base_vars and "_token" not in ResetPasswordState.base_vars
    assert not {name for cls in app_states() for name in cls.base_vars if "token" in name} - {"auth_token"}


@pytest.mark.asyncio
async def test_the_strength_meter_scores_off_the_event_loop(monkeypatch):
    loop_thread = threading.current_thread()
    seen: list[threading.Thread] = []
    real = validators.password_strength

    def spy(password, user_inputs):
        seen.append(threading.current_thread())
        return real(password, user_inputs)

    monkeypatch.setattr(validators, "password_strength", spy)
    tab = Browser(routes.REGISTER)
    await fire(tab, RegisterState, "check_password", value="Copper-Meadow-Violin-73")
    assert tab.state(RegisterState).strength_score >= 3
    assert seen and all(thread is not loop_thread for thread in seen)


# --------------------------------------------------------------------------------------------
# Fuzzing: arbitrary JSON into every form handler
# --------------------------------------------------------------------------------------------

FIELD_NAMES = [
    "username",
    "password",
    "confirm_password",
    "current_password",
    "new_password",
    "identifier",
    "email",
    "code",
    "first_name",
    "last_name",
    "date_of_birth",
    "ssn",
    "token",
    "next",
]
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=80),
    st.sampled_from([ALICE.username, ALICE.password, ALICE.email, "x" * 5000, "\x00", "Ω" * 40, "$2b$04$"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=10)), inner, max_size=5),
    ),
    max_leaves=12,
)
form_payloads = st.one_of(json_values, st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=8))

FORM_HANDLERS = [
    (LoginState, "login", "form_data"),
    (RegisterState, "submit_identity", "form_data"),
    (RegisterState, "submit_credentials", "form_data"),
    (RegisterState, "submit_code", "form_data"),
    (RegisterState, "check_password", "value"),
    (ForgotPasswordState, "request_reset", "form_data"),
    (ForgotUsernameState, "request_username", "form_data"),
    (ResetPasswordState, "set_password", "form_data"),
    (SettingsState, "change_password", "form_data"),
]


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=form_payloads)
@pytest.mark.parametrize(("cls", "handler", "arg"), FORM_HANDLERS, ids=lambda v: getattr(v, "__name__", v))
def test_form_handlers_never_raise_on_arbitrary_json(cls, handler, arg, payload):
    hashes = {p.username: password_hash(p.username) for p in (ALICE, BOB)}

    async def run():
        tab = await logged_in_browser(ALICE, url=routes.SETTINGS) if cls is SettingsState else Browser("/")
        cookie = tab.cookie()
        await fire(tab, cls, handler, **{arg: payload})
        state = tab.state(cls)
        if "processing" in cls.base_vars:
            assert state.processing is False
        if cls is SettingsState:
            # Either the session stays, or repeated wrong current passwords ended it on purpose.
            assert tab.cookie() in (cookie, ""), "change_password swapped in another session"
        else:
            assert tab.cookie() == "", "arbitrary JSON logged someone in"

    asyncio.run(run())
    assert {p.username: password_hash(p.username) for p in (ALICE, BOB)} == hashes
