"""The secret scan's own check: it finds a planted secret in every written form. (The scan itself
runs at the end of every end-to-end run: see `no_secret_left_behind` in conftest.py.)"""

from __future__ import annotations

from tests.e2e.secret_scan import scan


def test_the_scan_finds_a_planted_secret():
    places = {"log": 'saved {"cvc": "737"} for 4242 4242 4242 4242, ssn 219-55-0123, key 000123456789'}
    assert [hit.split(" after ")[0] for hit in scan(places, "ssn", {"219550123"})] == ["ssn 219-… in log"]
    assert [hit.split(" after ")[0] for hit in scan(places, "card", {"4242424242424242"})] == ["card 4242… in log"]
    assert [hit.split(" after ")[0] for hit in scan(places, "cvc", {"737"})] == ["cvc 737… in log"]
    assert [hit.split(" after ")[0] for hit in scan(places, "bank account", {"000123456789"})] == [
        "bank account 0001… in log"
    ]
    assert scan({"log": "account ••••6789, card ••••4242, 2195501234"}, "ssn", {"219550123"}) == []
