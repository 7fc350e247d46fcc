"""Domain errors that services raise instead of returning half-done work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from hcpay_app.i18n.message import Msg

T = TypeVar("T")


class DomainError(Exception):
    """Base of every error a member can be shown. `message` is safe to display."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """Bad input: `errors` maps each field to a specific message shown next to it."""

    def __init__(self, errors: dict[str, str], message: str = Msg("Please correct the highlighted fields.")):
        super().__init__(message)
        self.errors = errors


class FieldChecks:
    """Run a form's field checks one after another and keep every failure, so the member sees all
    of their mistakes at once: `run` returns a check's value (or `default` when it failed), and
    `raise_if_any` raises one `ValidationError` with every field's message."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def run(self, check: Callable[[], T], default: T | None = None) -> T | None:
        try:
            return check()
        except ValidationError as exc:
            self.errors.update(exc.errors)
            return default

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(dict(self.errors))

    @classmethod
    def collect(cls, checks: dict[str, Callable[[], object]]) -> dict[str, object]:
        """Every check's value by field name, or one `ValidationError` with every failure."""
        run = cls()
        values = {field: run.run(check) for field, check in checks.items()}
        run.raise_if_any()
        return values


class NotAllowed(DomainError):
    """The acting user may not do this (or is not logged in)."""

    def __init__(self, message: str = Msg("You are not allowed to do that.")):
        super().__init__(message)


class NotFound(DomainError):
    def __init__(self, message: str = Msg("We couldn't find that.")):
        super().__init__(message)


class AuthenticationFailed(DomainError):
    """Log-in failed; the message never says whether the username exists."""


class AccountLocked(DomainError):
    def __init__(self, message: str, retry_at: dt.datetime):
        super().__init__(message)
        self.retry_at = retry_at


class RateLimited(DomainError):
    """Too many attempts from one client or on one record."""


class TryAgainSoon(DomainError):
    """The portal is refusing work it can't take on right now (a burst of log-ins), fast, rather
    than making everyone wait."""


class RosterMismatch(DomainError):
    """Create Account details that don't lead to a new account — one message for every cause."""


class VerificationFailed(DomainError):
    """A wrong, expired or exhausted one-time code."""
