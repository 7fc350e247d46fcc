"""Pages compiled in the en-XA pseudo-locale, searched for words that skipped the catalogs.

`pseudo_catalogs(tmp)` extracts every message id from the app's source (as `make extract` does),
writes the en-XA catalog from it and points the app at it, so the check follows the code, not the
committed catalogs. `untranslated(component)` reads the compiled JavaScript of a page and returns
every piece of text a member could read (children, ternaries, concatenations, and the aria-label,
placeholder, title, alt and label props) that still has plain ASCII words in it outside ⟦…⟧.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from hcpay_app.i18n import catalogs, pseudo
from hcpay_app.i18n.languages import NATIVE_NAMES

APP_DIR = Path(catalogs.__file__).resolve().parent.parent
KEYWORDS = {
    "_": None,
    "_var": None,
    "_var_plural": (1, 2),
    "Msg": None,
    "N_": None,
    "plural": (1, 2),
    "ngettext": (1, 2),
}

_LITERAL = r'"((?:[^"\\]|\\.)*)"'
_PATTERNS = [
    re.compile(r"(?<![\w\]]) ?[,(]" + _LITERAL + r"(?=[,)])"),  # a child: jsx(Tag,{…},"text")
    re.compile(r"\? " + _LITERAL),  # cond ? "text" …
    re.compile(r"(?<![\]\w]) : " + _LITERAL),  # … : "text"
    re.compile(r"\+" + _LITERAL + r"|" + _LITERAL + r"\+"),  # "text "+value
    re.compile(r'(?:"aria-label"|placeholder|title|alt|label|"aria-description"):' + _LITERAL),
]
# Not text: state names, paths, anchors, addresses, and pieces of element ids ("reply-", "-error").
_NOT_TEXT = re.compile(r"^(?:reflex___|/|#|https?://|[\w.-]+@[\w.-]+$|[\w-]*-$|-[\w-]*$)|___")
# Words that are the same in every language: each language's own name, in the language choice.
_SAME_EVERYWHERE = {*NATIVE_NAMES.values(), "true", "false", "null", "none"}  # "none": an aria-sort value


def pseudo_catalogs(folder: Path) -> int:
    """Extract, write en-XA and compile it into `folder`; the app reads its catalogs there."""
    template = Catalog(project="hcpay")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(APP_DIR), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    pot = folder / "messages.pot"
    with pot.open("wb") as handle:
        write_po(handle, template)
    po = folder / "en_XA" / "LC_MESSAGES" / "messages.po"
    count = pseudo.write_catalog(pot, po)
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        parsed = read_po(handle)
    with (po.parent / "messages.mo").open("wb") as handle:
        write_mo(handle, parsed)
    catalogs.LOCALES_DIR = folder
    catalogs.catalog.cache_clear()
    return count


def _texts(rendered: str) -> set[str]:
    found: set[str] = set()
    for pattern in _PATTERNS:
        for match in pattern.finditer(rendered):
            start = match.start()
            if rendered[max(0, start - 4) : start + 1].endswith("jsx("):
                continue
            raw = next(group for group in match.groups() if group is not None)
            try:
                found.add(json.loads(f'"{raw}"'))
            except ValueError:
                continue
    return found


def english_left(text: str) -> bool:
    """Plain ASCII words outside ⟦…⟧ (what the catalogs gave) and outside data."""
    text = text.strip()
    if _NOT_TEXT.search(text) or text in _SAME_EVERYWHERE:
        return False
    outside = re.sub(r"⟦[^⟧]*⟧", " ", text)
    return re.search(r"[A-Za-z]{2,}", outside) is not None


def untranslated(component) -> list[str]:
    return sorted(text for text in _texts(str(component)) if english_left(text))
