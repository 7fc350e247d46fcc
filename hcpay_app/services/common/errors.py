"""Domain errors that services raise instead of returning half-done work."""

from __future__ import annotations

import datetime as dt


class DomainError(Exception):
    """Base of every error a member can be shown. `message` is safe to display."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """Bad input: `errors` maps each field to a specific message shown next to it."""

    def __init__(self, errors: dict[str, str], message: str = "Please correct the highlighted fields."):
        super().__init__(message)
        self.errors = errors


class NotAllowed(DomainError):
    """The acting user may not do this (or is not logged in)."""

    def __init__(self, message: str = "You are not allowed to do that."):
        super().__init__(message)


class NotFound(DomainError):
    def __init__(self, message: str = "We couldn't find that."):
        super().__init__(message)


class AuthenticationFailed(DomainError):
    """Log-in failed; the message never says whether the username exists."""


class AccountLocked(DomainError):
    def __init__(self, message: str, retry_at: dt.datetime):
        super().__init__(message)
        self.retry_at = retry_at


class RateLimited(DomainError):
    """Too many attempts from one client or on one record."""


class RosterMismatch(DomainError):
    """Create Account details that don't lead to a new account — one message for every cause."""


class VerificationFailed(DomainError):
    """A wrong, expired or exhausted one-time code."""
