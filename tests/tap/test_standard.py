"""The SDK's standard tap tests, against the fake API (never the network)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import requests_mock
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_lightspeed.streams import DERIVED_STREAM_TYPES, STREAM_TYPES
from tap_lightspeed.tap import TapLightspeed
from tests.tap.conftest import base_config, catalog_for
from tests.tap.fake_api import FakeLightspeed
from tests.tap.stock_movement_data import stock_movement_dataset
from tests.tap.wire_data import standard_dataset

_TOKEN_DIR = Path(tempfile.mkdtemp(prefix="tap-lightspeed-sdk-tests-"))
SAMPLE_CONFIG = base_config(str(_TOKEN_DIR / "tokens.json"), start_date="2024-01-01T00:00:00Z")
ALL_STREAMS = {stream.name for stream in (*STREAM_TYPES, *DERIVED_STREAM_TYPES)}

_StandardTests = get_tap_test_class(
    TapLightspeed,
    config=SAMPLE_CONFIG,
    catalog=catalog_for(SAMPLE_CONFIG, ALL_STREAMS),
    suite_config=SuiteConfig(max_records_limit=1000),
)


class TestTapLightspeed(_StandardTests):  # type: ignore[misc,valid-type]
    """Standard SDK tap tests, with the fake API mocked for the whole class."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _fake_api(cls) -> Any:
        with requests_mock.Mocker() as mocker:
            yield FakeLightspeed(mocker, data={**standard_dataset(), **stock_movement_dataset()})
        shutil.rmtree(_TOKEN_DIR, ignore_errors=True)
