"""Benchmark: tapping Submit → confirmation visible, over 20 card payments in the browser, next to
a trivial event's round trip in the same run; both timed inside the page (performance.now and a
MutationObserver), so Playwright's own overhead is left out. Goal: p50 ratio ≤ 3×."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.perf.bench_users import app_settings, make_user
from tests.support import server

PAYMENTS = 20

ITEMISED_CHOICE = '[id^="amount_choice-"]:not(#amount_choice-other)'
WAIT_FOR = """([clickSelector, selector, present]) => new Promise(resolve => {
  const done = () => (document.querySelector(selector) !== null) === present;
  const t0 = performance.now();
  const observer = new MutationObserver(() => { if (done()) { observer.disconnect(); resolve(performance.now() - t0); } });
  observer.observe(document.body, {childList: true, subtree: true, attributes: true});
  document.querySelector(clickSelector).click();
})"""


def test_submit_to_confirmation_against_a_trivial_event(record, monkeypatch):
    tmp = Path(tempfile.mkdtemp(prefix="hcpay-bench-app-"))
    port = server.free_port()
    base = f"http://127.0.0.1:{port}"
    env = app_settings(monkeypatch, tmp, port, bcrypt_cost=4)
    user = make_user(0)
    process = server.start(port, env, tmp / "app.log")
    trivial, submit = [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=server.CHROMIUM, args=server.CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 390, "height": 844}, base_url=base)
            page.goto("/")
            page.get_by_label("Username").fill(user["username"])
            page.get_by_label("Password").fill(user["password"])
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url("**/dashboard")
            for index in range(PAYMENTS):
                page.goto("/pay")
                page.get_by_role("heading", name="How much, and when?").wait_for()
                for _ in range(2):
                    trivial.append(page.evaluate(WAIT_FOR, ["#amount_choice-other", "#other_amount", True]))
                    # Back to whichever itemised amount the page offers (the first premium, the bill due…).
                    trivial.append(page.evaluate(WAIT_FOR, [ITEMISED_CHOICE, "#other_amount", False]))
                page.get_by_label("Another amount").check()
                page.get_by_label("Amount in dollars").fill("1.00")
                page.get_by_role("button", name="Continue").click()
                page.get_by_role("heading", name="How do you want to pay?").wait_for()
                if index == 0:
                    page.get_by_label("Card number").fill("4242424242424242")
                    page.get_by_label("Expiration (MM/YY)").fill("12/30")
                    page.get_by_label("Security code (CVC)").fill("123")
                    page.get_by_label("Name on card").fill("Bench Payer")
                    page.get_by_label("Billing ZIP code").fill("02110")
                    page.get_by_label("Save this method for later").check()
                page.get_by_role("button", name="Continue to review").click()
                page.get_by_role("heading", name="Review your payment").wait_for()
                submit.append(page.evaluate(WAIT_FOR, ["#submit-payment", "#confirmation-reference", True]))
            browser.close()
    finally:
        server.stop(process)
    trivial_p50 = statistics.median(trivial)
    submit_sorted = sorted(submit)
    record(
        "submit_to_confirmation",
        {
            "payments": PAYMENTS,
            "submit_p50_ms": round(statistics.median(submit), 1),
            "submit_p95_ms": round(submit_sorted[int(len(submit_sorted) * 0.95) - 1], 1),
            "trivial_event_p50_ms": round(trivial_p50, 1),
            "trivial_samples": len(trivial),
            "ratio_p50": round(statistics.median(submit) / trivial_p50, 2),
            "goal_ratio": 3.0,
        },
    )
