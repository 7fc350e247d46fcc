"""Pages in the member's language from the first byte, as ASGI middleware.

- A page's copy in another language (`/es/…`) is sent with `<html lang>` set to its language (the
  compiled document root says "en" for every page).
- A device that chose a language before (the `hcpay_lang` cookie, kept by assets/lang.js) and asks
  for an English page by its plain address (a bookmark, a typed address) is sent to that page's copy
  in its language before anything is drawn.
"""

from __future__ import annotations

import gzip
import http.cookies
import urllib.parse

from hcpay_app import routes
from hcpay_app.i18n import languages

_ENGLISH_DOCUMENT = b'<html lang="en"'


def _page_routes() -> frozenset[str]:
    names = [
        "LOGIN",
        "REGISTER",
        "FORGOT_PASSWORD",
        "FORGOT_USERNAME",
        "RESET_PASSWORD",
        "DASHBOARD",
        "HISTORY",
        "PAYMENT",
        "BILL",
        "PAY",
        "HELP",
        "SETTINGS",
        "AUTOPAY",
        "NOTIFICATIONS",
        "PAYMENT_PLAN",
        "SUPPORT",
        "CONSOLE",
        "GUEST_PAY",
        "DEV_MAILBOX",
        "STAFF_ENROL",
    ]
    return frozenset(getattr(routes, name) for name in names)


PAGES = _page_routes()


def _cookie_language(scope) -> languages.Language | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar = http.cookies.SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except http.cookies.CookieError:
                return None
            morsel = jar.get(languages.COOKIE)
            return languages.parse(morsel.value) if morsel else None
    return None


def with_page_language(app):
    """Wrap an ASGI app: the redirect to the remembered language, and `<html lang>` per page."""

    async def wrapped(scope, receive, send):
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await app(scope, receive, send)
            return
        path = scope.get("path", "/")
        language, route = languages.split_path(path.rstrip("/") or "/")
        query = scope.get("query_string", b"").decode("latin-1")
        if language == languages.DEFAULT and route in PAGES:
            remembered = _cookie_language(scope)
            chosen = dict(urllib.parse.parse_qsl(query)).get("lang")
            if remembered not in (None, languages.DEFAULT) and chosen is None:
                target = languages.localized(route + (f"?{query}" if query else ""), remembered)
                await send(
                    {
                        "type": "http.response.start",
                        "status": 307,
                        "headers": [(b"location", target.encode()), (b"cache-control", b"no-store")],
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return
        if route in PAGES and path != "/" and not path.endswith("/"):
            # Each page is a folder's index.html: asked for by its plain address (a bookmark, a
            # typed or shared link), it is sent at once instead of a redirect to "…/" first (a
            # round trip a phone on a slow network pays before anything is drawn).
            scope = {**scope, "path": path + "/", "raw_path": (path + "/").encode()}
        if language == languages.DEFAULT or route not in PAGES:
            await app(scope, receive, send)
            return
        await _with_document_language(app, scope, receive, send, language)

    return wrapped


async def _with_document_language(app, scope, receive, send, language: languages.Language) -> None:
    """Send the page with `<html lang>` in its language (decompressing a precompressed copy first)."""
    start: dict | None = None
    chunks: list[bytes] = []

    async def capture(message):
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        headers = list(start.get("headers", [])) if start else []
        body = b"".join(chunks)
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        if content_type.startswith(b"text/html") and body:
            gzipped = any(k.lower() == b"content-encoding" and v.strip() == b"gzip" for k, v in headers)
            html = gzip.decompress(body) if gzipped else body
            html = html.replace(_ENGLISH_DOCUMENT, f'<html lang="{language.value}"'.encode(), 1)
            body = gzip.compress(html, compresslevel=6, mtime=0) if gzipped else html
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
        await send({**(start or {"type": "http.response.start", "status": 200}), "headers": headers})
        await send({"type": "http.response.body", "body": body})

    # The server may send files by path (zero-copy); this one's body is rewritten, so it is read.
    extensions = {k: v for k, v in (scope.get("extensions") or {}).items() if k != "http.response.pathsend"}
    await app({**scope, "extensions": extensions}, receive, capture)
