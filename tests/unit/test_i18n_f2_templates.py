"""Every notice, email and view text of billing/templates.py and recurring/templates.py goes through
the catalogs: in the en-XA pseudo-locale no line keeps a plain English word outside ⟦…⟧, and every
text handed in from outside is data (a reference number, a method's label, an address)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from hcpay_app.i18n.message import Dated, Joined, Msg
from hcpay_app.models import CoverageStatus
from hcpay_app.services.billing import templates as billing
from hcpay_app.services.billing.summary import MoneySummary
from hcpay_app.services.common import contact
from hcpay_app.services.common.messages import Message
from hcpay_app.services.recurring import templates as recurring
from tests.support import pseudo_pages

PSEUDO = "en-XA"
DAY = dt.date(2026, 12, 23)
# Data a template is given, shown as it is written.
METHOD = "Visa •••• 4242"
REFERENCE = "HC-7Q2M9K"
PAYMENT_REFERENCE = "HC-3K8D1X"
ACCOUNT = "HC-100234"
BASE_URL = "https://pay.example.org"
NOT_READ = {"key", "tone"}  # fields that name a line or its colour for the page, never shown
DATA = {METHOD, REFERENCE, PAYMENT_REFERENCE, ACCOUNT, BASE_URL, "Gold PPO", "ConnectorCare Plan Type 2A"}


@pytest.fixture(scope="module", autouse=True)
def pseudo_catalog(tmp_path_factory):
    import os

    from hcpay_app.i18n import catalogs

    os.environ["HCPAY_PSEUDO_LOCALE"] = "1"
    try:
        assert pseudo_pages.pseudo_catalogs(tmp_path_factory.mktemp("catalogs")) > 0
        yield
    finally:
        os.environ.pop("HCPAY_PSEUDO_LOCALE", None)
        catalogs.LOCALES_DIR = pseudo_pages.APP_DIR / "locales"
        catalogs.catalog.cache_clear()


def _outside_text(value: str) -> list[str]:
    """Plain (untranslated) text inside a message: Joined parts and parameters that are words but
    not data. The support line (`contact.call_line`, helper E's) is allowed until it is a Msg."""
    found: list[str] = []
    if isinstance(value, Dated):
        return found
    if isinstance(value, Joined):
        for part in value.parts:
            if isinstance(part, Msg):
                found += _outside_text(part)
            elif re.search(r"[A-Za-z]{2,}", part) and part not in DATA:
                found.append(part)
        return found
    if isinstance(value, Msg) and not isinstance(value, Dated):
        for param in value.params.values():
            if isinstance(param, Msg):
                found += _outside_text(param)
            elif (
                isinstance(param, str)
                and re.search(r"[A-Za-z]{2,}", param)
                and param not in DATA
                and param != contact.call_line()
            ):
                found.append(param)
    elif isinstance(value, str) and re.search(r"[A-Za-z]{2,}", value) and value not in DATA:
        found.append(value)
    return found


def _texts(value) -> list[str]:
    """Every text inside a template's answer (a Message, a dataclass, a list, a dict, a str)."""
    if isinstance(value, Message):
        return [value.subject, value.body]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _texts(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if dataclasses.is_dataclass(value):
        fields = [field.name for field in dataclasses.fields(value) if field.name not in NOT_READ]
        return [text for name in fields for text in _texts(getattr(value, name))]
    return []


def _check(name: str, value) -> None:
    from hcpay_app.i18n.catalogs import translate

    problems = []
    for text in _texts(value):
        if text in DATA or not re.search(r"[A-Za-z]{2,}", text) or text == billing.NOT_KNOWN:
            continue
        if not isinstance(text, Msg):
            problems.append(f"plain text: {text!r}")
            continue
        problems += [f"outside the catalog: {piece!r}" for piece in _outside_text(text)]
        for line in translate(text, PSEUDO).split("\n"):
            for data in (*DATA, contact.call_line()):
                line = line.replace(data, " ")
            if pseudo_pages.english_left(line):
                problems.append(f"english line: {line!r}")
    assert not problems, f"{name}: " + "; ".join(problems)


def _summary(**changes) -> MoneySummary:
    values = dict(
        past_due_cents=51250,
        past_due_since=DAY,
        due_next_cents=51250,
        due_next_on=DAY + dt.timedelta(days=31),
        later_cents=51250,
        processing_cents=10000,
        clears_on=DAY + dt.timedelta(days=3),
        credit_cents=2500,
        coverage_status=CoverageStatus.ACTIVE,
        coverage_start=dt.date(2026, 1, 1),
        grace_ends_on=None,
        terminated_on=None,
        first_payment_clearing=False,
        today=DAY,
    )
    values.update(changes)
    return MoneySummary(**values)


SUMMARIES = [
    _summary(),
    _summary(processing_cents=10000, clears_on=None),
    _summary(
        past_due_cents=0, due_next_cents=0, later_cents=0, processing_cents=0, credit_cents=0, past_due_since=None
    ),
    _summary(coverage_status=CoverageStatus.TERMINATED, terminated_on=DAY),
    _summary(coverage_status=CoverageStatus.TERMINATED, terminated_on=None),
    _summary(coverage_status=CoverageStatus.PENDING_FIRST_PAYMENT, first_payment_clearing=True),
    _summary(coverage_status=CoverageStatus.PENDING_FIRST_PAYMENT, first_payment_clearing=True, clears_on=None),
    _summary(coverage_status=CoverageStatus.PENDING_FIRST_PAYMENT),
    _summary(coverage_status=CoverageStatus.IN_GRACE, grace_ends_on=DAY + dt.timedelta(days=60)),
    _summary(coverage_start=DAY + dt.timedelta(days=9), past_due_cents=0),
    _summary(past_due_cents=100),
    _summary(past_due_cents=0),
]


def _billing_cases():
    yield "payment_reminder", billing.payment_reminder(DAY, 51250, DAY, 1)
    yield "payment_reminder 7", billing.payment_reminder(DAY, 51250, DAY, 7)
    yield "past_due", billing.past_due(DAY, 51250, DAY)
    yield "late_fee", billing.late_fee(DAY, 31, 2500)
    yield "past_due_warning_subsidized", billing.past_due_warning_subsidized(3, 51250, DAY)
    yield "past_due_warning", billing.past_due_warning(51250, DAY)
    yield "termination_warning plan", billing.termination_warning(51250, DAY, beside_a_plan=True)
    yield "termination_warning", billing.termination_warning(51250, DAY, beside_a_plan=False)
    yield "terminated", billing.terminated(DAY, DAY)
    for index, summary in enumerate(SUMMARIES):
        yield f"summary_lines {index}", billing.summary_lines(summary)
        yield f"summary_text {index}", billing.summary_text(summary)
        yield f"coverage_line {index}", billing.coverage_line(summary)
    yield "BILL_NOT_FOUND", billing.BILL_NOT_FOUND
    yield "NO_SUMMARY", billing.NO_SUMMARY
    yield "bill_title", billing.bill_title(DAY)
    yield "bill_link_label", billing.bill_link_label(DAY)
    yield "tax_credit_label", [billing.tax_credit_label("Gold PPO"), billing.tax_credit_label("ConnectorCare 2A")]
    yield "premium_lines", billing.premium_lines(51250, 90000, 38750, "Gold PPO")
    yield "premium_lines alone", billing.premium_lines(51250, None, None, "Gold PPO")
    yield "BILL_STATUS_LABELS", [label for label, _tone in billing.BILL_STATUS_LABELS.values()]
    for status in ("paid", "processing", "past_due", "partially_paid", "open"):
        for clears_on in (DAY, None):
            yield (
                f"bill_status_detail {status}",
                billing.bill_status_detail(
                    status, unpaid_cents=51250, processing_cents=10000, due_on=DAY, clears_on=clears_on
                ),
            )
    yield (
        "bill_status_detail open",
        billing.bill_status_detail("open", unpaid_cents=51250, processing_cents=0, due_on=DAY, clears_on=None),
    )
    yield "applied_note", [billing.applied_note(False, None), billing.applied_note(True, DAY)]
    yield "applied_note processing", billing.applied_note(True, None)
    yield "credit_applied_label", billing.credit_applied_label()
    yield "how_to_pay", billing.how_to_pay(ACCOUNT)
    yield "how_to_pay_text", billing.how_to_pay_text(ACCOUNT, BASE_URL)
    yield "summary_title", billing.summary_title(2026)
    yield "SUMMARY_HEADERS", billing.SUMMARY_HEADERS
    yield "refund_line", billing.refund_line(DAY, 51250, REFERENCE, PAYMENT_REFERENCE)
    for status in ("open", "won", "lost"):
        yield f"dispute_line {status}", billing.dispute_line(DAY, 51250, REFERENCE, PAYMENT_REFERENCE, status)
    yield (
        "summary_notes",
        billing.summary_notes(
            as_of=DAY,
            missing_breakdown=True,
            fees_cents=2500,
            processing_cents=10000,
            money_back=(billing.refund_line(DAY, 51250, REFERENCE, PAYMENT_REFERENCE),),
        ),
    )


def _recurring_cases():
    yield (
        "autopay_changed",
        recurring.autopay_changed(
            Msg("Automatic Payments paused"),
            method=METHOD,
            amount=recurring.FULL_AMOUNT,
            frequency=recurring.frequency_text(1),
            next_charge=Dated(DAY),
            paused_until=Dated(DAY),
            pay_by_hand=recurring.paused_without_date(51250),
        ),
    )
    yield (
        "constants",
        [
            recurring.WHERE_TO_CHANGE,
            recurring.FULL_AMOUNT,
            recurring.NO_METHOD,
            recurring.SAVED_FOR_LATER.format(label=METHOD),
            recurring.COUNTS_CREDIT.format(credit="$25.00"),
            recurring.COUNTS_PAYMENTS,
            recurring.CREDIT_COVERS,
        ],
    )
    yield "amount_rule_text", [recurring.amount_rule_text("fixed", 40000), recurring.amount_rule_text("full", None)]
    yield "frequency_text", [recurring.frequency_text(1), recurring.frequency_text(3)]
    yield (
        "charge_day_text",
        [recurring.charge_day_text(day, months) for day in (1, 2, 3, 11, 18, 22) for months in (1, 3)],
    )
    yield "first_charge_text", recurring.first_charge_text(DAY, 51250)
    yield "pause_rules", recurring.pause_rules(DAY, DAY + dt.timedelta(days=365))
    yield "pause_date_refused", recurring.pause_date_refused(DAY, DAY + dt.timedelta(days=365))
    for count in (1, 2, 3, 5):
        skipped = [(DAY + dt.timedelta(days=30 * n), 51250) for n in range(count)]
        yield f"skipped_charges {count}", recurring.skipped_charges(skipped)
    yield (
        "paused_without_date",
        [
            recurring.paused_without_date(51250, (DAY, 51250)),
            recurring.paused_without_date(0),
        ],
    )
    yield "autopay_canceled", recurring.autopay_canceled()
    yield "upcoming_charge", recurring.upcoming_charge(DAY, 51250, METHOD)
    yield "card_expiring", recurring.card_expiring(METHOD, dt.date(2027, 1, 31), DAY)
    yield "autopay_method_removed", recurring.autopay_method_removed()
    yield "autopay_charged", recurring.autopay_charged(51250, METHOD, REFERENCE)
    reason = Msg("Your card was declined.")
    yield "autopay_failed_and_paused", recurring.autopay_failed_and_paused(51250, reason)
    yield "autopay_failed_will_retry", recurring.autopay_failed_will_retry(51250, reason, DAY)
    yield "autopay_returned_and_paused", recurring.autopay_returned_and_paused(51250, reason)
    yield "autopay_returned_will_retry", recurring.autopay_returned_will_retry(51250, reason, DAY)
    schedule = [(DAY, 25625), (DAY + dt.timedelta(days=31), 25625)]
    yield "plan_created auto", recurring.plan_created("$512.50", schedule, charged_automatically=True)
    yield "plan_created", recurring.plan_created("$512.50", schedule, charged_automatically=False)
    yield "plan_ended", recurring.plan_ended()
    yield "plan_completed", recurring.plan_completed()
    yield "fixed_above_maximum", recurring.fixed_above_maximum(700000)


def test_every_billing_text_comes_through_the_catalog():
    for name, value in _billing_cases():
        _check(name, value)


def test_every_recurring_text_comes_through_the_catalog():
    for name, value in _recurring_cases():
        _check(name, value)


def test_english_reads_as_before():
    """Msg keeps the English: dates as "Dec 23, 2026", months as "December 2026", money as "$512.50"."""
    reminder = billing.payment_reminder(DAY, 51250, DAY, 3)
    assert reminder.subject == "Premium due in 3 days"
    assert reminder.body.startswith("Your December 2026 premium of $512.50 is due Dec 23, 2026.")
    assert recurring.charge_day_text(22, 1) == "The 22nd of every month"
    assert recurring.charge_day_text(11, 3) == "The 11th, every 3 months"
    plan = recurring.plan_created("$512.50", [(DAY, 25625), (DAY, 25625)], charged_automatically=False)
    assert plan.body == (
        "You'll pay $512.50 in 2 installments:\n  Dec 23, 2026: $256.25\n  Dec 23, 2026: $256.25\n\n"
        "Pay each installment with Make a Payment."
    )


def test_dates_and_money_follow_the_language():
    from hcpay_app.i18n.catalogs import translate

    body = translate(billing.past_due(DAY, 51250, DAY).body, PSEUDO)
    assert "$512.50" in body
    assert "23 Ðéç 2026" in body  # en-XA writes dates in British order, accented: the date went through Babel
