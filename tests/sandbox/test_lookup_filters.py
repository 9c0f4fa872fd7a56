"""Lookups as the docs describe them: IN on relation filters, phone filters, URL length."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from lightspeed_sandbox import Sandbox, SandboxConfig

from .conftest import Api


@pytest.fixture
def lsb() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed=6, customers=40, items=5, sales=5, bucket_enabled=False)) as sb:
        yield sb


def emails_of(record: dict) -> list[str]:
    emails = record["Contact"]["Emails"]
    found = emails["ContactEmail"] if emails else []
    found = [found] if isinstance(found, dict) else found
    return [e["address"] for e in found]


def email_in(api: Api, wanted: list[str]) -> requests.Response:
    return api.get(
        "Customer.json",
        {
            "load_relations": '["Contact"]',
            "Contact.email": "IN," + json.dumps(wanted),
            "archived": "true",
        },
    )


def two_emails(api: Api) -> list[str]:
    records = api.all("Customer", {"load_relations": '["Contact"]', "archived": "true"})
    return [emails_of(records[3])[0], emails_of(records[7])[0]]


def test_in_on_a_relation_filter_is_refused_by_default(lsb: Sandbox) -> None:
    api = Api(lsb)
    resp = email_in(api, two_emails(api))
    assert resp.status_code == 400
    assert "IN operator is not supported" in resp.json()["message"]
    # One value with '=' is what the docs show, and works.
    wanted = two_emails(api)[0]
    one = api.all("Customer", {"load_relations": '["Contact"]', "Contact.email": wanted})
    assert [wanted in emails_of(r) for r in one] == [True]
    # IN on a plain field is documented and works in every mode.
    assert api.get("Customer.json", {"customerID": "IN,[1,2]"}).status_code == 200


def test_in_on_a_relation_filter_ignored_returns_every_record(lsb: Sandbox) -> None:
    api = Api(lsb)
    wanted = two_emails(api)
    lsb.set_relation_in("ignored")
    resp = email_in(api, wanted)
    assert resp.status_code == 200
    got = resp.json()["Customer"]
    assert len(got) == 40
    assert sum(1 for r in got if set(emails_of(r)) & set(wanted)) == 2
    # A plain field IN is still applied.
    ids = api.get("Customer.json", {"customerID": "IN,[1,2]"}).json()["Customer"]
    assert [c["customerID"] for c in ids] == ["1", "2"]


def test_in_on_a_relation_filter_supported_mode_filters(lsb: Sandbox) -> None:
    api = Api(lsb)
    wanted = two_emails(api)
    lsb.set_relation_in("supported")
    got = email_in(api, wanted).json()["Customer"]
    assert sorted(e for r in got for e in emails_of(r) if e in wanted) == sorted(wanted)
    assert len(got) == 2
    with pytest.raises(ValueError, match="relation_in"):
        lsb.set_relation_in("sometimes")
    with pytest.raises(ValueError, match="relation_in"):
        SandboxConfig(relation_in="sometimes")


def test_phone_filters_are_named_as_in_the_docs(lsb: Sandbox) -> None:
    api = Api(lsb)
    created = api.request(
        "POST",
        "Customer.json",
        json={
            "firstName": "Phoebe",
            "Contact": {
                "Phones": {
                    "ContactPhone": [
                        {"number": "555-0101", "useType": "Home"},
                        {"number": "555-0102", "useType": "Work"},
                        {"number": "555-0103", "useType": "Mobile"},
                        {"number": "555-0104", "useType": "Pager"},
                        {"number": "555-0105", "useType": "Fax"},
                    ]
                }
            },
        },
    ).json()["Customer"]
    numbers = {
        "phoneHome": "555-0101",
        "phoneWork": "555-0102",
        "mobile": "555-0103",
        "pager": "555-0104",
        "fax": "555-0105",
    }
    for name, number in numbers.items():
        for other, other_number in numbers.items():
            got = api.all(
                "Customer", {"load_relations": '["Contact"]', f"Contact.{name}": other_number}
            )
            ids = [c["customerID"] for c in got]
            assert ids == ([created["customerID"]] if other == name else []), (name, other)
        assert api.get("Customer.json", {f"Contact.{name}": number}).status_code == 400


def test_a_request_url_past_the_limit_gets_414(sandbox_factory) -> None:
    sb = sandbox_factory(customers=5, items=5, sales=5, max_url_length=2000, bucket_enabled=False)
    api = Api(sb)
    base = len(f"/API/V3/Account/{api.account}/Customer.json?lastName=")
    ok = api.get("Customer.json", {"lastName": "x" * (2000 - base)})
    assert ok.status_code == 200
    too_long = api.get("Customer.json", {"lastName": "x" * (2001 - base)})
    assert too_long.status_code == 414
    assert sb.stats()["requests"] == 1  # refused at the edge, before the API


def test_the_default_url_limit_and_no_limit() -> None:
    assert SandboxConfig().max_url_length == 8190
    with Sandbox(SandboxConfig(customers=2, items=2, sales=2, max_url_length=0)) as sb:
        api = Api(sb)
        assert api.get("Customer.json", {"lastName": "x" * 20_000}).status_code == 200


def test_the_behaviour_admin_endpoint(lsb: Sandbox) -> None:
    url = f"{lsb.base_url}/_admin/behaviour"
    assert requests.get(url, timeout=10).json() == {
        "relation_in": "refused",
        "max_url_length": 8190,
    }
    changed = requests.post(url, json={"relation_in": "ignored", "max_url_length": 100}, timeout=10)
    assert changed.json() == {"relation_in": "ignored", "max_url_length": 100}
    api = Api(lsb)
    assert email_in(api, ["a@example.com", "b@example.com"]).status_code == 414
    requests.post(url, json={"max_url_length": 0}, timeout=10)
    assert email_in(api, ["a@example.com", "b@example.com"]).status_code == 200
    bad = requests.post(url, json={"relation_in": "maybe"}, timeout=10)
    assert bad.status_code == 400
    assert "relation_in" in bad.json()["error"]
    assert requests.post(url, json={"colour": "red"}, timeout=10).status_code == 400
