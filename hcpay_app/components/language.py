"""The language choice on every page, and the mark that tells the browser the page's language."""

from __future__ import annotations

import reflex as rx

from hcpay_app.i18n import languages
from hcpay_app.i18n.build import _, page_language, page_route
from hcpay_app.state.language import LanguageState

# As tall as a finger (44 px), but set in small type so three names fit beside the brand at 360 px.
_CHOICE = {"min_height": "44px", "min_width": "44px", "display": "inline-flex", "align_items": "center"}


def language_choice() -> rx.Component:
    """English · Español · Português: links to this page's copy in each language (they work before
    the page is up); once it is, a tap also keeps the page's query and saves the choice on the
    member's account. Each name is written in its own language, for its readers."""
    here = page_language()
    route = page_route()
    items = []
    for language in languages.offered():
        name = languages.NATIVE_NAMES[language]
        if language == here:
            items.append(
                rx.el.span(name, aria_current="true", style={**_CHOICE, "font_weight": "bold", "padding": "0 0.25rem"})
            )
            continue
        items.append(
            rx.el.a(
                name,
                href=languages.localized(route, language) + f"?lang={language.value}",
                lang=language.value,
                hreflang=language.value,
                on_click=LanguageState.choose(language.value).prevent_default,
                style={**_CHOICE, "color": "inherit", "padding": "0 0.25rem"},
            )
        )
    return rx.el.nav(
        rx.hstack(*items, spacing="1", align="center", wrap="wrap"),
        aria_label=_("Language"),
        custom_attrs={"data-page-lang": here.value},
        style={"font_size": "0.875rem"},
    )
