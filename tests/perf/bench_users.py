"""Members with verified log-ins for the benchmarks, created through the real services."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlmodel import select

from hcpay_app import clock, migrations
from hcpay_app.config import get_settings
from hcpay_app.db import session_scope
from hcpay_app.models import OutboundEmail
from hcpay_app.services.accounts import registration
from hcpay_app.services.jobs import roster

PASSWORD = "Copper-Meadow-Violin-73"


def make_user(n: int = 0) -> dict:
    """The n-th bench member (distinct member id, SSN, email, account), registered and verified."""
    ssn, email, username = f"2195{50199 + n:05d}", f"bench{n}@example.com", f"bench.payer{n}"
    row = roster.RosterRow(
        n + 1,
        f"9{n + 1:011d}",
        "Bench",
        "Payer",
        dt.date(1980, 1, 1),
        ssn,
        email,
        "02110",
        f"8{n + 1:08d}",
        "Silver",
        45000,
        False,
        clock.today(),
    )
    now = clock.utcnow()
    with session_scope() as session:
        roster.apply_rows(session, [row], roster.ImportReport(), now)
        pending = registration.start(
            session,
            first_name="Bench",
            last_name="Payer",
            date_of_birth="1980-01-01",
            ssn=ssn,
            email=email,
            client_key=f"bench{n}",
            now=now,
            today=clock.today(),
        )
        registration.choose_credentials(session, pending_id=pending, username=username, password=PASSWORD, now=now)
        body = session.exec(
            select(OutboundEmail.body)
            .where(OutboundEmail.kind == "verification_code", OutboundEmail.to_address == email)
            .order_by(OutboundEmail.id.desc())
        ).first()
        code = body.split("verification code is ")[1][:6]
        registration.verify(session, pending_id=pending, code=code, ip="bench", now=now)
    return {"username": username, "password": PASSWORD}


def app_settings(monkeypatch, tmp: Path, port: int, *, bcrypt_cost: int) -> dict[str, str]:
    """Point this process and the app it will start at a fresh migrated database; returns the app's env."""
    base = f"http://127.0.0.1:{port}"
    env = {
        "HCPAY_ENV": "test",
        "DATABASE_URL": f"sqlite:///{tmp / 'app.db'}",
        "HCPAY_SECRETS_FILE": str(tmp / "secrets.json"),
        "HCPAY_BASE_URL": base,
        "HCPAY_CORS_ORIGINS": base,
        "HCPAY_BCRYPT_COST": str(bcrypt_cost),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    migrations.upgrade()
    return env
