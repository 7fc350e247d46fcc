"""Fixtures for the state-handler tests; the machinery lives in `state_harness` (importable by tests).

`state_harness` sets the test environment at import, so it must be imported before hcpay_app.
"""

from tests.state.state_harness import browser, db, make_browser, template_db  # noqa: F401, I001
from tests.state.billing_seed import billing  # noqa: F401
