"""Reading a new card or bank account from a submitted form and handing it to the processor —
the one place the numbers pass through on their way to becoming a token."""

from __future__ import annotations

import asyncio
import dataclasses

from hcpay_app import clock
from hcpay_app.services.accounts import access
from hcpay_app.services.adapters.processor import Token
from hcpay_app.services.common.errors import ValidationError
from hcpay_app.services.payments import card_guard, checkout, method_validation, methods
from hcpay_app.services.payments.methods import MethodView
from hcpay_app.state.base import call_service, form_text, password_pool
from hcpay_app.state.form_errors import FieldCheck


async def tokenize(kind: str, form_data: object, *, save: bool) -> checkout.MethodChoice:
    """Validate and tokenize off the event loop; raises ValidationError with per-field messages."""
    if kind == "bank":
        return await asyncio.to_thread(
            checkout.new_bank,
            routing_number=form_text(form_data, "routing_number"),
            account_number=form_text(form_data, "account_number"),
            confirm_account_number=form_text(form_data, "confirm_account_number"),
            account_type=form_text(form_data, "account_type"),
            name=form_text(form_data, "account_name"),
            save=save,
        )
    return await asyncio.to_thread(
        checkout.new_card,
        card_number=form_text(form_data, "card_number"),
        expiry=form_text(form_data, "expiry"),
        cvc=form_text(form_data, "cvc"),
        name=form_text(form_data, "card_name"),
        billing_zip=form_text(form_data, "billing_zip"),
        save=save,
        today=clock.today(),
    )


async def save_new(
    actor, kind: str, form_data: object, *, nickname: object = "", payer: card_guard.Payer | None = None
) -> MethodView:
    """Settings' add, wherever a member adds a method (Settings → Payment methods, Automatic
    Payments): confirm a recent log-in (or the password), tokenize the new card or account, save the
    token for later. Raises ValidationError with per-field messages; nothing is saved then. With
    `payer`, a tab, account, address or card over its decline cap can't add a card either."""
    await call_service(
        methods.confirm_recent_login,
        pool=password_pool(),
        actor=actor,
        password=form_text(form_data, "password"),
        now=clock.utcnow(),
    )
    choice = await tokenize(kind, form_data, save=True)
    if payer is not None:
        account = await call_service(access.member_account, actor=actor)
        guarded = dataclasses.replace(payer, account_id=account.id, card_fingerprint=choice.fingerprint)
        await call_service(card_guard.check, payer=guarded, now=clock.utcnow())
    token = Token(choice.token, choice.kind, choice.brand, choice.last4, choice.exp_month, choice.exp_year)
    return await call_service(methods.add, actor=actor, token=token, nickname=nickname, now=clock.utcnow())


def _brand_of(card_number: str) -> str:
    """The brand the submit checks the security code against: none for a number it refuses."""
    try:
        return method_validation.clean_card_number(card_number)[1]
    except ValidationError:
        return ""


def field_checks(kind: str) -> dict[str, FieldCheck]:
    """Each field of a new card (`kind` "card") or bank account ("bank") checked on its own, by the
    same validators `tokenize` runs (see state/form_errors.py). The security code is checked with
    the card number typed above it; the account number and its confirmation with each other."""
    if kind == "bank":
        return {
            "routing_number": lambda value, _: method_validation.clean_routing(value),
            "account_number": lambda value, confirm: method_validation.clean_account_number(value, confirm),
            "confirm_account_number": lambda value, number: method_validation.clean_account_number(number, value),
            "account_name": lambda value, _: method_validation.clean_holder_name(value, "account_name"),
        }
    return {
        "card_number": lambda value, _: method_validation.clean_card_number(value),
        "expiry": lambda value, _: method_validation.clean_expiry(value, clock.today()),
        "cvc": lambda value, number: method_validation.clean_cvc(value, _brand_of(number)),
        "card_name": lambda value, _: method_validation.clean_holder_name(value, "card_name"),
        "billing_zip": lambda value, _: method_validation.clean_zip(value),
    }
