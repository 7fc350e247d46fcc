"""The catalogs are complete: every message id in the source is in the template, and Spanish and
Portuguese translate every one of them — no empty or fuzzy entry, the same {placeholders} as the
English, the same plural forms."""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.pofile import read_po

from hcpay_app.i18n import catalogs
from tests.support import pseudo_pages

LOCALES = catalogs.LOCALES_DIR
LANGUAGES = ["es", "pt"]


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _read(path):
    with path.open("rb") as handle:
        return read_po(handle)


def _ids(catalog) -> set:
    return {message.id for message in catalog if message.id}


def test_the_template_has_every_message_id_in_the_source(tmp_path):
    pseudo_pages.pseudo_catalogs(tmp_path)  # extracts from the source, as `make extract` does
    try:
        fresh = _ids(_read(tmp_path / "messages.pot"))
    finally:
        catalogs.LOCALES_DIR = LOCALES
        catalogs.catalog.cache_clear()
    committed = _ids(_read(LOCALES / "messages.pot"))
    missing, stale = fresh - committed, committed - fresh
    assert not missing, f"run `make extract`: ids in the source but not in messages.pot: {sorted(missing)[:20]}"
    assert not stale, f"run `make extract`: ids no longer in the source: {sorted(stale)[:20]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_with_the_same_placeholders(language):
    template = _ids(_read(LOCALES / "messages.pot"))
    catalog = _read(LOCALES / language / "LC_MESSAGES" / "messages.po")
    assert template <= _ids(catalog), f"{language}: run `make extract`"
    problems = []
    for message in catalog:
        if not message.id or message.id not in template:
            continue
        if message.fuzzy:
            problems.append(("fuzzy", message.id))
        originals = message.id if isinstance(message.id, tuple) else (message.id,)
        translations = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(t and t.strip() for t in translations):
            problems.append(("empty", message.id))
            continue
        wanted = set().union(*(_placeholders(o) for o in originals))
        for translation in translations:
            got = _placeholders(translation)
            # A plural form may leave out {count} (Spanish "un pago"), but may not invent one.
            if got - wanted or (wanted - got - {"count"}):
                problems.append(("placeholders", message.id, translation))
    assert problems == [], f"{language}: {len(problems)} problems, first: {problems[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_glossary_is_kept(language):
    """The README's glossary: each term is translated the same way wherever it stands alone."""
    catalog = _read(LOCALES / language / "LC_MESSAGES" / "messages.po")
    glossary = {
        "es": {"Automatic Payments": "Pagos automáticos", "Make a Payment": "Hacer un pago"},
        "pt": {"Automatic Payments": "Pagamentos automáticos", "Make a Payment": "Fazer um pagamento"},
    }[language]
    for english, wanted in glossary.items():
        message = catalog.get(english)
        assert message is not None and message.string == wanted, (english, message and message.string)
    for message in catalog:
        if isinstance(message.id, str) and "Automatic Payments" in message.id and message.string:
            assert re.search(glossary["Automatic Payments"], message.string, re.I), (message.id, message.string)
