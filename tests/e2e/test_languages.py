"""The portal in Spanish and in Portuguese at 390×844 (issue 16): the language choice on the log-in
page (remembered on the device, `<html lang>` from the first byte), Create Account with the code
email in that language, Make a Payment with a decline and then a success (the receipt PDF in that
language), Automatic Payments, and a language chosen on one device following the member to another.

Expected words come from the catalogs themselves (`translate`), and each is checked to differ from
the English, so a missing translation fails here too."""

from __future__ import annotations

import re
import urllib.request

import pypdf
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from hcpay_app import clock
from hcpay_app.db import session_scope
from hcpay_app.i18n import formats
from hcpay_app.i18n.catalogs import translate
from hcpay_app.i18n.languages import NATIVE_NAMES, Language
from hcpay_app.i18n.message import Msg
from hcpay_app.models import BillingAccount, Member, User
from hcpay_app.services.accounts import templates as account_templates
from tests.e2e.harness import BASE_URL, PASSWORD, TYPED_SECRETS, give_session, latest_email
from tests.support.bills import issue_as_scheduled

LANGUAGES = [Language.ES, Language.PT]
CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"


def words(language: str, msgid: str, **params) -> str:
    """What the catalog says for `msgid` in `language` (and that it is not the English)."""
    text = translate(Msg(msgid, **params), language)
    assert text != str(Msg(msgid, **params)), f"{msgid!r} has no {language} translation"
    return text


def exactly(text: str) -> re.Pattern:
    return re.compile(f"^{re.escape(text)}$")


def user_row(username: str) -> User:
    with session_scope() as session:
        return session.exec(select(User).where(User.username == username)).one()


def set_language(username: str, language: str) -> None:
    with session_scope() as session:
        user = session.exec(select(User).where(User.username == username)).one()
        user.language = language
        session.add(user)
        session.commit()


def open_dashboard_in(page: Page, user: dict, language: str) -> None:
    """Logged in with a session from the log-in service (as `log_in_as`), dashboard in `language`."""
    give_session(page, user)
    page.goto(f"/{language}/dashboard" if language != "en" else "/dashboard")
    log_out = words(language, "Log out") if language != "en" else "Log out"
    expect(page.get_by_role("button", name=log_out)).to_be_visible()


@pytest.fixture
def owing_user(new_user):
    with session_scope() as session:
        member = session.exec(select(Member).where(Member.member_number == new_user["member_number"])).one()
        account = session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()
        issue_as_scheduled(session, account, today=clock.today(), now=clock.utcnow())
        session.commit()
    return new_user


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_language_choice_on_the_log_in_page_is_remembered_on_the_device(page: Page, language):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    choice = page.get_by_role("navigation", name="Language")
    choice.get_by_role("link", name=NATIVE_NAMES[language]).click()
    page.wait_for_url(re.compile(rf"/{language}/?(\?.*)?$"))
    expect(page.get_by_role("heading", name=words(language, "Log in"))).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language.value)
    expect(page.get_by_role("navigation", name=words(language, "Language"))).to_contain_text("English")

    # The plain address, on this device, opens in the language chosen; the first HTML says so.
    page.goto("/")
    page.wait_for_url(re.compile(rf"/{language}/?(\?.*)?$"))
    first_bytes = page.request.get(f"/{language}").text()
    assert f'<html lang="{language.value}"' in first_bytes
    assert words(language, "Log in") in first_bytes  # compiled in: nothing is swapped after load

    # Back to English the same way.
    page.get_by_role("navigation", name=words(language, "Language")).get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/(\?.*)?$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto("/help")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.wait_for_url(re.compile(r"/help/?$"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_create_account_in_the_language_with_the_code_email_in_it(page: Page, new_member, language):
    page.goto(f"/{language}/register")
    expect(page.get_by_role("heading", name=words(language, "Create Account"), exact=True)).to_be_visible()
    page.get_by_label(words(language, "First name"), exact=True).fill(new_member["first_name"])
    page.get_by_label(words(language, "Last name"), exact=True).fill(new_member["last_name"])
    page.get_by_label(words(language, "Date of birth")).fill(new_member["date_of_birth"].isoformat())
    page.get_by_label(words(language, "Social Security Number")).fill(new_member["ssn"])
    page.get_by_label(words(language, "Email")).fill(new_member["email"])
    page.get_by_role("button", name=words(language, "Continue")).click()
    username = f"lang{new_member['member_number']}"
    page.get_by_label(words(language, "Username")).fill(username)
    page.get_by_label(words(language, "Password"), exact=True).fill(PASSWORD)
    page.get_by_label(words(language, "Confirm password")).fill(PASSWORD)
    page.get_by_role("button", name=words(language, "Continue")).click()
    expect(page.get_by_label(words(language, "Verification code"))).to_be_visible()

    email = latest_email(new_member["email"], "verification_code")
    assert email.subject == translate(account_templates.verification_code("x", "0", 10).subject, language)
    assert email.subject != str(account_templates.verification_code("x", "0", 10).subject)
    code = re.search(r"\b(\d{6})\b", email.body).group(1)
    TYPED_SECRETS["code"].add(code)
    page.get_by_label(words(language, "Verification code")).fill(code)
    page.get_by_role("button", name=words(language, "Verify and create account")).click()
    page.wait_for_url(re.compile(rf"/{language}/dashboard"))
    expect(page.locator("html")).to_have_attribute("lang", language.value)
    assert user_row(username).language == language
    welcome = latest_email(new_member["email"], "account_created")
    assert welcome.subject == translate(account_templates.account_created("x", "y").subject, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_make_a_payment_declined_then_paid_with_the_receipt_pdf_in_the_language(page: Page, owing_user, language):
    set_language(owing_user["username"], language)
    open_dashboard_in(page, owing_user, language)
    page.get_by_role("link", name=words(language, "Make a Payment")).first.click()
    page.wait_for_url(f"**/{language}/pay")
    expect(page.get_by_role("heading", name=words(language, "How much, and when?"))).to_be_visible()
    page.get_by_role("button", name=words(language, "Continue")).click()
    expect(page.get_by_role("heading", name=words(language, "How do you want to pay?"))).to_be_visible()

    def card(number: str) -> None:
        page.get_by_label(words(language, "Credit or debit card")).check()
        page.get_by_label(words(language, "Card number")).fill(number)
        page.get_by_label(words(language, "Expiration (MM/YY)")).fill("12/30")
        page.get_by_label(words(language, "Security code (CVC)")).fill("123")
        page.get_by_label(words(language, "Name on card")).fill("Ana O'Neill")
        page.get_by_label(words(language, "Billing ZIP code")).fill("02110")
        page.get_by_role("button", name=words(language, "Continue to review")).click()
        expect(page.get_by_role("heading", name=words(language, "Review your payment"))).to_be_visible()
        page.get_by_role("button", name=words(language, "Submit payment")).click()

    card(CARD_DECLINED)
    alert = page.get_by_role("alert").filter(has_text=re.compile(r"\w"))
    expect(alert.first).to_be_visible()
    declined = alert.first.inner_text()
    assert "declined" not in declined and "card" not in declined.lower().split(), declined
    card(CARD_OK)
    reference = page.locator("#confirmation-reference")
    expect(reference).to_have_text(re.compile(r"HC-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"))
    expect(page.locator("#confirmation-status")).to_have_text(words(language, "Paid"))

    receipt_email = latest_email(owing_user["email"], "payment_receipt")
    assert reference.inner_text() in receipt_email.body
    assert "Reference" not in receipt_email.body and "Amount" not in receipt_email.body

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(re.escape(words(language, "Download receipt (PDF)")))).click()
    text = pypdf.PdfReader(download.value.path()).pages[0].extract_text()
    assert reference.inner_text() in text
    assert words(language, "Payment receipt") in text and words(language, "Reference number") in text
    assert formats.date_text(clock.today(), "short", language) in text
    assert "Payment receipt" not in text and "Reference number" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_automatic_payments_in_the_language(page: Page, owing_user, language):
    set_language(owing_user["username"], language)
    open_dashboard_in(page, owing_user, language)
    page.get_by_role("link", name=words(language, "Settings")).first.click()
    page.wait_for_url(f"**/{language}/settings")
    page.get_by_role("link", name=words(language, "Automatic Payments")).first.click()
    page.wait_for_url(f"**/{language}/settings/autopay")
    expect(page.get_by_role("heading", name=words(language, "Set up Automatic Payments"))).to_be_visible()
    page.get_by_label(words(language, "Card number")).fill(CARD_OK)
    page.get_by_label(words(language, "Expiration (MM/YY)")).fill("1230")
    page.get_by_label(words(language, "Security code (CVC)")).fill("123")
    page.get_by_label(words(language, "Name on card")).fill("Ana O'Neill")
    page.get_by_label(words(language, "Billing ZIP code")).fill("02110")
    page.get_by_role("button", name=words(language, "Review")).click()
    expect(page.get_by_role("heading", name=words(language, "Review Automatic Payments"))).to_be_visible()
    expect(page.locator("#review-frequency")).to_have_text(words(language, "Monthly"))
    page.get_by_label(words(language, "I accept this authorization")).check()
    page.get_by_role("button", name=words(language, "Activate")).click()
    expect(page.locator("#autopay-state")).to_have_text(words(language, "On"))
    expect(page.locator("html")).to_have_attribute("lang", language.value)


def test_a_language_chosen_on_one_device_follows_the_member_to_another(page: Page, new_user):
    open_dashboard_in(page, new_user, "en")
    page.get_by_role("navigation", name="Language").get_by_role("link", name=NATIVE_NAMES[Language.PT]).click()
    page.wait_for_url("**/pt/dashboard")
    expect(page.get_by_role("button", name=words("pt", "Log out"))).to_be_visible()
    assert user_row(new_user["username"]).language == Language.PT

    # Another device, which never chose: the English log-in page, then the member's own language.
    other = page.context.browser.new_context(viewport={"width": 390, "height": 844}, base_url=BASE_URL)
    try:
        phone = other.new_page()
        phone.goto("/")
        expect(phone.locator("html")).to_have_attribute("lang", "en")
        phone.get_by_label("Username").fill(new_user["username"])
        phone.get_by_label("Password").fill(new_user["password"])
        phone.get_by_role("button", name="Log in").click()
        phone.wait_for_url("**/pt/dashboard")
        expect(phone.get_by_role("button", name=words("pt", "Log out"))).to_be_visible()
        expect(phone.locator("html")).to_have_attribute("lang", "pt")
        # An English page opened there by its address goes to the member's language.
        phone.goto("/history")
        phone.wait_for_url(re.compile(r"/pt/history/?$"))
    finally:
        other.close()


def scripts_fetched_up_front(path: str) -> str:
    """Every script a first visit to `path` fetches before drawing (its document's modulepreloads)."""
    with urllib.request.urlopen(BASE_URL + path) as answer:
        document = answer.read().decode()
    sources = re.findall(r'rel="modulepreload" href="(/assets/[^"]+)"', document)
    assert sources, f"{path} preloads no script"
    texts = []
    for source in sources:
        with urllib.request.urlopen(BASE_URL + source) as answer:
            texts.append(answer.read().decode())
    return "\n".join(texts)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_page_downloads_its_own_words_only(app_server, language):
    """Each page's components are compiled per page and language: the English dashboard carries none
    of its words in another language, nor another page's (the staff console's) words."""
    theirs = words(language, "Cancel payment")  # a dashboard component's words (a scheduled payment's)
    english = scripts_fetched_up_front("/dashboard")
    assert "Cancel payment" in english
    assert theirs not in english
    assert "Required for the audit trail." not in english  # the console's own hint
    assert theirs in scripts_fetched_up_front(f"/{language}/dashboard")
