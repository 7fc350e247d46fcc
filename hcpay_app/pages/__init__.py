"""One module per page; `register_pages` adds them all to the app with their guards."""

from __future__ import annotations

import reflex as rx

from hcpay_app import routes
from hcpay_app.config import get_settings
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
    app.add_page(
        login.page,
        route=routes.LOGIN,
        title="Log in · Health Connector Payments",
        on_load=SessionState.redirect_if_logged_in,
    )
    app.add_page(register.page, route=routes.REGISTER, title="Create Account · Health Connector Payments")
    app.add_page(
        forgot_password.page,
        route=routes.FORGOT_PASSWORD,
        title="Forgot Password · Health Connector Payments",
        on_load=ForgotPasswordState.start,
    )
    app.add_page(
        forgot_username.page,
        route=routes.FORGOT_USERNAME,
        title="Forgot Username · Health Connector Payments",
        on_load=ForgotUsernameState.start,
    )
    app.add_page(
        reset_password.page,
        route=routes.RESET_PASSWORD,
        title="Reset password · Health Connector Payments",
        on_load=ResetPasswordState.open_link,
    )
    app.add_page(
        staff_enrol.page,
        route=routes.STAFF_ENROL,
        title="Set up staff log-in · Health Connector",
        on_load=StaffEnrolState.open_link,
    )
    app.add_page(
        dashboard.page,
        route=routes.DASHBOARD,
        title="Dashboard · Health Connector Payments",
        on_load=[SessionState.require_login, DashboardState.load, RefundRequestState.load],
    )
    app.add_page(
        history.page,
        route=routes.HISTORY,
        title="Payment history · Health Connector Payments",
        on_load=[SessionState.require_login, HistoryState.load],
    )
    app.add_page(
        payment.page,
        route=routes.PAYMENT,
        title="Payment status · Health Connector Payments",
        on_load=[SessionState.require_login, PaymentDetailState.load],
    )
    app.add_page(
        bill.page,
        route=routes.BILL,
        title="Your bill · Health Connector Payments",
        on_load=[SessionState.require_login, BillState.load],
    )
    app.add_page(
        pay.page,
        route=routes.PAY,
        title="Make a Payment · Health Connector Payments",
        on_load=[SessionState.require_login, PayState.load],
    )
    app.add_page(help.page, route=routes.HELP, title="Help · Health Connector Payments")
    app.add_page(
        support.page,
        route=routes.SUPPORT,
        title="Contact support · Health Connector Payments",
        on_load=[SessionState.require_login, SupportState.load],
    )
    app.add_page(
        console.page,
        route=routes.CONSOLE,
        title="Support console · Health Connector",
        on_load=[SessionState.require_staff, ConsoleState.load],
    )
    app.add_page(
        guest_pay.page,
        route=routes.GUEST_PAY,
        title="Pay as a guest · Health Connector Payments",
        on_load=GuestState.start,
    )
    app.add_page(
        settings.page,
        route=routes.SETTINGS,
        title="Settings · Health Connector Payments",
        on_load=[SessionState.require_login, MethodsState.load, RemindersState.load],
    )
    app.add_page(
        autopay.page,
        route=routes.AUTOPAY,
        title="Automatic Payments · Health Connector Payments",
        on_load=[SessionState.require_login, AutopayState.load],
    )
    app.add_page(
        notifications.page,
        route=routes.NOTIFICATIONS,
        title="Notifications · Health Connector Payments",
        on_load=[SessionState.require_login, NotificationsState.load],
    )
    app.add_page(
        payment_plan.page,
        route=routes.PAYMENT_PLAN,
        title="Payment plan · Health Connector Payments",
        on_load=[SessionState.require_login, PlanState.load],
    )
    # Compiled outside production; MailboxState shows the outbox only while `mailbox_enabled`
    # (development or test, on loopback) — decided by the server, at every load.
    if not get_settings().is_production:
        app.add_page(mailbox.page, route=routes.DEV_MAILBOX, title="Development mailbox", on_load=MailboxState.load)
