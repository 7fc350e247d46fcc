"""Simulated members for Locust, speaking Reflex's websocket protocol (no browser, no page).

Each member, on its own loopback address (127.0.1.x, so per-address limits see one client each):
1. opens the log-in page and logs in through the real `LoginState.login` event;
2. then, about one action a second: goes to the dashboard, goes to the history, and makes a card
   payment (goes to Make a Payment, picks "another amount", submits the amount, submits the sandbox
   test card 4242 4242 4242 4242, submits the payment, and waits for the confirmation).

A page load ("page /") is what a browser sends when a page connects: `hydrate_and_load` (with the
session cookie, as the browser holds it), which the server answers with the state snapshot and then
runs the page's on_load handlers (hcpay_app/pages/__init__.py). Going to a page from another ("go to
/history") is what the browser sends on a tap on one of the app's links: the session cookie
(`update_vars_internal`) and the new page's `on_load_internal`, no snapshot. Both are timed until
the page's own state has answered and the page is hydrated. Every handler round trip is one Locust
request (type "ws"): its name, response time and failure.

The wire protocol is spoken directly (Engine.IO 4 / Socket.IO 5 text frames over websocket-client,
which Locust's gevent monkey-patching makes cooperative): one reader greenlet per member and no
polling, so the load generator spends its share of the 2 cores on members, not on clients.

Settings come from the JSON file named by HCPAY_LOAD_CONFIG (written by test_bench_members.py):
`host`, `members` (username, password), `names` (the full event and state names, computed by the
app's own classes in the test process, so a renamed state can't silently miss), `timeout_s`.
Run it by hand against a running app with `locust -f tests/perf/locustfile.py --headless …`.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import time
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
import websocket
from gevent.event import Event
from locust import User, between, task

NAMESPACE = "/_event"
CARD = {
    "card_number": "4242 4242 4242 4242",
    "expiry": "12/34",
    "cvc": "123",
    "card_name": "Bench Payer",
    "billing_zip": "02110",
}


def load_config() -> dict:
    path = os.environ.get("HCPAY_LOAD_CONFIG")
    return json.loads(Path(path).read_text()) if path else {}


CONFIG = load_config()
_members = itertools.count()
CONFIRMED: list[str] = []  # the reference of every payment a member saw confirmed


class Refused(Exception):
    """The app answered, but not with what a member expects (an error shown, a redirect to log in)."""


class ReflexSocket:
    """One browser tab's websocket: Engine.IO 4 + Socket.IO 5 text frames, namespace /_event."""

    def __init__(self, base_url: str, *, source_address: str | None = None, timeout: float = 10) -> None:
        url = urllib.parse.urlsplit(base_url)
        self.frames: list[dict] = []
        self.closed = False
        self._arrived = Event()
        sock = socket.create_connection(
            (url.hostname, url.port or 80),
            timeout=timeout,
            source_address=(source_address, 0) if source_address else None,
        )
        self.ws = websocket.create_connection(
            f"ws://{url.netloc}/_event/?EIO=4&transport=websocket&token={uuid.uuid4()}",
            socket=sock,
            origin=base_url,  # the app's allowed origin, as the page's own
            timeout=timeout,
            enable_multithread=True,  # the reader greenlet answers pings while the member sends events
        )
        opened = self.ws.recv()
        if not opened.startswith("0"):
            raise ConnectionError(f"no Engine.IO open packet: {opened[:200]}")
        self.ws.send(f"40{NAMESPACE},")
        while not (answer := self.ws.recv()).startswith(f"40{NAMESPACE}"):
            if answer.startswith(f"44{NAMESPACE}"):
                raise ConnectionError(f"namespace refused: {answer[:200]}")
        self.ws.settimeout(None)
        self._reader = gevent.spawn(self._read)

    def _read(self) -> None:
        prefix = f"42{NAMESPACE},"
        try:
            while True:
                message = self.ws.recv()
                if message == "2":  # the server's ping
                    self.ws.send("3")
                elif message.startswith(prefix):
                    name, *args = json.loads(message[len(prefix) :])
                    if name == "event" and args:
                        self.frames.append(args[0] if isinstance(args[0], dict) else {"raw": args[0]})
                        self._arrived.set()
                elif message.startswith(("1", f"41{NAMESPACE}")):
                    break
        except (websocket.WebSocketException, OSError):
            pass
        finally:
            self.closed = True
            self._arrived.set()

    def emit(self, name: str, payload: dict, path: str) -> int:
        """Send one event; returns the mark of the frames that answer it."""
        mark = len(self.frames)
        router = {"pathname": path, "asPath": path, "query": {}}
        event = {"name": name, "payload": payload, "router_data": router}
        self.ws.send(f"42{NAMESPACE}," + json.dumps(["event", event]))
        return mark

    def wait(self, mark: int, done: Callable[[list[dict]], Any], timeout: float) -> Any:
        """Wait until `done(frames since mark)` returns something truthy; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            self._arrived.clear()
            result = done(self.frames[mark:])
            if result:
                return result
            if self.closed:
                raise ConnectionError("the websocket closed")
            left = deadline - time.monotonic()
            if left <= 0 or not self._arrived.wait(left):
                raise TimeoutError(f"no answer in {timeout:.0f} s")

    def close(self) -> None:
        if not self.closed:
            try:
                self.ws.send(f"41{NAMESPACE},")
                self.ws.close()
            except (websocket.WebSocketException, OSError):
                pass
        self._reader.kill(block=False)


def delta_of(frame: dict, state: str) -> dict:
    return (frame.get("delta") or {}).get(state) or {}


def redirect_of(frames: list[dict]) -> str | None:
    """Where a `rx.redirect` in these frames sends the tab, if any."""
    for frame in frames:
        for event in frame.get("events") or []:
            if event.get("name") == "_redirect":
                return str((event.get("payload") or {}).get("path", ""))
    return None


class Member(User):
    """A member on their phone: open the portal and log in, then dashboard, history and a card
    payment, about one action a second, moving between pages as the browser does (Reflex sends a
    new page's on_load, with no new snapshot of the state)."""

    wait_time = between(0.5, 1.5)
    host = CONFIG.get("host", "")

    def on_start(self) -> None:
        self.names = CONFIG["names"]
        self.timeout = float(CONFIG.get("timeout_s", 10))
        n = next(_members)
        self.member = CONFIG["members"][n % len(CONFIG["members"])]
        self.address = f"127.0.{1 + n // 250}.{1 + n % 250}" if CONFIG.get("spread_addresses", True) else None
        self.socket = None
        self.token = ""
        self._arrive()

    def _arrive(self) -> None:
        """Open the portal in a new tab and log in (again, after a failure that closed the tab)."""
        if self.socket is None and not self._timed("connect", self._connect):
            return
        if self.page("/"):
            self._timed("log in", self._log_in)

    def on_stop(self) -> None:
        if self.socket is not None:
            self.socket.close()

    def _connect(self) -> bool:
        self.socket = ReflexSocket(self.host, source_address=self.address, timeout=self.timeout)
        return True

    def _timed(self, name: str, action: Callable[[], Any]) -> Any:
        """Run one round trip and report it to Locust as a request; returns what `action` returned,
        None if it failed (each action returns something truthy when it succeeds)."""
        began = time.perf_counter()
        mark = len(self.socket.frames) if self.socket else 0
        exception, result = None, None
        try:
            result = action()
        except Exception as exc:  # every failure is reported, never raised into Locust's loop
            exception = exc
        elapsed = (time.perf_counter() - began) * 1000
        self.environment.events.request.fire(
            request_type="ws",
            name=name,
            response_time=elapsed,
            response_length=len(self.socket.frames) - mark if self.socket else 0,  # frames, not bytes
            exception=exception,
            context={"member": self.member["username"]},
        )
        if exception is not None and self.socket is not None and self.socket.closed:
            # A closed socket is a failure already reported: the next visit opens a new tab and logs in.
            self.socket.close()
            self.socket, self.token = None, ""
        return result

    # -- what a member does -------------------------------------------------------------------

    def page(self, path: str) -> bool | None:
        """A page load: hydrate (with the session cookie) and the page's on_load handlers."""
        root, session = self.names["root"], self.names["session_state"]

        def load() -> None:
            payload = {"vars": {self.names["session_cookie_var"]: self.token}} if self.token else {}
            mark = self.socket.emit(f"{root}.hydrate_and_load", payload, path)

            def loaded(frames: list[dict]) -> bool:
                snapshot = next(
                    (i for i, f in enumerate(frames) if delta_of(f, root).get("is_hydrated_rx_state_") is False),
                    None,
                )
                if snapshot is None:
                    return False
                return self._page_ready(path, frames[snapshot + 1 :])

            self.socket.wait(mark, loaded, self.timeout)
            if (
                path != "/"
                and self.token
                and any(delta_of(f, session).get("logged_in_rx_state_") is False for f in self.socket.frames[mark:])
            ):
                raise Refused(f"{path}: not logged in")
            return True

        return self._timed(f"page {path}", load)

    def navigate(self, path: str) -> bool | None:
        """A tap on one of the app's links: the tab keeps its state, and the browser sends what
        Reflex's `onLoadInternalEvent` does, the session cookie and the new page's on_load, with
        no new snapshot of the state."""

        def go() -> bool:
            cookie = {"vars": {self.names["session_cookie_var"]: self.token}}
            mark = self.socket.emit(self.names["update_vars"], cookie, path)
            self.socket.emit(self.names["on_load"], {}, path)

            def loaded(frames: list[dict]) -> bool:
                if any(delta_of(f, self.names["session_state"]).get("logged_in_rx_state_") is False for f in frames):
                    raise Refused(f"{path}: not logged in")
                return self._page_ready(path, frames)

            return self.socket.wait(mark, loaded, self.timeout)

        return self._timed(f"go to {path}", go)

    def _page_ready(self, path: str, frames: list[dict]) -> bool:
        """Whether these frames (a page's answer) hydrated the page and brought its own state;
        a redirect refuses it."""
        if (target := redirect_of(frames)) is not None:
            raise Refused(f"{path} redirected to {target}")
        page_state = self.names["pages"].get(path)
        hydrated = any(delta_of(f, self.names["root"]).get("is_hydrated_rx_state_") is True for f in frames)
        return hydrated and (page_state is None or any(delta_of(f, page_state) for f in frames))

    def _log_in(self) -> bool:
        login, session = self.names["login_state"], self.names["session_state"]
        form = {"username": self.member["username"], "password": self.member["password"]}
        mark = self.socket.emit(f"{login}.login", {"form_data": form}, "/")

        def answered(frames: list[dict]) -> str | None:
            # The first answer only says the log-in is under way (its error cleared); a refusal —
            # a wrong password, or a burst of log-ins over the bcrypt queue — comes after it.
            for frame in frames:
                login_delta = delta_of(frame, login)
                if problem := login_delta.get("error_rx_state_") or login_delta.get("errors_rx_state_"):
                    raise Refused(f"log-in refused: {problem}")
            return redirect_of(frames)

        target = self.socket.wait(mark, answered, self.timeout)
        token = next(
            (
                delta_of(f, session)["auth_token_rx_state_"]
                for f in self.socket.frames[mark:]
                if delta_of(f, session).get("auth_token_rx_state_")
            ),
            "",
        )
        if not token or "/dashboard" not in target:
            raise Refused(f"log-in went to {target!r} without a session cookie")
        self.token = token
        return True

    def _pay_step(self, handler: str, payload: dict, want_step: str) -> dict:
        """One step of Make a Payment; done when PayState answers with its next step."""
        pay = self.names["pay_state"]
        mark = self.socket.emit(f"{pay}.{handler}", payload, "/pay")

        def answered(frames: list[dict]) -> dict | None:
            for frame in frames:
                delta = delta_of(frame, pay)
                if delta.get("processing_rx_state_") is True:
                    continue
                if delta.get("step_rx_state_") == want_step:
                    return delta
                problem = delta.get("message_rx_state_") or delta.get("errors_rx_state_")
                if problem:
                    raise Refused(f"{handler}: {problem}")
            if (target := redirect_of(frames)) is not None:
                raise Refused(f"{handler} redirected to {target}")
            return None

        return self.socket.wait(mark, answered, self.timeout)

    def _quick(self, handler: str, payload: dict) -> bool:
        """A handler that only flips a choice (no service call): done when PayState answers."""
        pay = self.names["pay_state"]
        mark = self.socket.emit(f"{pay}.{handler}", payload, "/pay")
        return self.socket.wait(mark, lambda frames: any(delta_of(f, pay) for f in frames), self.timeout)

    @task
    def visit(self) -> None:
        """Dashboard, history, then a card payment, each reached by a tap on the app's links (the tab
        was loaded once, on arrival); the visit ends at the first failure (the next one starts from
        the dashboard; a member whose tab closed or who isn't logged in arrives again)."""
        if self.socket is None or not self.token:
            self._arrive()
            return
        for path in ("/dashboard", "/history", "/pay"):
            if not self.navigate(path):
                return
            self.wait()
        if not self._timed("pay: choose another amount", lambda: self._quick("pick_amount", {"value": "other"})):
            return
        amount = {"form_data": {"other_amount": "5.00", "payment_date": ""}}  # "" is today
        if not self._timed("pay: submit amount", lambda: self._pay_step("submit_amount", amount, "method")):
            return
        self.wait()
        if not self._timed("pay: submit card", lambda: self._pay_step("submit_method", {"form_data": CARD}, "review")):
            return
        self.wait()
        done = self._timed("pay: submit payment", lambda: self._pay_step("submit_payment", {}, "done"))
        if done and done.get("reference_rx_state_"):
            CONFIRMED.append(done["reference_rx_state_"])
