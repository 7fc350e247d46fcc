"""Production behind a real reverse proxy (issue 14, point 5): nginx, started by the test on loopback,
in front of the production app as the README deploys it (`REFLEX_TRUSTED_PROXY_HOPS=1`, app on
loopback, the README's nginx `location` block).

The clients are raw sockets (tests/support/raw_socket.py) at real, distinct source addresses:
Linux routes all of 127/8 to loopback, so a client bound to 127.0.0.3 is, to nginx, a different
machine than one at 127.0.0.4. nginx connects to the app from 127.0.0.2 (`proxy_bind`), the one
address the app trusts to name the client (`HCPAY_TRUSTED_PROXIES`).

What "a spoofed X-Forwarded-For sent straight to the app moves nothing" means here: with the app on
loopback, only processes on the proxy's host reach it directly; even they cannot choose the address
a per-client limit keys on — not a fresh one to escape their own limit, not a victim's to use up
that victim's. The strongest check is the database: the log-in rate buckets (`RateLimitHit`, bucket
`login-ip:<address>`) only ever name real source addresses, never a forged one.

This app instance is a second, backend-only one (no frontend build; it starts in seconds) on its
own port, sharing the session's throwaway database so the test can read the buckets. Its log-in
rate per address is 3 a minute, so the limit is reached in a few attempts.
"""

from __future__ import annotations

import itertools
import time

import pytest
from reflex.state import State
from sqlmodel import select

from hcpay_app import migrations
from hcpay_app.db import session_scope
from hcpay_app.models import RateLimitHit
from hcpay_app.services.accounts.authn import LOGIN_FAILED, TOO_MANY_FROM_HERE
from tests.e2e.harness import APP_ENV, TMP
from tests.support import proxy, server
from tests.support.raw_socket import RawClient, text_of

LOGIN = f"{State.get_full_name()}.hcpay_app___state___login____login_state.login"
SIGN_UP = f"{State.get_full_name()}.hcpay_app___state___register____register_state.submit_identity"
PER_ADDRESS = 3
PROXY_ADDRESS = "127.0.0.2"  # where nginx connects to the app from
_guess = itertools.count(1)


@pytest.fixture(scope="module")
def proxied():
    """The production app behind nginx; yields (url through nginx, url straight to the app)."""
    app_port, proxy_port = server.free_port(), server.free_port()
    direct, through = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{proxy_port}"
    env = {
        **APP_ENV,
        "REFLEX_TRUSTED_PROXY_HOPS": "1",
        "HCPAY_TRUSTED_PROXIES": PROXY_ADDRESS,
        "HCPAY_LOGINS_PER_ADDRESS_PER_MINUTE": str(PER_ADDRESS),
        "HCPAY_BASE_URL": through,
        "HCPAY_CORS_ORIGINS": f"{through},{direct}",
    }
    migrations.upgrade()
    app = server.start(app_port, env, TMP / "proxied-app.log", timeout=180, backend_only=True)
    try:
        nginx = proxy.start(TMP / "nginx", port=proxy_port, upstream=f"127.0.0.1:{app_port}", bind=PROXY_ADDRESS)
        try:
            yield through, direct
        finally:
            proxy.stop(nginx)
    finally:
        server.stop(app)


def log_in(base_url: str, source: str, *, forwarded_for: str | None = None) -> str:
    """One wrong log-in for a username nobody has, from a new tab at `source`; the answer's text."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else None
    client = RawClient(base_url, path="/", source_address=source, headers=headers)
    try:
        form = {"username": f"nobody-{next(_guess)}", "password": "Wrong-Guess-Tulip-42"}
        client.call(LOGIN, {"form_data": form}, path="/", timeout=60)
        # The answer is in the frames this tab received (read them all: a late frame of the page's
        # hydration can end `call`'s window early); only the log-in shows either message.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            answer = text_of(list(client.frames))
            if LOGIN_FAILED in answer or TOO_MANY_FROM_HERE in answer:
                return answer
            time.sleep(0.02)
        return answer
    finally:
        client.close()


def hits(address: str) -> int:
    with session_scope() as session:
        return len(session.exec(select(RateLimitHit).where(RateLimitHit.bucket == f"login-ip:{address}")).all())


def forged_buckets(*addresses: str) -> list[str]:
    buckets = {f"login-ip:{address}" for address in addresses}
    with session_scope() as session:
        return sorted(set(session.exec(select(RateLimitHit.bucket)).all()) & buckets)


def test_limits_apply_per_real_client_through_nginx(proxied):
    """One client at 127.0.0.3 uses up its log-in rate through nginx; a forged X-Forwarded-For
    (nginx appends the real address after it) doesn't buy it a fresh one; another client at
    127.0.0.4 is still served. The buckets name the two real addresses, never the forged one."""
    through, _direct = proxied
    for _ in range(PER_ADDRESS):
        answer = log_in(through, "127.0.0.3")
        assert LOGIN_FAILED in answer and TOO_MANY_FROM_HERE not in answer
    assert TOO_MANY_FROM_HERE in log_in(through, "127.0.0.3")
    assert TOO_MANY_FROM_HERE in log_in(through, "127.0.0.3", forwarded_for="198.51.100.7")
    assert TOO_MANY_FROM_HERE in log_in(through, "127.0.0.3", forwarded_for="198.51.100.8, 127.0.0.4")

    answer = log_in(through, "127.0.0.4")
    assert LOGIN_FAILED in answer and TOO_MANY_FROM_HERE not in answer

    # The refused attempts were answered from the app's memory of this address, before any
    # database work (services/accounts/address_attempts.py): only the allowed ones were written.
    assert hits("127.0.0.3") == PER_ADDRESS
    assert hits("127.0.0.4") == 1
    assert hits(PROXY_ADDRESS) == 0  # the proxy's own address is never the client's
    assert forged_buckets("198.51.100.7", "198.51.100.8") == []


def test_a_spoofed_forwarded_for_sent_straight_to_the_app_moves_nothing(proxied):
    """A client that reaches the app without nginx (from 127.0.0.5, not the trusted proxy) names
    other addresses in X-Forwarded-For: a fresh one each time, and a victim's (127.0.0.6). Every
    attempt counts against its own address, it is refused after the limit like anyone else, and
    the victim's bucket does not move: the victim is still served through nginx."""
    through, direct = proxied
    answer = log_in(through, "127.0.0.6")
    assert LOGIN_FAILED in answer and TOO_MANY_FROM_HERE not in answer

    for n in range(PER_ADDRESS):
        answer = log_in(direct, "127.0.0.5", forwarded_for=f"203.0.113.{n + 1}")
        assert LOGIN_FAILED in answer and TOO_MANY_FROM_HERE not in answer
    assert TOO_MANY_FROM_HERE in log_in(direct, "127.0.0.5", forwarded_for="203.0.113.99")
    for _ in range(PER_ADDRESS):
        assert TOO_MANY_FROM_HERE in log_in(direct, "127.0.0.5", forwarded_for="127.0.0.6")

    assert hits("127.0.0.5") == PER_ADDRESS  # the refused ones answered from memory, as above
    assert hits("127.0.0.6") == 1
    answer = log_in(through, "127.0.0.6")
    assert LOGIN_FAILED in answer and TOO_MANY_FROM_HERE not in answer
    assert forged_buckets(*(f"203.0.113.{n}" for n in (1, 2, 3, 99))) == []


def test_sign_up_attempts_count_against_the_real_client_too(proxied):
    """Sign-up attempts per client (the other per-client limit a stranger can reach) key on the same
    address: through nginx with a forged X-Forwarded-For, and straight to the app with another."""
    through, direct = proxied
    identity = {
        "first_name": "Nobody",
        "last_name": "Onroster",
        "date_of_birth": "1980-04-15",
        "ssn": "212-45-6789",
        "email": "nobody.onroster@example.org",
    }
    for base, source, forged in ((through, "127.0.0.7", "198.51.100.70"), (direct, "127.0.0.8", "198.51.100.80")):
        client = RawClient(base, path="/register", source_address=source, headers={"X-Forwarded-For": forged})
        try:
            client.call(SIGN_UP, {"form_data": identity}, path="/register", timeout=60)
            deadline = time.monotonic() + 30
            while not register_hits(source) and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            client.close()
        assert register_hits(source) == 1
        assert register_hits(forged) == 0


def register_hits(address: str) -> int:
    with session_scope() as session:
        return len(session.exec(select(RateLimitHit).where(RateLimitHit.bucket == f"register:{address}")).all())
