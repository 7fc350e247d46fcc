"""Every word about one payment: why a card was declined or a bank debit returned (by processor
code), the emails — receipt, bank payment submitted, scheduled, declined, returned, cleared and
canceled — and the notices in the portal when a payment is received, clears or is returned. What
each status means in plain words is in `statuses`, which these emails quote."""

from __future__ import annotations

import datetime as dt

from hcpay_app.i18n.message import Dated, Msg, join
from hcpay_app.models import NoticeKind, Payment, PaymentStatus
from hcpay_app.services.common import money
from hcpay_app.services.common.messages import Message
from hcpay_app.services.payments import statuses

# Decline codes and what a member is told: what happened, then what to do.
DECLINE_MESSAGES = {
    "generic_decline": Msg("Your bank declined this card. Try another card or pay from a bank account."),
    "insufficient_funds": Msg(
        "Your bank declined this card for insufficient funds. Try another card or pay from a bank account."
    ),
    "expired_card": Msg("This card has expired. Use another card or pay from a bank account."),
    "incorrect_cvc": Msg(
        "The security code (CVC) doesn't match this card. Check the code on the back of your card and try again."
    ),
    "processing_error": Msg(
        "We couldn't process this card because of an error at the card network. Nothing was charged. "
        "Please try again in a few minutes."
    ),
    "card_declined": Msg("This card was declined. Try another card or pay from a bank account."),
}
RETURN_MESSAGES = {
    "R01": Msg("There weren't enough funds in the account (R01)."),
    "R02": Msg("The bank account is closed (R02)."),
    "R03": Msg("The bank couldn't find an account with that number (R03)."),
    "R04": Msg("The account number isn't valid (R04)."),
    "R10": Msg("The account holder told their bank this debit wasn't authorized (R10)."),
}
# When a processor code has no words of its own.
DECLINED_FALLBACK = "card_declined"
RETURNED_FALLBACK = Msg("Your bank returned the payment.")

SUBJECTS = {
    NoticeKind.PAYMENT_RECEIPT: Msg("Payment received — {reference}"),
    NoticeKind.PAYMENT_PENDING: Msg("Bank payment submitted — {reference}"),
    NoticeKind.PAYMENT_SCHEDULED: Msg("Payment scheduled — {reference}"),
    NoticeKind.PAYMENT_DECLINED: Msg("Payment declined — {reference}"),
    NoticeKind.PAYMENT_RETURNED: Msg("Your bank returned a payment — {reference}"),
    NoticeKind.PAYMENT_SETTLED: Msg("Bank payment cleared — {reference}"),
    NoticeKind.PAYMENT_CANCELED: Msg("Scheduled payment canceled — {reference}"),
}


def payment_email(
    kind: NoticeKind, payment: Payment, *, first_name: str, account_number: str, lead: str = "", account_now: str = ""
) -> Message:
    """The email for `kind` about `payment`; `lead` is a paragraph saying why, put first;
    `account_now` the account's money summary after it (the same lines as the dashboard)."""
    if payment.status == PaymentStatus.DECLINED:
        outcome = statuses.reason_text(payment.reason_message) or ""
    else:
        outcome = statuses.explain(payment)
    if kind == NoticeKind.PAYMENT_SCHEDULED and not lead:
        lead = scheduled_lead(payment)
    details = join(
        "\n",
        [
            Msg("Reference number: {reference}", reference=payment.reference),
            Msg("Amount: {amount}", amount=money.format_cents(payment.amount_cents)),
            Msg("Method: {method}", method=payment.method_label),
            Msg("Payment date: {day}", day=Dated(payment.payment_date)),
            Msg("Billing account: {account}", account=account_number),
            Msg("Status: {status}", status=statuses.LABELS.get(payment.status, payment.status)),
        ],
    )
    paragraphs = [Msg("Hello {name},", name=first_name)]
    if lead:
        paragraphs.append(lead)
    paragraphs += [details, outcome]
    if account_now:
        paragraphs.append(join("\n", [Msg("Your account now:"), account_now]))
    paragraphs.append(Msg("Save this reference number for your records."))
    return Message(SUBJECTS[kind].format(reference=payment.reference), join("\n\n", paragraphs))


def payment_notice(kind: NoticeKind, payment: Payment) -> Message:
    """The notice in the portal when a payment is received, a bank payment clears or a bank returns
    one: a few words (the email, sent as well, has every detail)."""
    amount, method = money.format_cents(payment.amount_cents), payment.method_label
    if kind == NoticeKind.PAYMENT_RECEIPT:
        body = Msg(
            "We received your payment of {amount} ({method}) on {day}. Thank you!",
            amount=amount,
            method=method,
            day=Dated(payment.payment_date),
        )
    elif kind == NoticeKind.PAYMENT_SETTLED:
        body = Msg(
            "Your bank payment of {amount} from {method} has cleared. It now counts toward your bills. Thank you!",
            amount=amount,
            method=method,
        )
    elif kind == NoticeKind.PAYMENT_RETURNED:
        body = Msg(
            "Your bank returned your payment of {amount} from {method}: {reason} The amount is owed again. "
            "Please make a new payment, from another account if needed.",
            amount=amount,
            method=method,
            reason=statuses.reason_text(payment.reason_message) or RETURNED_FALLBACK,
        )
    else:
        raise ValueError(f"no notice for {kind}")
    return Message(
        SUBJECTS[kind].format(reference=payment.reference),
        body + "\n\n" + Msg("Reference number: {reference}", reference=payment.reference),
    )


def canceled_by_support_lead(payment: Payment) -> str:
    """Why the member gets the "canceled" email when support canceled a scheduled payment."""
    return Msg(
        "Our support team canceled your scheduled payment of {amount} that was to be made on {day}. Nothing was "
        "charged. If you didn't ask for this, please contact us under Help → Contact support.",
        amount=money.format_cents(payment.amount_cents),
        day=Dated(payment.payment_date),
    )


def canceled_by_support(payment: Payment) -> Message:
    """The notice in the portal when support canceled a scheduled payment."""
    return Message(
        SUBJECTS[NoticeKind.PAYMENT_CANCELED].format(reference=payment.reference),
        canceled_by_support_lead(payment) + "\n\n" + Msg("Reference number: {reference}", reference=payment.reference),
    )


# --- Make a Payment: amount choices, warnings, authorization and confirmation -----------------

CHOOSE_AMOUNT = Msg("Choose how much to pay.")
NOTHING_DUE = Msg("There's nothing due right now. Choose “Another amount” to pay ahead.")


def past_due_choice(past_due_cents: int) -> str:
    return Msg("Past due: {amount}", amount=money.format_cents(past_due_cents))


def _bills_name(months: tuple[dt.date, ...]) -> str:
    """ "December 2026 bill", "January and February 2027 bills", "Bill due next"."""
    if not months:
        return Msg("Bill due next")
    if len(months) == 1:
        return Msg("{month} bill", month=Dated(months[0], "month"))
    # A month of the last one's year is named without its year ("January"); others with theirs.
    names = [Dated(m, "LLLL") if m.year == months[-1].year else Dated(m, "month") for m in months[:-1]]
    return Msg(
        "{months} and {last} bills",
        months=join(", ", names),
        last=Dated(months[-1], "month"),
    )


def current_choice(
    current_cents: int, coverage_month: dt.date | tuple[dt.date, ...] | None, due_on: dt.date | None
) -> str:
    """ "December 2026 bill: $450.00, due Nov 23, 2026" — or, when several bills fall due that
    day, "January and February 2027 bills: $900.00, due Feb 8, 2027"."""
    months = tuple(coverage_month) if isinstance(coverage_month, (tuple, list)) else (coverage_month,)
    months = tuple(m for m in months if m is not None)
    name, amount = _bills_name(months), money.format_cents(current_cents)
    if due_on:
        return Msg("{name}: {amount}, due {day}", name=name, amount=amount, day=Dated(due_on))
    return Msg("{name}: {amount}", name=name, amount=amount)


def everything_owed_choice(owed_cents: int) -> str:
    return Msg("Everything owed: {amount}", amount=money.format_cents(owed_cents))


def first_premium_choice(first_premium_cents: int, coverage_start: dt.date | None) -> str:
    amount = money.format_cents(first_premium_cents)
    if coverage_start:
        return Msg("First premium: {amount} (starts your coverage on {day})", amount=amount, day=Dated(coverage_start))
    return Msg("First premium: {amount}", amount=amount)


def amount_warnings(
    *,
    amount_cents: int,
    owed_cents: int,
    past_due_cents: int,
    payment_date: dt.date,
    grace_ends_on: dt.date | None,
) -> list[str]:
    """What a member should know before paying this amount on this date; they may go on."""
    warnings = []
    if amount_cents > owed_cents:
        warnings.append(
            Msg(
                "This is {extra} more than everything you owe ({owed}). The extra {extra} becomes a credit "
                "toward your future bills.",
                extra=money.format_cents(amount_cents - owed_cents),
                owed=money.format_cents(owed_cents),
            )
        )
    if past_due_cents > 0 and grace_ends_on is not None and payment_date > grace_ends_on:
        warnings.append(
            Msg(
                "Your grace period ends {ends}. This payment is dated {day}, after that date, so your coverage "
                "may end before it is made. To keep your coverage, pay the past-due amount by {ends}.",
                ends=Dated(grace_ends_on),
                day=Dated(payment_date),
            )
        )
    return warnings


def submit_words(scheduled: bool) -> str:
    """The review button's words, which the authorization text quotes."""
    return Msg("Schedule payment") if scheduled else Msg("Submit payment")


def card_authorization(*, amount: str, date_text: str, method: str, scheduled: bool) -> str:
    return Msg(
        "By selecting {button}, you authorize a one-time charge of {amount} to {method} on {day}.",
        button=submit_words(scheduled),
        amount=amount,
        method=method,
        day=date_text,
    )


def debit_authorization(*, amount: str, date_text: str, method: str, scheduled: bool) -> str:
    """The authorization a bank expects for an online one-time debit (NACHA WEB): the amount, the
    date, the account, and how to revoke it."""
    if scheduled:
        revoke = Msg(
            "You can revoke this authorization by canceling the payment on your dashboard before {day}, "
            "or by contacting support (Help → Contact support) before then.",
            day=date_text,
        )
    else:
        revoke = Msg(
            "You can revoke this authorization by contacting support (Help → Contact support) before the "
            "debit is sent to your bank, the same day."
        )
    return (
        Msg(
            "By selecting {button}, you authorize the Health Connector to make a one-time electronic debit of "
            "{amount} from your account {method} on {day}. If the debit is returned, the amount is owed again.",
            button=submit_words(scheduled),
            amount=amount,
            method=method,
            day=date_text,
        )
        + " "
        + revoke
    )


def confirmation_heading(*, status: str, amount: str, date_text: str) -> str:
    if status == PaymentStatus.SCHEDULED:
        return Msg("Your payment of {amount} is scheduled for {day}.", amount=amount, day=date_text)
    if status == PaymentStatus.PENDING:
        return Msg("Your bank payment of {amount} was sent to your bank on {day}.", amount=amount, day=date_text)
    if status == PaymentStatus.PROCESSING:
        return Msg("Your payment of {amount} is being confirmed.", amount=amount)
    return Msg("Thank you! We received your payment of {amount} on {day}.", amount=amount, day=date_text)


def confirmation_email_note(status: str) -> str:
    """What we emailed: a receipt only for money received."""
    if status == PaymentStatus.SCHEDULED:
        return Msg(
            "We've emailed you a notice that this payment is scheduled. It is not a receipt: "
            "we'll email your receipt once the payment is made."
        )
    if status == PaymentStatus.PENDING:
        return Msg("We've emailed you that your bank payment was submitted. Your receipt is ready once it clears.")
    if status == PaymentStatus.PROCESSING:
        return Msg(
            "Your card company or bank has not answered yet. We'll email you the result within a few minutes. "
            "Please don't pay again: this payment will be charged only once."
        )
    return Msg("We've emailed you a receipt.")


def balance_left(balance_cents: int, credit_cents: int) -> str:
    if credit_cents > 0 and balance_cents == 0:
        return Msg("$0.00 (a {amount} credit toward future bills)", amount=money.format_cents(credit_cents))
    return money.format_cents(balance_cents)


AUTOPAY_PROMPT = Msg("Never miss a due date: set up Automatic Payments to pay each bill on time.")


def scheduled_lead(payment: Payment) -> str:
    """The first paragraph of the scheduling notice: it is not a receipt."""
    return Msg(
        "Your payment of {amount} is scheduled for {day}. This is a scheduling notice, not a receipt: nothing "
        "has been charged yet. We'll email your receipt once the payment is made.",
        amount=money.format_cents(payment.amount_cents),
        day=Dated(payment.payment_date),
    )


# --- Money going back: refunds and card disputes ----------------------------------------------

REFUND_STATUS_LABELS = {
    "pending": Msg("Refund pending"),
    "refunded": Msg("Refunded"),
    "failed": Msg("Refund failed"),
}
DISPUTE_STATUS_LABELS = {
    "open": Msg("Dispute open"),
    "won": Msg("Dispute closed — payment kept"),
    "lost": Msg("Dispute closed"),
}
REFUND_REFUSALS = {
    "returned": Msg("This payment was returned by the bank, so its money never arrived: there is nothing to refund."),
    "disputed": Msg(
        "This payment was disputed with the card issuer, who already took the money back: it can't be refunded."
    ),
    "pending": Msg("This bank payment hasn't cleared yet. It can be refunded once it clears."),
    "other": Msg("Only a payment that went through can be refunded."),
    "nothing_left": Msg("This payment has already been refunded in full."),
}


def refund_exceeds(remaining_cents: int) -> str:
    return Msg("Only {amount} of this payment is left to refund.", amount=money.format_cents(remaining_cents))


def refund_leaves_unpaid(unpaid_cents: int) -> str:
    """The warning staff read before confirming a refund larger than the member's credit."""
    return Msg(
        "This refund is more than the member's credit: it would leave {amount} unpaid on their bills.",
        amount=money.format_cents(unpaid_cents),
    )


def refund_method_words(method_kind: str) -> str:
    return Msg("a refund to the card") if method_kind == "card" else Msg("a deposit (ACH credit) to the bank account")


def refund_issued(
    *,
    first_name: str,
    amount_cents: int,
    refund_reference: str,
    payment_reference: str,
    method_label: str,
    method_kind: str,
    reason: str,
    account_now: str = "",
) -> Message:
    """The email and notice telling a member money was sent back to them."""
    amount = money.format_cents(amount_cents)
    if method_kind == "card":
        sent = Msg(
            "We sent you {amount} back, as a refund to the card {method}. "
            "It can take 5 to 10 business days to show on your statement.",
            amount=amount,
            method=method_label,
        )
    else:
        sent = Msg(
            "We sent you {amount} back, as a deposit (ACH credit) to the bank account {method}. "
            "It usually reaches your account within 2 business days.",
            amount=amount,
            method=method_label,
        )
    details = join(
        "\n",
        [
            Msg("Refund reference: {reference}", reference=refund_reference),
            Msg("From payment: {reference}", reference=payment_reference),
            Msg("Reason: {reason}", reason=reason),
        ],
    )
    paragraphs = [Msg("Hello {name},", name=first_name), sent, details]
    if account_now:
        paragraphs.append(join("\n", [Msg("Your account now:"), account_now]))
    paragraphs.append(Msg("Save this reference number for your records."))
    return Message(Msg("Refund issued — {reference}", reference=refund_reference), join("\n\n", paragraphs))


def refund_notice(*, amount_cents: int, refund_reference: str, method_label: str) -> Message:
    return Message(
        Msg("Refund issued — {reference}", reference=refund_reference),
        Msg(
            "We sent you {amount} back to {method}. You'll see it in your payment history.",
            amount=money.format_cents(amount_cents),
            method=method_label,
        )
        + "\n\n"
        + Msg("Refund reference: {reference}", reference=refund_reference),
    )


def refund_requested(first_name: str, amount_cents: int, ticket_number: str) -> Message:
    return Message(
        Msg("We received your refund request {ticket}", ticket=ticket_number),
        Msg("Hello {name},", name=first_name)
        + "\n\n"
        + Msg(
            "You asked us to pay back your {amount} credit. Your request number is {ticket}. Our support team "
            "will review it and tell you the outcome, in the portal and by email. The refund goes back to the "
            "card or bank account you paid with.",
            amount=money.format_cents(amount_cents),
            ticket=ticket_number,
        ),
    )


# Written into the member's support request as their own words (stored as text, like anything a
# member writes), so it stays as it is.
REFUND_REQUEST_MESSAGE = "Please refund my credit of {amount} to the card or bank account I paid with."


def refund_request_declined(amount_cents: int, ticket_number: str, reason: str) -> Message:
    return Message(
        Msg("Your refund request {ticket} was declined", ticket=ticket_number),
        Msg(
            "We reviewed your request to refund your {amount} credit and can't refund it: {reason} The credit "
            "stays on your account and pays your next bills. Questions? Reply under Help → My requests.",
            amount=money.format_cents(amount_cents),
            reason=reason,
        ),
    )


def refund_request_approved_reply(amount_cents: int, references: list[str]) -> str:
    return Msg(
        "Your refund of {amount} was approved and sent (refund reference {references}).",
        amount=money.format_cents(amount_cents),
        references=", ".join(references),
    )


def auto_refund_reason(terminated_on: dt.date) -> str:
    return Msg("Credit left after coverage ended on {day}", day=Dated(terminated_on))


def payment_disputed(
    *,
    first_name: str,
    amount_cents: int,
    payment_reference: str,
    dispute_reference: str,
    method_label: str,
    fee_cents: int,
    account_now: str = "",
) -> Message:
    """Plain words for a chargeback: what happened, what it means, what to do."""
    what = Msg(
        "Your card issuer told us you disputed your payment of {amount} ({method}), and took the money back. "
        "So that payment no longer counts, and the bill it paid is open again.",
        amount=money.format_cents(amount_cents),
        method=method_label,
    )
    if fee_cents > 0:
        what = what + " " + Msg("A dispute fee of {fee} was added to your bill.", fee=money.format_cents(fee_cents))
    paragraphs = [
        Msg("Hello {name},", name=first_name),
        what,
        Msg(
            "If you didn't mean to dispute it, tell your card issuer and contact us under Help → Contact support. "
            "To keep your coverage, please pay the bill again."
        ),
        join(
            "\n",
            [
                Msg("Dispute reference: {reference}", reference=dispute_reference),
                Msg("Payment: {reference}", reference=payment_reference),
            ],
        ),
    ]
    if account_now:
        paragraphs.append(join("\n", [Msg("Your account now:"), account_now]))
    paragraphs.append(Msg("Save this reference number for your records."))
    return Message(
        Msg("Your card payment was disputed — {reference}", reference=payment_reference),
        join("\n\n", paragraphs),
    )


def dispute_closed(*, won: bool, amount_cents: int, payment_reference: str, dispute_reference: str) -> Message:
    amount = money.format_cents(amount_cents)
    if won:
        body = Msg(
            "The dispute of your payment of {amount} was closed in our favor: the payment counts toward your "
            "bills again.",
            amount=amount,
        )
    else:
        body = Msg(
            "The dispute of your payment of {amount} was closed: your card issuer kept the money, so the payment "
            "doesn't count toward your bills. Please pay any amount due.",
            amount=amount,
        )
    return Message(
        Msg("Dispute closed — {reference}", reference=dispute_reference),
        body
        + "\n\n"
        + join(
            "\n",
            [
                Msg("Dispute reference: {reference}", reference=dispute_reference),
                Msg("Payment: {reference}", reference=payment_reference),
            ],
        ),
    )


# Reasons are kept on payments as their English words: statuses reads them back as these messages.
statuses.remember(*DECLINE_MESSAGES.values(), *RETURN_MESSAGES.values(), RETURNED_FALLBACK)
