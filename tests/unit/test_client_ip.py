"""The address per-client limits key on (state/base.py `client_ip`, issue 14 point 5): Reflex's
resolved address only when the direct peer is a trusted proxy (HCPAY_TRUSTED_PROXIES)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hcpay_app.config import ConfigurationError, get_settings
from hcpay_app.state.base import client_ip


def state(resolved: str, peer: str | None) -> SimpleNamespace:
    """What a handler sees: Reflex's `client_ip` (from X-Forwarded-For when hops are set) and the
    socket's real peer, which Reflex records as the `asgi-scope-client` header."""
    raw = {"asgi-scope-client": peer} if peer is not None else {}
    router = SimpleNamespace(session=SimpleNamespace(client_ip=resolved), headers=SimpleNamespace(raw_headers=raw))
    return SimpleNamespace(router=router)


def test_the_proxy_names_the_client_and_nobody_else_does(monkeypatch):
    monkeypatch.setenv("HCPAY_TRUSTED_PROXIES", "127.0.0.2, 10.0.0.0/8")
    get_settings.cache_clear()
    assert client_ip(state("198.51.100.7", "127.0.0.2")) == "198.51.100.7"
    assert client_ip(state("198.51.100.7", "10.20.30.40")) == "198.51.100.7"
    assert client_ip(state("198.51.100.7", "::ffff:127.0.0.2")) == "198.51.100.7"
    # A direct client naming someone else is keyed on where it really is.
    assert client_ip(state("198.51.100.7", "127.0.0.5")) == "127.0.0.5"
    assert client_ip(state("198.51.100.7", "203.0.113.9")) == "203.0.113.9"
    # No X-Forwarded-For believed (resolved is the peer), or no peer known: Reflex's answer.
    assert client_ip(state("203.0.113.9", "203.0.113.9")) == "203.0.113.9"
    assert client_ip(state("198.51.100.7", None)) == "198.51.100.7"
    assert client_ip(state("", None)) == "unknown"


def test_by_default_loopback_is_the_proxy(monkeypatch):
    monkeypatch.delenv("HCPAY_TRUSTED_PROXIES", raising=False)
    get_settings.cache_clear()
    assert get_settings().trusted_proxies == ("127.0.0.0/8", "::1/128")
    assert client_ip(state("198.51.100.7", "127.0.0.1")) == "198.51.100.7"
    assert client_ip(state("198.51.100.7", "::1")) == "198.51.100.7"
    assert client_ip(state("198.51.100.7", "192.0.2.1")) == "192.0.2.1"


def test_a_wrong_trusted_proxies_setting_refuses_to_start(monkeypatch):
    monkeypatch.setenv("HCPAY_TRUSTED_PROXIES", "127.0.0.2,proxy.internal")
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="HCPAY_TRUSTED_PROXIES: 'proxy.internal'"):
        get_settings()
