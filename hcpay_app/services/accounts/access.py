"""Which billing account the acting user may see. Every read and write goes through here."""

from __future__ import annotations

from sqlmodel import Session, select

from hcpay_app.models import BillingAccount, Member, Role
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.common.errors import NotAllowed


def member_account(session: Session, actor: SessionUser | None) -> BillingAccount:
    """The logged-in member's own billing account; never one named by the browser."""
    if actor is None or actor.role != Role.MEMBER or actor.member_id is None:
        raise NotAllowed()
    account = session.exec(
        select(BillingAccount).where(BillingAccount.member_id == actor.member_id).order_by(BillingAccount.id)
    ).first()
    if account is None:
        raise NotAllowed("We couldn't find a billing account for you. Please contact support.")
    return account


def account_member(session: Session, account: BillingAccount) -> Member:
    return session.get(Member, account.member_id)
