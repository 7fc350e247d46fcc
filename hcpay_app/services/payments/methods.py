"""Saved payment methods (Settings → Payment methods): the processor's token plus what a member
needs to recognise the method — never a full card or account number."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from sqlmodel import Session, select

from hcpay_app.i18n.message import Msg
from hcpay_app.models import (
    AutopayMandate,
    MandateStatus,
    Payment,
    PaymentMethod,
    PaymentPlan,
    PaymentStatus,
    PlanStatus,
    User,
)
from hcpay_app.services.accounts import authn
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.adapters.processor import Token
from hcpay_app.services.common import audit
from hcpay_app.services.common.errors import NotAllowed, NotFound, ValidationError

REAUTH_AFTER = dt.timedelta(minutes=10)


@dataclasses.dataclass(frozen=True)
class MethodView:
    id: int
    kind: str
    label: str
    nickname: str
    expires: str
    is_default: bool


def label(kind: str, brand: str, last4: str) -> str:
    """Exactly what the method is: "Visa ••••4242" or "Checking ••••6789" (a bank account's brand
    is its account type); "Card ••••4242" or "Bank account ••••6789" when the brand is unknown."""
    name = brand.strip() if isinstance(brand, str) else ""
    if not name:
        name = "Bank account" if kind == "bank" else "Card"
    return f"{name} ••••{last4}"


def _own(session: Session, actor: SessionUser, method_id: object) -> PaymentMethod:
    if actor is None or actor.member_id is None:
        raise NotAllowed()
    method = session.get(PaymentMethod, method_id) if type(method_id) is int and 0 < method_id < 2**62 else None
    if method is None or method.user_id != actor.user_id or method.removed_at is not None:
        raise NotFound(Msg("We couldn't find that payment method."))
    return method


def needs_recent_login(actor: SessionUser, now: dt.datetime) -> bool:
    """Adding a method needs a log-in within the last 10 minutes."""
    return now - actor.session_started_at > REAUTH_AFTER


def confirm_recent_login(session: Session, actor: SessionUser, password: object, now: dt.datetime) -> None:
    """Sensitive changes need a log-in within 10 minutes, or the password again."""
    if not needs_recent_login(actor, now):
        return
    user = session.get(User, actor.user_id)
    if not authn.check_password_again(session, user, password, now=now):
        raise ValidationError({"password": Msg("Enter your current password to add a payment method.")})


def add(session: Session, actor: SessionUser, token: Token, *, nickname: object, now: dt.datetime) -> MethodView:
    """Settings → Payment methods → add: save a tokenized method and commit."""
    method = save(session, actor, token, nickname=nickname if isinstance(nickname, str) else "", now=now)
    session.commit()
    return view(method)


def list_methods(session: Session, actor: SessionUser) -> list[MethodView]:
    if actor is None or actor.member_id is None:
        raise NotAllowed()
    rows = session.exec(
        select(PaymentMethod)
        .where(PaymentMethod.user_id == actor.user_id, PaymentMethod.removed_at.is_(None))
        .order_by(PaymentMethod.is_default.desc(), PaymentMethod.id)
    ).all()
    return [view(m) for m in rows]


def view(method: PaymentMethod) -> MethodView:
    expires = f"{method.exp_month:02d}/{method.exp_year % 100:02d}" if method.exp_month and method.exp_year else ""
    return MethodView(
        method.id,
        method.kind,
        label(method.kind, method.brand, method.last4),
        method.nickname,
        expires,
        method.is_default,
    )


def save(
    session: Session,
    actor: SessionUser,
    token: Token,
    *,
    nickname: str = "",
    now: dt.datetime,
    make_default: bool = False,
) -> PaymentMethod:
    """Keep a tokenized method for later (in the caller's transaction). The first one is the default."""
    if actor is None or actor.member_id is None:
        raise NotAllowed()
    has_any = (
        session.exec(
            select(PaymentMethod.id).where(PaymentMethod.user_id == actor.user_id, PaymentMethod.removed_at.is_(None))
        ).first()
        is not None
    )
    method = PaymentMethod(
        user_id=actor.user_id,
        kind=token.kind,
        processor_token=token.token,
        brand=token.brand,
        last4=token.last4,
        exp_month=token.exp_month,
        exp_year=token.exp_year,
        nickname=_clean_nickname(nickname),
        is_default=not has_any,
        created_at=now,
    )
    session.add(method)
    session.flush()
    if make_default:
        _make_default(session, actor, method)
    audit.record(
        session,
        "payment_method_added",
        now=now,
        actor_user_id=actor.user_id,
        subject_user_id=actor.user_id,
        detail=label(method.kind, method.brand, method.last4),
    )
    return method


def _clean_nickname(raw: object) -> str:
    value = " ".join(raw.split())[:40] if isinstance(raw, str) else ""
    if any(ch in value for ch in "<>") or re.search(r"[0-9](?:[ -]?[0-9]){6,}", value):
        raise ValidationError({"nickname": Msg("Use a short name without long numbers, like “My Visa”.")})
    return value


def rename(session: Session, actor: SessionUser, method_id: object, nickname: object) -> None:
    method = _own(session, actor, method_id)
    method.nickname = _clean_nickname(nickname)
    session.add(method)
    session.commit()


def _make_default(session: Session, actor: SessionUser, method: PaymentMethod) -> None:
    for other in session.exec(select(PaymentMethod).where(PaymentMethod.user_id == actor.user_id)).all():
        other.is_default = other.id == method.id
        session.add(other)


def set_default(session: Session, actor: SessionUser, method_id: object) -> None:
    _make_default(session, actor, _own(session, actor, method_id))
    session.commit()


def in_use(session: Session, method: PaymentMethod) -> str:
    """Why a method can't be removed right now, or ""."""
    scheduled = session.exec(
        select(Payment.id).where(Payment.payment_method_id == method.id, Payment.status == PaymentStatus.SCHEDULED)
    ).first()
    if scheduled is not None:
        return Msg("A scheduled payment uses this method. Cancel it or choose another method for it first.")
    autopay = session.exec(
        select(AutopayMandate.id).where(
            AutopayMandate.payment_method_id == method.id, AutopayMandate.status != MandateStatus.CANCELED
        )
    ).first()
    if autopay is not None:
        return Msg("Automatic Payments use this method. Choose another method for them first.")
    plan = session.exec(
        select(PaymentPlan.id).where(
            PaymentPlan.payment_method_id == method.id, PaymentPlan.status == PlanStatus.ACTIVE
        )
    ).first()
    if plan is not None:
        return Msg("Your payment plan uses this method. Choose another method for it first.")
    return ""


def remove(
    session: Session, actor: SessionUser, method_id: object, *, now: dt.datetime, replacement_id: object = None
) -> None:
    """Remove a method; refused while something uses it, unless a replacement takes over."""
    method = _own(session, actor, method_id)
    if replacement_id is not None:
        replacement = _own(session, actor, replacement_id)
        if replacement.id == method.id:
            raise ValidationError({"replacement": Msg("Choose a different method.")})
        for payment in session.exec(
            select(Payment).where(Payment.payment_method_id == method.id, Payment.status == PaymentStatus.SCHEDULED)
        ).all():
            payment.payment_method_id, payment.processor_token = replacement.id, replacement.processor_token
            payment.method_label = label(replacement.kind, replacement.brand, replacement.last4)
            session.add(payment)
        for holder in [
            *session.exec(select(AutopayMandate).where(AutopayMandate.payment_method_id == method.id)).all(),
            *session.exec(select(PaymentPlan).where(PaymentPlan.payment_method_id == method.id)).all(),
        ]:
            holder.payment_method_id = replacement.id
            session.add(holder)
        session.flush()
    reason = in_use(session, method)
    if reason:
        raise ValidationError({"method": reason})
    method.removed_at, method.is_default = now, False
    session.add(method)
    remaining = session.exec(
        select(PaymentMethod).where(
            PaymentMethod.user_id == actor.user_id, PaymentMethod.removed_at.is_(None), PaymentMethod.id != method.id
        )
    ).all()
    if remaining and not any(m.is_default for m in remaining):
        remaining[0].is_default = True
        session.add(remaining[0])
    audit.record(
        session,
        "payment_method_removed",
        now=now,
        actor_user_id=actor.user_id,
        subject_user_id=actor.user_id,
        detail=label(method.kind, method.brand, method.last4),
    )
    session.commit()
