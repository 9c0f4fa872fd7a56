"""What every entity's mapping shares: the types of a mapped record, and value conversion.

Each converter takes the value as read and ``where``, the field's path for the message of
the :class:`MappingError` it raises (``SaleLines[0].unitQuantity``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from lightspeed_client.wire import as_list, normalize_timestamp
from lightspeed_client.writes import payload_hash, wire_scalar

if TYPE_CHECKING:
    from target_lightspeed.mapping.mapper import RecordMapper


class MappingError(Exception):
    """A record cannot become a write payload; the message names the field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class MatchKey:
    """One match key candidate of a record: field names and their (normalised) values."""

    fields: tuple[str, ...]
    values: tuple[str, ...]

    @property
    def name(self) -> str:
        """The key's name, e.g. ``email`` or ``firstName+lastName``."""
        return "+".join(self.fields)

    @property
    def text(self) -> str:
        """The key as stored in the ledger and the rejects file, e.g. ``email=a@b.com``."""
        return f"{self.name}={'|'.join(self.values)}"


@dataclass
class Mapped:
    """A record ready to be written."""

    stream: str
    record: dict[str, Any]
    payload: dict[str, Any]
    body: dict[str, Any]
    keys: list[MatchKey]
    source_id: str | None
    notes: list[str] = field(default_factory=list)
    hash: str = ""

    def __post_init__(self) -> None:
        """Hash the body."""
        self.hash = payload_hash(self.body)

    @property
    def ledger_key(self) -> str:
        """The record's key in the ledger: its first match key, else its source id or hash."""
        if self.keys:
            return self.keys[0].text
        if self.source_id is not None:
            return f"source:{self.stream}:{self.source_id}"
        return f"content:{self.hash[:32]}"

    @property
    def source_key(self) -> str | None:
        """The record's source key in the ledger: ``<stream>:<source id>`` (None: no id)."""
        return f"{self.stream}:{self.source_id}" if self.source_id is not None else None

    @property
    def match_key_text(self) -> str | None:
        """The first match key as text, or None when the record has none."""
        return self.keys[0].text if self.keys else None


@dataclass
class SaleRefs:
    """What a sale refers to, resolved to ids of the target account.

    Attributes:
        customers: Source customer id -> target id (None: unknown).
        items: Source item id -> target id (None: unknown).
        customers_by_email: Email (lower case) -> target id.
        items_by_key: ``field=value`` (e.g. ``customSku=A-1``) -> target id.
        ambiguous: ``customers:<source id>`` or ``items:<source id>`` -> the streams that
            each hold a record with that source id, none nearer to the sale's stream.
    """

    customers: dict[str, str | None] = field(default_factory=dict)
    items: dict[str, str | None] = field(default_factory=dict)
    customers_by_email: dict[str, str | None] = field(default_factory=dict)
    items_by_key: dict[str, str | None] = field(default_factory=dict)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)

    def check_unambiguous(self, entity: str, source: str, where: str) -> None:
        """Reject a reference that records of several streams could mean.

        Args:
            entity: ``customers`` or ``items``.
            source: The source id.
            where: The field, for the message.

        Raises:
            MappingError: Several streams hold a record with that source id.
        """
        streams = self.ambiguous.get(f"{entity}:{source}")
        if streams:
            msg = (
                f"field '{where}': {entity[:-1]} {source} of the source account is ambiguous: "
                f"streams {', '.join(streams)} each hold one, and none is nearer to this "
                "stream by name"
            )
            raise MappingError(msg, field=where)


@dataclass
class BuildContext:
    """What building one payload may use beside the record.

    Attributes:
        source_id: The record's id in the source account, if any.
        refs: Resolved references (sales).
        notes: Receives notes for the log (a sale left open...).
    """

    source_id: str | None
    refs: SaleRefs
    notes: list[str]


def plain_key_value(name: str, normalized: Mapping[str, Any]) -> str:
    """Read a match key field of a record in tap shape: the top-level value as text.

    Args:
        name: The key field.
        normalized: The record in tap shape.

    Returns:
        The value, ``""`` when absent.
    """
    return to_text(normalized.get(name))


def plain_stored_key_values(name: str, stored: Mapping[str, Any]) -> list[str]:
    """Read a match key field of a stored record (wire form): the top-level value.

    Args:
        name: The key field.
        stored: A record as the API returned it.

    Returns:
        The value, or nothing when absent.
    """
    value = to_text(stored.get(name))
    return [value] if value else []


@dataclass(frozen=True)
class EntityRules:
    """How records of one entity are mapped: one module per entity defines its rules.

    Attributes:
        entity: The entity's name in settings (``customers``).
        wire: Its name in the API (``Customer``).
        source_id_field: The field holding its id in the source account (``customerID``).
        key_fields: Match key fields: name -> (filter parameter, relations it needs).
        default_match_keys: Match key candidates when the setting leaves the entity out.
        normalize: ``normalize(mapper, record)``: folds a record's flat warehouse columns into
            the tap's shape (a new dict), warning once about columns it does not read
            (:meth:`~target_lightspeed.mapping.mapper.RecordMapper.warn_unknown`).
        build: ``build(mapper, rec, context)``: the write payload (tap shape, before the wire
            form) of a record in tap shape; raises :class:`MappingError` naming the field
            when the record cannot be written.
        key_value: Reads a match key field of a record in tap shape.
        stored_key_values: Reads a match key field of a stored record.
    """

    entity: str
    wire: str
    source_id_field: str
    key_fields: dict[str, tuple[str, tuple[str, ...]]]
    default_match_keys: tuple[str, ...]
    normalize: Callable[[RecordMapper, Mapping[str, Any]], dict[str, Any]]
    build: Callable[[RecordMapper, dict[str, Any], BuildContext], dict[str, Any]]
    key_value: Callable[[str, Mapping[str, Any]], str] = plain_key_value
    stored_key_values: Callable[[str, Mapping[str, Any]], list[str]] = plain_stored_key_values


def to_text(value: Any) -> str:
    """A scalar as text (``""`` for None; wire form for numbers, booleans and dates)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Decimal, float, datetime, date)):
        return str(wire_scalar(value))
    return str(value).strip()


def to_number(value: Any, where: str) -> Decimal | None:
    """A finite number, None for none; ``where`` names the field in the error."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise MappingError(f"field '{where}': expected a number, got a boolean", field=where)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise MappingError(f"field '{where}': {value!r} is not a number", field=where) from None
    if not number.is_finite():
        raise MappingError(f"field '{where}': {value!r} is not a finite number", field=where)
    return number


def to_integer(value: Any, where: str) -> int | None:
    """A whole number, None for none."""
    number = to_number(value, where)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise MappingError(f"field '{where}': {value!r} is not a whole number", field=where)
    return int(number)


def to_boolean(value: Any, where: str) -> bool | None:
    """A boolean from ``true``/``1``/``yes``... or ``false``/``0``/``no``..., None for none."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y", "t"):
        return True
    if text in ("false", "0", "no", "n", "f"):
        return False
    raise MappingError(f"field '{where}': {value!r} is not a boolean", field=where)


def to_timestamp(value: Any, where: str) -> str | None:
    """A date-time in Lightspeed's form, None for none."""
    if value is None or value == "":
        return None
    try:
        return normalize_timestamp(value)
    except (ValueError, TypeError, AttributeError):
        raise MappingError(f"field '{where}': {value!r} is not a date-time", field=where) from None


def to_id(value: Any, where: str) -> str | None:
    """Read a foreign key: None for missing, ``""``, ``0`` and ``"0"`` (none)."""
    number = to_integer(value, where)
    return None if number in (None, 0) else str(number)


_BOOLEAN_FIELDS = frozenset(
    {
        "archived",
        "noEmail",
        "noPhone",
        "noMail",
        "discountable",
        "tax",
        "serialized",
        "publishToEcom",
        "completed",
        "voided",
    }
)
_NUMBER_FIELDS = frozenset(
    {"defaultCost", "unitPrice", "discountAmount", "discountPercent", "amount"}
)
_INTEGER_FIELDS = frozenset({"modelYear", "unitQuantity"})
_TIMESTAMP_FIELDS = frozenset({"dob"})


def to_scalar(name: str, value: Any, where: str) -> Any:
    """A top-level value converted by the kind of its field (boolean, number, date...)."""
    if name in _BOOLEAN_FIELDS:
        return to_boolean(value, where)
    if name in _NUMBER_FIELDS:
        return to_number(value, where)
    if name in _INTEGER_FIELDS:
        return to_integer(value, where)
    if name in _TIMESTAMP_FIELDS:
        return to_timestamp(value, where)
    if value is None:
        return None
    if isinstance(value, (Mapping, list)):
        raise MappingError(f"field '{where}': expected a single value", field=where)
    return to_text(value) if not isinstance(value, str) else value


def scalars(rec: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Convert the top-level fields of a record that it has, each by the kind of its field.

    Args:
        rec: The record in tap shape.
        names: The fields wanted.

    Returns:
        Field -> converted value, for the fields present.
    """
    return {name: to_scalar(name, rec[name], name) for name in names if name in rec}


def elements(value: Any, element: str, where: str) -> list[dict[str, Any]]:
    """Read a collection given as a plain list, the wrapped form, one object, or ``""``."""
    if isinstance(value, Mapping) and set(value) == {element}:
        value = value[element]
    out = []
    for index, item in enumerate(as_list(value)):
        if not isinstance(item, Mapping):
            raise MappingError(
                f"field '{where}[{index}]': expected an object, got {type(item).__name__}",
                field=where,
            )
        out.append(dict(item))
    return out


def source_id_text(value: Any) -> str:
    """A source id as text, ``""`` for none (``0``, ``""``, None, not a number).

    Args:
        value: The id as read.

    Returns:
        The id, or ``""``.
    """
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return ""
    return str(number) if number else ""
