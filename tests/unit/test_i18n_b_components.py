"""The transaction list's and the data table's own words come through the catalogs, and the
helpers the member pages use for sentences with components in them keep the translation's order."""

from __future__ import annotations

import os

import pytest
import reflex as rx

from hcpay_app.i18n import catalogs
from hcpay_app.i18n.languages import Language
from tests.support import pseudo_pages


@pytest.fixture(scope="module")
def pseudo(tmp_path_factory):
    os.environ["HCPAY_PSEUDO_LOCALE"] = "1"
    try:
        pseudo_pages.pseudo_catalogs(tmp_path_factory.mktemp("catalogs"))
        yield Language.PSEUDO
    finally:
        os.environ.pop("HCPAY_PSEUDO_LOCALE", None)
        catalogs.LOCALES_DIR = pseudo_pages.APP_DIR / "locales"
        catalogs.catalog.cache_clear()


def test_rich_puts_the_component_where_the_translation_puts_its_placeholder(pseudo):
    from hcpay_app.components.activity import rich
    from hcpay_app.i18n.build import building

    day = rx.text.strong("Dec 23, 2026")
    with building(pseudo):
        parts = rich("Due by {day}", day=day)
    assert parts[1] is day  # "⟦Ðûé ƀý ", the date, "⟧"
    assert parts[0].startswith("⟦") and "Due" not in parts[0]
    # In English, the words as written.
    assert rich("Due by {day}", day=day) == ["Due by ", day]


def test_an_id_built_from_a_key_is_not_page_text():
    from hcpay_app.components.activity import dom_id
    from hcpay_app.state.dashboard import DashboardState

    items = rx.fragment(rx.foreach(DashboardState.view.summary, lambda line: rx.el.li(id=dom_id("summary", line.key))))
    assert '["summary", ' in str(items) and '.join("-")' in str(items)
    assert pseudo_pages.untranslated(items) == []


def test_the_transaction_list_and_the_table_speak_the_page_language(pseudo):
    from hcpay_app.components.activity import activity_list
    from hcpay_app.components.data_table import data_table
    from hcpay_app.i18n.build import building
    from hcpay_app.services.support import tables
    from hcpay_app.state.console import ConsoleState
    from hcpay_app.state.history import HistoryState

    with building(pseudo):
        transactions = str(activity_list(HistoryState.rows, "x"))
        table = data_table(
            tables.REFUNDS,
            rows=ConsoleState.table_rows["payments"].to(list[dict[str, str]]),
            aria=ConsoleState.table_aria,
            chosen=ConsoleState.table_filters,
            summary=ConsoleState.table_summary["payments"].to(str),
            on_sort=ConsoleState.sort_table,
            on_filter=ConsoleState.filter_table,
        )
    assert "Transactions" not in transactions and "/xa/payment" in transactions
    rendered = str(table)
    assert "Sort by" not in rendered and '" table"' not in rendered
    texts = pseudo_pages._texts(rendered)  # the page's text props and children, unescaped
    assert '"All"' not in rendered and "⟦Åļļ⟧" in rendered.encode().decode("unicode_escape")
    assert any(text.startswith("⟦Šöŕţ ƀý ") for text in texts)
