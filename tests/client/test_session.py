from __future__ import annotations

import json
import logging
import socket
import threading

import pytest
import requests
import requests_mock

from lightspeed_client import (
    LightspeedAPIError,
    LightspeedClient,
    MissingScopeError,
    RetriesExhaustedError,
    UncertainWriteError,
)
from lightspeed_client.responses import MAX_RETRY_AFTER_SECONDS

from .conftest import (
    ACCOUNT,
    API,
    CLIENT_SECRET,
    FIRST_REFRESH,
    FakeTime,
    RotatingTokenEndpoint,
    bucket_headers,
)

ITEMS_URL = f"{API}/API/V3/Account/{ACCOUNT}/Item.json"


@pytest.fixture
def client(config, token_endpoint):
    client = LightspeedClient.for_config(config)
    client.session._sleep = lambda _seconds: None
    client.pacer._sleep = lambda _seconds: None
    return client


def test_429_waits_retry_after_then_succeeds(client, requests_mock):
    fake = FakeTime()
    client.pacer._clock, client.pacer._sleep = fake.clock, fake.sleep
    requests_mock.get(
        ITEMS_URL,
        [
            {
                "status_code": 429,
                "text": json.dumps({"httpCode": "429", "message": "Rate limit exceeded"}),
                "headers": {
                    **bucket_headers(90.5),
                    "Retry-After": "3",
                    "X-LS-API-RateLimit-Type": "api-leaky-bucket",
                },
            },
            {"status_code": 200, "json": {"Item": []}, "headers": bucket_headers(80)},
        ],
    )
    response = client.session.get(ITEMS_URL)
    assert response.status_code == 200
    assert client.session.stats.rate_limited == 1
    assert fake.slept == [3.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_with_backoff(client, requests_mock, status):
    slept = []
    client.session._sleep = slept.append
    requests_mock.get(
        ITEMS_URL,
        [
            {"status_code": status, "text": "oops", "headers": bucket_headers(1)},
            {"status_code": status, "text": "oops", "headers": bucket_headers(2)},
            {"status_code": 200, "json": {"Item": []}, "headers": bucket_headers(3)},
        ],
    )
    assert client.session.get(ITEMS_URL).status_code == 200
    assert client.session.stats.server_errors == 2
    assert len(slept) == 2
    assert all(0 <= s <= 60 for s in slept)


def test_backoff_is_capped_and_jittered(config, token_endpoint, requests_mock):
    client = LightspeedClient.for_config({**config, "max_retries": 12})
    slept = []
    client.session._sleep = slept.append
    client.session.backoff_cap = 4.0
    requests_mock.get(ITEMS_URL, status_code=503, headers=bucket_headers(1))
    with pytest.raises(RetriesExhaustedError) as raised:
        client.session.get(ITEMS_URL)
    assert raised.value.attempts == 13
    assert len(slept) == 12
    assert max(slept) <= 4.0
    assert len(set(slept)) > 1  # jitter


def test_connection_reset_and_timeouts_are_retried(client, requests_mock):
    requests_mock.get(
        ITEMS_URL,
        [
            {"exc": requests.exceptions.ConnectionError("Connection reset by peer")},
            {"exc": requests.exceptions.ReadTimeout("read timed out")},
            {"exc": requests.exceptions.ChunkedEncodingError("dropped mid-body")},
            {"status_code": 200, "json": {"Item": []}, "headers": bucket_headers(1)},
        ],
    )
    assert client.session.get(ITEMS_URL).status_code == 200
    assert client.session.stats.connection_errors == 3


def test_retries_run_out_with_a_clear_error(client, requests_mock):
    requests_mock.get(ITEMS_URL, status_code=502, text="bad gateway", headers=bucket_headers(1))
    with pytest.raises(RetriesExhaustedError) as raised:
        client.session.get(ITEMS_URL + "?limit=100")
    message = str(raised.value)
    assert message.startswith(f"GET /API/V3/Account/{ACCOUNT}/Item.json still failing after 9")
    assert "HTTP 502" in message
    assert "limit=100" not in message


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_client_errors_are_not_retried_and_carry_lightspeeds_message(client, requests_mock, status):
    body = {
        "httpCode": str(status),
        "httpMessage": "Bad",
        "message": "Object of type 'Item' not found with primary ID '2'.",
        "errorClass": "Exception",
    }
    requests_mock.get(
        f"{API}/API/V3/Account/{ACCOUNT}/Item/2.json",
        status_code=status,
        text=json.dumps(body),
        headers={**bucket_headers(1), "Content-Type": "text/html"},
    )
    with pytest.raises(LightspeedAPIError) as raised:
        client.session.get(f"{API}/API/V3/Account/{ACCOUNT}/Item/2.json?load_relations=all")
    error = raised.value
    assert (error.status, error.method, error.path) == (
        status,
        "GET",
        f"/API/V3/Account/{ACCOUNT}/Item/2.json",
    )
    assert error.message == "Object of type 'Item' not found with primary ID '2'."
    assert "load_relations" not in str(error)
    assert requests_mock.call_count == 2  # token + one API call, no retry


@pytest.mark.parametrize(
    ("method", "path", "needs"),
    [
        ("GET", "Order.json", "Reading Order needs one of the scopes employee:purchase_orders,"),
        ("GET", "Inventory/Transfer.json", "Reading Transfer needs one of the scopes employee:"),
        ("POST", "Customer.json", "Writing Customer needs one of the scopes employee:customers,"),
        ("PUT", "Sale/4/SaleLine/9.json", "Writing SaleLine needs one of the scopes employee:"),
    ],
)
def test_403_names_the_scopes_the_request_needs(client, requests_mock, method, path, needs):
    url = f"{API}/API/V3/Account/{ACCOUNT}/{path}"
    body = {"httpCode": "403", "httpMessage": "Forbidden", "message": "Access denied."}
    requests_mock.register_uri(
        method, url, status_code=403, text=json.dumps(body), headers=bucket_headers(1)
    )
    with pytest.raises(MissingScopeError) as raised:
        client.session.request(method, url + "?limit=1", json={} if method != "GET" else None)
    error = raised.value
    assert error.status == 403
    assert error.needed[-1] == "employee:all"
    message = str(error)
    assert message.startswith(f"{method} /API/V3/Account/{ACCOUNT}/{path} failed with HTTP 403")
    assert "Access denied." in message
    assert needs in message
    assert "limit=" not in message
    assert CLIENT_SECRET not in message
    assert requests_mock.call_count == 2  # token + one API call, no retry
    about = error.about("Stream 'x'")
    assert str(about) == f"Stream 'x': {message}"
    assert about.about("Stream 'y'") is about  # the innermost subject is kept


def lightspeed_error(status: int, message: str) -> dict:
    """A requests-mock response with Lightspeed's error envelope (served as text/html)."""
    body = {"httpCode": str(status), "httpMessage": "Error", "message": message}
    return {
        "status_code": status,
        "text": json.dumps(body),
        "headers": {**bucket_headers(1), "Content-Type": "text/html"},
    }


EDIT_CONFLICT = lightspeed_error(409, "Edit conflict: the record was changed meanwhile.")
TRY_AGAIN_LATER = lightspeed_error(400, "Please try again later.")
CLOUDFLARE = {
    status: {"status_code": status, "text": "<html>cloudflare</html>"} for status in range(520, 525)
}
CUSTOMERS_URL = f"{API}/API/V3/Account/{ACCOUNT}/Customer.json"
OK = {"status_code": 200, "json": {"Customer": {"customerID": "1"}}, "headers": bucket_headers(1)}


@pytest.mark.parametrize(
    "transient",
    [
        EDIT_CONFLICT,
        TRY_AGAIN_LATER,
        lightspeed_error(400, "please try again later"),
        *CLOUDFLARE.values(),
    ],
    ids=["409", "400-try-again-later", "400-try-again-later-loosely", *map(str, CLOUDFLARE)],
)
def test_transient_answers_are_retried_with_backoff_like_5xx(client, requests_mock, transient):
    slept = []
    client.session._sleep = slept.append
    requests_mock.get(ITEMS_URL, [transient, transient, OK])
    assert client.session.get(ITEMS_URL).status_code == 200
    assert len(slept) == 2
    assert all(0 <= s <= client.session.backoff_cap for s in slept)
    assert client.session.stats.retries == 2


def test_transient_answers_share_one_retry_budget(config, token_endpoint, requests_mock):
    client = LightspeedClient.for_config({**config, "max_retries": 4})
    slept = []
    client.session._sleep = slept.append
    requests_mock.get(
        ITEMS_URL,
        [
            {"status_code": 503, "text": "busy"},
            EDIT_CONFLICT,
            {"exc": requests.exceptions.ConnectionError("Connection reset by peer")},
            CLOUDFLARE[522],
            TRY_AGAIN_LATER,
            OK,
        ],
    )
    with pytest.raises(RetriesExhaustedError) as raised:
        client.session.get(ITEMS_URL)
    assert raised.value.attempts == 5
    assert raised.value.status == 400
    assert "Please try again later." in str(raised.value)
    assert len(slept) == 4


def test_a_400_with_another_message_is_not_retried(client, requests_mock):
    requests_mock.post(
        CUSTOMERS_URL, [lightspeed_error(400, "Please try again later with a name."), OK]
    )
    with pytest.raises(LightspeedAPIError) as raised:
        client.session.post(CUSTOMERS_URL, json={})
    assert raised.value.status == 400
    assert requests_mock.call_count == 2  # token + one API call


@pytest.mark.parametrize(
    "refusal",
    [EDIT_CONFLICT, TRY_AGAIN_LATER, CLOUDFLARE[521], CLOUDFLARE[522], CLOUDFLARE[523]],
    ids=["409", "400-try-again-later", "521", "522", "523"],
)
def test_a_create_refused_without_being_carried_out_is_sent_again(client, requests_mock, refusal):
    requests_mock.post(CUSTOMERS_URL, [refusal, OK])
    response = client.session.post(CUSTOMERS_URL, json={"firstName": "Ada"})
    assert response.json() == {"Customer": {"customerID": "1"}}
    assert client.session.stats.retries == 1


@pytest.mark.parametrize("status", [520, 524])
def test_a_create_that_cloudflare_lost_track_of_is_in_doubt(client, requests_mock, status):
    requests_mock.post(CUSTOMERS_URL, [CLOUDFLARE[status], OK])
    with pytest.raises(UncertainWriteError, match=f"HTTP {status}"):
        client.session.post(CUSTOMERS_URL, json={"firstName": "Ada"})
    assert requests_mock.call_count == 2  # token + one API call


def test_an_update_hit_by_an_edit_conflict_is_sent_again(client, requests_mock):
    url = f"{API}/API/V3/Account/{ACCOUNT}/Customer/1.json"
    requests_mock.put(url, [EDIT_CONFLICT, OK])
    assert client.session.put(url, json={"firstName": "Ada"}).status_code == 200
    assert [r.json() for r in requests_mock.request_history[1:]] == [{"firstName": "Ada"}] * 2


def test_an_edit_conflict_can_be_left_to_the_caller(client, requests_mock):
    url = f"{API}/API/V3/Account/{ACCOUNT}/Customer/1.json"
    requests_mock.put(url, [EDIT_CONFLICT, OK])
    prepared = client.session.prepare_request(requests.Request("PUT", url, json={"a": 1}))
    with pytest.raises(LightspeedAPIError) as raised:
        client.session.send(prepared, retry_conflicts=False)
    assert raised.value.status == 409
    assert raised.value.message == "Edit conflict: the record was changed meanwhile."
    assert requests_mock.call_count == 2  # token + one API call
    assert client.session.stats.retries == 0


def test_a_retry_after_up_to_the_cap_is_waited_as_asked(client, requests_mock):
    fake = FakeTime()
    client.pacer._clock, client.pacer._sleep = fake.clock, fake.sleep
    cap = f"{MAX_RETRY_AFTER_SECONDS:.0f}"
    requests_mock.get(ITEMS_URL, [{"status_code": 429, "headers": {"Retry-After": cap}}, OK])
    assert client.session.get(ITEMS_URL).status_code == 200
    assert fake.slept == [MAX_RETRY_AFTER_SECONDS]


def test_a_retry_after_beyond_the_cap_fails_at_once_and_clearly(client, requests_mock):
    fake = FakeTime()
    client.pacer._clock, client.pacer._sleep = fake.clock, fake.sleep
    requests_mock.get(
        ITEMS_URL,
        status_code=429,
        text=json.dumps({"httpCode": "429", "message": "Too Many Requests"}),
        headers={"Retry-After": "86400"},
    )
    with pytest.raises(LightspeedAPIError) as raised:
        client.session.get(ITEMS_URL + "?limit=100")
    error = raised.value
    assert error.status == 429
    assert "86400 s" in str(error)
    assert "run again later" in str(error)
    assert "limit=100" not in str(error)
    assert requests_mock.call_count == 2  # token + one API call
    assert fake.slept == []
    # Other requests on these credentials are not held back for a day either.
    assert client.pacer.delay_for(1) < MAX_RETRY_AFTER_SECONDS


def test_a_caller_backs_off_with_the_sessions_own_backoff(client, monkeypatch):
    monkeypatch.setattr("random.uniform", lambda low, high: high)  # the jitter's ceiling
    slept = []
    client.session._sleep = slept.append
    client.session.backoff_base, client.session.backoff_cap = 2.0, 5.0
    waits = [
        client.session.wait_before_retry(
            retry, method="POST", path="/Customer.json", failure="HTTP 503"
        )
        for retry in (1, 2, 3, 4)
    ]
    assert waits == slept == [2.0, 4.0, 5.0, 5.0]
    assert client.session.stats.retries == 4


def test_a_create_that_may_have_been_stored_is_not_retried_blindly(client, requests_mock):
    requests_mock.post(f"{API}/API/V3/Account/{ACCOUNT}/Customer.json", status_code=500)
    with pytest.raises(UncertainWriteError, match="look the record up before retrying"):
        client.session.post(f"{API}/API/V3/Account/{ACCOUNT}/Customer.json", json={"a": 1})
    assert requests_mock.call_count == 2


def test_a_create_refused_by_429_is_retried(client, requests_mock):
    requests_mock.post(
        f"{API}/API/V3/Account/{ACCOUNT}/Customer.json",
        [
            {"status_code": 429, "headers": {"Retry-After": "0"}},
            {"status_code": 200, "json": {"Customer": {"customerID": "1"}}},
        ],
    )
    response = client.session.post(f"{API}/API/V3/Account/{ACCOUNT}/Customer.json", json={})
    assert response.json() == {"Customer": {"customerID": "1"}}


def test_the_query_string_goes_out_exactly_as_built(client, requests_mock):
    requests_mock.get(ITEMS_URL, json={}, headers=bucket_headers(1))
    query = (
        "timeStamp=%3E%3D%2C2024-01-01T00%3A00%3A00%2B00%3A00&load_relations=%5B%22ItemShops%22%5D"
    )
    client.session.get(f"{ITEMS_URL}?{query}")
    assert requests_mock.last_request.url == f"{ITEMS_URL}?{query}"


def test_no_secret_reaches_the_logs(config, token_endpoint, requests_mock, caplog):
    client = LightspeedClient.for_config(config)
    client.session._sleep = lambda _seconds: None
    requests_mock.get(
        ITEMS_URL,
        [
            {"status_code": 401, "json": {}},
            {"status_code": 503, "text": "busy"},
            {"exc": requests.exceptions.ConnectionError("reset")},
            {"status_code": 429, "headers": {"Retry-After": "0"}},
            {"status_code": 200, "json": {}},
        ],
    )
    with caplog.at_level(logging.DEBUG):
        client.session.get(ITEMS_URL)
        token_endpoint.valid_refresh.clear()
        with pytest.raises(Exception) as raised:  # noqa: PT011
            client.authenticator.force_refresh()
    text = caplog.text + str(raised.value)
    assert "Access token refreshed" in caplog.text
    for secret in (CLIENT_SECRET, FIRST_REFRESH, "def50-refresh-1", "def50-refresh-2"):
        assert secret not in text
    for n in (1, 2):
        assert f"access-token-{n}" not in text


class DroppingServer:
    """A real HTTP server on loopback whose first response is cut off mid-body."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        body = json.dumps({"@attributes": {"next": ""}, "Item": {"itemID": "1"}}).encode()
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                self.connections += 1
                head = (
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n"
                    "X-LS-API-Bucket-Level: 1/90\r\nX-LS-API-Drip-Rate: 1\r\n\r\n"
                ).encode()
                if self.connections == 1:
                    conn.sendall(head + body[:10])  # then hang up
                else:
                    conn.sendall(head + body)

    def close(self):
        self.sock.close()


def test_a_connection_dropped_mid_body_by_a_real_server_is_retried(config):
    server = DroppingServer()
    token_endpoint = RotatingTokenEndpoint()
    try:
        base = f"http://127.0.0.1:{server.port}"
        with requests_mock.Mocker(real_http=True) as mocker:
            mocker.post(config["token_url"], text=token_endpoint)
            client = LightspeedClient.for_config({**config, "api_url": base})
            client.session._sleep = lambda _seconds: None
            response = client.session.get(f"{base}/API/V3/Account/{ACCOUNT}/Item.json")
        assert response.json()["Item"] == {"itemID": "1"}
        assert server.connections == 2
        assert client.session.stats.connection_errors == 1
    finally:
        server.close()


def test_proxies_are_read_from_the_environment_once_per_host(client, requests_mock, monkeypatch):
    """``requests`` would read them on every send; they are read once and still honoured."""
    import lightspeed_client.session as session_module

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "other.invalid")
    resolved: list[str] = []
    real = session_module.resolve_proxies

    def counting(request, proxies, trust_env):
        resolved.append(request.url)
        return real(request, proxies, trust_env)

    monkeypatch.setattr(session_module, "resolve_proxies", counting)
    sent: list[dict] = []
    real_send = requests.Session.send

    def recording_send(self, request, **kwargs):
        sent.append(dict(kwargs["proxies"]))
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", recording_send)
    requests_mock.get(ITEMS_URL, json={"Item": []}, headers=bucket_headers(1))
    other = "https://other.invalid/x.json"
    requests_mock.get(other, json={}, headers=bucket_headers(1))
    session = client.session
    for url in (ITEMS_URL, ITEMS_URL, ITEMS_URL, other):  # as the tap and the target send
        session.send(session.prepare_request(requests.Request("GET", url)))
    assert resolved == [ITEMS_URL, other]  # once per host
    # what requests would have used: the proxy for the API's host, none for NO_PROXY's
    proxy = "http://proxy.invalid:3128"
    assert [proxies.get("https") for proxies in sent[-4:]] == [proxy, proxy, proxy, None]
