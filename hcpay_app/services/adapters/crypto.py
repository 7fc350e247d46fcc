"""Field encryption, blind indexes and token hashing.

SSNs are sealed with AES-256-GCM (random 96-bit nonce, the member number as associated data so a
ciphertext can't be moved to another row) and found again through an HMAC-SHA256 blind index under
a separate key. Tokens and one-time codes are stored only as hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hcpay_app.config import get_settings

_KEY_VERSION = "v1"


def encrypt_ssn(ssn_digits: str, member_number: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(get_settings().ssn_key).encrypt(nonce, ssn_digits.encode(), member_number.encode())
    return f"{_KEY_VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt_ssn(token: str, member_number: str) -> str:
    version, _, payload = token.partition(":")
    if version != _KEY_VERSION:
        raise ValueError("unknown SSN key version")
    raw = base64.urlsafe_b64decode(payload)
    return AESGCM(get_settings().ssn_key).decrypt(raw[:12], raw[12:], member_number.encode()).decode()


def encrypt_totp_secret(secret: str, user_id: int) -> str:
    """A staff TOTP secret sealed like an SSN, with its own associated data (purpose and user id),
    so neither an SSN ciphertext nor another staff member's secret can be swapped in."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(get_settings().ssn_key).encrypt(nonce, secret.encode(), f"totp:{user_id}".encode())
    return f"{_KEY_VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt_totp_secret(token: str, user_id: int) -> str:
    version, _, payload = token.partition(":")
    if version != _KEY_VERSION:
        raise ValueError("unknown TOTP key version")
    raw = base64.urlsafe_b64decode(payload)
    return AESGCM(get_settings().ssn_key).decrypt(raw[:12], raw[12:], f"totp:{user_id}".encode()).decode()


def ssn_blind_index(ssn_digits: str) -> str:
    return hmac.new(get_settings().index_key, b"ssn:" + ssn_digits.encode(), hashlib.sha256).hexdigest()


def card_fingerprint(card_digits: str) -> str:
    """A keyed hash of a card number: the same card is recognised across attempts, and the number
    can't be recovered from it (nor found by hashing guesses without the key)."""
    return hmac.new(get_settings().index_key, b"card:" + card_digits.encode(), hashlib.sha256).hexdigest()


def mask_ssn(last4: str) -> str:
    return f"•••-••-{last4}"


def mask_email(address: str) -> str:
    """`jane.doe@example.com` → `j•••@example.com`: enough to recognise, not to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


def new_token() -> str:
    """A URL-safe random token with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def hash_code(code: str, purpose_id: int) -> str:
    """Keyed hash of a one-time code: a leaked table can't be brute-forced offline."""
    message = f"otp:{purpose_id}:{code}".encode()
    return hmac.new(get_settings().code_key, message, hashlib.sha256).hexdigest()


def same_hash(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a, b)
