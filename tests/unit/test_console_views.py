"""The console's read side: tables sorted and filtered on the server (`support.tables`), flags for
patterns worth a look (`support.watchlist`), and the ticket queue as staff read it (age, member,
authors by role)."""

from __future__ import annotations

import datetime as dt

import pytest

from hcpay_app.config import get_settings
from hcpay_app.models import PaymentSource, PaymentStatus
from hcpay_app.services.common.errors import NotAllowed, NotFound
from hcpay_app.services.payments import records
from hcpay_app.services.support import console, tables, tickets, watchlist
from hcpay_app.services.support.watchlist import Rule, Thresholds
from tests.unit.payment_helpers import TODAY, add_ben, billed_actor
from tests.unit.support_helpers import make_staff, open_one


@pytest.fixture
def renee(session, registered_user):
    return billed_actor(session, registered_user)


@pytest.fixture
def ben(session, add_member, register, renee):
    return add_ben(session, add_member, register)


@pytest.fixture
def staff(session, now):
    return make_staff(session, now)


def pay(session, account, cents, *, status="succeeded", kind="card", at, source=PaymentSource.MEMBER, day=None):
    payment = records.create(
        session,
        account_id=account.id,
        amount_cents=cents,
        method_kind=kind,
        method_label="Visa ••••4242" if kind == "card" else "Checking ••••6789",
        payment_date=day or at.date(),
        status=status,
        now=at,
        source=source,
    )
    session.commit()
    return payment


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------

ROWS = [  # stored newest first, as `console.member_tables` returns them
    {"date": "Mar 9", "reference": "HC-C", "method": "Card", "amount": "$5.00", "status": "Paid",
     "_date": ("2026-03-09", 3), "_amount": (500, 3), "_status": "succeeded", "_method": "card"},
    {"date": "Mar 8", "reference": "HC-B", "method": "Bank", "amount": "$900.00", "status": "Returned",
     "_date": ("2026-03-08", 2), "_amount": (90000, 2), "_status": "returned", "_method": "bank"},
    {"date": "Mar 7", "reference": "HC-A", "method": "Card", "amount": "$40.00", "status": "Declined",
     "_date": ("2026-03-07", 1), "_amount": (4000, 1), "_status": "declined", "_method": "card"},
]  # fmt: skip


def refs(rows):
    return [r["reference"] for r in rows]


def test_a_table_starts_newest_first_and_shows_display_strings_only():
    state = tables.initial(tables.PAYMENTS)
    shown = tables.view(tables.PAYMENTS, ROWS, state)
    assert refs(shown) == ["HC-C", "HC-B", "HC-A"]
    assert all(not key.startswith("_") for row in shown for key in row)
    assert shown[0] == {"date": "Mar 9", "reference": "HC-C", "method": "Card", "amount": "$5.00", "status": "Paid"}
    assert tables.aria_sort(tables.PAYMENTS, state) == {"date": "descending", "amount": "none", "status": "none"}


def test_sorting_by_amount_starts_largest_first_and_a_second_click_reverses():
    spec, state = tables.PAYMENTS, tables.initial(tables.PAYMENTS)
    by_amount = tables.clean_sort(spec, state, "amount")
    assert refs(tables.view(spec, ROWS, by_amount)) == ["HC-B", "HC-A", "HC-C"]
    assert tables.aria_sort(spec, by_amount)["amount"] == "descending"
    again = tables.clean_sort(spec, by_amount, "amount")
    assert refs(tables.view(spec, ROWS, again)) == ["HC-C", "HC-A", "HC-B"]
    assert tables.aria_sort(spec, again) == {"date": "none", "amount": "ascending", "status": "none"}


def test_sorting_by_status_reads_the_words_and_by_date_the_dates():
    spec = tables.PAYMENTS
    by_status = tables.clean_sort(spec, tables.initial(spec), "status")
    assert [r["status"] for r in tables.view(spec, ROWS, by_status)] == ["Declined", "Paid", "Returned"]
    oldest_first = tables.clean_sort(spec, tables.initial(spec), "date")  # already by date: reversed
    assert refs(tables.view(spec, ROWS, oldest_first)) == ["HC-A", "HC-B", "HC-C"]


@pytest.mark.parametrize("column", ["reference", "method", "nope", "", None, 3, ["amount"], "_amount"])
def test_an_unsortable_or_unknown_column_changes_nothing(column):
    state = tables.initial(tables.PAYMENTS)
    assert tables.clean_sort(tables.PAYMENTS, state, column) == state


def test_filters_by_status_and_method_combine_and_all_shows_everything():
    spec = tables.PAYMENTS
    state = tables.clean_filter(spec, tables.initial(spec), "method", "card")
    assert refs(tables.view(spec, ROWS, state)) == ["HC-C", "HC-A"]
    state = tables.clean_filter(spec, state, "status", "declined")
    assert refs(tables.view(spec, ROWS, state)) == ["HC-A"]
    state = tables.clean_filter(spec, state, "method", "bank")
    assert tables.view(spec, ROWS, state) == []
    state = tables.clean_filter(spec, tables.clean_filter(spec, state, "method", ""), "status", tables.ALL)
    assert refs(tables.view(spec, ROWS, state)) == ["HC-C", "HC-B", "HC-A"]


@pytest.mark.parametrize(
    ("key", "value"),
    [("status", "stolen"), ("status", None), ("status", 1), ("_status", "declined"), ("colour", "red"), (None, "")],
)
def test_an_unknown_filter_or_option_changes_nothing(key, value):
    state = tables.clean_filter(tables.PAYMENTS, tables.initial(tables.PAYMENTS), "method", "card")
    assert tables.clean_filter(tables.PAYMENTS, state, key, value) == state


def test_refunds_and_disputes_are_declared_with_their_empty_words():
    assert set(tables.SPECS) == {"payments", "refunds", "disputes"}
    assert tables.view(tables.REFUNDS, [], tables.initial(tables.REFUNDS)) == []
    assert (tables.REFUNDS.empty, tables.DISPUTES.empty) == ("No refunds yet.", "No disputes yet.")


def test_member_tables_lists_every_payment_newest_first_with_empty_refund_and_dispute_slots(session, now, renee, staff):
    _who, account = renee
    older = pay(session, account, 45000, at=now - dt.timedelta(days=3), kind="bank")
    newer = pay(session, account, 100, status="declined", at=now, source=PaymentSource.GUEST)
    found = console.member_tables(session, staff, account.member_id)
    assert found["refunds"] == [] and found["disputes"] == []
    mine = [r for r in found["payments"] if r["reference"] in (older.reference, newer.reference)]
    assert [(r["reference"], r["amount"], r["status"], r["_status"], r["_method"]) for r in mine] == [
        (newer.reference, "$1.00", "Declined", "declined", "card"),
        (older.reference, "$450.00", "Paid", "succeeded", "bank"),
    ]


def test_member_tables_is_for_staff_only(session, renee):
    who, account = renee
    with pytest.raises(NotAllowed):
        console.member_tables(session, who, account.member_id)
    with pytest.raises(NotAllowed):
        console.member_tables(session, None, account.member_id)


@pytest.mark.parametrize("junk", [None, "1", 10**9, 1.0, True])
def test_member_tables_with_a_junk_member_id_is_not_found(session, staff, junk):
    with pytest.raises(NotFound):
        console.member_tables(session, staff, junk)


# --------------------------------------------------------------------------------------------
# Watchlist
# --------------------------------------------------------------------------------------------


def test_busiest_finds_the_largest_burst_within_the_window(now):
    times = [now - dt.timedelta(hours=5), *(now - dt.timedelta(seconds=13 * i) for i in range(9))]
    burst = watchlist.busiest(times, dt.timedelta(hours=1))
    assert burst.count == 9 and burst.first == now - dt.timedelta(seconds=104) and burst.last == now
    assert watchlist.busiest([], dt.timedelta(hours=1)) is None


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0, "1 min"), (104, "2 min"), (3599, "60 min"), (3600, "1 h"), (3 * 3600 + 1, "4 h"), (86400 * 2, "2 d")],
)
def test_span_words(now, seconds, words):
    assert watchlist.span_words(now - dt.timedelta(seconds=seconds), now) == words


def test_nine_declined_guest_attempts_within_two_minutes_are_flagged(session, now, renee, ben):
    _who, account = renee
    _ben, other = ben
    for i in range(9):
        pay(session, account, 100, status="declined", at=now - dt.timedelta(seconds=13 * i), source=PaymentSource.GUEST)
    pay(session, other, 100, status="declined", at=now)  # one decline elsewhere: no flag there
    flags = watchlist.flags_for_accounts(session, [account.id, other.id], now=now)
    assert list(flags) == [account.id]
    [flag] = flags[account.id]
    assert (flag.kind, flag.label) == ("declines", "Many declines")
    assert flag.detail == "9 declined payments within 2 min (9 by guests), last Mar 10 at 1:00 PM ET"


def test_declines_below_the_threshold_spread_out_or_long_ago_raise_no_flag(session, now, renee):
    _who, account = renee
    for i in range(4):  # four in a minute: one short of the threshold
        pay(session, account, 100, status="declined", at=now - dt.timedelta(seconds=10 * i))
    for i in range(5):  # five, one every two hours
        pay(session, account, 100, status="declined", at=now - dt.timedelta(hours=2 * (i + 1)))
    for i in range(6):  # six in a burst, but before the lookback
        pay(session, account, 100, status="declined", at=now - watchlist.LOOKBACK - dt.timedelta(minutes=i))
    assert watchlist.flags_for_accounts(session, [account.id], now=now) == {}
    # …and a lower threshold (as a setting would give) does flag the four.
    stricter = Thresholds(declines=Rule(4, dt.timedelta(minutes=5)))
    [flag] = watchlist.flags_for_accounts(session, [account.id], now=now, limits=stricter)[account.id]
    assert flag.detail.startswith("4 declined payments within 1 min, last")  # members', so no "by guests"


def test_two_returned_payments_within_sixty_days_are_flagged(session, now, renee):
    _who, account = renee
    for days_ago in (50, 3):
        payment = pay(session, account, 45000, status="pending", kind="bank", at=now - dt.timedelta(days=days_ago + 4))
        records.move(session, payment, PaymentStatus.RETURNED, now=now - dt.timedelta(days=days_ago))
    session.commit()
    [flag] = watchlist.flags_for_accounts(session, [account.id], now=now)[account.id]
    assert (flag.kind, flag.label) == ("returns", "Returns")
    assert flag.detail == "2 returned payments within 47 d, last Mar 7 at 12:00 PM ET"
    shorter = Thresholds(returns=Rule(2, dt.timedelta(days=30)))
    assert watchlist.flags_for_accounts(session, [account.id], now=now, limits=shorter) == {}


def test_many_declines_means_the_card_guards_per_account_cap(monkeypatch):
    assert watchlist.thresholds().declines == Rule(5, dt.timedelta(hours=1))  # the default cap
    monkeypatch.setenv("HCPAY_DECLINES_PER_ACCOUNT_PER_HOUR", "8")
    get_settings.cache_clear()  # the unit conftest clears it again afterwards
    assert watchlist.thresholds().declines == Rule(8, dt.timedelta(hours=1))


def test_no_accounts_no_queries():
    assert watchlist.flags_for_accounts(None, [], now=dt.datetime(2026, 3, 10, tzinfo=dt.UTC)) == {}


# --------------------------------------------------------------------------------------------
# The queue and tickets as staff read them
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ago", "words"),
    [
        (dt.timedelta(seconds=30), "0 min"),
        (dt.timedelta(minutes=25), "25 min"),
        (dt.timedelta(hours=3, minutes=59), "3 h"),
        (dt.timedelta(hours=23, minutes=59), "23 h"),
        (dt.timedelta(days=2, hours=5), "2 d"),
        (-dt.timedelta(minutes=5), "0 min"),  # a clock a little behind never reads negative
    ],
)
def test_age_words(now, ago, words):
    assert tickets.age_words(now - ago, now) == words


def test_the_queue_shows_age_member_account_flags_and_authors_by_role(session, now, renee, ben, staff):
    who, account = renee
    view = open_one(session, who, now=now - dt.timedelta(hours=3, minutes=5))
    console.reply(session, staff, ticket_number=view.number, body="Looking into it.", close=False, now=now)
    for i in range(9):
        pay(session, account, 100, status="declined", at=now - dt.timedelta(seconds=13 * i), source=PaymentSource.GUEST)
    ben_who, _other = ben
    ben_view = open_one(session, ben_who, now=now - dt.timedelta(days=2, hours=1))

    queue = {t.number: (member_id, t) for member_id, t in console.open_tickets(session, staff, now=now)}
    member_id, queued = queue[view.number]
    assert member_id == account.member_id
    assert (queued.member_name, queued.account_number, queued.age, queued.flags) == (
        "Renée O’Neil-Dubois",
        account.account_number,
        "3 h",
        ["Many declines"],
    )
    assert [m.author for m in queued.messages] == ["Member — Renée O’Neil-Dubois", "Staff — sam.support"]
    _ben_id, ben_queued = queue[ben_view.number]
    assert (ben_queued.member_name, ben_queued.age, ben_queued.flags) == ("Ben Okafor", "2 d", [])

    # The member still reads their own words as "You", and staff's as "Support".
    [mine] = tickets.my_tickets(session, who)
    assert [m.author for m in mine.messages] == ["You", "Support"]
    assert (mine.member_name, mine.age, mine.flags) == ("", "", [])


def test_the_member_record_carries_its_flags_and_staff_ticket_views(session, now, today, renee, staff):
    who, account = renee
    open_one(session, who, now=now - dt.timedelta(minutes=40))
    for i in range(6):
        pay(session, account, 100, status="declined", at=now - dt.timedelta(minutes=i), source=PaymentSource.GUEST)
    record = console.member_record(session, staff, account.member_id, today=today, now=now)
    assert [(f.kind, f.label) for f in record.flags] == [("declines", "Many declines")]
    assert "6 declined payments within 5 min (6 by guests)" in record.flags[0].detail
    [ticket] = record.tickets
    assert (ticket.age, ticket.flags, ticket.messages[0].author) == (
        "40 min",
        ["Many declines"],
        "Member — Renée O’Neil-Dubois",
    )


def test_a_record_with_nothing_unusual_has_no_flags(session, now, today, renee, staff):
    _who, account = renee
    pay(session, account, 45000, at=now - dt.timedelta(days=1))
    assert console.member_record(session, staff, account.member_id, today=TODAY, now=now).flags == []
