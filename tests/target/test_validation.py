"""The compiled record validator."""

from __future__ import annotations

from decimal import Decimal

from target_lightspeed.validation import RecordValidator
from tests.target.conftest import tap_schema


def test_compiled_validator_accepts_tap_records_and_names_bad_fields():
    validator = RecordValidator(tap_schema("sales"))
    assert validator.compiled
    good = {"saleID": 1, "total": Decimal("2.50"), "SaleLines": [{"unitQuantity": 2, "tax": True}]}
    assert validator.first_error(good) is None
    bad = {"saleID": 1, "SaleLines": [{"unitQuantity": Decimal("1.5")}]}
    assert validator.first_error(bad) == (
        "field 'SaleLines[0].unitQuantity': expected integer or null, got the number 1.5"
    )
    assert "required" in RecordValidator(
        {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}
    ).first_error({})


def test_unsupported_keywords_fall_back_to_jsonschema():
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": "^[A-Z]+$"}}}
    validator = RecordValidator(schema)
    assert not validator.compiled
    assert validator.first_error({"code": "ABC"}) is None
    assert "field 'code'" in validator.first_error({"code": "abc"})
