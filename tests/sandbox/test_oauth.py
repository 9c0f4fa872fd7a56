"""OAuth: authorize, both grants, rotation, single-use refresh tokens, documented errors."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from lightspeed_client.scopes import ALL, ENTITY_SCOPES, REQUESTABLE_SCOPES
from lightspeed_sandbox import Sandbox, SandboxConfig
from lightspeed_sandbox.entities import ENTITIES

from .conftest import Api


def authorize(sb: Sandbox, **params: str) -> requests.Response:
    query = {"response_type": "code", "client_id": sb.client_id, "scope": "employee:all", **params}
    return requests.get(sb.auth_url, params=query, allow_redirects=False, timeout=10)


def code_from(resp: requests.Response) -> dict[str, list[str]]:
    assert resp.status_code == 302, resp.text
    location = resp.headers["Location"]
    return parse_qs(urlsplit(location).query)


def token(sb: Sandbox, as_json: bool = False, **form: str) -> requests.Response:
    data = {"client_id": sb.client_id, "client_secret": sb.client_secret, **form}
    if as_json:
        return requests.post(sb.token_url, json=data, timeout=10)
    return requests.post(sb.token_url, data=data, timeout=10)


def use(sb: Sandbox, access_token: str, path: str = "/API/V3/Account.json") -> requests.Response:
    return requests.get(
        sb.base_url + path, headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )


def jwt_claims(access_token: str) -> dict:
    payload = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_authorize_redirects_with_code_and_state_and_code_grant_works(small: Sandbox) -> None:
    resp = authorize(small, state="xyz-123", scope="employee:customers_read employee:inventory")
    assert resp.headers["Location"].startswith(small.redirect_uri + "?")
    query = code_from(resp)
    assert query["state"] == ["xyz-123"]
    tok = token(small, grant_type="authorization_code", code=query["code"][0])
    assert tok.status_code == 200, tok.text
    body = tok.json()
    assert list(body) == ["token_type", "expires_in", "access_token", "refresh_token"]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_token"].startswith("def50")
    assert jwt_claims(body["access_token"])["acct"] == small.account_ids[0]
    assert use(small, body["access_token"]).status_code == 200
    # Codes are single-use.
    again = token(small, grant_type="authorization_code", code=query["code"][0])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_authorize_for_another_account(small: Sandbox) -> None:
    second = small.account_ids[1]
    query = code_from(authorize(small, account_id=second))
    body = token(small, grant_type="authorization_code", code=query["code"][0]).json()
    assert jwt_claims(body["access_token"])["acct"] == second
    assert use(small, body["access_token"]).json()["Account"]["accountID"] == second


def test_auth_code_expires() -> None:
    with Sandbox(SandboxConfig(customers=5, items=5, sales=5, auth_code_lifetime=0.3)) as sb:
        code = code_from(authorize(sb))["code"][0]
        time.sleep(0.5)
        resp = token(sb, grant_type="authorization_code", code=code)
        assert resp.status_code == 400
        assert resp.json()["error"] == "invalid_grant"


def test_pkce_s256(small: Sandbox) -> None:
    verifier = "a" * 43 + "-verifier"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    params = {"code_challenge": challenge.decode(), "code_challenge_method": "S256"}
    code = code_from(authorize(small, **params))["code"][0]
    bad = token(small, grant_type="authorization_code", code=code, code_verifier="wrong")
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_grant"
    code = code_from(authorize(small, **params))["code"][0]
    missing = token(small, grant_type="authorization_code", code=code)
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    code = code_from(authorize(small, **params))["code"][0]
    good = token(small, grant_type="authorization_code", code=code, code_verifier=verifier)
    assert good.status_code == 200


def test_authorize_errors(small: Sandbox) -> None:
    bad_scope = code_from(authorize(small, scope="employee:everything", state="s"))
    assert bad_scope["error"] == ["invalid_scope"]
    assert bad_scope["state"] == ["s"]
    unknown = requests.get(
        small.auth_url,
        params={"response_type": "code", "client_id": "nope"},
        allow_redirects=False,
        timeout=10,
    )
    assert unknown.status_code == 401
    assert unknown.json()["error"] == "invalid_client"


def test_refresh_rotation_old_token_dies_once_new_access_token_is_used(small: Sandbox) -> None:
    rt1 = small.issue_refresh_token(small.account_ids[0])
    first = token(small, grant_type="refresh_token", refresh_token=rt1).json()
    assert first["refresh_token"] != rt1
    # Until the new access token is used, the old refresh token may be retried.
    retry = token(small, grant_type="refresh_token", refresh_token=rt1)
    assert retry.status_code == 200
    second = retry.json()
    assert use(small, second["access_token"]).status_code == 200
    dead = token(small, grant_type="refresh_token", refresh_token=rt1)
    assert dead.status_code == 400
    body = dead.json()
    assert body["error"] == "invalid_grant"
    assert set(body) == {"error", "error_description", "hint"}
    # The sibling from the first attempt died with its parent; the used chain continues.
    assert (
        token(small, grant_type="refresh_token", refresh_token=first["refresh_token"]).status_code
        == 400
    )
    third = token(small, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert third.status_code == 200
    assert small.stats()["refreshes"] >= 3


def test_using_the_new_refresh_token_kills_the_old_one(small: Sandbox) -> None:
    rt1 = small.issue_refresh_token(small.account_ids[0])
    rt2 = token(small, grant_type="refresh_token", refresh_token=rt1).json()["refresh_token"]
    assert token(small, grant_type="refresh_token", refresh_token=rt2).status_code == 200
    assert token(small, grant_type="refresh_token", refresh_token=rt1).status_code == 400


def test_refresh_retry_limit(small: Sandbox) -> None:
    rt = small.issue_refresh_token(small.account_ids[0])
    for _ in range(5):
        assert token(small, grant_type="refresh_token", refresh_token=rt).status_code == 200
    over = token(small, grant_type="refresh_token", refresh_token=rt)
    assert over.status_code == 429
    assert "Retry-After" in over.headers


def test_token_endpoint_errors(small: Sandbox) -> None:
    rt = small.issue_refresh_token(small.account_ids[0])
    with_scope = token(small, grant_type="refresh_token", refresh_token=rt, scope="employee:all")
    assert with_scope.status_code == 400
    assert with_scope.json()["error"] == "invalid_grant"
    bad_secret = requests.post(
        small.token_url,
        data={
            "grant_type": "refresh_token",
            "client_id": small.client_id,
            "client_secret": "wrong",
            "refresh_token": rt,
        },
        timeout=10,
    )
    assert bad_secret.status_code == 401
    assert bad_secret.json()["error"] == "invalid_client"
    missing = token(small, grant_type="refresh_token")
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    no_grant = token(small)
    assert no_grant.status_code == 400
    assert no_grant.json()["error"] == "invalid_request"
    unknown = token(small, grant_type="refresh_token", refresh_token="def50200nope")
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_grant"
    # The refresh token was never consumed by the failed attempts.
    assert token(small, grant_type="refresh_token", refresh_token=rt).status_code == 200


def test_json_token_request_and_basic_auth(small: Sandbox) -> None:
    rt = small.issue_refresh_token(small.account_ids[0])
    resp = token(small, as_json=True, grant_type="refresh_token", refresh_token=rt)
    assert resp.status_code == 200
    rt2 = resp.json()["refresh_token"]
    basic = requests.post(
        small.token_url,
        data={"grant_type": "refresh_token", "refresh_token": rt2},
        auth=(small.client_id, small.client_secret),
        timeout=10,
    )
    assert basic.status_code == 200


def test_access_token_lifetime_and_expiry() -> None:
    with Sandbox(SandboxConfig(customers=5, items=5, sales=5, access_token_lifetime=1)) as sb:
        rt = sb.issue_refresh_token(sb.account_ids[0])
        body = token(sb, grant_type="refresh_token", refresh_token=rt).json()
        assert body["expires_in"] == 1
        assert use(sb, body["access_token"]).status_code == 200
        time.sleep(1.3)
        resp = use(sb, body["access_token"])
        assert resp.status_code == 401
        assert resp.json()["hint"] == "Access token could not be verified"
        assert resp.json()["error"] == "access_denied"


def test_bad_tokens_are_401(small: Sandbox) -> None:
    assert use(small, "garbage").status_code == 401
    assert requests.get(small.base_url + "/API/V3/Account.json", timeout=10).status_code == 401
    api = Api(small)
    forged = api.session.headers["Authorization"][7:-2] + "xx"
    assert use(small, forged).status_code == 401


def test_token_for_another_account_is_forbidden(small: Sandbox) -> None:
    api = Api(small, small.account_ids[0])
    other = small.account_ids[1]
    resp = api.session.get(f"{small.base_url}/API/V3/Account/{other}/Customer.json", timeout=10)
    assert resp.status_code == 403
    assert resp.headers["Content-Type"].startswith("text/html")


def test_read_only_scope_cannot_write(small: Sandbox) -> None:
    api = Api(small, scope="employee:customers_read")
    assert api.get("Customer.json", {"limit": "1"}).status_code == 200
    assert api.request("POST", "Customer.json", json={"firstName": "X"}).status_code == 403
    assert api.get("Item.json", {"limit": "1"}).status_code == 403


@pytest.mark.parametrize("lifetime", [1800])
def test_configurable_lifetime(lifetime: int) -> None:
    with Sandbox(
        SandboxConfig(customers=1, items=1, sales=1, access_token_lifetime=lifetime)
    ) as sb:
        rt = sb.issue_refresh_token(sb.account_ids[0])
        assert (
            token(sb, grant_type="refresh_token", refresh_token=rt).json()["expires_in"] == lifetime
        )


# -- scopes per entity (lightspeed_client.scopes, from the official pages) ---------------------

SERVED = sorted(ENTITIES)
ALL_BUT_ALL = [s for s in REQUESTABLE_SCOPES if s != ALL]


def _token(sb: Sandbox, scopes: Iterable[str]) -> Api:
    return Api(sb, scope=" ".join(scopes))


def test_every_served_entity_has_its_scopes_from_the_pages() -> None:
    assert set(SERVED) <= set(ENTITY_SCOPES)
    for entity, entry in ENTITY_SCOPES.items():
        assert entry.read, entity
        assert set(entry.read) | set(entry.write) <= set(REQUESTABLE_SCOPES), entity
        assert ALL not in entry.read + entry.write, entity  # scopes_for adds it
        assert not [s for s in entry.write if s.endswith("_read")], entity


@pytest.mark.parametrize("entity", SERVED)
def test_each_scope_of_an_entity_reads_it_and_no_other_does(sandbox: Sandbox, entity: str) -> None:
    for scope in (*ENTITY_SCOPES[entity].read, ALL):
        resp = _token(sandbox, [scope]).get(f"{entity}.json", {"limit": "1"})
        assert resp.status_code == 200, (entity, scope, resp.text)
    others = [s for s in ALL_BUT_ALL if s not in ENTITY_SCOPES[entity].read]
    refused = _token(sandbox, others).get(f"{entity}.json", {"limit": "1"})
    assert refused.status_code == 403, (entity, refused.text)
    assert refused.headers["Content-Type"].startswith("text/html")
    body = refused.json()
    assert (body["httpCode"], body["httpMessage"]) == ("403", "Forbidden")
    assert entity in body["message"]


@pytest.mark.parametrize("entity", SERVED)
def test_read_scopes_never_write_and_write_scopes_do(sandbox: Sandbox, entity: str) -> None:
    # The body is not JSON: a write the scope allows is refused later (400, or 405 where the
    # sandbox serves no write), so nothing is stored.
    read_only = [s for s in ALL_BUT_ALL if s not in ENTITY_SCOPES[entity].write]
    assert any(s.endswith("_read") for s in read_only)
    resp = _token(sandbox, read_only).request("POST", f"{entity}.json", data="not json")
    assert resp.status_code == 403, (entity, resp.text)
    for scope in (*ENTITY_SCOPES[entity].write, ALL):
        resp = _token(sandbox, [scope]).request("POST", f"{entity}.json", data="not json")
        assert resp.status_code in (400, 405), (entity, scope, resp.text)


def test_sale_lines_and_item_images_need_their_own_scopes(sandbox: Sandbox) -> None:
    register_read = _token(sandbox, ["employee:register_read"])
    sale = register_read.get("Sale.json", {"limit": "1"}).json()["Sale"]
    sale_id = (sale[0] if isinstance(sale, list) else sale)["saleID"]
    assert register_read.get(f"Sale/{sale_id}/SaleLine.json").status_code == 200
    line = register_read.request("POST", f"Sale/{sale_id}/SaleLine.json", data="not json")
    assert line.status_code == 403
    assert _token(sandbox, ["employee:vendors"]).get("Item/1/Image.json").status_code == 403
    assert _token(sandbox, ["employee:reports"]).get("Item/1/Image.json").status_code == 200
