"""A guest's receipt: the amount is pre-filled with what is due, the review words say what the payer
authorizes, and a payment that went through comes with a receipt link of its own — a random token
kept only as its hash, for that one payment, expiring — plus, when the payer asks, their own copy
of the receipt by email. No token ever opens another payment's receipt."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from hcpay_app import clock, http, routes
from hcpay_app.models import (
    BillingAccount,
    GuestReceiptToken,
    NoticeKind,
    OutboundEmail,
    Payment,
    PaymentStatus,
)
from hcpay_app.services.adapters import crypto
from hcpay_app.services.common.errors import NotFound, ValidationError
from hcpay_app.services.payments import checkout, documents, guest
from tests.unit.billing_helpers import issue_through
from tests.unit.payment_helpers import CARDS, bank, card, new_key

ACCOUNT, ZIP, DOB = "987654321", "02134", "04/15/1985"  # Renée's, from the unit conftest's roster row


@pytest.fixture
def account(session, member, today) -> BillingAccount:
    found = session.exec(select(BillingAccount).where(BillingAccount.member_id == member.id)).one()
    issue_through(session, found, today)
    return found


@pytest.fixture
def found(session, account, now, today) -> guest.GuestAccount:
    return guest.verify(
        session,
        account_number=ACCOUNT,
        zip_code=ZIP,
        date_of_birth=DOB,
        client_key="198.51.100.7",
        now=now,
        today=today,
    )


def pay(session, found, choice, *, now, today, email="", key=None, amount=2000) -> guest.GuestResult:
    return guest.submit(
        session,
        account_id=found.account_id,
        idempotency_key=key or new_key(),
        amount_cents=amount,
        choice=choice,
        now=now,
        today=today,
        payer_email=email,
    )


def pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def mail_to(session, address: str) -> list[OutboundEmail]:
    session.expire_all()
    return list(session.exec(select(OutboundEmail).where(OutboundEmail.to_address == address)).all())


# ---- pre-filled amount and the review's words ---------------------------------------------------


def test_the_amount_starts_as_what_is_due(session, account, found, today):
    due = checkout.account_options(session, account, today).amount_due_cents
    assert due > 0 and found.amount_due_cents == due
    assert found.amount_prefill == f"{due // 100}.{due % 100:02d}"


@pytest.mark.parametrize(("cents", "typed"), [(0, ""), (99, ""), (100, "1.00"), (123456, "1234.56")])
def test_nothing_due_leaves_the_amount_empty(cents, typed):
    shown = guest.GuestAccount(1, "R. O.", "", cents, 10**6, "4321")
    assert shown.amount_prefill == typed


def test_a_card_review_says_amount_date_masked_method_and_account_and_whom_to_call():
    text = guest.authorization(
        method_kind="card",
        amount_cents=51250,
        method_label="Visa ••••4242",
        account_ending="4321",
        today=dt.date(2026, 3, 10),
    )
    for part in ("$512.50", "Mar 10, 2026", "Visa ••••4242", "billing account ending 4321", "one-time charge"):
        assert part in text, part
    assert "Submit payment" in text and "1-877-555-0142" in text and "Monday to Friday" in text
    assert "987654321" not in text


def test_a_bank_review_is_a_debit_authorization_with_how_to_revoke():
    text = guest.authorization(
        method_kind="bank",
        amount_cents=2000,
        method_label="Checking ••••6789",
        account_ending="4321",
        today=dt.date(2026, 3, 10),
    )
    for part in ("one-time electronic debit of $20.00", "Checking ••••6789", "Mar 10, 2026", "ending 4321"):
        assert part in text, part
    assert "To revoke this authorization, call Customer Service at 1-877-555-0142" in text


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_the_receipt_email_is_optional(blank):
    assert guest.clean_payer_email(blank) == ""


@pytest.mark.parametrize("typed", ["not-an-email", "a@", "@example.com", "x" * 250 + "@example.com"])
def test_a_wrong_receipt_email_is_refused_next_to_its_field(typed):
    with pytest.raises(ValidationError) as caught:
        guest.clean_payer_email(typed)
    assert list(caught.value.errors) == ["payer_email"]


# ---- the receipt token --------------------------------------------------------------------------


def test_a_card_payment_comes_with_a_receipt_token_stored_only_as_its_hash(session, found, now, today):
    result = pay(session, found, card(), now=now, today=today)
    assert not result.declined and result.status == PaymentStatus.SUCCEEDED
    token = result.receipt_token
    assert len(token) >= 43
    [row] = session.exec(select(GuestReceiptToken)).all()
    payment = session.exec(select(Payment).where(Payment.reference == result.reference)).one()
    assert row.payment_id == payment.id and row.token_hash == crypto.hash_token(token) and token not in row.token_hash
    assert row.expires_at.replace(tzinfo=dt.UTC) == now + dt.timedelta(minutes=30)
    opened, account = guest.receipt_payment(session, token, now=now + dt.timedelta(minutes=29))
    assert opened.id == payment.id and account.account_number == ACCOUNT


def test_the_link_stops_working_when_it_expires(session, found, now, today):
    token = pay(session, found, card(), now=now, today=today).receipt_token
    for later in (dt.timedelta(minutes=30), dt.timedelta(days=2)):
        with pytest.raises(NotFound):
            guest.receipt_payment(session, token, now=now + later)


@pytest.mark.parametrize("bad", ["", "x", "not a token", "A" * 43, None, 12345, "../../etc/passwd"])
def test_anything_but_a_live_token_reads_as_not_found(session, found, now, today, bad):
    pay(session, found, card(), now=now, today=today)
    with pytest.raises(NotFound) as caught:
        guest.receipt_payment(session, bad, now=now)
    assert caught.value.message == guest.RECEIPT_NOT_FOUND


def test_each_token_opens_its_own_payment_only(session, found, now, today):
    first = pay(session, found, card(), now=now, today=today, amount=2000)
    second = pay(session, found, card(), now=now, today=today, amount=3000)
    assert first.receipt_token != second.receipt_token
    one, _ = guest.receipt_payment(session, first.receipt_token, now=now)
    two, _ = guest.receipt_payment(session, second.receipt_token, now=now)
    assert (one.reference, one.amount_cents) == (first.reference, 2000)
    assert (two.reference, two.amount_cents) == (second.reference, 3000)


def test_a_declined_card_gets_no_token(session, found, now, today):
    result = pay(session, found, card(CARDS["generic_decline"]), now=now, today=today, email="friend@example.com")
    assert result.declined and result.receipt_token == "" and result.emailed_to == ""
    assert session.exec(select(GuestReceiptToken)).all() == []
    assert mail_to(session, "friend@example.com") == []


def test_a_bank_debit_on_its_way_gets_a_confirmation_and_a_returned_one_opens_nothing(session, found, now, today):
    result = pay(session, found, bank(), now=now, today=today)
    assert result.status == PaymentStatus.PENDING and result.receipt_token
    name, body = documents.guest_receipt_pdf(session, result.receipt_token, now=now)
    text = pdf_text(body)
    assert name == f"receipt-{result.reference}.pdf" and "Payment confirmation" in text and "Pending" in text
    payment = session.exec(select(Payment).where(Payment.reference == result.reference)).one()
    payment.status = PaymentStatus.RETURNED
    session.add(payment)
    session.commit()
    with pytest.raises(NotFound):
        guest.receipt_payment(session, result.receipt_token, now=now)


def test_the_receipt_pdf_shows_the_payment_and_how_to_reach_us_but_not_the_member(session, found, now, today):
    result = pay(session, found, card(), now=now, today=today)
    text = pdf_text(documents.guest_receipt_pdf(session, result.receipt_token, now=now)[1])
    for part in ("Payment receipt", result.reference, "$20.00", "Visa ••••4242", "ending 4321", "Paid"):
        assert part in text, part
    assert "1-877-555-0142" in text and "Walk-in centers" in text
    for secret in ("Renée", "O’Neil", ACCOUNT, "Renee.ONeil"):
        assert secret not in text, secret


def test_a_replayed_submit_gets_a_fresh_token_for_the_same_payment_and_no_second_email(session, found, now, today):
    key, choice = new_key(), card()
    first = pay(session, found, choice, now=now, today=today, key=key, email="friend@example.com")
    again = pay(session, found, choice, now=now, today=today, key=key, email="friend@example.com")
    assert again.reference == first.reference and again.receipt_token != first.receipt_token
    assert len(mail_to(session, "friend@example.com")) == 1 and again.emailed_to == ""
    assert guest.receipt_payment(session, again.receipt_token, now=now)[0].reference == first.reference


# ---- the payer's own receipt by email ---------------------------------------------------------------


def test_the_payer_gets_their_own_receipt_and_the_holder_still_gets_theirs(session, found, member, now, today):
    result = pay(session, found, card(), now=now, today=today, email="  Friend@Example.com ")
    assert result.emailed_to == "Friend@example.com"
    [mine] = mail_to(session, "Friend@example.com")
    assert mine.kind == NoticeKind.PAYMENT_RECEIPT and result.reference in mine.subject
    for part in (result.reference, "Amount: $20.00", "Paid with: Visa ••••4242", "ending 4321"):
        assert part in mine.body, part
    for secret in ("Renée", "O’Neil", ACCOUNT, "balance"):
        assert secret not in mine.body, secret
    assert "Questions? Call Customer Service at 1-877-555-0142" in mine.body  # the mailer's footer
    holder = mail_to(session, member.email)
    assert [m.kind for m in holder] == [NoticeKind.PAYMENT_RECEIPT]


def test_a_bank_payers_email_says_it_is_on_its_way(session, found, now, today):
    pay(session, found, bank(), now=now, today=today, email="friend@example.com")
    [mine] = mail_to(session, "friend@example.com")
    assert mine.kind == NoticeKind.PAYMENT_PENDING and mine.subject.startswith("We received your")


def test_a_wrong_email_is_refused_before_anything_is_charged(session, found, now, today):
    with pytest.raises(ValidationError):
        pay(session, found, card(), now=now, today=today, email="nope")
    assert session.exec(select(Payment)).all() == []


# ---- the plain-HTTP route -------------------------------------------------------------------------


@pytest.fixture
def client(session, now):
    clock.shift(now - clock.utcnow())
    with TestClient(http.api(), base_url="http://testserver") as test_client:
        yield test_client


def test_the_route_serves_the_receipt_without_a_session_and_nothing_else(session, found, now, today, client):
    first = pay(session, found, card(), now=now, today=today)
    second = pay(session, found, card(), now=now, today=today, amount=3000)
    response = client.get(f"{routes.GUEST_RECEIPT}/{first.receipt_token}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="receipt-{first.reference}.pdf"'
    assert response.headers["cache-control"] == "no-store" and response.headers["referrer-policy"] == "no-referrer"
    text = pdf_text(response.content)
    assert first.reference in text and second.reference not in text
    for path in (
        f"{routes.GUEST_RECEIPT}/{first.reference}",  # a reference is not a token
        f"{routes.GUEST_RECEIPT}/{first.receipt_token[:-1]}",
        f"{routes.GUEST_RECEIPT}/{crypto.hash_token(first.receipt_token)}",  # nor is the stored hash
        f"{routes.GUEST_RECEIPT}/",
    ):
        assert client.get(path).status_code == 404, path
    # The member's receipt route still wants a session.
    assert client.get(f"{routes.RECEIPT}/{first.reference}", follow_redirects=False).status_code == 303


def test_the_route_refuses_an_expired_link(session, found, now, today, client):
    token = pay(session, found, card(), now=now, today=today).receipt_token
    clock.shift(dt.timedelta(minutes=31))
    response = client.get(f"{routes.GUEST_RECEIPT}/{token}")
    assert response.status_code == 404 and "expired" in response.text
