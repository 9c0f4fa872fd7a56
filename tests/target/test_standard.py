"""The SDK's standard target tests, against the sandbox mounted on requests-mock.

Two of them expect the SDK's own way with bad input, which stops the whole run (and loses the
records read but not yet written); target-lightspeed deliberately does otherwise, and those two
are replaced here by the same inputs checked against its behaviour:

- a RECORD before its stream's SCHEMA is skipped (logged with its line number, kept in the
  rejects file); the run goes on and ends with ``UnreadableInputError`` (exit status 1);
- a record without its key property is rejected (rejects file, reason naming the key); the
  run goes on.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests_mock
from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.target_tests import (
    TargetRecordBeforeSchemaTest,
    TargetRecordMissingKeyProperty,
)
from singer_sdk.testing.templates import TargetFileTestTemplate

from lightspeed_client.client import LightspeedClient
from lightspeed_sandbox import Sandbox, two_accounts
from target_lightspeed.target import TargetLightspeed, UnreadableInputError
from tests.target.conftest import MOCK_URL, MockedSandbox, target_config

_DIR = Path(tempfile.mkdtemp(prefix="target-lightspeed-sdk-tests-"))
_SANDBOX = Sandbox(two_accounts(seed=2, customers=0, items=0, sales=0, burst_limit=10_000))
_SANDBOX.app.base_url = MOCK_URL
SAMPLE_CONFIG = target_config(
    _SANDBOX,
    _DIR,
    base_url=MOCK_URL,
    # The SDK's test streams (test_*, TestCamelcase) are written as customers.
    stream_entities={"*": "customers"},
)

_StandardTests = get_target_test_class(TargetLightspeed, config=SAMPLE_CONFIG)


def _rejects() -> list[dict[str, Any]]:
    path = Path(SAMPLE_CONFIG["rejects_path"])
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


class RecordBeforeSchemaIsSkipped(TargetRecordBeforeSchemaTest):
    """The SDK's input; the record before the SCHEMA is skipped, the run goes on."""

    def test(self) -> None:
        """Run the input: the one bad line ends the run with UnreadableInputError."""
        before = len(_rejects())
        with pytest.raises(UnreadableInputError, match="1 input line skipped"):
            TargetFileTestTemplate.test(self)
        new = _rejects()[before:]
        assert [(r["line"], r["stream"]) for r in new] == [(1, "test_record_before_schema")]
        assert "before a corresponding schema" in new[0]["message"]


class RecordMissingKeyPropertyIsRejected(TargetRecordMissingKeyProperty):
    """The SDK's input; the record without its key is rejected, the run goes on."""

    def test(self) -> None:
        """Run the input: no exception, one reject naming the key."""
        before = len(_rejects())
        TargetFileTestTemplate.test(self)
        new = _rejects()[before:]
        assert len(new) == 1, new
        assert "key property 'id' missing" in new[0]["message"]


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

    test_target_record_before_schema = RecordBeforeSchemaIsSkipped().run
    test_target_record_missing_key_property = RecordMissingKeyPropertyIsRejected().run
