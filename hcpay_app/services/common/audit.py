"""The audit trail: one row per security-relevant action, never a secret in it."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from hcpay_app.models import AuditEvent


def record(
    session: Session,
    action: str,
    *,
    now: dt.datetime,
    actor_user_id: int | None = None,
    subject_user_id: int | None = None,
    ip: str | None = None,
    detail: str = "",
) -> None:
    """Add an audit row to the caller's transaction (committed with the change it describes)."""
    session.add(
        AuditEvent(
            at=now,
            action=action,
            actor_user_id=actor_user_id,
            subject_user_id=subject_user_id,
            ip=(ip or None) and ip[:64],
            detail=detail[:500],
        )
    )
