"""bench/bench_full_sync.py: the floor is one request per 100 records of every query needed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import bench_full_sync  # noqa: E402


@pytest.mark.parametrize(
    ("pass_records", "requests"),
    [
        ([0], 1),  # an empty list still takes a request to find out
        ([1], 1),
        ([100], 1),
        ([101], 2),
        ([10_050], 101),
        ([8, 3], 2),  # store credit, then gift cards: two queries of one page each
        ([100, 0], 2),  # an empty second query still takes its request
        ([150, 150], 4),  # per query, not ceil(300 / 100) = 3
    ],
)
def test_floor_is_a_request_per_100_records_of_each_query(pass_records, requests):
    assert bench_full_sync.floor(pass_records, 1.6) == (requests, round(requests * 1.6, 4))


def test_credit_accounts_take_two_queries_and_gift_cards_only_come_when_asked():
    assert bench_full_sync.PASSES["CreditAccount"] == ({}, {"giftCard": "true"})
    assert bench_full_sync.pass_name({}) == "list"
    assert bench_full_sync.pass_name({"giftCard": "true"}) == "giftCard=true"


def test_a_small_full_sync_meets_the_floor_counted_per_query():
    """The real tap against a small store: every request is in the floor, none extra."""
    results = bench_full_sync.run_full_sync(customers=150, items=40, sales=30, drip=1000)
    assert results["ok"]
    credit = results["endpoints"]["CreditAccount"]
    assert set(credit["passes"]) == {"list", "giftCard=true"}
    assert all(records > 0 for records in credit["passes"].values())
    assert credit["records"] == credit["stored"]  # the two queries list every account once
    assert credit["requests"] == credit["floor_requests"] == 2
    for name, endpoint in results["endpoints"].items():
        assert endpoint["records"] == endpoint["stored"], name
    assert results["floor_requests"] == sum(
        e["floor_requests"] for e in results["endpoints"].values()
    )
    assert results["extra_requests"] == 0
    assert results["extra_units"] == 0
