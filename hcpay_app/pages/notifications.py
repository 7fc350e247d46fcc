"""The notifications center: each notice with a link to the page that acts on it, and a notice
about a bill marked "Paid — no action needed" once that bill is paid."""

import reflex as rx

from hcpay_app.components.layout import TOUCH, page_shell
from hcpay_app.i18n.build import _
from hcpay_app.services.accounts.notices import NoticeView
from hcpay_app.state.notifications import NotificationsState


def item(notice: NoticeView) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text(notice.title, font_weight=rx.cond(notice.unread, "700", "400")),
                    rx.cond(notice.unread, rx.badge(_("New"), color_scheme="blue")),
                    justify="between",
                    width="100%",
                ),
                rx.text(notice.when, size="1", color_scheme="gray"),
                rx.text(notice.body, size="2", white_space="pre-line"),
                # Once the bill it was about is paid: said in words, not only in color.
                rx.cond(
                    notice.resolved != "",
                    rx.hstack(
                        rx.icon("circle-check", size=16, color="var(--green-11)", aria_hidden="true"),
                        rx.text(notice.resolved, size="2", weight="medium", color_scheme="green"),
                        spacing="1",
                        align="center",
                        class_name="notice-resolved",
                    ),
                ),
                # The page that acts on it: a path the server built from its own route constants.
                rx.cond(
                    notice.link != "",
                    rx.link(
                        notice.action,
                        href=notice.link,
                        weight="medium",
                        style=TOUCH,
                        display="flex",
                        align_items="center",
                    ),
                ),
                rx.cond(
                    notice.unread,
                    rx.button(
                        _("Mark as read"),
                        variant="ghost",
                        style=TOUCH,
                        on_click=NotificationsState.mark_read(notice.id),
                    ),
                ),
                spacing="1",
            ),
        ),
        list_style="none",
        margin_bottom="0.75rem",
    )


def page() -> rx.Component:
    return page_shell(
        rx.button(
            _("Mark all as read"),
            variant="soft",
            on_click=NotificationsState.mark_all_read,
            style=TOUCH,
            width="fit-content",
        ),
        rx.cond(
            NotificationsState.items.length() > 0,
            rx.el.ul(
                rx.foreach(NotificationsState.items, item), padding="0", margin="0", aria_label=_("Notifications")
            ),
            rx.text(_("No notifications yet."), color_scheme="gray"),
        ),
        title=_("Notifications"),
        member=True,
    )
