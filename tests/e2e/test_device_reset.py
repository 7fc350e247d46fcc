"""The suite's shared browser context (`device` in conftest.py) hands each test a clean device: the
first test leaves a session cookie, local storage, a permission and a second tab behind; the
second, run after it on the same worker (the file's tests run in order), finds none of them."""

from __future__ import annotations

from tests.e2e.harness import BASE_URL, KEEPER_PAGE

LEFT_BEHIND = "left-by-the-test-before"


def test_a_test_leaves_its_device_dirty(page):
    page.goto("/")
    page.context.add_cookies([{"name": "hcpay_session", "value": LEFT_BEHIND, "url": BASE_URL}])
    page.evaluate(f"window.localStorage.setItem('hcpay-probe', '{LEFT_BEHIND}')")
    page.context.grant_permissions(["clipboard-read"], origin=BASE_URL)
    page.context.new_page().goto("/")
    assert len(page.context.pages) == 3  # the page kept open on the app's site, this one, another


def test_the_next_test_gets_a_clean_device(page):
    page.goto("/")
    assert all(c["value"] != LEFT_BEHIND for c in page.context.cookies())
    assert page.evaluate("window.localStorage.getItem('hcpay-probe')") is None
    assert page.evaluate("navigator.permissions.query({name: 'clipboard-read'}).then((p) => p.state)") != "granted"
    assert [p.url for p in page.context.pages] == [BASE_URL + KEEPER_PAGE, page.url]
