from __future__ import annotations

import json

import pytest

from lightspeed_client import LightspeedClient
from lightspeed_client.pacing import LeakyBucketPacer, request_kind

from .conftest import ACCOUNT, API, FakeTime

BASE = f"{API}/API/V3/Account/{ACCOUNT}"


class MockedBucket:
    """Lightspeed's leaky bucket, answering through requests-mock on a fake clock."""

    def __init__(self, fake: FakeTime, size=90.0, drip=20.0, burst=None, costs=None):
        self.fake = fake
        self.size = size
        self.drip = drip
        self.burst = burst
        self.costs = costs or {}
        self.level = 0.0
        self.updated = fake.now
        self.overflows = 0  # requests sent while level + cost > size
        self.sent_429 = 0
        self.served = 0
        self.window: list[float] = []

    def __call__(self, request, context):
        now = self.fake.now
        self.level = max(0.0, self.level - self.drip * (now - self.updated))
        self.updated = now
        cost = self.costs.get(request.method, 1.0)
        self.window = [t for t in self.window if t > now - 1.0] + [now]
        headers = {
            "X-LS-API-Drip-Rate": str(self.drip),
            "X-LS-API-Request-Cost": str(cost),
        }
        if self.burst:
            headers["X-LS-API-Burst-Level"] = f"{len(self.window)}/{self.burst}"
        burst_exceeded = self.burst is not None and len(self.window) > self.burst
        if self.level >= self.size or burst_exceeded:
            self.sent_429 += 1
            context.status_code = 429
            headers["Retry-After"] = "1"
            headers["X-LS-API-Bucket-Level"] = f"{self.level}/{self.size}"
            context.headers.update(headers)
            return json.dumps({"message": "Rate limit exceeded"})
        if self.level + cost > self.size + 1e-3:  # tolerance: float rounding
            self.overflows += 1
        self.level += cost
        self.served += 1
        headers["X-LS-API-Bucket-Level"] = f"{self.level}/{self.size}"
        context.headers.update(headers)
        return json.dumps({"@attributes": {"next": ""}})


@pytest.fixture
def paced_client(config, token_endpoint):
    fake = FakeTime()
    client = LightspeedClient.for_config(config)
    client.pacer._clock, client.pacer._sleep = fake.clock, fake.sleep
    client.session._sleep = fake.sleep
    client.authenticator.access_token()
    return client, fake


def test_a_paced_client_never_overflows_the_bucket_and_uses_it_fully(paced_client, requests_mock):
    client, fake = paced_client
    bucket = MockedBucket(fake, size=90, drip=20)
    requests_mock.get(f"{BASE}/Customer.json", text=bucket)
    started = fake.now
    requests_total = 1000
    for _ in range(requests_total):
        client.session.get(f"{BASE}/Customer.json")
    elapsed = fake.now - started
    assert bucket.sent_429 == 0
    assert bucket.overflows == 0
    # Theoretical best: the first 90 at once, then the drip rate.
    best = (requests_total - 90) / 20
    assert elapsed >= best - 1e-6
    assert best / elapsed >= 0.95


def test_write_costs_are_learned_from_the_headers(paced_client, requests_mock):
    client, fake = paced_client
    bucket = MockedBucket(fake, size=90, drip=5, costs={"POST": 7.0, "GET": 1.0})
    requests_mock.post(f"{BASE}/Sale.json", text=bucket)
    requests_mock.get(f"{BASE}/Sale.json", text=bucket)
    for n in range(200):
        if n % 3:
            client.session.post(f"{BASE}/Sale.json", json={"n": n})
        else:
            client.session.get(f"{BASE}/Sale.json")
    assert bucket.sent_429 == 0
    assert client.pacer.costs[request_kind("POST", f"{BASE}/Sale.json")] == 7.0


def test_the_burst_limiter_is_respected(paced_client, requests_mock):
    client, fake = paced_client
    bucket = MockedBucket(fake, size=1000, drip=1000, burst=20)
    requests_mock.get(f"{BASE}/Item.json", text=bucket)
    for _ in range(300):
        client.session.get(f"{BASE}/Item.json")
    assert bucket.sent_429 == 0


def test_a_bucket_shared_with_another_client_is_read_from_the_headers(paced_client, requests_mock):
    client, fake = paced_client
    bucket = MockedBucket(fake, size=90, drip=10)
    requests_mock.get(f"{BASE}/Item.json", text=bucket)
    for n in range(300):
        if n % 10 == 0:
            bucket.level += 8  # someone else spends from the same bucket
        client.session.get(f"{BASE}/Item.json")
    # Each foreign burst may overflow the bucket once; that 429 is waited out, nothing fails,
    # and the pacer does not add 429s of its own.
    assert bucket.served == 300
    assert bucket.sent_429 <= 30


def test_delay_is_exactly_what_the_bucket_needs():
    fake = FakeTime()
    pacer = LeakyBucketPacer(clock=fake.clock, sleep=fake.sleep)
    kind = request_kind("GET", f"{BASE}/Item.json")
    assert pacer.delay_for(1) == 0  # nothing known yet
    pacer.observe(
        kind,
        {
            "X-LS-API-Bucket-Level": "89.5/90",
            "X-LS-API-Drip-Rate": "2",
            "X-LS-API-Request-Cost": "1",
        },
    )
    assert pacer.delay_for(1) == pytest.approx(0.25)
    assert pacer.delay_for(10) == pytest.approx(4.75)
    fake.now += 0.25
    assert pacer.delay_for(1) == pytest.approx(0.0)


def test_request_kinds_separate_paths_and_relations():
    a = request_kind("GET", f"{BASE}/Item.json?limit=100&after=abc")
    b = request_kind("GET", f"{BASE}/Item.json?load_relations=%5B%22ItemShops%22%5D")
    c = request_kind("GET", f"{API}/API/V3/Account/999/Item/55.json")
    assert a != b
    assert c == "GET /API/V3/Account/{id}/Item/{id}.json"
