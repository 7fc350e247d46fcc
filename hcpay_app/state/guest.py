"""Guest payment: verify a billing account without logging in, then pay by card or bank."""

from __future__ import annotations

import reflex as rx

from hcpay_app import clock
from hcpay_app.services.payments import checkout, guest, method_validation
from hcpay_app.services.common import money
from hcpay_app.services.common.errors import DomainError, ValidationError
from hcpay_app.state import method_form
from hcpay_app.state.base import call_service, client_ip, form_text


class GuestState(rx.State):
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

    @rx.event
    def start(self):
        self.reset()

    @rx.event
    def pick_method_kind(self, value: str):
        self.method_kind = value if value in ("card", "bank") else "card"

    @rx.event
    async def verify(self, form_data: dict):
        try:
            found = await call_service(guest.verify, account_number=form_text(form_data, "account_number"),
                                       zip_code=form_text(form_data, "zip_code"),
                                       date_of_birth=form_text(form_data, "date_of_birth"), client_key=client_ip(self),
                                       now=clock.utcnow(), today=clock.today())
        except ValidationError as exc:
            self.errors, self.message = dict(exc.errors), ""
            return
        except DomainError as exc:
            self.errors, self.message = {}, exc.message
            return
        self._account_id, self._maximum = found.account_id, found.maximum_cents
        self.initials, self.amount_due = found.initials, found.amount_due
        self.errors, self.message, self.step = {}, "", "pay"

    @rx.event
    async def choose(self, form_data: dict):
        if self._account_id is None or self.processing:
            return
        self.processing, self.errors, self.message = True, {}, ""
        yield
        try:
            cents = method_validation.clean_amount(form_text(form_data, "amount"), maximum_cents=self._maximum)
            choice = await method_form.tokenize(self.method_kind, form_data, save=False)
        except ValidationError as exc:
            self.errors = dict(exc.errors)
            return
        finally:
            self.processing = False
        self._amount_cents, self._choice = cents, choice
        self.amount_text, self.method_label = money.format_cents(cents), choice.label
        self._idempotency_key = checkout.new_idempotency_key()
        self.step = "review"

    @rx.event
    async def submit(self):
        if self.processing or self.step != "review" or self._choice is None or self._account_id is None:
            return
        self.processing, self.message = True, ""
        try:
            result = await call_service(guest.submit, account_id=self._account_id,
                                        idempotency_key=self._idempotency_key, amount_cents=self._amount_cents,
                                        choice=self._choice, now=clock.utcnow(), today=clock.today())
        except guest.CoverageEnded as exc:
            # Nothing to retry: forget the account and the card token, and say why at the start.
            self.reset()
            self.message = exc.message
            return
        except DomainError as exc:
            self.message = exc.message
            return
        finally:
            self.processing = False
        if result.declined:
            self.message, self._choice, self.step = result.message, None, "pay"
            return
        self.reference, self.result_status, self.step = result.reference, result.status_label, "done"
        self._choice, self._account_id, self._idempotency_key = None, None, ""
