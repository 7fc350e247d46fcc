"""Field encryption, blind index, code and token hashing, masking."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from hcpay_app.config import SECRET_NAMES, get_settings
from hcpay_app.services.adapters import crypto

SSN = "219550123"
MEMBER = "123456789012"


def _key(byte: int) -> str:
    return base64.urlsafe_b64encode(bytes([byte]) * 32).decode()


def test_ssn_round_trip():
    sealed = crypto.encrypt_ssn(SSN, MEMBER)
    assert sealed.startswith("v1:")
    assert crypto.decrypt_ssn(sealed, MEMBER) == SSN


def test_ciphertext_is_fresh_each_time_and_hides_the_digits():
    sealed = {crypto.encrypt_ssn(SSN, MEMBER) for _ in range(20)}
    assert len(sealed) == 20
    for text in sealed:
        # No 5-digit run of the SSN (short runs can turn up in base64 by chance).
        assert not any(SSN[i : i + 5] in text for i in range(len(SSN) - 4))
        assert SSN not in base64.urlsafe_b64decode(text.partition(":")[2]).decode("latin-1")
        assert len(text) <= 200  # fits Member.ssn_encrypted


def test_ciphertext_bound_to_its_member_number():
    sealed = crypto.encrypt_ssn(SSN, MEMBER)
    with pytest.raises(InvalidTag):
        crypto.decrypt_ssn(sealed, "123456789013")


def test_tampered_or_unknown_version_ciphertext_refused():
    sealed = crypto.encrypt_ssn(SSN, MEMBER)
    payload = bytearray(base64.urlsafe_b64decode(sealed[3:]))
    payload[-1] ^= 1
    with pytest.raises(InvalidTag):
        crypto.decrypt_ssn("v1:" + base64.urlsafe_b64encode(bytes(payload)).decode(), MEMBER)
    with pytest.raises(ValueError, match="unknown SSN key version"):
        crypto.decrypt_ssn("v0:" + sealed[3:], MEMBER)


def test_ciphertext_needs_the_same_key(monkeypatch):
    for name in SECRET_NAMES:
        monkeypatch.setenv(name, _key(1))
    get_settings.cache_clear()
    sealed = crypto.encrypt_ssn(SSN, MEMBER)
    monkeypatch.setenv("HCPAY_SSN_KEY", _key(2))
    get_settings.cache_clear()
    with pytest.raises(InvalidTag):
        crypto.decrypt_ssn(sealed, MEMBER)


def test_blind_index_deterministic_and_keyed(monkeypatch):
    first = crypto.ssn_blind_index(SSN)
    assert first == crypto.ssn_blind_index(SSN)
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert crypto.ssn_blind_index("219550124") != first

    for name in SECRET_NAMES:
        monkeypatch.setenv(name, _key(1))
    get_settings.cache_clear()
    with_key_one = crypto.ssn_blind_index(SSN)
    assert with_key_one != first
    monkeypatch.setenv("HCPAY_INDEX_KEY", _key(2))
    get_settings.cache_clear()
    with_key_two = crypto.ssn_blind_index(SSN)
    assert with_key_two not in (first, with_key_one)
    monkeypatch.setenv("HCPAY_INDEX_KEY", _key(1))
    get_settings.cache_clear()
    assert crypto.ssn_blind_index(SSN) == with_key_one


def test_generated_keys_are_kept_in_the_secrets_file():
    settings = get_settings()
    stored = json.loads(Path(os.environ["HCPAY_SECRETS_FILE"]).read_text())
    assert set(stored) == set(SECRET_NAMES)
    assert base64.urlsafe_b64decode(stored["HCPAY_INDEX_KEY"]) == settings.index_key
    assert len({stored[name] for name in SECRET_NAMES}) == 3  # three different keys
    index = crypto.ssn_blind_index(SSN)
    get_settings.cache_clear()
    assert crypto.ssn_blind_index(SSN) == index  # read back, not regenerated


def test_hash_code_differs_per_purpose_and_code():
    assert crypto.hash_code("123456", 1) == crypto.hash_code("123456", 1)
    assert crypto.hash_code("123456", 1) != crypto.hash_code("123456", 2)
    assert crypto.hash_code("123456", 1) != crypto.hash_code("123457", 1)
    assert "123456" not in crypto.hash_code("123456", 1)


def test_same_hash():
    digest = crypto.hash_code("123456", 7)
    assert crypto.same_hash(digest, crypto.hash_code("123456", 7))
    assert not crypto.same_hash(digest, crypto.hash_code("654321", 7))
    assert not crypto.same_hash(None, digest)


def test_tokens_and_codes():
    tokens = {crypto.new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(t) >= 40 and re.fullmatch(r"[A-Za-z0-9_-]+", t) for t in tokens)
    token = tokens.pop()
    assert crypto.hash_token(token) == crypto.hash_token(token) != token
    assert re.fullmatch(r"[0-9a-f]{64}", crypto.hash_token(token))
    codes = [crypto.new_code() for _ in range(200)]
    assert all(re.fullmatch(r"[0-9]{6}", c) for c in codes)
    assert len(set(codes)) > 150


def test_masks():
    assert crypto.mask_ssn("0123") == "•••-••-0123"
    assert crypto.mask_email("jane.doe@example.com") == "j•••@example.com"
    assert crypto.mask_email("Renee.ONeil@example.com") == "R•••@example.com"
