"""The notifications center."""

import reflex as rx

from hcpay_app.components.layout import TOUCH, page_shell
from hcpay_app.services.accounts.notices import NoticeView
from hcpay_app.state.notifications import NotificationsState


def item(notice: NoticeView) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text(notice.title, weight=rx.cond(notice.unread, "bold", "regular")),
                    rx.cond(notice.unread, rx.badge("New", color_scheme="blue")),
                    justify="between",
                    width="100%",
                ),
                rx.text(notice.when, size="1", color_scheme="gray"),
                rx.text(notice.body, size="2", white_space="pre-line"),
                rx.cond(
                    notice.unread,
                    rx.button(
                        "Mark as read", variant="ghost", style=TOUCH, on_click=NotificationsState.mark_read(notice.id)
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
            "Mark all as read",
            variant="soft",
            on_click=NotificationsState.mark_all_read,
            style=TOUCH,
            width="fit-content",
        ),
        rx.cond(
            NotificationsState.items.length() > 0,
            rx.el.ul(rx.foreach(NotificationsState.items, item), padding="0", margin="0", aria_label="Notifications"),
            rx.text("No notifications yet.", color_scheme="gray"),
        ),
        title="Notifications",
        member=True,
    )
