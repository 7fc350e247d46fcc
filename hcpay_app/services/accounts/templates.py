"""Every email about the member's login: codes, resets, usernames, and changes to the account —
and the words of the notifications center: each notice's link, named for what it does, and what a
notice about a bill says once that bill is paid."""

from __future__ import annotations

from hcpay_app import routes
from hcpay_app.i18n.message import Msg, join
from hcpay_app.models import NoticeKind
from hcpay_app.services.common.messages import Message

# A notice's link, named for what it does there (the link itself is one of these route constants).
NOTICE_ACTIONS = {
    routes.PAY: Msg("Make a Payment"),
    routes.AUTOPAY: Msg("Manage Automatic Payments"),
    routes.SETTINGS: Msg("Update payment methods"),
    routes.PAYMENT_PLAN: Msg("See your payment plan"),
    routes.HISTORY: Msg("See payment history"),
    routes.SUPPORT: Msg("Contact support"),
}
# Where the same page does something else for a kind of notice.
NOTICE_ACTIONS_BY_KIND = {(NoticeKind.TICKET_REPLY, routes.SUPPORT): Msg("See My requests")}
# The link to one payment's status page.
SEE_PAYMENT = Msg("See payment {reference}")
# A notice about a bill, once that bill is paid in full.
NOTICE_RESOLVED = Msg("Paid — no action needed")


def _paragraphs(*parts: str) -> str:
    """An email body: whole paragraphs, each translated on its own."""
    return join("\n\n", parts)


def _hello(first_name: str = "") -> str:
    return Msg("Hello {first_name},", first_name=first_name) if first_name else Msg("Hello,")


def verification_code(first_name: str, code: str, minutes: int) -> Message:
    return Message(
        Msg("Your Health Connector verification code"),
        _paragraphs(
            _hello(first_name),
            Msg("Your verification code is {code}", code=code),
            Msg(
                "It expires in {minutes} minutes. Enter it on the Create Account page to finish. "
                "If you didn't start creating an account, you can ignore this email.",
                minutes=minutes,
            ),
        ),
    )


def duplicate_registration(first_name: str) -> Message:
    return Message(
        Msg("Someone tried to create a second account for you"),
        _paragraphs(
            _hello(first_name),
            Msg(
                "Someone tried to create a portal account with your details, but you already have one. "
                "Log in with your username, or use Forgot Username or Forgot Password on the log-in page."
            ),
            Msg("If this wasn't you, contact support."),
        ),
    )


def account_created(first_name: str, username: str) -> Message:
    return Message(
        Msg("Your Health Connector payment account is ready"),
        _paragraphs(
            _hello(first_name),
            Msg(
                "Your account {username} is ready. You can now view and pay your premiums online.",
                username=username,
            ),
        ),
    )


def password_reset(username: str, link: str, minutes: int) -> Message:
    return Message(
        Msg("Reset your Health Connector password"),
        _paragraphs(
            _hello(),
            Msg(
                "We received a request to reset the password for {username}. "
                "Open this link within {minutes} minutes to choose a new password:",
                username=username,
                minutes=minutes,
            ),
            link,
            Msg("The link works once. If you didn't ask for this, ignore this email: your password stays the same."),
        ),
    )


def username_reminder(usernames: list[str]) -> Message:
    names = "\n".join(f"  • {name}" for name in usernames)
    return Message(
        Msg("Your Health Connector username"),
        _paragraphs(
            _hello(),
            Msg("The username for your Health Connector payment account is:"),
            names,
            Msg("Use it to log in."),
        ),
    )


def password_changed(username: str) -> Message:
    return Message(
        Msg("Your Health Connector password was changed"),
        _paragraphs(
            _hello(),
            Msg(
                "The password for {username} was just changed and every other signed-in device was logged out. "
                "If this wasn't you, reset your password now and contact support.",
                username=username,
            ),
        ),
    )


def email_changed(first_name: str, masked_new_email: str) -> Message:
    return Message(
        Msg("The email on your Health Connector account changed"),
        _paragraphs(
            _hello(first_name),
            Msg(
                "Your enrollment record now has a new email address ({email}). "
                "Codes, reset links and notices go there from now on. If you didn't ask for this change, "
                "contact support right away.",
                email=masked_new_email,
            ),
        ),
    )
