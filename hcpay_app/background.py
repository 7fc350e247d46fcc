"""Work the app does on its own while it runs: the daily job and delivering the email outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from hcpay_app import clock
from hcpay_app.config import get_settings
from hcpay_app.db import exclusive, session_scope
from hcpay_app.services.adapters import mailer
from hcpay_app.services.jobs import daily, settlement

log = logging.getLogger(__name__)
OUTBOX_INTERVAL_SECONDS = 3
# How often charges the processor left unanswered (a timeout, a rate limit) are asked again.
RECONCILE_INTERVAL_SECONDS = 60


def _deliver() -> int:
    with session_scope() as session:
        return mailer.deliver_pending(session, now=clock.utcnow())


async def outbox_worker() -> None:
    """Send queued email over SMTP every few seconds (only when SMTP is configured)."""
    if not get_settings().smtp_host:
        return
    while True:
        try:
            await asyncio.to_thread(_deliver)
        except Exception:  # noqa: BLE001 — keep the worker alive; the outbox keeps the message
            log.exception("outbox delivery failed")
        await asyncio.sleep(OUTBOX_INTERVAL_SECONDS)


def _seconds_until_next_run(hour: int) -> float:
    """Seconds from now until the configured hour (portal time) tomorrow or later today."""
    local_now = clock.utcnow().astimezone(clock.portal_zone())
    target = local_now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= local_now:
        target += dt.timedelta(days=1)
    return (target - local_now).total_seconds()


def _catch_up_unless_running_elsewhere() -> None:
    # Every backend worker runs this loop; one at a time does the job (the job is safe to run
    # twice at once, but there is no point in it).
    with exclusive("hcpay-daily-job") as leader:
        if leader:
            daily.catch_up()


async def daily_job_worker() -> None:
    """At start-up, catch up every day missed while the app was down (which also reconciles
    payments interrupted by a crash); then run the daily job at the configured hour each day.
    The job is idempotent, so a restart mid-day repeats nothing."""
    while True:
        try:
            await asyncio.to_thread(_catch_up_unless_running_elsewhere)
        except Exception:  # noqa: BLE001 — log and try again next round; the job is idempotent
            log.exception("daily job failed")
        await asyncio.sleep(max(60.0, _seconds_until_next_run(get_settings().daily_job_hour)))


def _reconcile() -> int:
    with session_scope() as session:
        return settlement.reconcile_processing(session, now=clock.utcnow(), today=clock.today())


async def reconcile_worker() -> None:
    """Every minute, finish payments whose charge got no answer, so a member who saw "processing"
    gets the result (and its email) within minutes, not at the next daily job. Safe on every worker
    at once: the processor answers a repeated key with its first answer, and only one finisher
    records it."""
    while True:
        await asyncio.sleep(RECONCILE_INTERVAL_SECONDS)
        try:
            await asyncio.to_thread(_reconcile)
        except Exception:  # noqa: BLE001 — the payments stay "processing" for the next round
            log.exception("reconciling unanswered charges failed")
