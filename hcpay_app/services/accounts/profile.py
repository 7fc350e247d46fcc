"""What a logged-in member sees about themselves — display-ready, secrets already masked."""

from __future__ import annotations

import dataclasses

from sqlmodel import Session, select

from hcpay_app.i18n import languages
from hcpay_app.i18n.message import Dated, Msg
from hcpay_app.models import BillingAccount, CoverageStatus, Member, User
from hcpay_app.services.accounts.authn import SessionUser
from hcpay_app.services.adapters import crypto
from hcpay_app.services.common import money
from hcpay_app.services.common.errors import NotAllowed

COVERAGE_WORDS = {
    CoverageStatus.PENDING_FIRST_PAYMENT: Msg("Pending first payment"),
    CoverageStatus.ACTIVE: Msg("Active"),
    CoverageStatus.IN_GRACE: Msg("In grace period"),
    CoverageStatus.TERMINATED: Msg("Terminated"),
}


@dataclasses.dataclass(frozen=True)
class MemberOverview:
    first_name: str
    full_name: str
    username: str
    member_number: str
    masked_ssn: str
    masked_email: str
    date_of_birth: str
    account_number: str
    plan_name: str
    monthly_premium: str
    coverage_status: str


def overview(session: Session, actor: SessionUser) -> MemberOverview:
    """The acting member's own profile and billing account."""
    user = session.get(User, actor.user_id)
    if user is None or user.member_id is None:
        raise NotAllowed()
    member = session.get(Member, user.member_id)
    account = session.exec(
        select(BillingAccount).where(BillingAccount.member_id == member.id).order_by(BillingAccount.id)
    ).first()
    return MemberOverview(
        first_name=member.first_name,
        full_name=f"{member.first_name} {member.last_name}",
        username=user.username,
        member_number=member.member_number,
        masked_ssn=crypto.mask_ssn(member.ssn_last4),
        masked_email=crypto.mask_email(user.email),
        date_of_birth=Dated(member.date_of_birth),
        account_number=account.account_number if account else "",
        plan_name=account.plan_name if account else "",
        monthly_premium=money.format_cents(account.monthly_premium_cents) if account else "",
        coverage_status=COVERAGE_WORDS.get(account.coverage_status, "") if account else "",
    )


def set_language(session: Session, actor: SessionUser, language: str) -> None:
    """Keep the language the member chose on their login: it follows them to any device and is the
    language of their emails and documents."""
    chosen = languages.parse(language)
    if chosen is None:
        return
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotAllowed()
    if user.language != chosen:
        user.language = chosen
        session.add(user)
        session.commit()


def language_of(session: Session, user_id: int) -> str:
    """The language one member reads (for an email or a document sent to them)."""
    found = session.exec(select(User.language).where(User.id == user_id)).first()
    return str(found or languages.DEFAULT)
