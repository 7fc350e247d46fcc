"""Guest payment: verify a billing account without logging in, then pay by card or bank."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.services.common import money
from hcpay_app.services.common.errors import DomainError
from hcpay_app.services.payments import checkout, guest, method_validation
from hcpay_app.state import method_form
from hcpay_app.state.base import ServiceState, client_ip, form_text


class GuestState(ServiceState, rx.State):
    """Holds only the verified account's id (backend-only) and what may be shown: initials and
    the amount due."""

    step: str = "verify"  # verify | pay | review | done
    errors: dict[str, str] = {}
    message: str = ""
    processing: bool = False
    initials: str = ""
    amount_due: str = ""
    method_kind: str = "card"
    amount_text: str = ""
    method_label: str = ""
    reference: str = ""
    result_status: str = ""
    _account_id: int | None = None
    _maximum: int = 0
    _amount_cents: int = 0
    _choice: checkout.MethodChoice | None = None
    _idempotency_key: str = ""

    async def _pick(self, form_data: object) -> tuple[int, checkout.MethodChoice]:
        cents = method_validation.clean_amount(form_text(form_data, "amount"), maximum_cents=self._maximum)
        return cents, await method_form.tokenize(self.method_kind, form_data, save=False)

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
            self.initials, self.amount_due = found.initials, found.amount_due
            self.errors, self.message, self.step = {}, "", "pay"

    @rx.event
    async def choose(self, form_data: dict):
        if self._account_id is None:
            return
        call = self._call(self._pick, busy=True, form_data=form_data)
        async for event in call:
            yield event
        if call.ok:
            self._amount_cents, self._choice = call.value
            self.amount_text, self.method_label = money.format_cents(self._amount_cents), self._choice.label
            self._idempotency_key = checkout.new_idempotency_key()
            self.step = "review"

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
        )
        if not call.ok:
            return
        result = call.value
        if result.declined:
            self.message, self._choice, self.step = result.message, None, "pay"
            return
        self.reference, self.result_status, self.step = result.reference, result.status_label, "done"
        self._choice, self._account_id, self._idempotency_key = None, None, ""
