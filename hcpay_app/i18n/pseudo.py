"""The en-XA pseudo-locale: every catalog entry in accented, bracketed English ("⟦Ŀöĝ íñ⟧").

It is written from the extracted template (`make catalogs`), never by hand. A page walked in en-XA
shows every word that came through the catalogs with no plain ASCII letter left, so any word that
skipped them stands out (tests/e2e/test_pseudo_locale.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

# Every ASCII letter has a non-ASCII look-alike, so translated text has no plain letter left.
ACCENTED = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "ÅƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽåƀçðéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýž",
)
OPEN, CLOSE = "⟦", "⟧"
# Left as they are: {placeholders}, %-formats, markup-free URLs and e-mail addresses, entities.
_KEEP = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[sd]|%[sd]|https?://\S+|&[a-z]+;")


def pseudo(text: str) -> str:
    if not text.strip():
        return text
    out, last = [], 0
    for match in _KEEP.finditer(text):
        out.append(text[last : match.start()].translate(ACCENTED))
        out.append(match.group(0))
        last = match.end()
    out.append(text[last:].translate(ACCENTED))
    body = "".join(out)
    # Each line is bracketed, so a line of an email or a PDF shows where it came from too.
    return "\n".join(f"{OPEN}{line}{CLOSE}" if line.strip() else line for line in body.split("\n"))


def write_catalog(template: Path, target: Path) -> int:
    """Write the pseudo catalog for every id in `template` (a .pot); returns how many."""
    with template.open("rb") as handle:
        source = read_po(handle)
    catalog = Catalog(locale="en", domain="messages", project="hcpay")
    catalog.plural_forms  # noqa: B018 (English plural rules)
    for message in source:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            catalog.add(message.id, tuple(pseudo(part) for part in message.id), auto_comments=message.auto_comments)
        else:
            catalog.add(message.id, pseudo(message.id), auto_comments=message.auto_comments)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        write_po(handle, catalog, width=0)
    return len(catalog)


if __name__ == "__main__":  # make catalogs: python -m hcpay_app.i18n.pseudo TEMPLATE TARGET
    import sys

    print(f"en-XA: {write_catalog(Path(sys.argv[1]), Path(sys.argv[2]))} messages")
