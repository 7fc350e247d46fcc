"""Guest payment: verify a billing account without logging in, then pay by card or bank."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock, routes
from hcpay_app.config import get_settings
from hcpay_app.i18n.message import Msg, join
from hcpay_app.services.common import dates, money, validators
from hcpay_app.services.common.errors import DomainError, FieldChecks, ValidationError
from hcpay_app.services.payments import checkout, guest, method_validation
from hcpay_app.state import method_form
from hcpay_app.state.base import ServiceState, client_ip, form_text, page_language, payer_of, t
from hcpay_app.state.form_errors import FieldCheck, FieldRecheck


class GuestState(FieldRecheck, ServiceState, rx.State):
    """Holds only the verified account's id (backend-only) and what may be shown: initials and
    the amount due.

    The details form stays on the page (hidden) while the payer reviews, so Edit brings back
    everything they typed — the card or bank numbers included — without any of it passing through
    state."""

    step: str = "verify"  # verify | pay | review | done
    errors: dict[str, str] = {}
    message: str = ""
    processing: bool = False
    initials: str = ""
    amount_due: str = ""
    amount_prefill: str = ""  # what is due, as the amount field starts ("800.00")
    method_kind: str = "card"
    amount_text: str = ""
    method_label: str = ""
    payment_date: str = ""
    authorization: str = ""
    receipt_email: str = ""  # where the payer asked for their own receipt ("" for none)
    reference: str = ""
    result_status: str = ""
    result_detail: str = ""
    receipt_url: str = ""
    receipt_note: str = ""
    _account_id: int | None = None
    _account_ending: str = ""
    _maximum: int = 0
    _amount_cents: int = 0
    _payer_email: str = ""
    _choice: checkout.MethodChoice | None = None
    _idempotency_key: str = ""

    def _field_check(self, name: str) -> FieldCheck | None:
        """A field of the step on screen, by the validators its submit runs."""
        if self.step == "verify":
            return {
                "account_number": lambda value, _: guest.clean_account_number(value),
                "zip_code": lambda value, _: guest.clean_zip(value),
                "date_of_birth": lambda value, _: validators.parse_date(value, "date_of_birth", "date of birth"),
            }.get(name)
        if name == "amount":
            maximum = self._maximum
            return lambda value, _: method_validation.clean_amount(value, maximum_cents=maximum)
        if name == "payer_email":
            return lambda value, _: guest.clean_payer_email(value)
        return method_form.field_checks(self.method_kind).get(name)

    async def _pick(self, form_data: object) -> tuple[int, str, checkout.MethodChoice]:
        """The amount, the payer's email and the tokenized method — every field's mistake at once."""
        checks = FieldChecks()
        cents = checks.run(
            lambda: method_validation.clean_amount(form_text(form_data, "amount"), maximum_cents=self._maximum), 0
        )
        email = checks.run(lambda: guest.clean_payer_email(form_text(form_data, "payer_email")), "")
        choice = None
        try:
            choice = await method_form.tokenize(self.method_kind, form_data, save=False)
        except ValidationError as exc:
            checks.errors.update(exc.errors)
        checks.raise_if_any()
        return cents, email, choice

    def _not_paid(self, exc: DomainError) -> None:
        if isinstance(exc, guest.CoverageEnded):
            # Nothing to retry: forget the account and the card token, and say why at the start.
            self.reset()
        self.message = exc.message

    @rx.event
    def start(self):
        self.reset()

    @rx.event
    def pick_method_kind(self, value: str):
        self.method_kind = value if value in ("card", "bank") else "card"

    @rx.event
    async def verify(self, form_data: dict):
        call = await self._call(
            guest.verify,
            account_number=form_text(form_data, "account_number"),
            zip_code=form_text(form_data, "zip_code"),
            date_of_birth=form_text(form_data, "date_of_birth"),
            client_key=client_ip(self),
            now=clock.utcnow(),
            today=clock.today(),
        )
        if call.ok:
            found = call.value
            self._account_id, self._maximum = found.account_id, found.maximum_cents
            self._account_ending = found.account_ending
            self.initials, self.amount_due = found.initials, found.amount_due
            self.amount_prefill = found.amount_prefill
            self.errors, self.message, self.step = {}, "", "pay"

    @rx.event
    async def choose(self, form_data: dict):
        if self._account_id is None or self.step not in ("pay", "review"):
            return
        call = self._call(self._pick, busy=True, form_data=form_data)
        async for event in call:
            yield event
        if call.ok:
            self._amount_cents, self._payer_email, self._choice = call.value
            today = clock.today()
            self.amount_text, self.method_label = money.format_cents(self._amount_cents), t(self, self._choice.label)
            self.payment_date, self.receipt_email = t(self, dates.short_date(today)), self._payer_email
            self.authorization = t(
                self,
                guest.authorization(
                    method_kind=self._choice.kind,
                    amount_cents=self._amount_cents,
                    method_label=self._choice.label,
                    account_ending=self._account_ending,
                    today=today,
                ),
            )
            self._idempotency_key = checkout.new_idempotency_key()
            self.step = "review"

    @rx.event
    def edit(self):
        """Back from the review to the details, as typed (the form was only hidden)."""
        if self.step != "review" or self.processing:
            return
        self._choice, self._idempotency_key, self.message, self.step = None, "", "", "pay"

    @rx.event
    async def submit(self):
        if self.step != "review" or self._choice is None or self._account_id is None:
            return
        call = await self._call(
            guest.submit,
            busy=True,
            on_error=self._not_paid,
            account_id=self._account_id,
            idempotency_key=self._idempotency_key,
            amount_cents=self._amount_cents,
            choice=self._choice,
            now=clock.utcnow(),
            today=clock.today(),
            payer_email=self._payer_email,
            payer=payer_of(self),
            language=page_language(self),
        )
        if not call.ok:
            return
        result = call.value
        if result.declined:
            self.message, self._choice, self.step = result.message, None, "pay"
            return
        self.reference, self.result_status, self.result_detail = result.reference, result.status_label, result.message
        self.amount_text, self.payment_date = result.amount, result.payment_date
        self.receipt_url = f"{routes.GUEST_RECEIPT}/{result.receipt_token}" if result.receipt_token else ""
        self.receipt_note = t(self, _receipt_note(result))
        self.step = "done"
        self._choice, self._account_id, self._idempotency_key, self._payer_email = None, None, "", ""


def _receipt_note(result: guest.GuestResult) -> Msg:
    """Where the receipt went (in English; the state shows it in the page's language)."""
    minutes = max(get_settings().guest_receipt_ttl // 60, 1)
    link = (
        Msg.plural(
            "The receipt link works for {count} minute: download it now to keep it.",
            "The receipt link works for {count} minutes: download it now to keep it.",
            minutes,
        )
        if result.receipt_token
        else ""
    )
    emailed = (
        Msg("We've emailed a copy to {email}, and one to the account holder.", email=result.emailed_to)
        if result.emailed_to
        else Msg("We've emailed a copy to the account holder.")
    )
    return join(" ", [part for part in (link, emailed) if part])
