"""The Reflex app: theme, pages and background work."""

import reflex as rx

from hcpay_app import http
from hcpay_app.background import daily_job_worker, outbox_worker, reconcile_worker
from hcpay_app.event_errors import log_handler_failure
from hcpay_app.language_routing import with_page_language
from hcpay_app.pages import register_pages
from hcpay_app.security_headers import with_security_headers
from hcpay_app.state_lock import install as install_cancel_safe_state_lock

app = rx.App(
    head_components=[
        rx.el.meta(name="theme-color", content="#0b4a8b"),
        rx.el.script(src="/card_brand.js", defer=True),
        # Focus after errors and step changes, Show password: compiled in, as the CSP requires.
        rx.el.script(src="/forms.js", defer=True),
        # <html lang> and the device's remembered language follow the page on screen.
        rx.el.script(src="/lang.js", defer=True),
    ],
    stylesheets=["/links.css", "/forms.css", "/chart.css"],
    api_transformer=[http.api(), with_page_language, with_security_headers],
    backend_exception_handler=log_handler_failure,
    toaster=None,  # its region is named in English only; pages say what happened next to the control
)
# Reflex's overlay (connection banner, toaster) speaks English only: each page has its own,
# compiled in its language (components/layout.py, connection_overlay).
app.app_wraps.pop((5, "Overlay"), None)
# Scale-out mode: a cancelled page-load event must not leave the member's state lock behind.
install_cancel_safe_state_lock(app)
register_pages(app)
app.register_lifespan_task(outbox_worker)
app.register_lifespan_task(daily_job_worker)
app.register_lifespan_task(reconcile_worker)
