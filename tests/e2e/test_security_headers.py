"""HTTP responses carry the security headers; the websocket refuses foreign origins."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.core  # headers and the Origin check must hold in the scale-out mode too


def _headers(url: str) -> dict[str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return {k.lower(): v for k, v in response.headers.items()}


@pytest.mark.parametrize("path", ["/", "/dashboard", "/pay"])
def test_pages_carry_security_headers(app_server, path):
    headers = _headers(app_server + path)
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"


def test_downloads_carry_them_too(app_server):
    host, port = app_server.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/documents/receipt/HC-0000-0000-0000")
    response = connection.getresponse()
    assert response.status == 303  # no session: sent to log in, with the headers all the same
    assert response.getheader("x-content-type-options") == "nosniff"
    assert response.getheader("cache-control") == "no-store"
    connection.close()


def test_websocket_refuses_a_foreign_origin(app_server):
    request = urllib.request.Request(
        app_server + "/_event/?EIO=4&transport=polling",
        headers={"Origin": "https://evil.example"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    assert status in (400, 403)
