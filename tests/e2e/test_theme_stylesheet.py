"""The trimmed Radix Themes stylesheet (hcpay_app/theme_css.py) draws every component the pages
show: each Radix component class on a page has rules, no element carries a per-breakpoint class
(those rules are gone), and a phone downloads a fifth of what the whole stylesheet weighed."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from tests.e2e.harness import log_in_as

# Every Radix class on the page's elements, and every selector of its stylesheets (same origin).
CLASSES_AND_SELECTORS = """() => {
  const classes = new Set();
  for (const element of document.querySelectorAll("[class]")) {
    for (const name of element.classList) if (name.includes("rt-")) classes.add(name);
  }
  const selectors = [];
  const walk = (rules) => {
    for (const rule of rules) {
      if (rule.selectorText) selectors.push(rule.selectorText);
      if (rule.cssRules) walk(rule.cssRules);
    }
  };
  for (const sheet of document.styleSheets) walk(sheet.cssRules);
  return {classes: [...classes], selectors};
}"""
STYLESHEET_BYTES = """() => performance.getEntriesByType("resource")
  .filter((entry) => entry.name.split("?")[0].endsWith(".css"))
  .reduce((sum, entry) => sum + entry.decodedBodySize, 0)"""


def _check(page: Page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    found = page.evaluate(CLASSES_AND_SELECTORS)
    assert found["classes"], f"{path}: no Radix component drawn?"
    responsive = [name for name in found["classes"] if re.match(r"(xs|sm|md|lg|xl):", name)]
    assert not responsive, f"{path}: per-breakpoint classes {responsive} have no rules in the trimmed stylesheet"
    selectors = " ".join(found["selectors"])
    components = {name for name in found["classes"] if re.fullmatch(r"rt-[A-Z]\w*", name)}
    unstyled = sorted(name for name in components if not re.search(rf"\.{name}(?![\w-])", selectors))
    assert not unstyled, f"{path}: {unstyled} have no rules: add them to theme_css.COMPONENT_CLASSES"
    size = page.evaluate(STYLESHEET_BYTES)
    assert 0 < size < 250_000, f"{path}: {size} bytes of CSS (the whole Radix stylesheet was 700 KB)"


def test_public_pages_are_styled(page: Page):
    for path in ("/", "/register", "/forgot-password", "/guest-pay", "/help", "/es", "/pt/register"):
        _check(page, path)


def test_member_pages_are_styled(page: Page, new_user):
    log_in_as(page, new_user)
    for path in ("/dashboard", "/history", "/pay", "/settings", "/settings/autopay", "/notifications", "/support"):
        _check(page, path)


# Radix Themes components no page draws (their class names, as their code writes them): that code
# must not reach a phone.
UNUSED_COMPONENTS = ("rt-TabsList", "rt-SegmentedControlRoot", "rt-ContextMenuContent")
SCRIPT_TEXTS = """async () => {
  const urls = performance.getEntriesByType("resource").map((e) => e.name)
    .filter((url) => url.split("?")[0].endsWith(".js"));
  return Promise.all(urls.map(async (url) => [url, await (await fetch(url)).text()]));
}"""


def test_pages_load_only_the_radix_components_they_draw(page: Page, new_user):
    """Reflex imports each plugin's package whole for dynamic components (theme_css.TrimmedRadixThemes
    declines): every Radix Themes component was evaluated on every page, 60 KB gzipped of the dashboard's JS."""
    log_in_as(page, new_user)
    for path in ("/", "/dashboard"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        scripts = page.evaluate(SCRIPT_TEXTS)
        assert len(scripts) > 5, f"{path}: the page's scripts were not found"
        shipped = sorted({name for url, text in scripts for name in UNUSED_COMPONENTS if name in text})
        assert not shipped, f"{path}: the code of unused Radix components {shipped} was downloaded"
