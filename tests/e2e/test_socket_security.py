"""Every public event handler of every state, called over a raw socket.io connection the way an
attacker would: with no session, a forged session, an ended session, and as a member holding
another member's ids — each with wrong types, huge strings, and negative, NaN and enormous amounts.

Every call must be refused or ignored: nothing is written, nothing of the other member comes back,
no traceback or secret is sent, the connection stays usable, and the server logs no failure.
The handlers are listed from the app's state tree, so a new handler is covered automatically.
"""

from __future__ import annotations

import inspect
import itertools
import re
import secrets
import threading
import time

import pytest
from reflex.state import State
from sqlalchemy import text
from sqlmodel import SQLModel, select

import hcpay_app.hcpay_app  # noqa: F401 — registers every page and state
from hcpay_app import clock
from hcpay_app.config import get_settings
from hcpay_app.db import get_engine, session_scope
from hcpay_app.models import AuditEvent, BillingAccount, LoginThrottle, Member, User
from hcpay_app.services.accounts import authn
from hcpay_app.services.payments import checkout
from hcpay_app.services.support import tickets
from tests.e2e.harness import PASSWORD, make_member, make_user
from tests.support.bills import issue_as_scheduled
from tests.support.raw_socket import RawClient, text_of

# Reflex's own handlers that exist on every state or serve the framework: `setvar` only reaches
# setters, which `state_auto_setters=False` leaves out; the rest are the page plumbing every
# browser calls. They are still called below, in the same ways, and must hold up the same.
FRAMEWORK = {
    "hydrate",
    "hydrate_and_load",
    "set_is_hydrated",
    "on_load_internal",
    "update_vars_internal",
    "handle_frontend_exception",
}

# Tables that legitimately record a refused anonymous call: failed log-ins are counted per
# username (LoginThrottle), recovery/registration/guest attempts per client (RateLimitHit), and the
# audit trail records failed log-ins (AuditEvent).
RECORDS_REFUSALS = {"loginthrottle", "ratelimithit", "auditevent"}

HUGE = "9" * 100_000  # 100 KB: a form carries it in a few fields, under the websocket's 1 MB frame limit
HUGE_FIELDS = ("username", "password", "ssn", "email", "amount", "card_number", "reference", "message")
AMOUNTS = [
    "-100",
    "-0.01",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "1e308",
    "99999999999999999999",
    "0x10",
    -1,
    1e308,
    "১২৩",
]


def app_handlers() -> list[tuple[str, str, list[str]]]:
    """(event name, handler name, argument names) of every handler of every state, ours and Reflex's."""
    found = []

    def walk(cls):
        yield cls
        for sub in cls.get_substates():
            yield from walk(sub)

    for cls in walk(State):
        for name, handler in cls.event_handlers.items():
            params = [p for p in inspect.signature(handler.fn).parameters if p != "self"]
            found.append((f"{cls.get_full_name()}.{name}", name, params))
    return sorted(found)


HANDLERS = app_handlers()
# The development mailbox shows the whole outbox to anyone by design, and only outside production
# (tests/state cover that production refuses it): left out of the leak checks here.
DEV_ONLY = {"reflex___state____state.hcpay_app___state___mailbox____mailbox_state.load"}
HANDLERS = [h for h in HANDLERS if h[0] not in DEV_ONLY]
OURS = [h for h in HANDLERS if ".hcpay_app___" in h[0] and h[1] != "setvar"]


def hostile_values() -> list[object]:
    return [
        None,
        12,
        -7,
        2**70,
        True,
        [],
        ["a", {"b": None}],
        {"$gt": ""},
        "",
        HUGE,
        "9" * 40,
        "١٢",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "\x00\x00",
        *AMOUNTS[:6],
    ]


def form_of(value: object) -> dict[str, object]:
    """A form with every field any page has, all set to `value` (a huge value in a few of them)."""
    if value is HUGE:
        return {name: HUGE for name in HUGE_FIELDS}
    names = [
        "username",
        "password",
        "identifier",
        "first_name",
        "last_name",
        "date_of_birth",
        "ssn",
        "email",
        "confirm_password",
        "current_password",
        "new_password",
        "code",
        "amount",
        "other_amount",
        "payment_date",
        "card_number",
        "expiry",
        "cvc",
        "card_name",
        "billing_zip",
        "routing_number",
        "account_number",
        "confirm_account_number",
        "account_type",
        "account_name",
        "method_id",
        "reference",
        "topic",
        "message",
        "accept",
        "save",
        "nickname",
        "fixed_amount",
        "frequency",
        "charge_day",
        "until",
        "installments",
        "billing_account",
        "zip_code",
        "query",
        "reason",
        "amount_dollars",
        "month",
        "start",
        "end",
        "year",
        "status",
        "ticket_id",
        "invoice_id",
    ]
    return {name: value for name in names}


def argument_sets(params: list[str], ids: list[object]) -> list[dict[str, object]]:
    """Payloads for one handler: nothing, every hostile value in every argument, hostile forms,
    and the ids of another member in every argument."""
    sets: list[dict[str, object]] = [{}]
    for value in hostile_values():
        sets.append({p: (form_of(value) if p == "form_data" else value) for p in params})
    if "form_data" in params:
        for amount in AMOUNTS:
            sets.append(
                {
                    p: (
                        {**form_of("1"), "amount": amount, "other_amount": amount, "fixed_amount": amount}
                        if p == "form_data"
                        else amount
                    )
                    for p in params
                }
            )
    for foreign in ids:
        sets.append({p: ({**form_of(foreign)} if p == "form_data" else foreign) for p in params})
    unique, seen = [], set()
    for payload in sets:
        key = repr(sorted(payload.items(), key=lambda kv: kv[0]))[:400] + str(len(repr(payload)))
        if key not in seen:
            seen.add(key)
            unique.append(payload)
    return unique


def fingerprint(exclude: set[str] = frozenset()) -> dict[str, list]:
    """Every row of every table (but `exclude`), for before/after comparison."""
    tables = {}
    with get_engine().connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in exclude:
                continue
            rows = connection.execute(text(f'SELECT * FROM "{table.name}" ORDER BY 1')).all()
            tables[table.name] = [tuple(row) for row in rows]
    return tables


def changed_tables(before: dict, after: dict) -> dict[str, tuple[int, int]]:
    return {name: (len(before[name]), len(after[name])) for name in before if before[name] != after[name]}


@pytest.fixture(scope="module")
def victim():
    """A member with things worth stealing: a payment, a saved card, a support request."""
    new_user = make_user(make_member())
    now, today = clock.utcnow(), clock.today()
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == new_user["member_number"])).one()
        account = session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()
        issue_as_scheduled(session, account, today=today, now=now)
        session.commit()
        user_id, token = authn.login(session, username=new_user["username"], password=PASSWORD, ip="127.0.0.1", now=now)
        actor = authn.resolve(session, token, now=now)
        choice = checkout.new_card(
            card_number="4242424242424242",
            expiry="12/30",
            cvc="123",
            name="Vic Tim",
            billing_zip="02110",
            save=True,
            today=today,
        )
        result = checkout.submit(
            session,
            actor,
            idempotency_key=checkout.new_idempotency_key(),
            amount_cents=4500,
            payment_date=today,
            choice=choice,
            now=now,
            today=today,
        )
        ticket = tickets.open_ticket(
            session, actor, topic="payment_not_showing", reference=result.reference, message=TICKET_TEXT, now=now
        )
        authn.logout(session, token, ip="127.0.0.1", now=now)
        session.commit()
    ids = [result.reference, ticket.number, account.id, account.account_number, member.id, user_id]
    with session_scope() as session:
        from hcpay_app.models import PaymentMethod, SupportTicket

        ids += [m.id for m in session.exec(select(PaymentMethod).where(PaymentMethod.user_id == user_id)).all()]
        ids += [t.id for t in session.exec(select(SupportTicket).where(SupportTicket.user_id == user_id)).all()]
    return {
        **new_user,
        "ids": [i for i in dict.fromkeys(ids) if i is not None],
        "reference": result.reference,
        "account_number": account.account_number,
    }


TICKET_TEXT = "Please check my last payment."


def secrets_in(frames_text: str, victim: dict) -> list[str]:
    """What of the victim's (never sent by the caller, so not an echo) or of the server's insides came back."""
    found = []
    for label, value in (
        ("victim username", victim["username"]),
        ("victim email", victim["email"]),
        ("victim SSN", victim["ssn"]),
        ("victim member id", victim["member_number"]),
        ("victim ticket", TICKET_TEXT),
    ):
        if value and value in frames_text:
            found.append(label)
    if re.search(r"Traceback|File \"/|Error:|Exception", frames_text):
        found.append("a traceback or exception text")
    if re.search(r"\$2[aby]\$\d\d\$", frames_text):
        found.append("a bcrypt hash")
    return found


def log_failures(log_text: str) -> list[str]:
    return [
        line
        for line in log_text.splitlines()
        if "event handler failed" in line or "Traceback" in line or "Backend Exception" in line
    ]


BATCH = 25  # calls sent back to back before waiting for their answers


def run_everything(client: RawClient, ids: list[object], handlers=HANDLERS) -> tuple[list[dict], int]:
    calls = [(event_name, payload) for event_name, _name, params in handlers for payload in argument_sets(params, ids)]
    frames = []
    for first in range(0, len(calls), BATCH):
        batch = calls[first : first + BATCH]
        frames += client.call_many(batch, timeout=120)
        assert client.connected, f"one of {[name for name, _ in batch]} dropped the connection"
    return frames, len(calls)


def ended_session_token(user) -> str:
    with session_scope() as session:
        _uid, token = authn.login(
            session, username=user["username"], password=PASSWORD, ip="127.0.0.1", now=clock.utcnow()
        )
        authn.logout(session, token, ip="127.0.0.1", now=clock.utcnow())
    return token


@pytest.mark.parametrize("who", ["no session", "forged session", "ended session"])
def test_anonymous_callers_are_refused_by_every_handler(app_server, app_log, victim, who):
    token = {
        "no session": "",
        "forged session": secrets.token_urlsafe(32),
        "ended session": ended_session_token(victim),
    }[who]
    log_before = app_log.read_text()
    before = fingerprint(RECORDS_REFUSALS)
    client = RawClient(app_server, auth_token=token)
    try:
        frames, calls = run_everything(client, victim["ids"])
    finally:
        client.close()
    after = fingerprint(RECORDS_REFUSALS)
    assert calls > 1000, calls  # every handler, many ways
    assert '"_redirect"' in text_of(frames) and "/?next=" in text_of(frames), "the calls were heard: sent to log in"
    assert changed_tables(before, after) == {}
    assert secrets_in(text_of(frames), victim) == []
    new_log = app_log.read_text()[len(log_before) :]
    assert log_failures(new_log) == []


def test_a_member_cannot_touch_another_members_records(app_server, app_log, victim, new_user):
    """Logged in as Ana, every handler with Victor's ids and hostile values: Victor's rows stay as
    they were, and Ana gets no payment, method, plan, mandate or ticket out of garbage."""
    with session_scope() as session:
        _uid, token = authn.login(
            session, username=new_user["username"], password=PASSWORD, ip="127.0.0.1", now=clock.utcnow()
        )
    money_tables = {
        "payment",
        "ledgerentry",
        "sandboxcharge",
        "paymentmethod",
        "autopaymandate",
        "paymentplan",
        "supportticket",
        "ticketmessage",
        "user",
        "member",
        "billingaccount",
        "passwordresettoken",
    }
    before = {k: v for k, v in fingerprint(RECORDS_REFUSALS).items() if k in money_tables}
    log_before = app_log.read_text()
    client = RawClient(app_server, auth_token=token)
    try:
        # Log-out last: it ends the session the other calls run under.
        ordered = sorted(OURS, key=lambda h: h[1] == "logout")
        frames, calls = run_everything(client, victim["ids"], ordered)
    finally:
        client.close()
    after = {k: v for k, v in fingerprint(RECORDS_REFUSALS).items() if k in money_tables}
    assert calls > 800, calls
    assert new_user["username"] in text_of(frames), "the calls ran under Ana's live session"
    assert changed_tables(before, after) == {}
    assert secrets_in(text_of(frames), victim) == []
    assert log_failures(app_log.read_text()[len(log_before) :]) == []


def test_an_oversized_frame_only_drops_that_connection(app_server):
    client = RawClient(app_server)
    try:
        client.emit(f"{HANDLERS[0][0]}", {"junk": "x" * 2_000_000})
        deadline = time.monotonic() + 10  # elapsed time, not the date: the monotonic clock
        while client.connected and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        client.close()
    fresh = RawClient(app_server)  # the server is still up and serving
    try:
        assert fresh.connected
    finally:
        fresh.close()


def test_the_suite_reaches_every_handler_of_the_app():
    names = {name for name, *_ in HANDLERS}
    for expected in (
        "hcpay_app___state___pay____pay_state.submit_payment",
        "hcpay_app___state___console____console_state.waive_fee",
        "hcpay_app___state___methods____methods_state.remove",
        "hcpay_app___state___login____login_state.login",
    ):
        assert any(name.endswith(expected) for name in names), expected
    assert len(OURS) >= 75
    assert next(itertools.islice(iter(argument_sets(["form_data"], [1])), 1, None))  # payloads exist


@pytest.mark.core
def test_twenty_wrong_log_ins_at_once_lock_the_username_after_exactly_the_threshold(app_server, app_log, new_user):
    """Twenty phones send a wrong password for one username at the same moment: every attempt is
    answered (wrong, locked, or — past the bcrypt queue — try again in a few seconds), none crashes
    a handler, no more than the threshold are checked, the username ends locked, and the right
    password sent next is refused."""
    login_event = f"{State.get_full_name()}.hcpay_app___state___login____login_state.login"
    log_before = app_log.read_text()
    clients = [RawClient(app_server, path="/") for _ in range(20)]
    start = threading.Barrier(len(clients), timeout=60)
    answers: list[str] = []

    def attempt(client: RawClient, i: int) -> None:
        start.wait()
        form = {"username": new_user["username"], "password": f"Wrong-Guess-{i}-Tulip"}
        answers.append(text_of(client.call(login_event, {"form_data": form}, path="/", timeout=120)))

    threads = [threading.Thread(target=attempt, args=(c, i)) for i, c in enumerate(clients)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(180)
        kinds = ("Too many unsuccessful log-in attempts", "is incorrect", "Many people are logging in right now")
        assert len(answers) == 20 and all(any(kind in a for kind in kinds) for a in answers)
        with session_scope() as session:
            user_id = session.exec(select(User.id).where(User.username == new_user["username"])).one()
            failures = session.exec(
                select(AuditEvent).where(AuditEvent.action == "login_failed", AuditEvent.subject_user_id == user_id)
            ).all()
            throttle = session.exec(
                select(LoginThrottle).where(LoginThrottle.username_key == new_user["username"].casefold())
            ).one()
        assert 1 <= len(failures) <= get_settings().lockout_threshold
        assert throttle.locked_until is not None and throttle.failures >= get_settings().lockout_threshold
        right = {"username": new_user["username"], "password": new_user["password"]}
        assert "Too many unsuccessful log-in attempts" in text_of(
            clients[0].call(login_event, {"form_data": right}, path="/")
        )
        assert log_failures(app_log.read_text()[len(log_before) :]) == []
    finally:
        for client in clients:
            client.close()
