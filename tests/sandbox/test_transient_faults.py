"""Transient errors on demand: 409, 400 "Please try again later.", Cloudflare's 520-524.

Each is answered before the request is carried out, except the statuses in
``applied_statuses`` (524 by default: the origin timed out, and may well have finished).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from lightspeed_sandbox import FaultConfig, Sandbox, SandboxConfig
from lightspeed_sandbox.cli import build_parser, config_from_args

from .conftest import Api


@pytest.fixture
def fsb() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed=4, customers=20, items=5, sales=5, bucket_enabled=False)) as sb:
        yield sb


def customer_count(api: Api) -> int:
    return int(api.get("Customer.json", {"count": "1"}).json()["@attributes"]["count"])


def test_edit_conflict_on_the_next_put_is_not_carried_out(fsb: Sandbox) -> None:
    api = Api(fsb)
    fsb.set_faults(statuses=(409,), error_requests=1, error_methods=("PUT",))
    # GETs pass untouched: the error waits for the PUT.
    assert api.get("Customer/3.json").status_code == 200
    before = api.get("Customer/3.json").json()["Customer"]
    resp = api.request("PUT", "Customer/3.json", json={"company": "Conflicted"})
    assert resp.status_code == 409
    assert resp.json()["httpCode"] == "409"
    assert "changed by another request" in resp.json()["message"]
    assert api.get("Customer/3.json").json()["Customer"] == before
    again = api.request("PUT", "Customer/3.json", json={"company": "Conflicted"})
    assert again.status_code == 200
    assert again.json()["Customer"]["company"] == "Conflicted"
    assert fsb.stats()["faults"]["errors"] == 1


def test_try_again_later_400_is_not_carried_out(fsb: Sandbox) -> None:
    api = Api(fsb)
    count = customer_count(api)
    fsb.set_faults(statuses=(400,), error_requests=1, error_methods=("POST",))
    resp = api.request("POST", "Customer.json", json={"firstName": "Later"})
    assert resp.status_code == 400
    assert resp.json()["message"] == "Please try again later."
    assert customer_count(api) == count
    assert api.request("POST", "Customer.json", json={"firstName": "Later"}).status_code == 200
    assert customer_count(api) == count + 1


@pytest.mark.parametrize("status", [520, 521, 522, 523])
def test_cloudflare_errors_are_html_pages_and_not_carried_out(fsb: Sandbox, status: int) -> None:
    api = Api(fsb)
    count = customer_count(api)
    fsb.set_faults(statuses=(status,), error_requests=1, error_methods=("POST",))
    resp = api.request("POST", "Customer.json", json={"firstName": "Edge"})
    assert resp.status_code == status
    assert resp.headers["Content-Type"].startswith("text/html")
    assert f"{status}:" in resp.text
    assert not resp.text.lstrip().startswith("{")  # Cloudflare's page, not Lightspeed's JSON
    assert customer_count(api) == count


def test_524_is_carried_out_by_default_and_configurable(fsb: Sandbox) -> None:
    api = Api(fsb)
    count = customer_count(api)
    fsb.set_faults(statuses=(524,), error_requests=1, error_methods=("POST",))
    resp = api.request("POST", "Customer.json", json={"firstName": "Timed", "lastName": "Out"})
    assert resp.status_code == 524
    # The origin finished the create although the answer never came back.
    assert customer_count(api) == count + 1
    assert any(c["firstName"] == "Timed" for c in api.all("Customer", {"lastName": "Out"}))
    assert fsb.stats()["faults"]["errors_carried_out"] == 1
    # 520 too, when asked; and 524 not, when taken out of applied_statuses.
    fsb.set_faults(statuses=(520, 524), error_requests=2, applied_statuses=(520,))
    assert api.request("POST", "Customer.json", json={"firstName": "A"}).status_code == 520
    assert api.request("POST", "Customer.json", json={"firstName": "B"}).status_code == 524
    assert customer_count(api) == count + 2


def test_next_n_errors_take_the_statuses_in_turn(fsb: Sandbox) -> None:
    api = Api(fsb)
    fsb.set_faults(statuses=(409, 400, 522), error_requests=4)
    got = [api.get("Customer/1.json").status_code for _ in range(6)]
    assert got == [409, 400, 522, 409, 200, 200]


def test_transient_statuses_at_a_rate(fsb: Sandbox) -> None:
    api = Api(fsb)
    fsb.set_faults(error_rate=0.5, statuses=(409, 400, 520, 524), seed=3)
    got = [api.get("Customer.json", {"limit": "1"}).status_code for _ in range(80)]
    errors = {s for s in got if s != 200}
    assert errors == {409, 400, 520, 524}


def test_unknown_fault_statuses_are_refused(fsb: Sandbox) -> None:
    with pytest.raises(ValueError, match="cannot inject status 418"):
        FaultConfig(statuses=(418,))
    url = f"{fsb.base_url}/_admin/faults"
    bad = requests.post(url, json={"statuses": [418]}, timeout=10)
    assert bad.status_code == 400
    assert "418" in bad.json()["error"]
    good = requests.post(
        url,
        json={"statuses": [409], "error_requests": 2, "error_methods": ["put"]},
        timeout=10,
    )
    assert good.status_code == 200
    faults = requests.get(url, timeout=10).json()["faults"]
    assert faults["statuses"] == [409]
    assert faults["error_requests"] == 2
    assert faults["error_methods"] == ["PUT"]
    assert faults["applied_statuses"] == [524]


def test_cli_flags_for_transient_errors_and_api_behaviour() -> None:
    args = build_parser().parse_args(
        [
            "serve",
            "--error-statuses",
            "409,400,524",
            "--error-requests",
            "3",
            "--error-methods",
            "POST,PUT",
            "--applied-statuses",
            "520,524",
            "--relation-in",
            "ignored",
            "--max-url-length",
            "4096",
        ]
    )
    cfg = config_from_args(args)
    assert cfg.faults.statuses == (409, 400, 524)
    assert cfg.faults.error_requests == 3
    assert cfg.faults.error_methods == ("POST", "PUT")
    assert cfg.faults.applied_statuses == (520, 524)
    assert cfg.relation_in == "ignored"
    assert cfg.max_url_length == 4096
    defaults = config_from_args(build_parser().parse_args(["serve"]))
    assert defaults.relation_in == "refused"
    assert defaults.max_url_length == 8190
    assert defaults.faults.applied_statuses == (524,)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--relation-in", "maybe"])
