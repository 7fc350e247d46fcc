"""Every word about what is owed: the money summary and coverage status as a member reads them,
reminders before a due date, past due, late fees, the grace period, the Termination Warning and the
end of coverage."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hcpay_app.i18n.message import Dated, Msg, join
from hcpay_app.models import CoverageStatus
from hcpay_app.services.billing.summary import MoneySummary
from hcpay_app.services.common import contact, money
from hcpay_app.services.common.messages import Message


def _month(day: dt.date) -> Dated:
    """ "December 2026", in the member's language."""
    return Dated(day, "month")


def payment_reminder(coverage_month: dt.date, unpaid_cents: int, due_on: dt.date, days_ahead: int) -> Message:
    return Message(
        Msg.plural("Premium due in {count} day", "Premium due in {count} days", days_ahead),
        Msg(
            "Your {month} premium of {amount} is due {day}. Pay online with Make a Payment, or set up Automatic "
            "Payments in Settings.",
            month=_month(coverage_month),
            amount=money.format_cents(unpaid_cents),
            day=due_on,
        ),
    )


def past_due(coverage_month: dt.date, unpaid_cents: int, due_on: dt.date) -> Message:
    return Message(
        Msg("Your premium payment is past due"),
        Msg(
            "We haven't received {amount} for {month}, due {day}. Pay now to keep your coverage, or set up a payment "
            "plan from your dashboard.",
            amount=money.format_cents(unpaid_cents),
            month=_month(coverage_month),
            day=due_on,
        ),
    )


def late_fee(coverage_month: dt.date, days_late: int, fee_cents: int) -> Message:
    return Message(
        Msg("A late fee was added"),
        Msg.plural(
            "Your {month} premium is {count} day past due, so a late fee of {amount} was added. Pay the past-due "
            "balance or set up a payment plan from your dashboard.",
            "Your {month} premium is {count} days past due, so a late fee of {amount} was added. Pay the past-due "
            "balance or set up a payment plan from your dashboard.",
            days_late,
            month=_month(coverage_month),
            amount=money.format_cents(fee_cents),
        ),
    )


def past_due_warning_subsidized(grace_months: int, past_due_cents: int, grace_ends_on: dt.date) -> Message:
    return Message(
        Msg("Past Due Warning"),
        Msg.plural(
            "You're in a {count}-month grace period. Pay {amount} by {day} to keep your coverage.",
            "You're in a {count}-month grace period. Pay {amount} by {day} to keep your coverage.",
            grace_months,
            amount=money.format_cents(past_due_cents),
            day=grace_ends_on,
        ),
    )


def past_due_warning(past_due_cents: int, new_due_on: dt.date) -> Message:
    return Message(
        Msg("Past Due Warning"),
        Msg(
            "Your premium is past due, so your coverage is in a grace period. Your new due date is {day}: pay "
            "{amount} by then to keep your coverage.",
            day=new_due_on,
            amount=money.format_cents(past_due_cents),
        ),
    )


def termination_warning(owed_cents: int, deadline: dt.date, *, beside_a_plan: bool) -> Message:
    if beside_a_plan:
        body = Msg(
            "Your coverage will end unless we receive {amount} by {day}. Your payment plan doesn't cover this "
            "amount: please pay it from your dashboard.",
            amount=money.format_cents(owed_cents),
            day=deadline,
        )
    else:
        body = Msg(
            "Your coverage will end unless we receive {amount} by {day}. Pay now, or set up a payment plan from "
            "your dashboard.",
            amount=money.format_cents(owed_cents),
            day=deadline,
        )
    return Message(Msg("Termination Warning"), body)


def terminated(deadline: dt.date, terminated_on: dt.date) -> Message:
    return Message(
        Msg("Your coverage has ended"),
        Msg(
            "We didn't receive the past-due premium by {deadline}, so your coverage ended on {ended}. To re-enroll: "
            "{call_line}",
            deadline=deadline,
            ended=terminated_on,
            call_line=contact.call_line(),
        ),
    )


@dataclasses.dataclass(frozen=True)
class SummaryLine:
    """One line of the money summary as a member reads it: `key` names it for pages and tests."""

    key: str
    label: str
    amount: str
    detail: str
    tone: str


def summary_lines(summary: MoneySummary) -> list[SummaryLine]:
    """Past due now, due next, not yet due, processing, credit — or all paid up."""
    lines = []
    if summary.past_due_cents:
        lines.append(
            SummaryLine(
                "past_due",
                Msg("Past due now"),
                money.format_cents(summary.past_due_cents),
                Msg("It was due {day}", day=summary.past_due_since) if summary.past_due_since else "",
                "red",
            )
        )
    if summary.due_next_cents:
        lines.append(
            SummaryLine(
                "due_next",
                Msg("Due next"),
                money.format_cents(summary.due_next_cents),
                Msg("Due by {day}", day=summary.due_next_on),
                "gray",
            )
        )
    if summary.later_cents:
        lines.append(
            SummaryLine(
                "later",
                Msg("Not yet due"),
                money.format_cents(summary.later_cents),
                Msg("Bills due after {day}", day=summary.due_next_on) if summary.due_next_on else "",
                "gray",
            )
        )
    if summary.processing_cents:
        when = (
            Msg("Counts when it clears on {day}", day=summary.clears_on)
            if summary.clears_on
            else Msg("Counts when it clears in a few business days")
        )
        lines.append(
            SummaryLine("processing", Msg("Processing"), money.format_cents(summary.processing_cents), when, "blue")
        )
    if summary.credit_cents:
        lines.append(
            SummaryLine(
                "credit",
                Msg("Credit"),
                money.format_cents(summary.credit_cents),
                Msg(
                    "You have a {amount} credit; it pays your next bill",
                    amount=money.format_cents(summary.credit_cents),
                ),
                "green",
            )
        )
    if summary.all_paid_up:
        lines.append(
            SummaryLine("paid_up", Msg("All paid up"), "", Msg("Nothing is owed right now. Thank you!"), "green")
        )
    return lines


def summary_text(summary: MoneySummary) -> str:
    """The summary as plain text, for emails and documents."""
    return join(
        "\n",
        [
            Msg("{label}: {amount} — {detail}", label=line.label, amount=line.amount, detail=line.detail)
            if line.amount
            else Msg("{label}: {detail}", label=line.label, detail=line.detail)
            for line in summary_lines(summary)
        ],
    )


@dataclasses.dataclass(frozen=True)
class CoverageLine:
    words: str
    tone: str
    timeline: tuple[str, ...]


def coverage_line(summary: MoneySummary) -> CoverageLine:
    """Coverage status in plain words, and what happens next, as a short timeline."""
    status = summary.coverage_status
    if status == CoverageStatus.TERMINATED:
        to_reenroll = Msg("To re-enroll: {call_line}", call_line=contact.call_line())
        if summary.terminated_on:
            return CoverageLine(
                Msg("Coverage ended on {day}", day=summary.terminated_on),
                "red",
                (Msg("Your coverage ended on {day}.", day=summary.terminated_on), to_reenroll),
            )
        return CoverageLine(Msg("Coverage ended"), "red", (Msg("Your coverage ended."), to_reenroll))
    if status == CoverageStatus.PENDING_FIRST_PAYMENT:
        start = summary.coverage_start
        if summary.first_payment_clearing:
            clears = (
                Msg("Your first payment should clear by {day}.", day=summary.clears_on)
                if summary.clears_on
                else Msg("Your first payment should clear.")
            )
            return CoverageLine(
                Msg("Your first payment is clearing"),
                "blue",
                (clears, Msg("Your coverage starts {day} once it clears.", day=start)),
            )
        return CoverageLine(
            Msg("Pending first payment"),
            "orange",
            (Msg("Pay your first premium to start your coverage on {day}.", day=start),),
        )
    if status == CoverageStatus.IN_GRACE and summary.grace_ends_on:
        ends = summary.grace_ends_on
        steps = []
        if summary.past_due_since:
            steps.append(Msg("Your premium was due {day}.", day=summary.past_due_since))
        if summary.termination_warning_on and summary.termination_warning_on > summary.today:
            steps.append(Msg("We'll send a Termination Warning on {day}.", day=summary.termination_warning_on))
        steps.append(Msg("Your coverage ends after {day} if the past-due amount is still unpaid.", day=ends))
        return CoverageLine(Msg("In grace period until {day}", day=ends), "orange", tuple(steps))
    if summary.coverage_start > summary.today:
        return CoverageLine(Msg("Active from {day}", day=summary.coverage_start), "green", ())
    if summary.past_due_cents > 0:
        return CoverageLine(Msg("Payment due"), "orange", (Msg("Pay the past-due amount to keep your coverage."),))
    return CoverageLine(Msg("Active"), "green", ())


# --- Bills a member can open (`billing.bills`) and the yearly premium summary for taxes ---------


@dataclasses.dataclass(frozen=True)
class BillLine:
    """One labelled amount on a bill: `key` names it for pages and tests."""

    key: str
    label: str
    amount: str
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class PayOption:
    """One way to pay a bill; `key` tells the page which page to link (make_payment, autopay, guest)."""

    key: str
    label: str
    text: str


BILL_NOT_FOUND = Msg("We couldn't find a bill for that month on your account.")
NO_SUMMARY = Msg("There are no bills on your account for that year.")
NOT_KNOWN = "—"


def bill_title(coverage_month: dt.date) -> str:
    return Msg("Bill for {month}", month=_month(coverage_month))


def bill_link_label(coverage_month: dt.date) -> str:
    """How a link to a bill reads (history rows, the dashboard)."""
    return Msg("View bill for {month}", month=_month(coverage_month))


def tax_credit_label(plan_name: str) -> str:
    """The tax credit (APTC), or for a ConnectorCare plan the tax credit with the state's subsidy."""
    if "connectorcare" in plan_name.casefold():
        return Msg("Tax credit and ConnectorCare subsidy")
    return Msg("Tax credit (APTC)")


def premium_lines(share_cents: int, full_cents: int | None, credit_cents: int | None, plan_name: str) -> list[BillLine]:
    """The premium as the roster gave it: full premium, tax credit and the member's share — or, when
    the roster had no breakdown, just the premium the member pays."""
    if full_cents is None or credit_cents is None:
        return [BillLine("share", Msg("Premium (your share)"), money.format_cents(share_cents))]
    return [
        BillLine("full", Msg("Full monthly premium"), money.format_cents(full_cents)),
        BillLine(
            "credit", tax_credit_label(plan_name), money.format_cents(-credit_cents), Msg("Paid to your plan for you")
        ),
        BillLine("share", Msg("Your share"), money.format_cents(share_cents)),
    ]


BILL_STATUS_LABELS = {
    "paid": (Msg("Paid"), "green"),
    "processing": (Msg("Payment processing"), "blue"),
    "past_due": (Msg("Past due"), "red"),
    "partially_paid": (Msg("Partially paid"), "amber"),
    "open": (Msg("Open"), "blue"),
}


def bill_status_detail(
    status: str, *, unpaid_cents: int, processing_cents: int, due_on: dt.date, clears_on: dt.date | None
) -> str:
    """What a bill's status means for the member, in one or two sentences."""
    clearing: str = ""
    if processing_cents:
        on_its_way = money.format_cents(processing_cents)
        if clears_on:
            clearing = Msg(
                "{amount} from your bank is on its way; it counts when it clears on {day}.",
                amount=on_its_way,
                day=clears_on,
            )
        else:
            clearing = Msg(
                "{amount} from your bank is on its way; it counts when it clears in a few business days.",
                amount=on_its_way,
            )
    if status == "paid":
        return Msg("Paid in full. Thank you!")
    if status == "processing":
        return clearing
    owed = money.format_cents(unpaid_cents)
    if status == "past_due":
        text = Msg("{amount} was due {day}. Pay now to keep your coverage.", amount=owed, day=due_on)
    elif status == "partially_paid":
        text = Msg("{amount} is still due by {day}.", amount=owed, day=due_on)
    else:
        text = Msg("{amount} is due by {day}.", amount=owed, day=due_on)
    return text + " " + clearing if clearing else text


def applied_note(processing: bool, clears_on: dt.date | None) -> str:
    """The note beside a payment applied to a bill: a bank debit still on its way doesn't count yet."""
    if not processing:
        return Msg("Received")
    if clears_on:
        return Msg("Processing — counts when it clears on {day}", day=clears_on)
    return Msg("Processing")


def credit_applied_label() -> str:
    return Msg("Credit on your account")


def how_to_pay(account_number: str) -> list[PayOption]:
    """The ways to pay a bill, the same on the bill page and its PDF."""
    return [
        PayOption(
            "make_payment",
            Msg("Make a Payment"),
            Msg("Log in and pay by card or bank account now, or pick a date."),
        ),
        PayOption(
            "autopay",
            Msg("Automatic Payments"),
            Msg("Set it up once in Settings and each bill is paid from your card or bank account."),
        ),
        PayOption(
            "guest",
            Msg("Pay as a guest"),
            Msg(
                "Anyone can pay without logging in, with billing account number {account_number}.",
                account_number=account_number,
            ),
        ),
    ]


def how_to_pay_text(account_number: str, base_url: str) -> list[str]:
    """How to pay, for a printed bill (no links to tap): where to go, then each way."""
    return [Msg("Online at {base_url}:", base_url=base_url)] + [
        Msg("{label}: {text}", label=o.label, text=o.text) for o in how_to_pay(account_number)
    ]


def summary_title(year: int) -> str:
    return Msg("Yearly premium summary for {year}", year=year)


SUMMARY_HEADERS = [Msg("Month"), Msg("Full premium"), Msg("Tax credit"), Msg("Your share billed"), Msg("Paid")]


def refund_line(on: dt.date, amount_cents: int, reference: str, payment_reference: str) -> str:
    return Msg(
        "Refund {reference}: {amount} sent back to you on {day}, from payment {payment_reference}.",
        reference=reference,
        amount=money.format_cents(amount_cents),
        day=on,
        payment_reference=payment_reference,
    )


DISPUTE_OUTCOMES = {
    "open": Msg("still open"),
    "won": Msg("closed, the payment counts"),
    "lost": Msg("closed, the money was taken back"),
}


def dispute_line(on: dt.date, amount_cents: int, reference: str, payment_reference: str, status: str) -> str:
    return Msg(
        "Dispute {reference}: your payment {payment_reference} of {amount} was disputed on {day} ({outcome}).",
        reference=reference,
        payment_reference=payment_reference,
        amount=money.format_cents(amount_cents),
        day=on,
        outcome=DISPUTE_OUTCOMES.get(status, status),
    )


def summary_notes(
    *, as_of: dt.date, missing_breakdown: bool, fees_cents: int, processing_cents: int, money_back: tuple[str, ...] = ()
) -> list[str]:
    """The notes under the yearly table: what a blank means, and what the table leaves out."""
    notes = [Msg("Paid is what you had paid toward each month's premium as of {day}.", day=as_of)]
    if missing_breakdown:
        notes.append(
            Msg(
                "{not_known} Your enrollment record had no full premium or tax credit for that month: your share is "
                "the premium we billed. Your Form 1095-A from the Health Connector has the full figures.",
                not_known=NOT_KNOWN,
            )
        )
    if fees_cents:
        notes.append(
            Msg(
                "Late fees and adjustments ({amount}) are not premium and are left out.",
                amount=money.format_cents(fees_cents),
            )
        )
    if processing_cents:
        notes.append(
            Msg(
                "{amount} from your bank is still clearing and is not counted as paid yet.",
                amount=money.format_cents(processing_cents),
            )
        )
    if money_back:
        notes.append(Msg("Paid counts what stayed paid: money sent back or disputed is not counted."))
        notes.extend(money_back)
    notes.append(Msg("Keep this summary with your tax records."))
    return notes
