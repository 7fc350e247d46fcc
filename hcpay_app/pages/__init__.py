"""One module per page; `register_pages` adds them all to the app with their guards."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from hcpay_app import routes
from hcpay_app.config import get_settings
from hcpay_app.i18n import languages
from hcpay_app.i18n.build import building
from hcpay_app.i18n.catalogs import translate
from hcpay_app.i18n.message import N_, Msg
from hcpay_app.pages import (
    autopay,
    bill,
    console,
    dashboard,
    forgot_password,
    forgot_username,
    guest_pay,
    help,
    history,
    login,
    mailbox,
    notifications,
    pay,
    payment,
    payment_plan,
    register,
    reset_password,
    settings,
    staff_enrol,
    support,
)
from hcpay_app.state.autopay import AutopayState
from hcpay_app.state.bill import BillState
from hcpay_app.state.console import ConsoleState
from hcpay_app.state.dashboard import DashboardState
from hcpay_app.state.guest import GuestState
from hcpay_app.state.history import HistoryState, PaymentDetailState
from hcpay_app.state.mailbox import MailboxState
from hcpay_app.state.methods import MethodsState
from hcpay_app.state.notifications import NotificationsState
from hcpay_app.state.pay import PayState
from hcpay_app.state.plan import PlanState
from hcpay_app.state.recovery import (
    ForgotPasswordState,
    ForgotUsernameState,
    ResetPasswordState,
)
from hcpay_app.state.refund_request import RefundRequestState
from hcpay_app.state.reminders import RemindersState
from hcpay_app.state.session import SessionState
from hcpay_app.state.staff_enrol import StaffEnrolState
from hcpay_app.state.support import SupportState


def register_pages(app: rx.App) -> None:
    """Every page, compiled once per language: English at its route, the others under their prefix."""

    def add(page: Callable[[], rx.Component], *, route: str, title: str, on_load=None) -> None:
        for language in languages.offered():
            app.add_page(
                _in_language(page, language, route),
                route=languages.localized(route, language),
                title=translate(Msg(title), language),
                on_load=on_load,
            )

    add(
        login.page,
        route=routes.LOGIN,
        title=N_("Log in · Health Connector Payments"),
        on_load=SessionState.redirect_if_logged_in,
    )
    add(register.page, route=routes.REGISTER, title=N_("Create Account · Health Connector Payments"))
    add(
        forgot_password.page,
        route=routes.FORGOT_PASSWORD,
        title=N_("Forgot Password · Health Connector Payments"),
        on_load=ForgotPasswordState.start,
    )
    add(
        forgot_username.page,
        route=routes.FORGOT_USERNAME,
        title=N_("Forgot Username · Health Connector Payments"),
        on_load=ForgotUsernameState.start,
    )
    add(
        reset_password.page,
        route=routes.RESET_PASSWORD,
        title=N_("Reset password · Health Connector Payments"),
        on_load=ResetPasswordState.open_link,
    )
    add(
        staff_enrol.page,
        route=routes.STAFF_ENROL,
        title=N_("Set up staff log-in · Health Connector"),
        on_load=StaffEnrolState.open_link,
    )
    add(
        dashboard.page,
        route=routes.DASHBOARD,
        title=N_("Dashboard · Health Connector Payments"),
        on_load=[SessionState.require_login, DashboardState.load, RefundRequestState.load],
    )
    add(
        history.page,
        route=routes.HISTORY,
        title=N_("Payment history · Health Connector Payments"),
        on_load=[SessionState.require_login, HistoryState.load],
    )
    add(
        payment.page,
        route=routes.PAYMENT,
        title=N_("Payment status · Health Connector Payments"),
        on_load=[SessionState.require_login, PaymentDetailState.load],
    )
    add(
        bill.page,
        route=routes.BILL,
        title=N_("Your bill · Health Connector Payments"),
        on_load=[SessionState.require_login, BillState.load],
    )
    add(
        pay.page,
        route=routes.PAY,
        title=N_("Make a Payment · Health Connector Payments"),
        on_load=[SessionState.require_login, PayState.load],
    )
    add(help.page, route=routes.HELP, title=N_("Help · Health Connector Payments"))
    add(
        support.page,
        route=routes.SUPPORT,
        title=N_("Contact support · Health Connector Payments"),
        on_load=[SessionState.require_login, SupportState.load],
    )
    add(
        console.page,
        route=routes.CONSOLE,
        title=N_("Support console · Health Connector"),
        on_load=[SessionState.require_staff, ConsoleState.load],
    )
    add(
        guest_pay.page,
        route=routes.GUEST_PAY,
        title=N_("Pay as a guest · Health Connector Payments"),
        on_load=GuestState.start,
    )
    add(
        settings.page,
        route=routes.SETTINGS,
        title=N_("Settings · Health Connector Payments"),
        on_load=[SessionState.require_login, MethodsState.load, RemindersState.load],
    )
    add(
        autopay.page,
        route=routes.AUTOPAY,
        title=N_("Automatic Payments · Health Connector Payments"),
        on_load=[SessionState.require_login, AutopayState.load],
    )
    add(
        notifications.page,
        route=routes.NOTIFICATIONS,
        title=N_("Notifications · Health Connector Payments"),
        on_load=[SessionState.require_login, NotificationsState.load],
    )
    add(
        payment_plan.page,
        route=routes.PAYMENT_PLAN,
        title=N_("Payment plan · Health Connector Payments"),
        on_load=[SessionState.require_login, PlanState.load],
    )
    # Compiled outside production; MailboxState shows the outbox only while `mailbox_enabled`
    # (development or test, on loopback) — decided by the server, at every load.
    if not get_settings().is_production:
        add(mailbox.page, route=routes.DEV_MAILBOX, title=N_("Development mailbox"), on_load=MailboxState.load)


def _in_language(
    page: Callable[[], rx.Component], language: languages.Language, route: str
) -> Callable[[], rx.Component]:
    """The page's component tree built with its words in `language`."""

    def compiled() -> rx.Component:
        with building(language, route):
            return page()

    compiled.__name__ = f"{getattr(page, '__module__', 'page').rsplit('.', 1)[-1]}_{language.value.replace('-', '_')}"
    return compiled
