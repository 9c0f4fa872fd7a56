"""Bad input, in process: unusable lines are skipped, bad records rejected, the rest written."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from singer_sdk.singerlib.exceptions import InvalidInputLine

from lightspeed_client.writes import TEXT_LIMIT, write_problem
from target_lightspeed.reader import CheckedReader
from target_lightspeed.runtime import UnmappedStreamError
from target_lightspeed.target import TargetLightspeed, UnreadableInputError
from tests.target.conftest import messages, run_target, state

ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
GRACE = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"}


def record(stream: str, body: Any) -> str:
    return json.dumps({"type": "RECORD", "stream": stream, "record": body})


def rejects(config: dict[str, Any]) -> list[dict[str, Any]]:
    path = Path(config["rejects_path"])
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def emails(mocked: Any) -> set[str]:
    out = set()
    for customer in mocked.records("Customer"):
        found = ((customer.get("Contact") or {}).get("Emails") or {}).get("ContactEmail") or []
        out |= {e["address"] for e in (found if isinstance(found, list) else [found])}
    return out


# -- the reader ------------------------------------------------------------------------------

SCHEMA = json.dumps({"type": "SCHEMA", "stream": "s", "schema": {"properties": {}}})


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "unable to parse line as JSON"),
        ('{"type": "RECORD", "stream": "s", "record": {"a": NaN}}', "NaN and Infinity"),
        ("[1, 2]", "holds a list"),
        ('{"stream": "s"}', "has no 'type'"),
        ('{"type": "BOGUS"}', "Unknown message type 'BOGUS'"),
        ('{"type": "STATE"}', "no 'value'"),
        ('{"type": "RECORD", "stream": "other", "record": {}}', "before a corresponding schema"),
        ('{"type": "RECORD", "stream": "s", "record": [1]}', "is a list, not an object"),
        ('{"type": "RECORD", "stream": 5, "record": {}}', "not a stream name"),
        ('{"type": "SCHEMA", "stream": "t", "schema": {"type": "object"}}', "'properties'"),
    ],
)
def test_reader_hands_each_unusable_line_over_with_its_number(line: str, problem: str) -> None:
    reader = CheckedReader()
    bad: list[tuple[int, str]] = []
    reader.on_bad_line = lambda number, text, why, stream: bad.append((number, why))
    seen: list[dict] = []
    callbacks = {kind: seen.append for kind in ("SCHEMA", "RECORD", "STATE")}
    good = record("s", {"a": 1})
    counts = reader.process_lines(io.StringIO(f"{SCHEMA}\n{good}\n{line}\n\n{good}\n"), callbacks)
    assert [number for number, _ in bad] == [3]
    assert problem in bad[0][1]
    assert [m["type"] for m in seen] == ["SCHEMA", "RECORD", "RECORD"]
    assert counts["unreadable"] == 1


def test_reader_without_handler_raises_naming_the_line() -> None:
    reader = CheckedReader()
    with pytest.raises(InvalidInputLine, match="Line 2: unable to parse line as JSON"):
        reader.process_lines(io.StringIO(f"{SCHEMA}\n{{oops\n"), {"SCHEMA": lambda m: None})


# -- the target ------------------------------------------------------------------------------


def test_an_unusable_line_is_skipped_and_everything_else_written(mocked, config):
    lines = [
        *messages("customers", [ADA]),
        state({"n": 1}),
        "{this is not json",
        record("customers", [1, 2]),
        record("customers", GRACE),
        state({"n": 2}),
    ]
    result = run_target(config, lines, raise_errors=False)
    assert isinstance(result.error, UnreadableInputError)
    assert "2 input lines skipped" in str(result.error)
    assert emails(mocked) == {"ada@example.com", "grace@example.com"}
    assert result.states[-1] == {"n": 2}
    kept = rejects(config)
    assert [(r["line"], r["stream"]) for r in kept] == [(4, None), (5, "customers")]
    assert kept[0]["input"] == "{this is not json"
    assert result.target is not None
    assert result.target.runtime.report.unreadable_lines == 2


def test_an_unmapped_stream_stops_after_writing_what_was_read_before(mocked, config):
    lines = [
        *messages("customers", [ADA]),
        state({"n": 1}),
        *messages("widgets", [{"id": 1}]),
        record("customers", GRACE),
        state({"n": 2}),
    ]
    with pytest.raises(UnmappedStreamError, match="Stream 'widgets' is not mapped"):
        run_target(config, lines)
    assert emails(mocked) == {"ada@example.com"}


def test_an_unmapped_stream_emits_only_the_state_of_what_was_written(mocked, config):
    lines = [
        *messages("customers", [ADA]),
        state({"n": 1}),
        *messages("widgets", [{"id": 1}]),
        state({"n": 2}),
    ]
    result = run_target(config, lines, raise_errors=False)
    assert isinstance(result.error, UnmappedStreamError)
    assert result.states == [{"n": 1}]


def test_a_record_without_its_key_property_is_rejected_and_the_run_goes_on(mocked, config):
    schema = {"type": "object", "properties": {}, "additionalProperties": True}
    lines = [
        json.dumps(
            {
                "type": "SCHEMA",
                "stream": "customers",
                "schema": schema,
                "key_properties": ["row_id"],
            }
        ),
        record("customers", {**ADA, "row_id": 1}),
        record("customers", GRACE),
        record("customers", {"row_id": 3, "first_name": "Alan", "email": "alan@example.com"}),
    ]
    result = run_target(config, lines)
    assert emails(mocked) == {"ada@example.com", "alan@example.com"}
    [reject] = rejects(config)
    assert reject["line"] == 3
    assert "key property 'row_id' missing" in reject["message"]
    assert reject["record"] == GRACE
    assert result.summary["customers"]["rejected"] == 1


def test_a_flat_row_with_a_negative_price_is_rejected(mocked, config):
    rows = [
        {"description": "Pen", "custom_sku": "PEN", "price": "2.50"},
        {"description": "Ink", "custom_sku": "INK", "price": "-1"},
    ]
    result = run_target(config, messages("items", rows))
    assert {r["customSku"] for r in mocked.records("Item")} == {"PEN"}
    [reject] = rejects(config)
    assert "Prices[0].amount" in reject["message"]
    assert "negative" in reject["message"]
    assert reject["line"] == 3
    assert result.summary["items"]["rejected"] == 1


def test_a_text_longer_than_lightspeed_takes_is_rejected(mocked, config):
    long_name = dict(GRACE, first_name="x" * (TEXT_LIMIT + 1))
    result = run_target(config, messages("customers", [ADA, long_name]))
    assert emails(mocked) == {"ada@example.com"}
    [reject] = rejects(config)
    assert reject["message"] == (
        f"field 'firstName': {TEXT_LIMIT + 1} characters, more than the {TEXT_LIMIT} "
        "Lightspeed takes"
    )
    assert result.summary["customers"]["rejected"] == 1


# -- write_problem ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entity", "body", "problem"),
    [
        ("Customer", {"firstName": "x" * 255}, None),
        ("Customer", {"lastName": "x" * 256}, "field 'lastName': 256 characters"),
        (
            "Customer",
            {"Contact": {"Emails": {"ContactEmail": [{"address": "a" * 300}]}}},
            "field 'Contact.Emails[0].address': 300 characters",
        ),
        ("Item", {"Prices": {"ItemPrice": [{"amount": "0", "useType": "Default"}]}}, None),
        (
            "Item",
            {"Prices": {"ItemPrice": [{"amount": "1"}, {"amount": "-0.01", "useType": "MSRP"}]}},
            "field 'Prices[1].amount' (MSRP): -0.01 is negative",
        ),
        ("Item", {"defaultCost": "-3"}, "field 'defaultCost': -3 is negative"),
        ("Sale", {"SaleLines": {"SaleLine": [{"unitQuantity": -1}]}}, None),  # a return
        ("Sale", {"SalePayments": {"SalePayment": [{"amount": "-5"}]}}, None),  # a refund
    ],
)
def test_write_problem_names_the_field_and_the_rule(
    entity: str, body: dict, problem: str | None
) -> None:
    found = write_problem(entity, body)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert found.startswith(problem), found


# -- clean stops -----------------------------------------------------------------------------


def test_a_refused_refresh_token_ends_in_one_line_not_a_traceback(mocked, config, tmp_path, caplog):
    config = dict(config, refresh_token="revoked-token")
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    input_file = tmp_path / "input.jsonl"
    input_file.write_text("\n".join(messages("customers", [ADA])) + "\n")
    caplog.set_level("ERROR")
    result = CliRunner().invoke(
        TargetLightspeed.cli, ["--config", str(config_file), "--input", str(input_file)]
    )
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert any("lightspeed-authorize" in r.getMessage() for r in errors), caplog.text
    assert all(r.exc_info is None for r in errors)
    assert "revoked-token" not in caplog.text
    assert not mocked.writes()
