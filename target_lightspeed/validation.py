"""A compiled record validator for the JSON schemas Singer taps send.

The SDK's default validator (``jsonschema``) costs about 100 us per record. This one compiles
the schema once into nested closures for the keywords taps use (``type`` with null unions,
``properties``, ``required``, ``items``, ``anyOf``, ``enum``, ``additionalProperties: false``)
and checks a record in a single pass. A schema with any other keyword falls back to the
``jsonschema`` validator, compiled once, so nothing is silently skipped.

It returns the first error as a message naming the field, instead of raising: the sink puts
the record in the rejects file and the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import jsonschema

Check = Callable[[Any, str], "str | None"]

_SUPPORTED = frozenset(
    {
        "type",
        "properties",
        "required",
        "items",
        "anyOf",
        "enum",
        "additionalProperties",
        "format",
        "title",
        "description",
        "default",
        "examples",
        "$schema",
        "$id",
        "maxLength",
        "minLength",
        "multipleOf",
        "minimum",
        "maximum",
        "secret",
        "writeOnly",
        "readOnly",
    }
)
#: Keywords compiled here but not checked (taps use them as hints).
_IGNORED_HINTS = frozenset({"maxLength", "minLength", "multipleOf", "minimum", "maximum"})


class _Unsupported(Exception):
    pass


def _is_integer(value: Any) -> bool:
    if value.__class__ is int:
        return True
    if value.__class__ is Decimal:
        return value.is_finite() and value == value.to_integral_value()
    return value.__class__ is float and value.is_integer()


_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: v is True or v is False,
    "integer": _is_integer,
    "number": lambda v: v.__class__ in (int, float, Decimal),
    "string": lambda v: v.__class__ is str,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, Decimal)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    return f"an {type(value).__name__}" if isinstance(value, (dict, list)) else str(type(value))


def _compile(schema: Any) -> Check | None:
    if schema is True or schema == {}:
        return None
    if not isinstance(schema, dict):
        raise _Unsupported
    unknown = set(schema) - _SUPPORTED
    if unknown:
        raise _Unsupported
    checks: list[Check] = []
    kind = schema.get("type")
    if kind is not None:
        kinds = [kind] if isinstance(kind, str) else list(kind)
        if any(k not in _TYPE_TESTS for k in kinds):
            raise _Unsupported
        tests = [_TYPE_TESTS[k] for k in kinds]
        wanted = " or ".join(kinds)

        def check_type(value: Any, where: str) -> str | None:
            for test in tests:
                if test(value):
                    return None
            return f"field '{where}': expected {wanted}, got {_describe(value)}"

        checks.append(check_type)
    if "enum" in schema:
        allowed = list(schema["enum"])

        def check_enum(value: Any, where: str) -> str | None:
            if value in allowed:
                return None
            return f"field '{where}': {value!r} is not one of {allowed}"

        checks.append(check_enum)
    if "anyOf" in schema:
        options = [_compile(option) for option in schema["anyOf"]]

        def check_any(value: Any, where: str) -> str | None:
            errors = []
            for option in options:
                error = None if option is None else option(value, where)
                if error is None:
                    return None
                errors.append(error)
            return errors[0]

        checks.append(check_any)
    props = schema.get("properties")
    required = list(schema.get("required") or ())
    closed = schema.get("additionalProperties") is False
    if props is not None or required or closed:
        compiled = {name: _compile(sub) for name, sub in (props or {}).items()}
        fields = {name: check for name, check in compiled.items() if check is not None}
        known = set(compiled)

        def check_object(value: Any, where: str) -> str | None:
            if not isinstance(value, dict):
                return None
            prefix = f"{where}." if where else ""
            for name in required:
                if name not in value:
                    return f"field '{prefix}{name}': required but missing"
            for name, check in fields.items():
                if name in value:
                    error = check(value[name], prefix + name)
                    if error is not None:
                        return error
            if closed:
                extra = sorted(set(value) - known)
                if extra:
                    return f"field '{prefix}{extra[0]}': not allowed by the schema"
            return None

        checks.append(check_object)
    elif "additionalProperties" in schema and schema["additionalProperties"] not in (True, {}):
        raise _Unsupported
    if "items" in schema:
        item_check = _compile(schema["items"])
        if item_check is not None:

            def check_items(value: Any, where: str) -> str | None:
                if not isinstance(value, list):
                    return None
                for index, element in enumerate(value):
                    error = item_check(element, f"{where}[{index}]")
                    if error is not None:
                        return error
                return None

            checks.append(check_items)
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]

    def check_all(value: Any, where: str) -> str | None:
        for check in checks:
            error = check(value, where)
            if error is not None:
                return error
        return None

    return check_all


class RecordValidator:
    """Validates records against a stream's JSON schema; returns the first error."""

    def __init__(self, schema: dict[str, Any]) -> None:
        """Compile the schema.

        Args:
            schema: The stream's JSON schema.
        """
        self.schema = schema
        self.compiled = True
        try:
            check = _compile(schema)
        except _Unsupported:
            check = None
            self.compiled = False
        self._check = check
        self._fallback: Any = None
        if not self.compiled:
            validator_class = jsonschema.validators.validator_for(schema)
            self._fallback = validator_class(
                schema, format_checker=jsonschema.FormatChecker(formats=())
            )

    def first_error(self, record: dict[str, Any]) -> str | None:
        """Check one record.

        Args:
            record: The record (numbers may be Decimal).

        Returns:
            None when valid, else a message naming the field.
        """
        if self._check is not None:
            return self._check(record, "")
        if self._fallback is not None:
            error = jsonschema.exceptions.best_match(self._fallback.iter_errors(record))
            if error is not None:
                where = ".".join(str(p) for p in error.absolute_path) or "record"
                return f"field '{where}': {error.message}"
        return None
