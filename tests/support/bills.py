"""Bills as the daily job would have issued them: a test that gives a member months of history must
not issue them all at once today (each would be dated today and due `HCPAY_MIN_DAYS_TO_PAY` days
from now), but on each month's calendar issue date, as production did."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from hcpay_app.models import BillingAccount
from hcpay_app.services.billing import invoicing
from hcpay_app.services.common import dates


def issue_as_scheduled(session: Session, account: BillingAccount, *, today: dt.date, now: dt.datetime) -> int:
    """Issue `account`'s bills the way the daily job did up to `today`: each past month's bill on its
    issue date (so it carries its calendar due date), then whatever today's run adds. Returns how
    many bills were created; the caller commits."""
    created = 0
    for month in dates.months_to_invoice(account.coverage_start, today):
        issued = dates.issue_date(month)
        if issued < today:
            created += invoicing.issue_due_invoices(session, account, today=issued, now=now)
    return created + invoicing.issue_due_invoices(session, account, today=today, now=now)
