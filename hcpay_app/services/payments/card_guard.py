"""Card testing stops here: a card tester tries stolen numbers one after another and reads the
declines. Declines are counted per browser session, per billing account, per client address and
per card (a keyed fingerprint of the number, never the number), and once any count reaches its cap
the next payment or card check is refused before it reaches the processor. Make a Payment, guest
pay and saving a method all pass through `check` and `record_decline`.

Guests see one generic decline message (`GUEST_DECLINED`): why a card failed (wrong code,
insufficient funds) is exactly what a card tester wants to learn.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session

from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Msg
from hcpay_app.services.adapters import crypto
from hcpay_app.services.common import ratelimit
from hcpay_app.services.common.errors import RateLimited

TOO_MANY_DECLINES = Msg(
    "For your security, we can't take another card payment right now after several were declined. "
    "Please try again later, pay by bank account, or contact support."
)
GUEST_DECLINED = Msg(
    "We couldn't complete this payment. Check the details you entered, or use another card or a bank account."
)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class Payer:
    """Who is paying, as far as card testing is concerned. `session_key` is the browser's session
    (the member's log-in session, or a guest's client token); every field is server-side."""

    session_key: str
    ip: str
    account_id: int | None = None
    card_fingerprint: str = ""


def fingerprint(card_digits: str) -> str:
    return crypto.card_fingerprint(card_digits) if card_digits else ""


def _caps(payer: Payer) -> list[tuple[str, int, dt.timedelta]]:
    settings = get_settings()
    caps = [
        (f"declines-session:{payer.session_key}", settings.declines_per_session, DAY),
        (f"declines-ip:{payer.ip}", settings.declines_per_address_per_hour, HOUR),
    ]
    if payer.account_id is not None:
        caps.append((f"declines-account:{payer.account_id}", settings.declines_per_account_per_hour, HOUR))
    if payer.card_fingerprint:
        caps.append((f"declines-card:{payer.card_fingerprint}", settings.declines_per_card_per_day, DAY))
    return caps


def check(session: Session, payer: Payer, *, now: dt.datetime) -> None:
    """Refuse (RateLimited) when any decline count of this payer has reached its cap."""
    if ratelimit.any_reached(session, _caps(payer), now=now):
        raise RateLimited(TOO_MANY_DECLINES)


def record_decline(session: Session, payer: Payer, *, now: dt.datetime) -> None:
    """Count a decline against every cap of this payer (in the caller's transaction)."""
    for bucket, _cap, _window in _caps(payer):
        ratelimit.hit(session, bucket, now=now)
