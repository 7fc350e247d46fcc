"""Every page, compiled in the en-XA pseudo-locale, has no word that skipped the catalogs.

The catalog is extracted from the source for this run (tests/support/pseudo_pages.py), so a new
English literal on a page fails here before any browser test runs. Text from outside the catalogs
that a page may show as it is: the settings' own data (walk-in centers' names and addresses).
"""

from __future__ import annotations

import os

import pytest

from hcpay_app.services.common import contact
from tests.support import pseudo_pages


@pytest.fixture(scope="module")
def pseudo_app(tmp_path_factory):
    os.environ["HCPAY_PSEUDO_LOCALE"] = "1"
    try:
        assert pseudo_pages.pseudo_catalogs(tmp_path_factory.mktemp("catalogs")) > 0
        from hcpay_app.i18n.languages import Language, localized
        from hcpay_app.pages import page_table

        yield Language.PSEUDO, localized, page_table()
    finally:
        os.environ.pop("HCPAY_PSEUDO_LOCALE", None)
        from hcpay_app.i18n import catalogs

        catalogs.LOCALES_DIR = pseudo_pages.APP_DIR / "locales"
        catalogs.catalog.cache_clear()


def _settings_data() -> set[str]:
    """What the operator configured: phone numbers, and each walk-in center's town and address."""
    support = contact.support_contact()
    return {support.phone, support.tty, support.interpreter_line} | {
        value for centre in support.centres for value in (centre.town, centre.address)
    }


def _page_names():
    from hcpay_app.pages import page_table

    return [spec.page.__module__.rsplit(".", 1)[-1] for spec in page_table()]


@pytest.mark.parametrize("name", _page_names())
def test_every_word_on_the_page_came_through_the_catalog(pseudo_app, name):
    from hcpay_app.i18n.build import building

    language, _localized, table = pseudo_app
    spec = next(s for s in table if s.page.__module__.endswith("." + name))
    with building(language, spec.route):
        component = spec.page()
    left = [text for text in pseudo_pages.untranslated(component) if text not in _settings_data()]
    assert left == [], f"{name}: text that skipped the catalogs: {left}"
