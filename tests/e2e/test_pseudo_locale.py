"""Every page of every journey in the en-XA pseudo-locale (issue 16): any visible text, aria label,
placeholder, title, email line or PDF line with a plain English word in it skipped the catalogs.

Pseudo-English is accented and bracketed ("⟦Ŀöĝ íñ⟧") and has no plain ASCII letter left, so what
still reads in plain letters is either data (a member's name, a reference number, an address from
the settings, a card brand) or a word that never went through gettext. The data is listed here,
explicitly; everything else fails the test with the page and the text.
"""

from __future__ import annotations

import datetime as dt
import re

import pypdf
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.i18n.catalogs import translate
from hcpay_app.i18n.languages import NATIVE_NAMES
from hcpay_app.i18n.message import Msg
from hcpay_app.models import BillingAccount, Member, OutboundEmail, TicketMessage, User
from hcpay_app.services.common import contact
from hcpay_app.services.jobs import daily
from tests.e2e.harness import give_session, make_staff, staff_log_in
from tests.support.bills import issue_as_scheduled
from tests.support.pseudo_pages import english_left

XA = "en-XA"
SUPPORT_MESSAGE = "Necesito ayuda con mi pago, por favor."  # what a member writes is shown as written
PREFIX = "/xa"
CARD_OK = "4242424242424242"

# Everything a member can read: visible text nodes, and the names and hints of controls.
READABLE = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || ["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"].includes(parent.tagName)) continue;
    if (!parent.checkVisibility({ checkOpacity: false, checkVisibilityCSS: true })) continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  for (const el of document.querySelectorAll("[aria-label], [placeholder], [title], [alt], [aria-description]")) {
    for (const name of ["aria-label", "placeholder", "title", "alt", "aria-description"]) {
      const value = el.getAttribute(name);
      if (value && value.trim()) out.push(value.trim());
    }
  }
  for (const option of document.querySelectorAll("option")) out.push(option.textContent.trim());
  out.push(document.title);
  return out;
}"""

# Text that is data, not the portal's words: whole pieces matched by these are left out first.
DATA_PATTERNS = [
    r"[A-Z]{2}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}",  # payment, refund, dispute references
    r"\b(?:T|TK|SR|HC|RF|DP)-[0-9A-Z-]+",  # ticket numbers and other references
    r"\S+@[\w.-]+",  # email addresses (masked ones too: m•••@example.com)
    r"https?://\S+",
    r"\b(?:Visa|Mastercard|Amex|American Express|Discover)\b",  # card brands are names
    r"\bET\b",  # the portal's time zone
    r"\balt\+T\b",  # the toasts region's keyboard shortcut, as the browser names keys
    r"\bPDF\b|\bCSV\b|\bZIP\b|\bCVC\b|\bSSN\b|\bACH\b|\bTTY\b|\bMM/YY\b",  # the same abbreviations everywhere
    r"\bHealth Connector\b",  # the program's name (also translated around it)
]


def leftover(text: str, data: set[str]) -> bool:
    """Plain English left in `text` once the data in it is taken out, in either order: whole values
    first (an email's body) then the patterns, or the patterns first (an address that contains a
    value, such as another member's name) then the values. English left both ways is the portal's."""

    def without_values(text: str) -> str:
        for value in sorted(data, key=len, reverse=True):
            if value:
                text = text.replace(value, " ")
        return text

    def without_patterns(text: str) -> str:
        for pattern in DATA_PATTERNS:
            text = re.sub(pattern, " ", text)
        return text

    values_first = without_values(without_patterns(without_values(text)))
    patterns_first = without_patterns(without_values(without_patterns(text)))
    return english_left(values_first) and english_left(patterns_first)


def member_data(user: dict) -> set[str]:
    support = contact.support_contact()
    return {
        user["first_name"],
        user["last_name"],
        f"{user['first_name']} {user['last_name']}",
        user["username"],
        user["member_number"],
        user["account_number"],
        "Silver Select PPO",  # the plan's name, from the roster
        "Ana O'Neill",  # a name typed on a card
        support.phone,
        support.tty,
        support.interpreter_line,
        *(value for centre in support.centres for value in (centre.town, centre.address)),
        *NATIVE_NAMES.values(),
    }


class Walk:
    """The pages one journey passed through, and every English word found on them."""

    def __init__(self, page: Page, data: set[str]):
        self.page, self.data = page, data
        self.found: dict[str, list[str]] = {}

    def look(self, where: str) -> None:
        self.page.wait_for_load_state("networkidle")
        texts = self.page.evaluate(READABLE)
        bad = sorted({t for t in texts if leftover(t, self.data)})
        if bad:
            self.found[where] = bad

    def lines(self, where: str, text: str) -> None:
        bad = sorted({line for line in text.splitlines() if line.strip() and leftover(line, self.data)})
        if bad:
            self.found[where] = bad

    def assert_clean(self) -> None:
        assert self.found == {}, "\n".join(f"{where}: {texts}" for where, texts in self.found.items())


def go(page: Page, route: str) -> None:
    page.goto(PREFIX + route if route != "/" else PREFIX)
    expect(page.locator("html")).to_have_attribute("lang", XA)


def log_in(page: Page, user: dict) -> None:
    with session_scope() as session:
        row = session.exec(select(User).where(User.username == user["username"])).one()
        row.language = XA
        session.add(row)
        session.commit()
    give_session(page, user)
    go(page, "/dashboard")
    expect(page.get_by_role("button", name=translate(Msg("Log out"), XA))).to_be_visible()


def xa(msgid: str) -> str:
    return translate(Msg(msgid), XA)


@pytest.fixture
def owing_user(new_user):
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == new_user["member_number"])).one()
        account = session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()
        issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        session.commit()
    return new_user


def test_pages_before_log_in(page: Page, new_member):
    walk = Walk(page, member_data({**new_member, "username": ""}))
    for route in ("/", "/forgot-password", "/forgot-username", "/reset-password", "/guest-pay", "/help"):
        go(page, route)
        walk.look(route)
    # Create Account: the first step, its errors, then the next step.
    go(page, "/register")
    walk.look("/register")
    page.get_by_role("button", name=xa("Continue")).click()
    expect(page.get_by_role("alert").first).to_be_visible()
    walk.look("/register (errors)")
    page.get_by_label(xa("First name")).fill(new_member["first_name"])
    page.get_by_label(xa("Last name")).fill(new_member["last_name"])
    page.get_by_label(xa("Date of birth")).fill(new_member["date_of_birth"].isoformat())
    page.get_by_label(xa("Social Security Number")).fill(new_member["ssn"])
    page.get_by_label(xa("Email")).fill(new_member["email"])
    page.get_by_role("button", name=xa("Continue")).click()
    expect(page.get_by_label(xa("Username"))).to_be_visible()
    walk.look("/register (username and password)")
    # A wrong log-in.
    go(page, "/")
    page.get_by_label(xa("Username")).fill("nobody-here")
    page.get_by_label(xa("Password")).fill("Wrong-password-123")
    page.get_by_role("button", name=xa("Log in")).click()
    expect(page.get_by_role("alert").first).to_be_visible()
    walk.look("/ (wrong password)")
    walk.assert_clean()


def test_member_pages_emails_and_documents(page: Page, owing_user):
    walk = Walk(page, member_data(owing_user) | {SUPPORT_MESSAGE})
    reads_xa_from = clock.utcnow()  # emails before this went out while the member read English
    log_in(page, owing_user)
    walk.look("/dashboard")

    # Make a Payment: each step, a decline, then a success.
    go(page, "/pay")
    walk.look("/pay (amount)")
    page.get_by_role("button", name=xa("Continue")).click()
    expect(page.get_by_label(xa("Card number"))).to_be_visible()
    page.get_by_role("button", name=xa("Continue to review")).click()
    walk.look("/pay (method, errors)")
    for number in ("4000000000000002", CARD_OK):
        page.get_by_label(xa("Card number")).fill(number)
        page.get_by_label(xa("Expiration (MM/YY)")).fill("12/30")
        page.get_by_label(xa("Security code (CVC)")).fill("123")
        page.get_by_label(xa("Name on card")).fill("Ana O'Neill")
        page.get_by_label(xa("Billing ZIP code")).fill("02110")
        page.get_by_role("button", name=xa("Continue to review")).click()
        walk.look(f"/pay (review {number[-4:]})")
        page.get_by_role("button", name=xa("Submit payment")).click()
        if number != CARD_OK:
            expect(page.get_by_role("alert").first).to_be_visible()
            walk.look("/pay (declined)")
    reference = page.locator("#confirmation-reference")
    expect(reference).to_have_text(re.compile(r"HC-"))
    walk.look("/pay (confirmation)")
    ref = reference.inner_text()

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(re.escape(xa("Download receipt (PDF)")))).click()
    receipt = "\n".join(p.extract_text() for p in pypdf.PdfReader(download.value.path()).pages)
    walk.lines("receipt PDF", receipt)

    routes = (
        "/history",
        f"/payment?reference={ref}",
        f"/bill?month={clock.today():%Y-%m}",
        "/settings",
        "/settings/autopay",
        "/notifications",
        "/payment-plan",
        "/support",
        "/help",
    )
    for route in routes:
        go(page, route)
        walk.look(route)

    # Automatic Payments: the review and the authorization.
    go(page, "/settings/autopay")
    page.get_by_role("button", name=xa("Review")).click()
    walk.look("/settings/autopay (review)")

    # Contact support: a request, then it in My requests.
    go(page, "/support")
    page.get_by_label(xa("What is it about?")).select_option(index=1)
    page.get_by_label(xa("Your message")).fill(SUPPORT_MESSAGE)
    page.get_by_role("button", name=xa("Send to support")).click()
    expect(page.get_by_text(SUPPORT_MESSAGE).first).to_be_visible()
    walk.look("/support (sent)")

    # Every email the member was sent, in full.
    with session_scope() as session:
        emails = session.exec(
            select(OutboundEmail).where(
                OutboundEmail.to_address == owing_user["email"], OutboundEmail.created_at >= reads_xa_from
            )
        ).all()
    assert emails
    for email in emails:
        walk.lines(f"email {email.kind} subject", email.subject)
        walk.lines(f"email {email.kind}", email.body)

    # The settle date of nothing pending: the daily job's notices read in the member's language too.
    daily.run_daily(clock.today() + dt.timedelta(days=1))
    go(page, "/notifications")
    walk.look("/notifications (after the daily job)")
    walk.assert_clean()


def test_the_console_and_the_mailbox(page: Page, owing_user):
    staff = make_staff()
    walk = Walk(page, member_data(owing_user) | {staff["username"]})
    with session_scope() as session:
        row = session.exec(select(User).where(User.id == staff["id"])).one()
        row.language = XA
        session.add(row)
        session.commit()
    # The console shows every member's tickets: what members and agents wrote, their names and
    # usernames (this run's other journeys' too) are data here.
    with session_scope() as session:
        members = session.exec(select(Member)).all()
        walk.data |= {f"{m.first_name} {m.last_name}" for m in members} | {m.first_name for m in members}
        walk.data |= {m.last_name for m in members} | set(session.exec(select(User.username)).all())
        walk.data |= set(session.exec(select(TicketMessage.body)).all())
    staff_log_in(page, staff)
    page.wait_for_url(f"**{PREFIX}/console")
    expect(page.get_by_role("heading", name=xa("Support console"))).to_be_visible()
    walk.look("/console")
    # The development mailbox: its own words (every member's emails in it are data here; the
    # member journey checks the emails of a member who reads en-XA).
    with session_scope() as session:
        emails = session.exec(select(OutboundEmail)).all()
    walk.data |= {text for email in emails for text in (email.subject, email.body)}
    go(page, "/dev/mailbox")
    expect(page.get_by_role("heading", name=xa("Development mailbox"))).to_be_visible()
    walk.look("/dev/mailbox")
    walk.assert_clean()
