"""A raw socket.io client speaking Reflex's event protocol, for calling handlers the way an attacker
would: any handler, any arguments, any cookie — no page, no compiled frontend.

Wire format (Reflex 0.10, checked against reflex/app.py and .web/utils/state.js): connect to
`/_event` (namespace `/_event`) with the tab's client token in the query string; send `event` with
`{name: "<state full name>.<handler>", payload: {arg: value}, router_data: {pathname, asPath, query}}`;
the server answers with `event` frames `{delta: …, events: […]}`. An `rx.Cookie` reaches the server
as a client-storage var in `hydrate_and_load`'s payload.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
import uuid

import socketio

NAMESPACE = "/_event"
ROOT = "reflex___state____state"
SESSION_STATE = f"{ROOT}.hcpay_app___state___session____session_state"
SESSION_COOKIE_VAR = f"{SESSION_STATE}.auth_token"


class RawClient:
    """One browser tab, faked. `call` returns the frames the server sent in answer."""

    def __init__(
        self,
        base_url: str,
        *,
        auth_token: str = "",
        path: str = "/dashboard",
        headers: dict[str, str] | None = None,
        source_address: str | None = None,
    ) -> None:
        """`headers` are sent with the websocket handshake (e.g. a forged X-Forwarded-For);
        `source_address` is the local IP the connection comes from (any of 127/8 on loopback), so a
        test can be several clients at several real addresses."""
        self.frames: list[dict] = []
        self._lock = threading.Condition()  # notified on every frame: waiters sleep until one arrives
        self._hydrated = False
        options = {}
        if source_address is not None:
            url = urllib.parse.urlsplit(base_url)
            where = (url.hostname, url.port or 80)
            sock = socket.create_connection(where, timeout=20, source_address=(source_address, 0))
            options["websocket_extra_options"] = {"socket": sock}
        self.sio = socketio.Client(reconnection=False, **options)
        self.sio.on("event", self._received, namespace=NAMESPACE)
        # websocket-client sends the URL's own origin as Origin: the app's allowed origin.
        self.sio.connect(
            f"{base_url}?token={uuid.uuid4()}",
            headers=headers or {},
            transports=["websocket"],
            socketio_path="_event",
            namespaces=[NAMESPACE],
            wait_timeout=20,
        )
        self.call(f"{ROOT}.hydrate_and_load", {"vars": {SESSION_COOKIE_VAR: auth_token}}, path=path)
        self._settle()

    def _settle(self, timeout: float = 10) -> None:
        """Until the page's load chain is over. Its on-load events are chained after hydration, so
        they may run after `call`'s sentinel, and the chain's own `is_hydrated` frames (False, then
        True) would then arrive late: a `call` made meanwhile took that False for its own sentinel
        and returned nothing. The chain ends with `is_hydrated` True, and the sentinel adds another:
        settled once two have arrived and the last word is True."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.sio.connected:
            with self._lock:
                seen = [
                    root["is_hydrated_rx_state_"]
                    for frame in self.frames
                    if "is_hydrated_rx_state_" in (root := (frame.get("delta") or {}).get(ROOT) or {})
                ]
                count = len(self.frames)
            if seen.count(True) >= 2 and seen[-1] is True:
                return
            self.wait_for_frames(count, timeout=min(0.5, max(0.0, deadline - time.monotonic())))

    def _received(self, data) -> None:
        with self._lock:
            self.frames.append(data if isinstance(data, dict) else {"raw": data})
            self._lock.notify_all()

    @property
    def connected(self) -> bool:
        return self.sio.connected

    def mark(self) -> int:
        """Where the frames received so far end; `since(mark)` returns what arrived after it."""
        with self._lock:
            return len(self.frames)

    def since(self, mark: int) -> list[dict]:
        with self._lock:
            return self.frames[mark:]

    def wait_for_frames(self, count: int, timeout: float) -> None:
        """Until more than `count` frames have arrived (or `timeout` seconds), without spinning."""
        with self._lock:
            self._lock.wait_for(lambda: len(self.frames) > count, timeout=timeout)

    def emit(self, name: str, payload: object, *, path: str = "/dashboard") -> None:
        self.sio.emit(
            "event",
            namespace=NAMESPACE,
            data={"name": name, "payload": payload, "router_data": {"pathname": path, "asPath": path, "query": {}}},
        )

    def call(self, name: str, payload: object, *, path: str = "/dashboard", timeout: float = 20) -> list[dict]:
        """Send one event and return every frame it caused.

        Events of one tab are processed in order, so a sentinel sent right after (flipping the root
        state's `is_hydrated`, which always answers with a delta) marks where this event's answer ends.
        """
        return self.call_many([(name, payload)], path=path, timeout=timeout)

    def call_many(
        self, events: list[tuple[str, object]], *, path: str = "/dashboard", timeout: float = 20
    ) -> list[dict]:
        """Send several events back to back and return every frame they caused (one sentinel after
        the last: a batch costs one round trip instead of one each)."""
        with self._lock:
            start = len(self.frames)
        for name, payload in events:
            self.emit(name, payload, path=path)
        name = events[-1][0] if events else "nothing"
        self._hydrated = not self._hydrated
        marker = self._hydrated
        self.emit(f"{ROOT}.set_is_hydrated", {"value": marker}, path=path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.sio.connected:
            with self._lock:
                answer = self.frames[start:]
                seen = len(self.frames)
            for index, frame in enumerate(answer):
                root = (frame.get("delta") or {}).get(ROOT) or {}
                if root.get("is_hydrated_rx_state_") is marker:
                    return answer[:index]
            self.wait_for_frames(seen, timeout=min(0.5, max(0.0, deadline - time.monotonic())))
        raise TimeoutError(f"no answer to {name} (connected={self.sio.connected})")

    def close(self) -> None:
        self.sio.disconnect()


def text_of(frames: list[dict]) -> str:
    return json.dumps(frames, default=str)
