"""Security headers on every HTTP response (pages, assets, downloads), as ASGI middleware.

The policy allows only this origin. Reflex's build needs inline scripts and styles (hydration data
and emotion CSS), so those stay allowed; nothing may frame the portal, and pages are never cached
(they may show member data after log-in). The build's fingerprinted files (`/assets/name-HASH.js`)
never change under their name, so browsers keep them for a year without asking again."""

from __future__ import annotations

import re

from hcpay_app.config import get_settings

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# Sent only when the portal is served over https (HCPAY_BASE_URL): browsers then refuse plain http
# to it for two years, so a network attacker can't strip TLS from a member's next visit.
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


# Vite names every file it emits under /assets/ after its content (an 8-character hash).
FINGERPRINTED = re.compile(r"^/assets/[^/]+-[A-Za-z0-9_-]{8}\.(?:js|css|woff2?|ttf|svg|png|jpg|webp)$")
IMMUTABLE = (b"cache-control", b"public, max-age=31536000, immutable")


def headers_for(base_url: str) -> list[tuple[bytes, bytes]]:
    return [*HEADERS, HSTS] if base_url.startswith("https://") else list(HEADERS)


def with_security_headers(app):
    """Wrap an ASGI app so every HTTP response carries the headers above; HTML is never cached,
    fingerprinted build files always are."""
    security = headers_for(get_settings().base_url)
    names = {k for k, _ in security}

    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                headers.extend(security)
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                cached = any(k.lower() == b"cache-control" for k, _ in headers)
                if content_type.startswith(b"text/html") and not cached:
                    headers.append((b"cache-control", b"no-store"))
                elif not cached and message.get("status") == 200 and FINGERPRINTED.match(scope.get("path", "")):
                    # Without it a browser revalidates each file on the next visit: a round trip apiece.
                    headers.append(IMMUTABLE)
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped
