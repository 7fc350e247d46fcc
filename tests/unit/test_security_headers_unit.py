"""HSTS goes out exactly when the portal is served over https; pages are never cached, and the
build's fingerprinted files always are."""

from __future__ import annotations

import asyncio

import pytest

from hcpay_app.config import get_settings
from hcpay_app.security_headers import with_security_headers


def response_headers(path: str = "/", content_type: bytes = b"text/html", status: int = 200) -> dict[bytes, bytes]:
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": b"ok"})

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    asyncio.run(with_security_headers(app)({"type": "http", "path": path}, receive, send))
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


@pytest.mark.parametrize(
    ("path", "content_type", "status", "cache"),
    [
        ("/assets/entry.client-BcBPaK_9.js", b"text/javascript", 200, b"public, max-age=31536000, immutable"),
        ("/assets/__reflex_global_styles-9EEy0PYC.css", b"text/css", 200, b"public, max-age=31536000, immutable"),
        ("/assets/entry.client-BcBPaK_9.js", b"text/plain", 404, None),  # a missing file is not kept
        ("/forms.js", b"text/javascript", 200, None),  # the portal's own scripts keep their name: asked again
        ("/dashboard/", b"text/html", 200, b"no-store"),
        ("/assets/not-a-hash.js", b"text/javascript", 200, None),
    ],
)
def test_only_fingerprinted_build_files_are_kept(path, content_type, status, cache):
    get_settings.cache_clear()
    assert response_headers(path, content_type, status).get(b"cache-control") == cache
