"""Asking the processor for a charge through a network that may refuse the call or time out.

A timed-out charge is asked again with the same idempotency key: the processor returns the first
answer, or charges once if the first call never arrived. A rate-limited one waits as long as the
processor asks. If no answer comes even so, the payment stays "processing" and the reconciler asks
again later (`jobs.settlement.reconcile_processing`): a charge is never doubled and never lost."""

from __future__ import annotations

import datetime as dt
import logging
import time

from hcpay_app.services.adapters.processor import (
    ChargeResult,
    Processor,
    ProcessorBusy,
    ProcessorTimedOut,
)

log = logging.getLogger(__name__)

# Asking again at once after a timeout, then twice as long each time.
TIMEOUT_RETRIES = 2
TIMEOUT_BACKOFF_SECONDS = 0.25
# Rate-limited calls wait the processor's "retry after", up to a bound each.
BUSY_RETRIES = 6
MAX_BUSY_WAIT_SECONDS = 2.0
_sleep = time.sleep  # tests wait on their own clock


def charge(
    processor: Processor,
    token: str,
    amount_cents: int,
    idempotency_key: str,
    now: dt.datetime,
) -> ChargeResult | None:
    """The processor's answer for this key, or None when it gave none (ask again later)."""
    timeouts = busy = 0
    while True:
        try:
            return processor.charge(token, amount_cents, idempotency_key, now)
        except ProcessorBusy as refused:
            busy += 1
            if busy > BUSY_RETRIES:
                log.warning("processor rate limit: %s left for the reconciler", idempotency_key)
                return None
            _sleep(min(refused.retry_after, MAX_BUSY_WAIT_SECONDS))
        except ProcessorTimedOut:
            timeouts += 1
            if timeouts > TIMEOUT_RETRIES:
                log.warning("processor timed out %d times: %s left for the reconciler", timeouts, idempotency_key)
                return None
            _sleep(TIMEOUT_BACKOFF_SECONDS * 2 ** (timeouts - 1))
