"""Reading Lightspeed's JSON: the one place that knows the wire quirks.

Lightspeed's responses (section 6 of the API reference) put every scalar in a string, send one
result as an object instead of a one-item list, leave the resource key out when there are no
results, write an empty collection as ``""``, wrap each collection twice
(``Emails.ContactEmail``), omit unset fields and spell some fields two ways (Sale's
``updatetime``, ItemShop's ``onWorkOrder``).

:class:`RecordReader` turns a response into plain records shaped by a JSON schema: collections
become plain lists at every depth, strings become the schema's types (integer, number as
:class:`~decimal.Decimal`, boolean, date-time normalised to UTC ``YYYY-MM-DDTHH:MM:SS+00:00``),
and only the schema's keys are kept. A field the schema does not know is kept, as it came on
the wire, in the :data:`EXTRA_FIELDS` object of its record (or nested object) when the schema
has that property, and left out otherwise; either way its dotted path is reported. The
converters are compiled once per schema, so each record costs a single pass over its fields.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from lightspeed_client.errors import WireFormatError

#: Field names that reach us under another spelling: wire name -> schema name.
FIELD_ALIASES = {"updateTime": "updatetime", "onWorkorder": "onWorkOrder"}

#: Property of an object schema that receives, as they came on the wire, the fields of that
#: object that the schema does not describe (instead of dropping them).
EXTRA_FIELDS = "_extra_fields"

_BOOLEANS: dict[Any, bool] = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    True: True,
    False: False,
}
_json_decoder = msgspec.json.Decoder()

Converter = Callable[[Any], Any]


@dataclass
class UnknownFields:
    """Dotted paths of fields seen on the wire that the schema does not describe."""

    #: Kept in the :data:`EXTRA_FIELDS` object of their record or nested object.
    kept: set[str] = field(default_factory=set)
    #: Left out: their object's schema has no :data:`EXTRA_FIELDS` property.
    dropped: set[str] = field(default_factory=set)


class _FieldError(Exception):
    """A value that cannot become its schema type; carries the dotted path."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(detail)
        self.path = path
        self.detail = detail


def decode_json(content: bytes | str) -> Any:
    """Decode a response body.

    Args:
        content: The raw body.

    Returns:
        The decoded JSON value.
    """
    return _json_decoder.decode(content)


def next_page_url(payload: Any) -> str | None:
    """Return the URL of the next page as given in ``@attributes.next``.

    Args:
        payload: A decoded list response.

    Returns:
        The URL, or None at the last page (``""``) or when there is none.
    """
    if not isinstance(payload, dict):
        return None
    attributes = payload.get("@attributes")
    if not isinstance(attributes, dict):
        return None
    return attributes.get("next") or None


def as_list(value: Any) -> list[Any]:
    """Read a value that may be one object, a list, ``""`` or missing as a list.

    Args:
        value: The value of a resource key or of a collection element key.

    Returns:
        A list (empty for None and ``""``).
    """
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    return [value]


def normalize_timestamp(value: str | datetime | date) -> str:
    """Normalise a timestamp to UTC ``YYYY-MM-DDTHH:MM:SS+00:00`` (bookmarks compare as text).

    Naive values are taken as UTC; fractions of a second are kept when present.

    Args:
        value: An ISO 8601 string (offset, ``Z`` or none), a datetime or a date.

    Returns:
        The normalised string.

    Raises:
        ValueError: The value is not a timestamp.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        moment = datetime.fromisoformat(text)  # validates, also in the fast path below
        if len(text) == 25 and text.endswith("+00:00"):
            return text  # already canonical
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc).isoformat()
    return moment.astimezone(timezone.utc).isoformat()


FILTER_OPERATORS = frozenset({"=", ">", ">=", "<", "<=", "!=", "~", "!~"})
MAX_IN_VALUES = 100


def filter_value(operator: str, value: str | int | datetime) -> str:
    """Build a query filter value such as ``>=,2024-01-01T00:00:00+00:00``.

    Pass it as a query parameter value (``params={"timeStamp": ...}``): URL encoding turns the
    operator and comma into ``%3E%3D%2C`` and the ``+`` of the offset into ``%2B``, as
    Lightspeed requires. Datetimes are normalised to UTC.

    Args:
        operator: One of ``= > >= < <= != ~ !~``.
        value: The operand.

    Returns:
        The filter value.

    Raises:
        ValueError: For an unknown operator.
    """
    if operator not in FILTER_OPERATORS:
        msg = f"Unknown filter operator {operator!r}"
        raise ValueError(msg)
    text = normalize_timestamp(value) if isinstance(value, datetime) else str(value)
    return f"{operator},{text}"


def in_filter(values: list[str] | list[int]) -> str:
    """Build an ``IN`` filter value: ``IN,["a","b"]`` (at most 100 values).

    Args:
        values: The values.

    Returns:
        The filter value.

    Raises:
        ValueError: For more than 100 values.
    """
    if len(values) > MAX_IN_VALUES:
        msg = f"An IN filter takes at most {MAX_IN_VALUES} values, got {len(values)}"
        raise ValueError(msg)
    return "IN," + json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))


# Converters --------------------------------------------------------------------------------


def _integer(path: str) -> Converter:
    def convert(value: Any) -> Any:
        if value.__class__ is str:
            try:
                return int(value)
            except ValueError:
                if value == "":
                    return None
                try:
                    number = Decimal(value)
                except InvalidOperation:
                    number = None
                if number is not None and number == number.to_integral_value():
                    return int(number)
        elif value is None or value.__class__ is int:
            return value
        elif value.__class__ is float and value.is_integer():
            return int(value)
        raise _FieldError(path, f"{value!r} is not an integer")

    return convert


def _number(path: str) -> Converter:
    def convert(value: Any) -> Any:
        if value.__class__ is str:
            try:
                number = Decimal(value)
            except InvalidOperation:
                if value == "":
                    return None
            else:
                if number.is_finite():
                    return number
        elif (
            value is None
            or value.__class__ is int
            or (value.__class__ is Decimal and value.is_finite())
        ):
            return value
        elif value.__class__ is float and math.isfinite(value):
            return Decimal(repr(value))
        raise _FieldError(path, f"{value!r} is not a number")

    return convert


def _boolean(path: str) -> Converter:
    def convert(value: Any) -> Any:
        try:
            return _BOOLEANS[value]
        except (KeyError, TypeError):
            if value is None or value == "":
                return None
        raise _FieldError(path, f"{value!r} is not a boolean")

    return convert


def _timestamp(path: str) -> Converter:
    def convert(value: Any) -> Any:
        if value is None or value == "":
            return None
        try:
            return normalize_timestamp(value)
        except (ValueError, TypeError, AttributeError):
            raise _FieldError(path, f"{value!r} is not a date-time") from None

    return convert


def _string(path: str) -> Converter:
    def convert(value: Any) -> Any:
        if value.__class__ is str or value is None:
            return value
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return str(value)
        raise _FieldError(path, f"expected text, got {type(value).__name__}")

    return convert


def _main_type(schema: dict[str, Any]) -> str | None:
    """The one non-null type of a schema node; None (keep values as they are) for several."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return kinds[0] if len(kinds) == 1 else None
    if kind is None and "anyOf" in schema:
        for option in schema["anyOf"]:
            found = _main_type(option)
            if found is not None:
                return found
    return kind


def _compile(schema: dict[str, Any], path: str, unknown: UnknownFields) -> Converter | None:
    """Compile the converter of one schema node (None: keep the value as it is)."""
    kind = _main_type(schema)
    if kind == "object" and "properties" in schema:
        return _compile_object(schema, path, unknown)
    if kind == "array":
        return _compile_array(schema, path, unknown)
    if kind == "integer":
        return _integer(path)
    if kind == "number":
        return _number(path)
    if kind == "boolean":
        return _boolean(path)
    if kind == "string" and schema.get("format") == "date-time":
        return _timestamp(path)
    if kind == "string":
        return _string(path)
    return None


def _compile_object(schema: dict[str, Any], path: str, unknown: UnknownFields) -> Converter:
    prefix = f"{path}." if path else ""
    properties = schema.get("properties", {})
    keep_extra = EXTRA_FIELDS in properties
    fields: dict[str, tuple[str, Converter | None]] = {
        name: (name, _compile(sub, f"{prefix}{name}", unknown))
        for name, sub in properties.items()
        if name != EXTRA_FIELDS
    }
    for wire_name, schema_name in FIELD_ALIASES.items():
        if schema_name in fields and wire_name not in fields:
            fields[wire_name] = fields[schema_name]
    where = path or "record"

    def convert(value: Any) -> Any:
        if value.__class__ is not dict:
            if value is None or value == "":
                return None
            raise _FieldError(where, f"expected an object, got {type(value).__name__}")
        out = {}
        for key, item in value.items():
            spec = fields.get(key)
            if spec is None:
                if keep_extra:
                    extra = out.get(EXTRA_FIELDS)
                    if extra is None:
                        extra = out[EXTRA_FIELDS] = {}
                    extra[key] = item
                    unknown.kept.add(prefix + key)
                else:
                    unknown.dropped.add(prefix + key)
                continue
            name, converter = spec
            out[name] = item if converter is None else converter(item)
        return out

    return convert


def _compile_array(schema: dict[str, Any], path: str, unknown: UnknownFields) -> Converter:
    item_schema = schema.get("items") or {}
    convert_item = _compile(item_schema, path, unknown) or (lambda value: value)
    item_fields = set(item_schema.get("properties", {}))

    def convert(value: Any) -> Any:
        if value.__class__ is dict and len(value) == 1:
            ((wrapper, inner),) = value.items()
            if wrapper not in item_fields:  # double-wrapped: {"ContactEmail": {...} | [...]}
                value = inner
        elements = as_list(value)
        try:
            return [convert_item(element) for element in elements]
        except _FieldError as exc:
            index = next(
                (i for i, element in enumerate(elements) if _fails(convert_item, element)), 0
            )
            raise _FieldError(exc.path.replace(path, f"{path}[{index}]", 1), exc.detail) from None

    return convert


def _fails(convert: Converter, element: Any) -> bool:
    try:
        convert(element)
    except _FieldError:
        return True
    return False


class RecordReader:
    """Reads the records of one entity from Lightspeed responses, typed by a JSON schema."""

    def __init__(
        self, schema: dict[str, Any], entity: str, key_property: str | None = None
    ) -> None:
        """Compile the reader for a schema.

        Args:
            schema: The stream's JSON schema (an object schema with properties).
            entity: The wire resource key, for instance ``Customer``.
            key_property: The record's id field, named in errors (default ``<entity>ID``
                with a lower-case first letter, e.g. ``customerID``).
        """
        self.entity = entity
        self.key_property = key_property or f"{entity[:1].lower()}{entity[1:]}ID"
        #: Fields seen in responses that the schema does not describe (kept or dropped).
        self.unknown = UnknownFields()
        self._convert = _compile_object(schema, "", self.unknown)

    @property
    def unknown_fields(self) -> set[str]:
        """Dotted paths of every field seen in responses that the schema does not describe."""
        return self.unknown.kept | self.unknown.dropped

    def read_page(self, payload: Any) -> list[dict[str, Any]]:
        """Read every record of a list (or single-record) response.

        Args:
            payload: The decoded response.

        Returns:
            The typed records (none when the resource key is missing).
        """
        if not isinstance(payload, dict):
            return []
        convert = self.read_record
        return [convert(raw) for raw in as_list(payload.get(self.entity))]

    def read_record(self, raw: Any) -> dict[str, Any]:
        """Read one record in wire form.

        Args:
            raw: The record as decoded from the response.

        Returns:
            The typed record with exactly the schema's keys that the wire record had (fields
            the schema does not describe under :data:`EXTRA_FIELDS`, when it has that key).

        Raises:
            WireFormatError: A value cannot become its schema type; names entity, id, field.
        """
        try:
            return self._convert(raw)
        except _FieldError as exc:
            record_id = raw.get(self.key_property) if isinstance(raw, dict) else None
            raise WireFormatError(
                entity=self.entity,
                record_id=None if record_id is None else str(record_id),
                field=exc.path,
                detail=exc.detail,
            ) from None
