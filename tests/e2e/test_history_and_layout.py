"""History and the rest of the site on a phone (390×844 and 360×640): rows titled by what they are,
unambiguous chart months, right plurals, "Clear filters", a CSV Excel opens as UTF-8, badges and
the unread count at 4.5:1 or better, and pages that don't shift once loaded (CLS < 0.02)."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock, routes
from hcpay_app.db import session_scope
from hcpay_app.models import (
    BillingAccount,
    Member,
    MethodKind,
    NoticeKind,
    Notification,
    PaymentSource,
    PaymentStatus,
    User,
)
from hcpay_app.services.billing import coverage, ledger
from hcpay_app.services.payments import records
from tests.e2e.harness import log_in_as
from tests.support.bills import issue_as_scheduled

PHONES = {"390x844": {"width": 390, "height": 844}, "360x640": {"width": 360, "height": 640}}
BOM = b"\xef\xbb\xbf"


def _account_id(identity) -> int:
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == identity["member_number"])).one()
        account = session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()
        issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        session.commit()
        return account.id


def _pay(account_id: int, cents: int, on: dt.date, *, kind=MethodKind.CARD, source=PaymentSource.MEMBER) -> str:
    label = "Visa ••••4242" if kind == MethodKind.CARD else "Checking ••••6789"
    with session_scope() as session:
        account = session.get(BillingAccount, account_id)
        payment = records.create(
            session,
            account_id=account_id,
            amount_cents=cents,
            method_kind=kind,
            method_label=label,
            payment_date=on,
            status=PaymentStatus.SUCCEEDED,
            now=clock.utcnow(),
            source=source,
        )
        ledger.post_payment(session, payment, effective_on=on, now=clock.utcnow())
        coverage.refresh_after_payment(session, account, on)
        session.commit()
        return payment.reference


def _unread_notices(username: str, count: int) -> None:
    with session_scope() as session:
        user_id = session.exec(select(User.id).where(User.username == username)).one()
        for n in range(count):
            session.add(
                Notification(
                    user_id=user_id,
                    kind=NoticeKind.PAYMENT_REMINDER,
                    title=f"Premium due soon ({n + 1})",
                    body="Your premium is due soon.",
                    link=routes.PAY,
                    created_at=clock.utcnow(),
                )
            )
        session.commit()


@pytest.fixture
def history_user(new_user):
    """A member with bills and three kinds of payment: by card, by bank, and an automatic one."""
    account_id = _account_id(new_user)
    today = clock.today()
    references = {
        "card": _pay(account_id, 4500, today - dt.timedelta(days=40)),
        "bank": _pay(account_id, 3300, today - dt.timedelta(days=20), kind=MethodKind.BANK),
        "autopay": _pay(account_id, 2100, today - dt.timedelta(days=5), source=PaymentSource.AUTOPAY),
    }
    _unread_notices(new_user["username"], 2)
    return {**new_user, "references": references}


def transactions(page: Page):
    return page.get_by_role("list", name="Transactions").get_by_role("listitem")


@pytest.mark.parametrize("phone", PHONES)
def test_history_rows_chart_counts_and_clear_filters(page: Page, history_user, phone):
    page.set_viewport_size(PHONES[phone])
    log_in_as(page, history_user)
    page.goto(routes.HISTORY)
    refs = history_user["references"]
    expect(page.locator("#page-status")).to_contain_text("Page 1 of")

    # Each row says what it is, with its reference number below the title.
    for title, key in (("Card payment", "card"), ("Bank payment", "bank"), ("Automatic payment", "autopay")):
        link = page.get_by_role("link", name=f"{title} {refs[key]}", exact=True)
        expect(link).to_be_visible()
        title_box = link.get_by_text(title, exact=True).bounding_box()
        reference_box = link.get_by_text(refs[key], exact=True).bounding_box()
        assert reference_box["y"] >= title_box["y"] + title_box["height"] - 1, (title, title_box, reference_box)
    expect(transactions(page).filter(has_text="Premium bill").first).to_be_visible()
    expect(transactions(page).filter(has_text=re.compile(r"^(Payment|Invoice)\b"))).to_have_count(0)

    # Chart months carry their year: "Dec 2025", never "Dec 25".
    months = page.get_by_role("img").filter(has_text="Premiums billed").get_by_text(re.compile(r"^[A-Z][a-z]{2} "))
    expect(months).to_have_count(12)
    assert all(re.fullmatch(r"[A-Z][a-z]{2} 20\d\d", m) for m in months.all_inner_texts()), months.all_inner_texts()

    # One result reads "1 item".
    page.get_by_label("Find a payment by reference number").fill(refs["bank"])
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#page-status")).to_have_text(re.compile(r"· 1 item$"))
    page.get_by_role("button", name="Show all transactions").click()
    expect(page.locator("#page-status")).to_have_text(re.compile(r"· \d+ items$"))
    total = page.locator("#page-status").inner_text()

    # Filters that match nothing offer "Clear filters", which puts every filter back.
    page.get_by_label("Status", exact=True).select_option("returned")
    expect(page.get_by_text("No transactions match these filters.")).to_be_visible()
    expect(page.locator("#page-status")).to_have_text(re.compile(r"· 0 items$"))
    page.get_by_label("Find a payment by reference number").fill("HC-0000-0000-0000")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#page-status")).to_have_text(re.compile(r"· 0 items$"))
    page.get_by_role("button", name="Clear filters").scroll_into_view_if_needed()
    page.screenshot(path=f"/tmp/history-no-match-{phone}.png")
    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator("#page-status")).to_have_text(total)
    expect(page.get_by_label("Status", exact=True)).to_have_value("all")
    expect(page.get_by_label("Year", exact=True)).to_have_value("all")
    expect(page.get_by_label("Find a payment by reference number")).to_have_value("")
    expect(page.get_by_role("button", name="Clear filters")).to_have_count(0)
    expect(page.get_by_role("link", name=f"Card payment {refs['card']}")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONES[phone]["width"]
    page.screenshot(path=f"/tmp/history-{phone}.png", full_page=True)


def test_history_csv_is_utf8_with_a_bom_for_excel(page: Page, history_user):
    log_in_as(page, history_user)
    today = clock.today()
    query = urllib.parse.urlencode({"start": (today - dt.timedelta(days=90)).isoformat(), "end": today.isoformat()})
    response = page.request.get(f"{routes.HISTORY_CSV}?{query}")
    assert response.status == 200
    assert response.headers["content-type"].replace(" ", "").lower() == "text/csv;charset=utf-8"
    body = response.body()
    assert body.startswith(BOM) and body.count(BOM) == 1
    text = body.decode("utf-8-sig")
    assert text.startswith("date,type,reference,description,amount,status")
    assert "Visa ••••4242" in text and "Checking ••••6789" in text
    assert all(reference in text for reference in history_user["references"].values())


# Every visible badge and the unread count: text colour against the badge's own background,
# composited from the computed styles up the tree (alpha colours included) on a canvas.
CONTRAST = """
() => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const paint = (color) => { ctx.fillStyle = '#000'; ctx.fillStyle = color; ctx.fillRect(0, 0, 1, 1); };
  const pixel = () => Array.from(ctx.getImageData(0, 0, 1, 1).data.slice(0, 3));
  const luminance = (rgb) => {
    const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0
      && getComputedStyle(el).visibility !== 'hidden'; };
  return Array.from(document.querySelectorAll('.rt-Badge')).filter(visible).map((el) => {
    const chain = [];
    for (let node = el; node; node = node.parentElement) chain.unshift(node);
    ctx.clearRect(0, 0, 1, 1);
    paint('#fff');
    for (const node of chain) paint(getComputedStyle(node).backgroundColor);
    const background = pixel();
    paint(getComputedStyle(el).color);
    const text = pixel();
    const [hi, lo] = [luminance(background), luminance(text)].sort((a, b) => b - a);
    return {text: el.innerText, cls: el.className, ratio: (hi + 0.05) / (lo + 0.05), background, color: text};
  });
}
"""


@pytest.mark.parametrize("phone", PHONES)
def test_badges_and_the_unread_count_reach_4_5_to_1(page: Page, history_user, phone):
    page.set_viewport_size(PHONES[phone])
    log_in_as(page, history_user)
    seen: dict[str, list[dict]] = {}
    for path, ready in (
        (routes.DASHBOARD, "#amount-due"),
        (routes.HISTORY, "#page-status"),
        (routes.NOTIFICATIONS, "text=Premium due soon (1)"),
    ):
        page.goto(path)
        page.locator(ready).first.wait_for()
        expect(page.locator(".unread-count")).to_be_visible()
        seen[path] = page.evaluate(CONTRAST)
    # What was measured: the unread count on every page, status badges on the dashboard and
    # history, "New" on notifications.
    for path, badges in seen.items():
        assert any("unread-count" in b["cls"] for b in badges), path
    assert any(b["text"] == "Paid" for b in seen[routes.HISTORY])
    assert sum(b["text"] == "New" for b in seen[routes.NOTIFICATIONS]) >= 2
    low = {path: [b for b in badges if b["ratio"] < 4.5] for path, badges in seen.items()}
    assert low == {path: [] for path in seen}, low
    page.screenshot(path=f"/tmp/history-badges-{phone}.png")


# The page's layout shifts since navigation: every 'layout-shift' entry not caused by input.
CLS = """
() => new Promise((resolve) => {
  let total = 0;
  const shifts = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.hadRecentInput) continue;
      total += entry.value;
      shifts.push({value: entry.value, sources: (entry.sources || []).map((s) =>
        (s.node && s.node.nodeType === 1 ? s.node.tagName + '#' + s.node.id + '.' + s.node.className : String(s.node))
        + ' ' + JSON.stringify([s.previousRect.y, s.currentRect.y]))});
    }
  }).observe({type: 'layout-shift', buffered: true});
  setTimeout(() => resolve({total, shifts}), 500);
})
"""


@pytest.mark.parametrize("phone", PHONES)
def test_pages_do_not_shift_once_loaded(page: Page, history_user, phone):
    page.set_viewport_size(PHONES[phone])
    log_in_as(page, history_user)
    results = {}
    for path, ready in (
        (routes.DASHBOARD, "#amount-due"),
        (routes.HISTORY, "#page-status"),
        (routes.PAY, "text=How much, and when?"),
    ):
        page.goto(path)
        page.locator(ready).first.wait_for()
        page.wait_for_timeout(1000)  # whatever arrives late (the unread count, a notice) has arrived
        results[path] = page.evaluate(CLS)
        # The member navigation is there from the first paint, the bell included.
        expect(page.get_by_role("link", name=re.compile("^Notifications"))).to_be_visible()
    assert {path: r["total"] < 0.02 for path, r in results.items()} == dict.fromkeys(results, True), results


def test_help_shows_no_member_links_to_a_visitor_who_is_not_logged_in(page: Page):
    page.goto(routes.HELP)
    expect(page.get_by_role("heading", level=1, name="Help")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Notifications"))).to_have_count(0)


def test_a_pages_content_comes_in_its_first_html_and_shows_once_its_data_arrives(page: Page, history_user):
    """A page's content is in its first HTML, hidden, and hydrates with the page: the data's arrival
    fills it in, where mounting it then was one render React cannot pause (layout.once_loaded)."""
    for path, content in (
        (routes.DASHBOARD, "Recent activity"),
        (routes.HISTORY, "Find a payment by reference number"),
        (routes.PAY, "How much, and when?"),
    ):
        first_html = page.request.get(path).text()
        assert content in first_html, f"{path}: its content is not in the first HTML"
    log_in_as(page, history_user)
    for path, content in ((routes.DASHBOARD, "Recent activity"), (routes.PAY, "How much, and when?")):
        page.goto(path)
        expect(page.get_by_role("heading", name=content)).to_be_visible()
        expect(page.get_by_label("Loading")).to_have_count(0)
