"""What happens when an event handler raises: a bug, or a client calling a handler with arguments
no page sends.

Reflex's default logs the exception's message and sends a toast. Messages can carry what the
member typed (an SSN in a ValueError), so the log gets the exception type and where it was raised,
never the message; the browser gets nothing (a server-sent toast is a script our CSP blocks anyway).
"""

from __future__ import annotations

import logging
import traceback

log = logging.getLogger("hcpay_app.events")


def where(exception: BaseException) -> str:
    """The frames of the traceback as file:line in function, innermost last, without any values."""
    frames = traceback.extract_tb(exception.__traceback__)
    return " <- ".join(
        f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} in {frame.name}" for frame in reversed(frames[-6:])
    )


def raised_in_our_code(exception: BaseException) -> bool:
    return any("/hcpay_app/" in frame.filename for frame in traceback.extract_tb(exception.__traceback__))


def log_handler_failure(exception: Exception) -> None:
    if raised_in_our_code(exception):
        log.error("event handler failed: %s at %s", type(exception).__name__, where(exception))
    else:
        # Reflex refused the event before any handler of ours ran (arguments of the wrong type, a
        # var or handler that doesn't exist): what no page sends, so a forged call, not a bug.
        log.warning("malformed event refused: %s at %s", type(exception).__name__, where(exception))
    return None
