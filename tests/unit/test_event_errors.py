"""A failing event handler is logged by type and place, never with its message (which can carry
what the member typed), and sends nothing to the browser."""

from __future__ import annotations

import logging

from hcpay_app.event_errors import log_handler_failure

# A function that looks, to the traceback, as if it lived in the app's own code.
_scope: dict = {}
exec(compile("def parse(ssn):\n    return int(ssn)\n", "/srv/hcpay_app/services/fake.py", "exec"), _scope)
parse = _scope["parse"]


def test_the_log_names_the_failure_and_where_but_not_the_value(caplog):
    try:
        parse("219-55-0123")
    except ValueError as exc:
        with caplog.at_level(logging.ERROR, logger="hcpay_app.events"):
            assert log_handler_failure(exc) is None
    logged = caplog.text
    assert "event handler failed: ValueError" in logged and "fake.py:2 in parse" in logged
    assert "219-55-0123" not in logged and "invalid literal" not in logged


def test_an_event_reflex_refuses_before_our_code_is_a_warning(caplog):
    try:
        int("not a number")  # raised here, in the test module: not under hcpay_app/
    except ValueError as exc:
        with caplog.at_level(logging.WARNING, logger="hcpay_app.events"):
            log_handler_failure(exc)
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "malformed event refused: ValueError" in caplog.text
