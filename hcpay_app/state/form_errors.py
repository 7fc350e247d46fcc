"""An error clears the moment its field is fixed.

A state that shows per-field messages in `errors` (and maybe "Please correct the highlighted
fields." in `message`) mixes in `FieldRecheck` and says, in `_field_check`, how one field is checked
on its own. The page passes `recheck=TheState.recheck_field` to `text_field`: while a field is in
error, what the member types is sent (debounced), checked off the event loop and dropped — never
stored. A fixed field loses its message; a field still wrong gets the message for what is wrong
now; once no field is in error, the banner goes too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import reflex as rx

from hcpay_app.services.common import validators
from hcpay_app.services.common.errors import DomainError, ValidationError
from hcpay_app.state.base import t

FIELDS_BANNER = ValidationError({}).message

# One field checked on its own: (value, related value) → raises ValidationError when still wrong.
FieldCheck = Callable[[str, str], object]


def new_password_check(field: str, user_inputs: list[str] | None = None) -> FieldCheck:
    """A new password's own rules (length, bcrypt's limit, guessability); the related value is
    unused. Checks that need the database (the member's own details) run again on submit."""
    return lambda value, _related: validators.check_new_password(value, list(user_inputs or []), field=field)


def confirmation_check(field: str, label: str = "passwords") -> FieldCheck:
    """The second typing of a new password: the related value is the first one."""
    return lambda value, related: validators.check_confirmation(related, value, field=field, label=label)


class FieldRecheck(rx.State, mixin=True):
    """`recheck_field` for states with an `errors` dict (and optionally a `message` banner)."""

    def _field_check(self, name: str) -> FieldCheck | None:
        """How field `name` is checked on its own; None: it is never rechecked live."""
        return None

    async def _live_check(self, name: str) -> FieldCheck | None:
        """`_field_check`, for a state whose check needs an awaited step first (who is logged in,
        for a rule that reads their own records)."""
        return self._field_check(name)

    def _fields_fixed(self) -> None:
        """Every field is fixed: the banner that pointed at them goes."""
        if getattr(self, "message", None) in (FIELDS_BANNER, t(self, FIELDS_BANNER)):
            self.message = ""

    async def _recheck(self, name: str, value: str, related: str = "") -> None:
        """Check field `name` again, if it is in error, and update its message."""
        if name not in self.errors:
            return
        check = await self._live_check(name)
        if check is None:
            return
        try:
            await asyncio.to_thread(check, value, related)  # zxcvbn takes a while: off the event loop
            still_wrong = ""
        except ValidationError as exc:
            still_wrong = t(self, exc.errors.get(name, ""))  # in the page's language
        except DomainError:
            return
        if name not in self.errors:  # a submit answered meanwhile
            return
        updated = dict(self.errors)
        if still_wrong:
            updated[name] = still_wrong
        else:
            updated.pop(name)
        self.errors = updated
        if not updated:
            self._fields_fixed()

    @rx.event
    async def recheck_field(self, name: str, value: str, related: str = ""):
        if isinstance(name, str) and isinstance(value, str) and isinstance(related, str):
            await self._recheck(name, value, related)
