"""One module per page; `register_pages` adds them all to the app with their guards."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

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
from hcpay_app.state.page_load import opened_by
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


@dataclasses.dataclass(frozen=True)
class PageSpec:
    page: Callable[[], rx.Component]
    route: str
    title: str  # a message id: each language's copy gets its own title
    # A handler, or a list: a guard and the page's loaders, run as one event (`state.page_load`).
    on_load: Any = None

    def load_event(self) -> Any:
        return opened_by(self.route, *self.on_load) if isinstance(self.on_load, list) else self.on_load


def page_table() -> list[PageSpec]:
    """Every page the portal serves, with its guards (the development mailbox outside production:
    MailboxState shows the outbox only while `mailbox_enabled`, decided by the server at every load)."""
    table = [
        PageSpec(
            login.page,
            route=routes.LOGIN,
            title=N_("Log in · Health Connector Payments"),
            on_load=SessionState.redirect_if_logged_in,
        ),
        PageSpec(register.page, route=routes.REGISTER, title=N_("Create Account · Health Connector Payments")),
        PageSpec(
            forgot_password.page,
            route=routes.FORGOT_PASSWORD,
            title=N_("Forgot Password · Health Connector Payments"),
            on_load=ForgotPasswordState.start,
        ),
        PageSpec(
            forgot_username.page,
            route=routes.FORGOT_USERNAME,
            title=N_("Forgot Username · Health Connector Payments"),
            on_load=ForgotUsernameState.start,
        ),
        PageSpec(
            reset_password.page,
            route=routes.RESET_PASSWORD,
            title=N_("Reset password · Health Connector Payments"),
            on_load=ResetPasswordState.open_link,
        ),
        PageSpec(
            staff_enrol.page,
            route=routes.STAFF_ENROL,
            title=N_("Set up staff log-in · Health Connector"),
            on_load=StaffEnrolState.open_link,
        ),
        PageSpec(
            dashboard.page,
            route=routes.DASHBOARD,
            title=N_("Dashboard · Health Connector Payments"),
            on_load=[SessionState.require_login, DashboardState.load, RefundRequestState.load],
        ),
        PageSpec(
            history.page,
            route=routes.HISTORY,
            title=N_("Payment history · Health Connector Payments"),
            on_load=[SessionState.require_login, HistoryState.load],
        ),
        PageSpec(
            payment.page,
            route=routes.PAYMENT,
            title=N_("Payment status · Health Connector Payments"),
            on_load=[SessionState.require_login, PaymentDetailState.load],
        ),
        PageSpec(
            bill.page,
            route=routes.BILL,
            title=N_("Your bill · Health Connector Payments"),
            on_load=[SessionState.require_login, BillState.load],
        ),
        PageSpec(
            pay.page,
            route=routes.PAY,
            title=N_("Make a Payment · Health Connector Payments"),
            on_load=[SessionState.require_login, PayState.load],
        ),
        PageSpec(help.page, route=routes.HELP, title=N_("Help · Health Connector Payments")),
        PageSpec(
            support.page,
            route=routes.SUPPORT,
            title=N_("Contact support · Health Connector Payments"),
            on_load=[SessionState.require_login, SupportState.load],
        ),
        PageSpec(
            console.page,
            route=routes.CONSOLE,
            title=N_("Support console · Health Connector"),
            on_load=[SessionState.require_staff, ConsoleState.load],
        ),
        PageSpec(
            guest_pay.page,
            route=routes.GUEST_PAY,
            title=N_("Pay as a guest · Health Connector Payments"),
            on_load=GuestState.start,
        ),
        PageSpec(
            settings.page,
            route=routes.SETTINGS,
            title=N_("Settings · Health Connector Payments"),
            on_load=[SessionState.require_login, MethodsState.load, RemindersState.load],
        ),
        PageSpec(
            autopay.page,
            route=routes.AUTOPAY,
            title=N_("Automatic Payments · Health Connector Payments"),
            on_load=[SessionState.require_login, AutopayState.load],
        ),
        PageSpec(
            notifications.page,
            route=routes.NOTIFICATIONS,
            title=N_("Notifications · Health Connector Payments"),
            on_load=[SessionState.require_login, NotificationsState.load],
        ),
        PageSpec(
            payment_plan.page,
            route=routes.PAYMENT_PLAN,
            title=N_("Payment plan · Health Connector Payments"),
            on_load=[SessionState.require_login, PlanState.load],
        ),
    ]
    if not get_settings().is_production:
        table.append(
            PageSpec(mailbox.page, route=routes.DEV_MAILBOX, title=N_("Development mailbox"), on_load=MailboxState.load)
        )
    return table


def register_pages(app: rx.App) -> None:
    """Every page, compiled once per language: English at its route, the others under their prefix."""
    for spec in page_table():
        for language in languages.offered():
            app.add_page(
                _in_language(spec.page, language, spec.route),
                route=languages.localized(spec.route, language),
                title=translate(Msg(spec.title), language),
                on_load=spec.load_event(),
            )


def _in_language(
    page: Callable[[], rx.Component], language: languages.Language, route: str
) -> Callable[[], rx.Component]:
    """The page's component tree built with its words in `language`."""

    def compiled() -> rx.Component:
        with building(language, route):
            return page()

    # Reflex writes a page's memoized components into a JS module named after the page function's
    # __module__: one module per page and language, so a page downloads only its own components
    # (under one shared name, every page carried every page's components in every language).
    suffix = "" if language is languages.DEFAULT else "_" + language.value.replace("-", "_")
    compiled.__module__ = f"{page.__module__}{suffix}"
    compiled.__name__ = f"{page.__module__.rsplit('.', 1)[-1]}_{language.value.replace('-', '_')}"
    return compiled
