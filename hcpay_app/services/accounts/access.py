"""What the acting user may see: their own billing account, and their own payments by reference.
Every read and write of member data goes through here; anything else reads as not found."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, select

from hcpay_app.i18n.message import Msg
from hcpay_app.models import BillingAccount, Member, Payment, Role
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.common import contact, references
from hcpay_app.services.common.errors import NotAllowed, NotFound

# session.info key: member id -> their billing account's id, found once per database session (a
# page's view asks for it from several services; a member's account never changes hands). Only the
# id is kept: the account itself comes from the session's identity map, as a query would return it.
_ACCOUNT_OF_MEMBER = "hcpay.member_account_id"


# Built once: every member event looks the account up.
_ACCOUNT_OF = (
    select(BillingAccount).where(BillingAccount.member_id == bindparam("member_id")).order_by(BillingAccount.id)
)


def member_account(session: Session, actor: SessionUser | None) -> BillingAccount:
    """The logged-in member's own billing account; never one named by the browser."""
    if actor is None or actor.role != Role.MEMBER or actor.member_id is None:
        raise NotAllowed()
    known = session.info.setdefault(_ACCOUNT_OF_MEMBER, {})
    account_id = known.get(actor.member_id)
    account = session.get(BillingAccount, account_id) if account_id is not None else None
    if account is None:
        account = session.exec(_ACCOUNT_OF, params={"member_id": actor.member_id}).first()
    if account is None:
        raise NotAllowed(contact.contact_us(Msg("We couldn't find a billing account for you.")))
    known[actor.member_id] = account.id
    return account


def account_member(session: Session, account: BillingAccount) -> Member:
    return session.get(Member, account.member_id)


def own_payment(session: Session, actor: SessionUser | None, reference: object) -> tuple[Payment, BillingAccount]:
    """A payment of the acting member's by reference; anyone else's reads as not found, exactly like
    a reference that doesn't exist (so a guessed reference tells nothing)."""
    account = member_account(session, actor)
    canonical = references.normalize(reference)
    payment = None
    if canonical:
        payment = session.exec(
            select(Payment).where(Payment.reference == canonical, Payment.billing_account_id == account.id)
        ).first()
    if payment is None:
        raise NotFound(Msg("We couldn't find a payment with that reference number on your account."))
    return payment, account
