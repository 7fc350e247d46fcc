"""axe-core on every page a member or visitor reaches: no serious or critical violations."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.e2e.harness import log_in_as

PUBLIC = ["/", "/register", "/forgot-password", "/forgot-username", "/guest-pay"]
MEMBER = [
    "/dashboard",
    "/history",
    "/pay",
    "/settings",
    "/settings/autopay",
    "/notifications",
    "/payment-plan",
    "/support",
    "/help",
]


def serious(page: Page) -> list[str]:
    page.wait_for_load_state("networkidle")
    result = Axe().run(page)
    return [
        f"{v['id']}: {v['nodes'][0]['target']}"
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages(page: Page, path):
    page.goto(path)
    page.get_by_role("heading", level=1).wait_for()
    assert serious(page) == []


def test_member_pages(page: Page, new_user):
    log_in_as(page, new_user)
    found = {}
    for path in MEMBER:
        page.goto(path)
        page.get_by_role("heading", level=1).wait_for()
        page.wait_for_timeout(300)
        found[path] = serious(page)
    assert found == {path: [] for path in MEMBER}
