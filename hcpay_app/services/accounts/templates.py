"""Every email about the member's login: codes, resets, usernames, and changes to the account —
and the words of the notifications center: each notice's link, named for what it does, and what a
notice about a bill says once that bill is paid."""

from __future__ import annotations

from hcpay_app import routes
from hcpay_app.models import NoticeKind
from hcpay_app.services.common.messages import Message

# A notice's link, named for what it does there (the link itself is one of these route constants).
NOTICE_ACTIONS = {
    routes.PAY: "Make a Payment",
    routes.AUTOPAY: "Manage Automatic Payments",
    routes.SETTINGS: "Update payment methods",
    routes.PAYMENT_PLAN: "See your payment plan",
    routes.HISTORY: "See payment history",
    routes.SUPPORT: "Contact support",
}
# Where the same page does something else for a kind of notice.
NOTICE_ACTIONS_BY_KIND = {(NoticeKind.TICKET_REPLY, routes.SUPPORT): "See My requests"}
# The link to one payment's status page.
SEE_PAYMENT = "See payment {reference}"
# A notice about a bill, once that bill is paid in full.
NOTICE_RESOLVED = "Paid — no action needed"


def verification_code(first_name: str, code: str, minutes: int) -> Message:
    return Message(
        "Your Health Connector verification code",
        f"Hello {first_name},\n\nYour verification code is {code}\n\n"
        f"It expires in {minutes} minutes. Enter it on the Create Account page to finish. "
        "If you didn't start creating an account, you can ignore this email.",
    )


def duplicate_registration(first_name: str) -> Message:
    return Message(
        "Someone tried to create a second account for you",
        f"Hello {first_name},\n\nSomeone tried to create a portal account with your details, "
        "but you already have one. Log in with your username, or use Forgot Username or "
        "Forgot Password on the log-in page.\n\nIf this wasn't you, contact support.",
    )


def account_created(first_name: str, username: str) -> Message:
    return Message(
        "Your Health Connector payment account is ready",
        f"Hello {first_name},\n\nYour account {username} is ready. You can now view and pay your premiums online.",
    )


def password_reset(username: str, link: str, minutes: int) -> Message:
    return Message(
        "Reset your Health Connector password",
        f"Hello,\n\nWe received a request to reset the password for {username}. "
        f"Open this link within {minutes} minutes to choose a new password:\n\n{link}\n\n"
        "The link works once. If you didn't ask for this, ignore this email: your password stays the same.",
    )


def username_reminder(usernames: list[str]) -> Message:
    names = "\n".join(f"  • {name}" for name in usernames)
    return Message(
        "Your Health Connector username",
        f"Hello,\n\nThe username for your Health Connector payment account is:\n\n{names}\n\nUse it to log in.",
    )


def password_changed(username: str) -> Message:
    return Message(
        "Your Health Connector password was changed",
        f"Hello,\n\nThe password for {username} was just changed and every other signed-in "
        "device was logged out. If this wasn't you, reset your password now and contact support.",
    )


def email_changed(first_name: str, masked_new_email: str) -> Message:
    return Message(
        "The email on your Health Connector account changed",
        f"Hello {first_name},\n\nYour enrollment record now has a new email address ({masked_new_email}). "
        "Codes, reset links and notices go there from now on. If you didn't ask for this change, "
        "contact support right away.",
    )
