"""Support's phone number, hours, interpreter line, walk-in centers and reply time are settings,
said the same way everywhere: the Help page's structured values, and the plain lines at the end of
every email, on guest receipts and in messages that send a member to Customer Service."""

from __future__ import annotations

import pytest
from sqlmodel import select

from hcpay_app.config import DEFAULT_SUPPORT_PHONE, get_settings
from hcpay_app.models import NoticeKind, OutboundEmail
from hcpay_app.services.adapters import mailer
from hcpay_app.services.common import contact as common_contact
from hcpay_app.services.payments import guest
from hcpay_app.services.support import contact, templates


@pytest.fixture
def settings_from(monkeypatch):
    def apply(**env: str):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        return get_settings()

    yield apply
    get_settings.cache_clear()


def test_the_sandbox_defaults_are_complete():
    details = contact.support_contact()
    assert details.phone == DEFAULT_SUPPORT_PHONE == "1-877-555-0142"
    assert details.phone_href == "tel:+18775550142"
    assert details.tty == "711"
    assert details.hours == "Monday to Friday, 8 a.m. to 6 p.m. Eastern time"
    assert details.interpreter_line == "1-877-555-0143" and details.interpreter_href == "tel:+18775550143"
    assert [c.town for c in details.centres] == ["Boston", "Worcester", "Springfield"]
    assert all(c.address.endswith(("MA 02116", "MA 01608", "MA 01103")) and c.hours for c in details.centres)
    assert details.reply_time == "1 business day"


def test_the_support_domain_and_common_are_one_module():
    assert contact.support_contact is common_contact.support_contact
    assert contact.footer is common_contact.footer


def test_every_value_comes_from_the_environment(settings_from):
    settings = settings_from(
        HCPAY_SUPPORT_PHONE="(617) 555-0100",
        HCPAY_SUPPORT_TTY="",
        HCPAY_SUPPORT_HOURS="Every day, 7 a.m. to 9 p.m.",
        HCPAY_INTERPRETER_LINE="1-800-555-0111",
        HCPAY_WALK_IN_CENTRES=(
            "Lowell|1 Market Street, Lowell, MA 01852 | Tuesdays only ; broken-entry ; Salem|2 Front St"
        ),
        HCPAY_SUPPORT_REPLY_BUSINESS_DAYS="2",
    )
    details = contact.support_contact(settings)
    assert details.phone_href == "tel:+16175550100"
    assert details.centres == (
        contact.WalkInCentre("Lowell", "1 Market Street, Lowell, MA 01852", "Tuesdays only"),
        contact.WalkInCentre("Salem", "2 Front St", ""),
    )
    assert details.reply_time == "2 business days"
    assert contact.call_line(details) == "Call Customer Service at (617) 555-0100, Every day, 7 a.m. to 9 p.m."
    assert contact.lines(details) == [
        "Call Customer Service at (617) 555-0100, Every day, 7 a.m. to 9 p.m.",
        "Free interpreter in your language: call 1-800-555-0111.",
        "Walk-in centers: Lowell: 1 Market Street, Lowell, MA 01852 (Tuesdays only); Salem: 2 Front St.",
    ]
    assert contact.reply_time_line() == "We answer support requests within 2 business days."


def test_no_walk_in_centers_leaves_the_line_out(settings_from):
    settings_from(HCPAY_WALK_IN_CENTRES="")
    assert contact.support_contact().centres == ()
    assert contact.walk_in_line() == "" and len(contact.lines()) == 2


def test_the_default_lines_and_footer():
    assert contact.lines() == [
        "Call Customer Service at 1-877-555-0142 (TTY 711), Monday to Friday, 8 a.m. to 6 p.m. Eastern time.",
        "Free interpreter in your language: call 1-877-555-0143.",
        "Walk-in centers: Boston: 200 Tremont Street, 2nd floor, Boston, MA 02116 (Monday to Friday, 9 a.m. to "
        "5 p.m.); Worcester: 50 Front Street, Worcester, MA 01608 (Monday to Friday, 9 a.m. to 5 p.m.); "
        "Springfield: 1500 Main Street, Springfield, MA 01103 (Monday to Friday, 9 a.m. to 5 p.m.).",
    ]
    assert contact.footer() == "Questions? " + "\n".join(contact.lines())
    assert contact.contact_us("Nothing was charged.") == "Nothing was charged. " + contact.call_line()


@pytest.mark.parametrize("raw", ["", "n/a"])
def test_a_number_without_digits_has_no_link(raw):
    assert contact.tel_href(raw) == ""


def test_every_email_ends_with_the_signature_then_the_footer(session, now, settings_from):
    settings_from(HCPAY_SUPPORT_PHONE="1-800-555-0199")
    mailer.enqueue(session, to="a@example.com", subject="S", body="Hello.", kind=NoticeKind.PAYMENT_REMINDER, now=now)
    session.commit()
    [sent] = session.exec(select(OutboundEmail)).all()
    assert sent.body == "Hello." + mailer.SIGNATURE + "\n\n" + contact.footer()
    assert sent.body.count("1-800-555-0199") == 1 and sent.body.endswith(contact.walk_in_line())


def test_the_footer_survives_delivery_scrubbing():
    body = mailer.with_footer("Your reset link: https://x/reset?token=abc123")
    scrubbed = mailer.without_secrets(body)
    assert "abc123" not in scrubbed and scrubbed.endswith(contact.footer())


def test_the_acknowledgment_says_how_soon_we_answer(settings_from):
    assert "We'll reply within 1 business day" in templates.request_received("Ana", "T-1", "Other", None).body
    settings_from(HCPAY_SUPPORT_REPLY_BUSINESS_DAYS="3")
    assert "We'll reply within 3 business days" in templates.request_received("Ana", "T-1", "Other", None).body
    assert templates.request_created("T-ABCDEFGH").endswith("We answer within 3 business days.")


def test_an_ended_coverage_message_gives_the_number_to_call(settings_from):
    settings_from(HCPAY_SUPPORT_PHONE="1-800-555-0188", HCPAY_SUPPORT_HOURS="Weekdays 9 to 5")
    message = guest.CoverageEnded().message
    assert message.startswith(guest.COVERAGE_ENDED)
    assert message.endswith("Call Customer Service at 1-800-555-0188 (TTY 711), Weekdays 9 to 5.")
