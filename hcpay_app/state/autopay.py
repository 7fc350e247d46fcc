"""Settings → Automatic Payments: set up (a saved method or a new card or bank account, amount,
frequency, day) → review (every term, the next three charges, authorization) → activate; then edit,
pause, resume or cancel.

A new card or bank account entered in the set-up is saved for later exactly as Settings → Payment
methods saves one (after the same recent-log-in check), and the member stays in the flow with it
chosen."""

from __future__ import annotations

import datetime as dt

import reflex as rx

from hcpay_app import clock
from hcpay_app.i18n.message import N_, Msg
from hcpay_app.services.common.errors import DomainError, ValidationError
from hcpay_app.services.payments import methods
from hcpay_app.services.payments.methods import MethodView
from hcpay_app.services.recurring import autopay, templates
from hcpay_app.services.recurring.autopay import ChargePreview, MandateView
from hcpay_app.state import method_form
from hcpay_app.state.base import (
    call_service,
    field_errors,
    form_flag,
    form_text,
    localize,
    page_language,
    parse_id,
    payer_of,
    t,
)
from hcpay_app.state.form_errors import FieldCheck, FieldRecheck
from hcpay_app.state.session import MemberState, holds_member_data

# Message ids: `_change` fills in the arrangement's next charge or pause date.
ACTIVATED = N_("Automatic Payments are on. Your next charge is {next_charge}.")
REVIEW_AGAIN = N_("Something changed since your review. Please review your Automatic Payments again.")
PAUSED = N_("Automatic Payments are paused until {paused_until}.")
RESUMED = N_("Automatic Payments resumed. Your next charge is {next_charge}.")
CANCELED = N_("Automatic Payments are canceled. Remember to pay by each due date.")
# The set-up's choices for a method not saved yet: entered in the flow, saved on Review.
NEW_METHODS = {"new_card": "card", "new_bank": "bank"}


def _text(text: str, **params: object) -> Msg:
    """A service's message constant (a `Msg` or its English id) with its values, to translate."""
    return Msg(str(text), **params)


def _method_choice(value: object) -> str:
    """A saved method's id (as the form holds it) or a new kind; anything else: nothing chosen."""
    if isinstance(value, str) and value in NEW_METHODS:
        return value
    return str(parse_id(value) or "")


@holds_member_data
class AutopayState(FieldRecheck, MemberState, rx.State):
    loaded: bool = False
    mode: str = "view"  # view | setup | review
    mandate: MandateView | None = None
    saved_methods: list[MethodView] = []
    errors: dict[str, str] = {}
    message: str = ""
    processing: bool = False
    needs_password: bool = False
    # The set-up form (non-secret choices, kept to re-fill the form)
    method_id: str = ""
    amount_rule: str = "full"
    fixed_amount: str = ""
    frequency: str = "monthly"
    charge_day: str = ""
    # Review
    preview: list[ChargePreview] = []
    warning: str = ""
    method_label: str = ""
    amount_rule_text: str = ""
    frequency_text: str = ""
    charge_day_text: str = ""
    first_charge: str = ""
    counts: str = ""
    authorization: str = str(autopay.AUTHORIZATION)
    # Pausing: the rules for the date, shown before any error, and the range the date picker allows
    pause_rules: str = ""
    pause_min: str = ""
    pause_max: str = ""
    # The terms the member reviewed, as the server checked them (backend only): activation uses
    # exactly these, and any change after the review clears them, so the member reviews again.
    _reviewed: dict = {}

    def _show_error(self, exc: DomainError) -> None:
        """Field errors next to the form; anything else in the message at the top."""
        if isinstance(exc, ValidationError):
            self.errors = field_errors(exc)
        else:
            self.message = exc.message

    def _field_check(self, name: str) -> FieldCheck | None:
        """The fixed amount, the pause date and a new card's or bank account's fields, by the
        validators the submit runs. The current password is only known wrong on a submit."""
        if name == "fixed_amount":
            return lambda value, _: autopay.check_terms(
                amount_rule="fixed", fixed_amount=value, frequency="monthly", charge_day=1
            )
        if name == "paused_until":
            return lambda value, _: autopay.clean_pause_date(value, clock.today())
        if self.method_id in NEW_METHODS:
            return method_form.field_checks(NEW_METHODS[self.method_id]).get(name)
        return None

    async def _load(self, actor) -> None:
        self.reset()
        today = clock.today()
        language = page_language(self)
        self.mandate = localize(await call_service(autopay.current, actor=actor, today=today), language)
        self.saved_methods = localize(await call_service(methods.list_methods, actor=actor), language)
        self.needs_password = methods.needs_recent_login(actor, clock.utcnow())
        self.charge_day = str(autopay.default_charge_day())
        default = next((m for m in self.saved_methods if m.is_default), None)
        self.method_id = str(default.id) if default else "new_card"
        self.pause_rules = t(self, autopay.pause_rules(today))
        self.authorization = t(self, _text(autopay.AUTHORIZATION))
        self.pause_min = (today + dt.timedelta(days=1)).isoformat()
        self.pause_max = autopay.last_pause_date(today).isoformat()
        self.mode = "view" if self.mandate else "setup"
        self.loaded = True

    def _terms(self) -> dict:
        return {
            "amount_rule": self.amount_rule,
            "fixed_amount": self.fixed_amount,
            "frequency": self.frequency,
            "charge_day": self.charge_day,
        }

    async def _preview(self, actor, form_data: object) -> None:
        self.method_id = _method_choice(form_text(form_data, "method_id"))
        self.fixed_amount = form_text(form_data, "fixed_amount")[:20]
        self.frequency = form_text(form_data, "frequency") or "monthly"
        self.charge_day = form_text(form_data, "charge_day")
        if self.method_id in NEW_METHODS:
            # The terms first (cheap), so a card is only saved for a set-up that can go ahead.
            autopay.check_terms(**self._terms())
            added = await method_form.save_new(actor, NEW_METHODS[self.method_id], form_data, payer=payer_of(self))
            self.saved_methods = localize(await call_service(methods.list_methods, actor=actor), page_language(self))
            self.needs_password = methods.needs_recent_login(actor, clock.utcnow())
            self.method_id = str(added.id)
            self.message = t(self, _text(templates.SAVED_FOR_LATER, label=added.label))
        terms = await call_service(
            autopay.review, actor=actor, method_id=parse_id(self.method_id), today=clock.today(), **self._terms()
        )
        terms = localize(terms, page_language(self))
        self.authorization = t(self, _text(autopay.AUTHORIZATION))
        self.preview, self.warning, self.method_label = terms.charges, terms.warning, terms.method
        self.amount_rule_text, self.frequency_text = terms.amount_rule, terms.frequency
        self.charge_day_text, self.first_charge, self.counts = terms.charge_day, terms.first_charge, terms.counts
        self._reviewed = {"method_id": parse_id(self.method_id), **self._terms()}
        self.errors, self.mode = {}, "review"

    def _terms_changed(self) -> None:
        """Anything changed after the review: back to the set-up, to be reviewed again."""
        self._reviewed = {}
        if self.mode == "review":
            self.mode = "setup"

    async def _change(self, action, done: str, /, **kwargs):
        """Change the arrangement through `action`; then show it (or the set-up form once it is
        gone) and say `done`."""
        call = await self._call(action, **kwargs)
        if call.ok:
            self.needs_password = methods.needs_recent_login(call.actor, clock.utcnow())
            self.mandate, self.errors = call.value, {}
            self.mode = "view" if call.value is not None else "setup"
            mandate = call.value
            self.message = t(
                self,
                Msg(
                    done,
                    next_charge=mandate.next_charge if mandate else "",
                    paused_until=mandate.paused_until if mandate else "",
                ),
            )
        return call.events

    @rx.event
    async def load(self):
        return await self._run(self._load)

    @rx.event
    def start_setup(self):
        if self.mandate is not None:
            self.method_id = str(self.mandate.method_id)
            self.amount_rule, self.fixed_amount = self.mandate.amount_rule, self.mandate.fixed_amount
            self.frequency, self.charge_day = self.mandate.frequency.lower(), str(self.mandate.charge_day)
        self._reviewed = {}
        self.mode, self.errors, self.message = "setup", {}, ""

    @rx.event
    def pick_rule(self, value: str):
        self.amount_rule = value if value in ("full", "fixed") else "full"
        self._terms_changed()

    @rx.event
    def pick_method(self, value: str):
        """Which method the set-up uses: a saved one (its id) or a new card or bank account."""
        self.method_id = _method_choice(value)
        self._terms_changed()
        if "method" in self.errors:  # a method was chosen: that field is fixed
            self.errors = {name: error for name, error in self.errors.items() if name != "method"}

    @rx.event
    def back_to_setup(self):
        self._terms_changed()
        self.mode, self.errors = "setup", {}

    @rx.event
    async def review(self, form_data: dict):
        call = self._call(self._preview, busy=True, form_data=form_data)
        async for event in call:
            yield event

    @rx.event
    async def activate(self, form_data: dict):
        reviewed = self._reviewed
        if self.mode != "review" or not reviewed:
            self._terms_changed()
            self.mode, self.message = "setup", t(self, Msg(REVIEW_AGAIN))
            return None
        events = await self._change(
            autopay.activate,
            ACTIVATED,
            **reviewed,
            accepted=form_flag(form_data, "accept"),
            now=clock.utcnow(),
            today=clock.today(),
        )
        if self.mode == "view":  # activated: those terms are spent
            self._reviewed = {}
        return events

    @rx.event
    async def pause(self, form_data: dict):
        return await self._change(
            autopay.pause, PAUSED, until=form_text(form_data, "paused_until"), now=clock.utcnow(), today=clock.today()
        )

    @rx.event
    async def resume(self):
        return await self._change(autopay.resume, RESUMED, now=clock.utcnow(), today=clock.today())

    @rx.event
    async def cancel(self):
        return await self._change(autopay.cancel, CANCELED, now=clock.utcnow())
