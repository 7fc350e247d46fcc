"""Make a Payment: amount and date → method → review → confirmation.

Card and bank numbers are read once from the submitted form, tokenized by the processor and
dropped: only the token (backend-only) and a masked label survive between steps. The idempotency
key is created when the review step opens, so double taps and retries make one payment. Back works
from every step; the page keeps each step's form mounted, so what was typed stays.
"""

from __future__ import annotations

import datetime as dt

import reflex as rx

from hcpay_app import clock, routes
from hcpay_app.i18n.message import Msg, join
from hcpay_app.models import PaymentStatus
from hcpay_app.services.common import dates, money
from hcpay_app.services.common.errors import DomainError, NotFound
from hcpay_app.services.payments import checkout, method_validation, methods, templates
from hcpay_app.services.payments.methods import MethodView
from hcpay_app.state import method_form
from hcpay_app.state.base import (
    call_service,
    form_flag,
    form_text,
    localize,
    localized_route,
    one_session_per_event,
    page_language,
    parse_id,
    payer_of,
    t,
)
from hcpay_app.state.form_errors import FieldCheck, FieldRecheck
from hcpay_app.state.session import MemberState, holds_member_data

STEPS = ("amount", "method", "review", "done")


def _saved_choice(saved: list[MethodView]) -> str:
    """The saved-method choice, named exactly: "Visa ••••4242 · Everyday", or "Saved: Visa ••••4242
    or Checking ••••6789" above the list to pick from (a `Msg`: the state translates it; the labels
    in it are the methods' own, already in the member's language)."""
    if len(saved) == 1:
        if saved[0].nickname:
            return Msg("{method} · {nickname}", method=saved[0].label, nickname=saved[0].nickname)
        return saved[0].label
    if not saved:
        return ""
    if len(saved) == 2:
        return Msg("Saved: {first} or {last}", first=saved[0].label, last=saved[1].label)
    return Msg("Saved: {methods} or {last}", methods=join(", ", [m.label for m in saved[:-1]]), last=saved[-1].label)


AMOUNT_CHOICES = ("due", "past_due", "current", "all", "first_premium", "other")


@holds_member_data
class PayState(FieldRecheck, MemberState, rx.State):
    loaded: bool = False
    step: str = "amount"
    errors: dict[str, str] = {}
    message: str = ""
    processing: bool = False
    # Step 1
    account_number: str = ""
    amount_due: str = ""
    past_due: str = ""
    has_amount_due: bool = False
    has_past_due: bool = False
    maximum: str = ""
    today_iso: str = ""
    latest_iso: str = ""
    amount_choice: str = "due"
    other_amount: str = ""
    # The itemised choices (the money summary's figures, worded by payments.templates)
    past_due_label: str = ""
    shows_past_due: bool = False
    has_current: bool = False
    current_label: str = ""
    shows_owed: bool = False
    owed_label: str = ""
    has_first_premium: bool = False
    first_premium_label: str = ""
    payment_date: str = ""
    # Step 2 (never a card number, CVC or account number)
    saved_methods: list[MethodView] = []
    saved_choice_label: str = ""
    method_kind: str = "card"
    selected_method: str = ""
    card_name: str = ""
    billing_zip: str = ""
    expiry: str = ""
    account_name: str = ""
    account_type: str = "checking"
    can_save: bool = False
    expiry_key: int = 0  # re-draws the expiry field once it is shown as MM/YY
    method_form_key: int = 0  # a new method form (empty card number and CVC) after a decline
    # Review and result
    amount_text: str = ""
    date_text: str = ""
    is_scheduled: bool = False
    method_label: str = ""
    is_bank: bool = False
    submit_label: str = "Submit payment"
    authorization: str = ""
    warnings: list[str] = []
    invoices: list[str] = []
    reference: str = ""
    reference_copied: bool = False  # "Copy reference number" was tapped: said on the page, in its language
    result_status: str = ""
    result_message: str = ""
    confirmation_heading: str = ""
    email_note: str = ""
    balance_left: str = ""
    next_due: str = ""
    receipt_url: str = ""
    autopay_on: bool = True
    _amount_cents: int = 0
    _maximum_cents: int = 0
    _payment_date: str = ""
    _choice: checkout.MethodChoice | None = None
    _idempotency_key: str = ""

    def _method_refused(self, exc: DomainError) -> None:
        if isinstance(exc, NotFound):
            self.errors = {"saved_method": exc.message}
        else:
            self._show_error(exc)

    def _not_paid(self, exc: DomainError) -> None:
        """Nothing was charged: say why; a retry of this review gets a new idempotency key."""
        self.message = exc.message
        self._idempotency_key = checkout.new_idempotency_key()

    def _field_check(self, name: str) -> FieldCheck | None:
        """Step 1's fields and a new card's or bank account's, by the validators the submit runs.
        The amount's limit is the one the page was loaded with; the submit checks it again."""
        if name == "other_amount":
            maximum = self._maximum_cents
            return lambda value, _: method_validation.clean_amount(value, maximum_cents=maximum, field="other_amount")
        if name == "payment_date":
            return lambda value, _: method_validation.clean_payment_date(
                value, clock.today(), max_days_ahead=checkout.MAX_DAYS_AHEAD
            )
        if self.method_kind in ("card", "bank"):
            return method_form.field_checks(self.method_kind).get(name)
        return None

    async def _load(self, actor) -> None:
        self.reset()
        today = clock.today()
        offered = await call_service(checkout.options, actor=actor, today=today)
        language = page_language(self)
        self.saved_methods = localize(await call_service(methods.list_methods, actor=actor), language)
        self.account_number = offered.account_number
        self.amount_due = money.format_cents(offered.amount_due_cents)
        self.past_due = money.format_cents(offered.past_due_cents)
        # "Has an amount due" is the service's rule (the money summary's), as on the dashboard.
        self.has_amount_due = offered.has_amount_due
        self.has_past_due = offered.has_past_due
        self.maximum = money.format_cents(offered.maximum_cents)
        self._maximum_cents = offered.maximum_cents
        self.today_iso, self.latest_iso = today.isoformat(), offered.latest_date.isoformat()
        self.payment_date = self.today_iso
        self.past_due_label = t(self, templates.past_due_choice(offered.past_due_cents))
        self.shows_past_due = offered.shows_past_due
        self.has_current = offered.shows_current
        self.current_label = t(
            self,
            templates.current_choice(
                offered.current_cents, offered.current_months or offered.current_month, offered.current_due_on
            ),
        )
        self.shows_owed = offered.shows_everything_owed
        self.owed_label = t(self, templates.everything_owed_choice(offered.owed_cents))
        self.has_first_premium = offered.has_first_premium
        self.first_premium_label = t(
            self, templates.first_premium_choice(offered.first_premium_cents, offered.coverage_start)
        )
        self.amount_choice = offered.default_choice()
        self.saved_choice_label = t(self, _saved_choice(self.saved_methods))
        default = next((m for m in self.saved_methods if m.is_default), None)
        self.method_kind = "saved" if default else "card"
        self.selected_method = str(default.id) if default else ""
        self.can_save = not methods.needs_recent_login(actor, clock.utcnow())
        self.loaded = True

    async def _choose_amount(self, actor, form_data: object) -> None:
        self.other_amount = form_text(form_data, "other_amount")[:20]
        self.payment_date = form_text(form_data, "payment_date")[:10]
        cents, day = await call_service(
            checkout.choose_amount,
            actor=actor,
            choice=self.amount_choice,
            other_amount=self.other_amount,
            payment_date=self.payment_date,
            today=clock.today(),
        )
        self._amount_cents, self._payment_date = cents, day.isoformat()
        self.amount_text = money.format_cents(cents)
        self.date_text = t(self, dates.short_date(day))  # the real date, never "Today"
        self.is_scheduled = day > clock.today()
        self.submit_label = t(self, templates.submit_words(self.is_scheduled))
        warnings = await call_service(
            checkout.amount_warnings, actor=actor, amount_cents=cents, payment_date=day, today=clock.today()
        )
        self.warnings = localize(warnings, page_language(self))
        self.errors, self.message = {}, ""
        self.step = "method" if self._choice is None else "review"
        if self.step == "review":
            await self._open_review(actor)

    async def _choose_method(self, actor, form_data: object) -> checkout.MethodChoice:
        # Saving a method needs a recent log-in, checked now rather than when the page opened.
        self.can_save = not methods.needs_recent_login(actor, clock.utcnow())
        save = form_flag(form_data, "save_method") and self.can_save
        if self.method_kind == "saved":
            method_id = parse_id(form_text(form_data, "saved_method"))
            self.selected_method = str(method_id or "")
            return await call_service(checkout.saved_method, actor=actor, method_id=method_id)
        if self.method_kind == "bank":
            self.account_name = form_text(form_data, "account_name")[:60]
            account_type = form_text(form_data, "account_type")
            self.account_type = account_type if account_type in ("checking", "savings") else ""
            return await method_form.tokenize("bank", form_data, save=save)
        # Kept to re-fill the form after a decline (never the number or the CVC).
        self.card_name = form_text(form_data, "card_name")[:60]
        self.billing_zip = form_text(form_data, "billing_zip")[:10]
        self.expiry = method_validation.format_expiry(form_text(form_data, "expiry")[:10])[:7]
        return await method_form.tokenize("card", form_data, save=save)

    async def _open_review(self, actor) -> None:
        invoices = await call_service(
            checkout.invoices_to_pay, actor=actor, amount_cents=self._amount_cents, today=clock.today()
        )
        self.invoices = localize(invoices, page_language(self))
        self._idempotency_key = checkout.new_idempotency_key()
        self.is_bank = self._choice is not None and self._choice.kind == "bank"
        words = templates.debit_authorization if self.is_bank else templates.card_authorization
        # One whole authorization text (amount, date and method are its parameters), translated whole.
        self.authorization = t(
            self,
            words(
                amount=self.amount_text, date_text=self.date_text, method=self.method_label, scheduled=self.is_scheduled
            ),
        )
        self.step = "review"

    @rx.event
    def copied(self):
        self.reference_copied = True

    @rx.event
    async def load(self):
        return await self._run(self._load)

    @rx.event
    def pick_amount(self, value: str):
        self.amount_choice = value if value in AMOUNT_CHOICES else "due"
        if "amount_choice" in self.errors:  # a choice was made: that field is fixed
            self.errors = {name: error for name, error in self.errors.items() if name != "amount_choice"}
            if not self.errors:
                self._fields_fixed()

    @rx.event
    def pick_method_kind(self, value: str):
        self.method_kind = value if value in ("saved", "card", "bank") else "card"
        self.errors, self.message = {}, ""

    @rx.event
    def format_expiry(self, value: str):
        """The expiry field lost focus: show it as MM/YY ("1224" → "12/24")."""
        self.expiry = method_validation.format_expiry(value if isinstance(value, str) else "")[:7]
        self.expiry_key += 1

    @rx.event
    def edit(self, step: str):
        """Go back to an earlier step (Back, or Edit on the review); what was typed stays."""
        earlier = STEPS[: STEPS.index(self.step)] if self.step in STEPS[1:3] else ()
        if step in earlier and not self.processing:
            self.step, self.errors, self.message = step, {}, ""

    @rx.event
    def back(self):
        """Back one step: from the method to the amount, from the review to the method."""
        if self.step in STEPS[1:3] and not self.processing:
            self.step, self.errors, self.message = STEPS[STEPS.index(self.step) - 1], {}, ""

    @rx.event
    async def submit_amount(self, form_data: dict):
        return await self._run(self._choose_amount, form_data=form_data)

    @rx.event
    async def submit_method(self, form_data: dict):
        async with one_session_per_event():  # the method's checks and the review's bills
            call = self._call(self._choose_method, busy=True, on_error=self._method_refused, form_data=form_data)
            async for event in call:
                yield event
            if call.ok:
                self._choice, self.method_label = call.value, call.value.label
                await self._open_review(call.actor)

    @rx.event
    async def submit_payment(self):
        """Submit once: a second tap while processing is ignored, and the idempotency key makes
        any retry of the same review return the same payment."""
        if self.step != "review" or self._choice is None or not self._idempotency_key:
            return None
        async with one_session_per_event():  # the payment and what the confirmation says after it
            return await self._submit_payment()

    async def _submit_payment(self):
        # The button already disabled itself in the browser (see pages/pay.py): no "working…" round trip.
        call = await self._call(
            checkout.submit,
            busy=True,
            on_error=self._not_paid,
            idempotency_key=self._idempotency_key,
            amount_cents=self._amount_cents,
            payment_date=dt.date.fromisoformat(self._payment_date),
            choice=self._choice,
            now=clock.utcnow(),
            today=clock.today(),
            payer=payer_of(self),
        )
        if not call.ok:
            return call.events
        result = call.value
        if result.declined:
            # Keep everything entered except the card number and CVC; the member picks again.
            self.message, self._choice, self._idempotency_key, self.step = result.message, None, "", "method"
            self.method_form_key += 1
            return None
        self.reference, self.result_status, self.result_message = result.reference, result.status_label, result.message
        self.reference_copied = False
        self._choice, self._idempotency_key = None, ""
        self.confirmation_heading = t(
            self,
            templates.confirmation_heading(status=result.status, amount=self.amount_text, date_text=self.date_text),
        )
        self.email_note = t(self, templates.confirmation_email_note(result.status))
        self.receipt_url = f"{routes.RECEIPT}/{result.reference}" if result.status == PaymentStatus.SUCCEEDED else ""
        after = await call_service(checkout.after_payment, actor=call.actor, today=clock.today())
        self.balance_left = t(self, templates.balance_left(after.balance_left_cents, after.credit_cents))
        self.next_due = t(self, dates.short_date(after.next_due_on)) if after.next_due_on else ""
        self.autopay_on = after.autopay_on
        self.step = "done"
        return None

    @rx.event
    def start_again(self):
        return rx.redirect(localized_route(self, routes.PAY))
