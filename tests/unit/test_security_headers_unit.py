"""HSTS goes out exactly when the portal is served over https."""

from __future__ import annotations

import asyncio

import pytest

from hcpay_app.config import get_settings
from hcpay_app.security_headers import with_security_headers


def response_headers() -> dict[bytes, bytes]:
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": b"ok"})

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    asyncio.run(with_security_headers(app)({"type": "http"}, receive, send))
    return dict(sent[0]["headers"])


@pytest.mark.parametrize(("base_url", "hsts"), [("https://pay.example.org", True), ("http://localhost:3000", False)])
def test_hsts_only_over_https(monkeypatch, base_url, hsts):
    monkeypatch.setenv("HCPAY_BASE_URL", base_url)
    get_settings.cache_clear()
    headers = response_headers()
    assert (b"strict-transport-security" in headers) is hsts
    if hsts:
        assert headers[b"strict-transport-security"].startswith(b"max-age=63072000")
    assert headers[b"x-frame-options"] == b"DENY" and headers[b"cache-control"] == b"no-store"
