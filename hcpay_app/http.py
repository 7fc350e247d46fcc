"""Plain HTTP routes beside the Reflex app: document downloads (receipts, statements, bills, the
yearly premium summary, CSV).

They are authenticated by the same server-issued session cookie as the websocket, and a member
can only ever get their own documents: anything else reads as not found. The one exception is a
guest's receipt: a guest has no session, so the random, short-lived token in its path (kept only
as a hash, bound to one payment) is what opens it — that payment's receipt and nothing else.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from hcpay_app import clock, routes
from hcpay_app.config import SESSION_COOKIE
from hcpay_app.db import session_scope
from hcpay_app.i18n import languages
from hcpay_app.i18n.catalogs import translate
from hcpay_app.i18n.message import Msg
from hcpay_app.services.accounts import authn
from hcpay_app.services.common.errors import (
    DomainError,
    NotAllowed,
    NotFound,
    ValidationError,
)
from hcpay_app.services.payments import documents

PRIVATE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
# The token is in the path: never cached, never sent on as a referrer, never indexed.
GUEST_HEADERS = {**PRIVATE_HEADERS, "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


NOT_FOUND = Msg("Not found")
GUEST_LINK_GONE = Msg("This receipt link has expired or is not valid.")


def device_language(request: Request) -> languages.Language:
    """The language this device chose (the `hcpay_lang` cookie), English if none: a guest's."""
    return languages.parse(request.cookies.get(languages.COOKIE)) or languages.DEFAULT


def _refusal(text: str, language: str, status_code: int, headers: dict[str, str]) -> Response:
    """A refusal in the reader's language (a `Msg` translated; plain text as it is)."""
    return PlainTextResponse(translate(text, language), status_code=status_code, headers=headers)


def _build(request: Request, make: Callable[..., tuple[str, bytes]], *args) -> tuple[str, bytes] | Response:
    with session_scope() as session:
        actor = authn.resolve(session, request.cookies.get(SESSION_COOKIE, ""), now=clock.utcnow())
        if actor is None:
            back = urllib.parse.urlencode({"next": routes.HISTORY})
            login = languages.localized(routes.LOGIN, device_language(request))
            return RedirectResponse(f"{login}?{back}", status_code=303, headers=PRIVATE_HEADERS)
        # The member's documents and refusals are in their own language (saved on their account).
        language = languages.parse(actor.language) or device_language(request)
        try:
            return make(session, actor, *args)
        except (NotFound, NotAllowed):
            return _refusal(NOT_FOUND, language, 404, PRIVATE_HEADERS)
        except ValidationError as exc:
            return _refusal(next(iter(exc.errors.values())), language, 400, PRIVATE_HEADERS)
        except DomainError as exc:
            return _refusal(exc.message, language, 400, PRIVATE_HEADERS)


async def _download(request: Request, media_type: str, make: Callable[..., tuple[str, bytes]], *args) -> Response:
    result = await asyncio.to_thread(_build, request, make, *args)
    if isinstance(result, Response):
        return result
    filename, body = result
    headers = {**PRIVATE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=media_type, headers=headers)


def _build_guest_receipt(token: str, language: str = languages.DEFAULT) -> tuple[str, bytes] | Response:
    with session_scope() as session:
        try:
            return documents.guest_receipt_pdf(session, token, now=clock.utcnow(), language=language)
        except NotFound:
            return _refusal(GUEST_LINK_GONE, language, 404, GUEST_HEADERS)


async def guest_receipt(request: Request) -> Response:
    # A guest has no account: the receipt is in the language chosen on this device.
    language = device_language(request)
    result = await asyncio.to_thread(_build_guest_receipt, request.path_params["token"], language)
    if isinstance(result, Response):
        return result
    filename, body = result
    headers = {**GUEST_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type="application/pdf", headers=headers)


async def receipt(request: Request) -> Response:
    return await _download(request, "application/pdf", documents.receipt_pdf, request.path_params["reference"])


async def statement(request: Request) -> Response:
    return await _download(request, "application/pdf", documents.statement_pdf, request.query_params.get("month", ""))


async def bill(request: Request) -> Response:
    return await _download(request, "application/pdf", documents.bill_pdf, request.query_params.get("month", ""))


async def premium_summary(request: Request) -> Response:
    return await _download(
        request, "application/pdf", documents.premium_summary_pdf, request.query_params.get("year", "")
    )


async def history_csv(request: Request) -> Response:
    query = request.query_params
    return await _download(
        request, "text/csv; charset=utf-8", documents.history_csv, query.get("start", ""), query.get("end", "")
    )


def api() -> Starlette:
    return Starlette(
        routes=[
            Route(f"{routes.RECEIPT}/{{reference}}", receipt),
            Route(routes.STATEMENT, statement),
            Route(routes.HISTORY_CSV, history_csv),
            Route(routes.BILL_PDF, bill),
            Route(routes.PREMIUM_SUMMARY, premium_summary),
            Route(f"{routes.GUEST_RECEIPT}/{{token}}", guest_receipt),
        ]
    )
