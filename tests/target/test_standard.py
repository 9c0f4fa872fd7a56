"""The SDK's standard target tests, against the sandbox mounted on requests-mock."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests_mock
from singer_sdk.testing import get_target_test_class

from lightspeed_client.client import LightspeedClient
from lightspeed_sandbox import Sandbox, SandboxConfig
from target_lightspeed.target import TargetLightspeed
from tests.target.conftest import EMPTY, MOCK_URL, MockedSandbox, target_config

_DIR = Path(tempfile.mkdtemp(prefix="target-lightspeed-sdk-tests-"))
_SANDBOX = Sandbox(
    SandboxConfig(
        seed=2,
        customers=0,
        items=0,
        sales=0,
        accounts=2,
        bucket_enabled=False,
        burst_limit=10_000,
        account_volumes={0: dict(EMPTY)},
    )
)
_SANDBOX.app.base_url = MOCK_URL
SAMPLE_CONFIG = target_config(
    _SANDBOX,
    _DIR,
    base_url=MOCK_URL,
    # The SDK's test streams (test_*, TestCamelcase) are written as customers.
    stream_entities={"*": "customers"},
)

_StandardTests = get_target_test_class(TargetLightspeed, config=SAMPLE_CONFIG)


class TestTargetLightspeed(_StandardTests):  # type: ignore[misc,valid-type]
    """Standard SDK target tests, with the mocked sandbox for the whole class."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _mocked_api(cls) -> Iterator[Any]:
        LightspeedClient.forget_all()
        with requests_mock.Mocker() as mocker:
            yield MockedSandbox(mocker, _SANDBOX)
        LightspeedClient.forget_all()
        shutil.rmtree(_DIR, ignore_errors=True)
