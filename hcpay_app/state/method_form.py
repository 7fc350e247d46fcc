"""Reading a new card or bank account from a submitted form and handing it to the processor —
the one place the numbers pass through on their way to becoming a token."""

from __future__ import annotations

import asyncio

from hcpay_app import clock
from hcpay_app.services.payments import checkout
from hcpay_app.state.base import form_text


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
