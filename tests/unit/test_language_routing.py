"""The language middleware: `<html lang>` from the first byte, and the device's remembered language."""

from __future__ import annotations

import gzip

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
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
def client(tmp_path):
    """Pages as the production build serves them: each a folder's index.html (StaticFiles)."""
    for folder in ("", "pay", "es", "pt/pay"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "index.html").write_text(PAGE)
    routes = [Route("/es/pay/", html), Route("/assets/x.js", asset)]
    app = Starlette(routes=[*routes, Mount("/", StaticFiles(directory=tmp_path, html=True))])
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


def test_a_page_asked_for_without_its_slash_is_sent_at_once(client):
    """A bookmark or typed address (`/pay`) gets the page, not a redirect to `/pay/` first."""
    for path, language in (("/pay", "en"), ("/es/pay", "es"), ("/pt/pay", "pt"), ("/es", "es")):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 200, path
        assert f'<html lang="{language}">' in response.text, path
    assert client.get("/", follow_redirects=False).status_code == 200
