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
    RetriesExhaustedError,
    UncertainWriteError,
)

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


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
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
