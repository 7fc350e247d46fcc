"""Languages: every word a member reads goes through the gettext catalogs under `hcpay_app/locales`.

- `languages`: the languages the portal speaks and the route prefix of each (`/es/…`, `/pt/…`).
- `message`: `Msg`, a message id with its parameters, which services and states raise and return;
  it reads as English until it is translated at the edge.
- `catalogs`: the compiled catalogs, `translate` and `localize` (the edge: states, emails, PDFs).
- `build`: `_()` for page text, applied while a page is compiled for one language.
- `formats`: dates per locale (money reads "$512.50" in every language; see README).
- `pseudo`: the en-XA pseudo-locale the tests use to find text that skipped the catalogs.
"""
