"""The language middleware: `<html lang>` from the first byte, and the device's remembered language."""

from __future__ import annotations

import gzip

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from hcpay_app.language_routing import with_page_language

PAGE = '<!DOCTYPE html><html lang="en"><head></head><body>page</body></html>'


async def html(request):
    if "gzip" in request.headers.get("accept-encoding", "") and request.query_params.get("gz"):
        return Response(gzip.compress(PAGE.encode()), media_type="text/html", headers={"content-encoding": "gzip"})
    return HTMLResponse(PAGE)


async def asset(request):
    return Response(b'<html lang="en">', media_type="text/plain")


@pytest.fixture
def client():
    routes = [Route(path, html) for path in ("/", "/pay", "/es", "/es/pay", "/pt/pay")]
    app = Starlette(routes=[*routes, Route("/assets/x.js", asset)])
    return TestClient(with_page_language(app))


def test_a_page_in_another_language_says_so_in_its_first_html(client):
    assert '<html lang="es">' in client.get("/es/pay").text
    assert '<html lang="es">' in client.get("/es").text
    assert '<html lang="pt">' in client.get("/pt/pay").text
    assert '<html lang="en">' in client.get("/pay").text


def test_a_precompressed_page_is_rewritten_too(client):
    response = client.get("/es/pay?gz=1", headers={"accept-encoding": "gzip"})
    assert '<html lang="es">' in response.text


def test_the_remembered_language_opens_a_plain_address_in_it(client):
    client.cookies.set("hcpay_lang", "pt")
    response = client.get("/pay?reference=HC-1", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/pt/pay?reference=HC-1"


def test_english_or_an_explicit_choice_or_anything_else_is_left_alone(client):
    client.cookies.set("hcpay_lang", "en")
    assert client.get("/pay", follow_redirects=False).status_code == 200
    client.cookies.set("hcpay_lang", "es")
    assert client.get("/pay?lang=en", follow_redirects=False).status_code == 200  # the choice itself
    assert client.get("/assets/x.js", follow_redirects=False).text == '<html lang="en">'  # not a page
    client.cookies.set("hcpay_lang", "klingon")
    assert client.get("/pay", follow_redirects=False).status_code == 200
