"""The record mapper: one stream's records to write payloads, by its entity's rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lightspeed_client.writes import to_wire, write_problem
from target_lightspeed.mapping.entities import ENTITY_RULES
from target_lightspeed.mapping.fields import (
    BuildContext,
    Mapped,
    MappingError,
    MatchKey,
    SaleRefs,
    to_id,
    to_text,
)

if TYPE_CHECKING:
    from target_lightspeed.mapping.items import PriceLevels

#: tap-lightspeed's field naming the source account of every record: not written, and no
#: "unknown column" warning (the source account's ids are the ledger's source ids as they are;
#: copying several source accounts into one target takes one ledger per source account).
SOURCE_ACCOUNT_FIELD = "account_id"


@dataclass
class MapperSettings:
    """What the mapper needs from the target's settings."""

    match_keys: dict[str, list[tuple[str, ...]]]
    id_map: dict[str, dict[str, str]]
    keep_foreign_keys: frozenset[str]
    reference_number_source: str
    defaults: dict[str, str | None]
    enable_promotions: bool = False


class RecordMapper:
    """Maps the records of one stream to payloads for one entity."""

    def __init__(
        self,
        stream: str,
        entity: str,
        settings: MapperSettings,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        """Create a mapper.

        Args:
            stream: The input stream name.
            entity: ``customers``, ``items`` or ``sales``.
            settings: The mapping settings.
            warn: Called once per new kind of problem that does not stop a record
                (unknown columns, dropped foreign keys).
        """
        self.stream = stream
        self.entity = entity
        self.rules = ENTITY_RULES[entity]
        self.wire_entity = self.rules.wire
        self.settings = settings
        self._warn = warn or (lambda message: None)
        self._warned: set[str] = set()
        #: The target account's price levels (items), set by the item writer before mapping;
        #: None: not known, prices are kept as given.
        self.price_levels: PriceLevels | None = None

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self._warn(message)

    # -- foreign keys ------------------------------------------------------------------------

    def reference_fk(self, name: str, value: Any, where: str) -> str | None:
        """Map a reference-data foreign key of the source account (or drop it).

        Args:
            name: The field (``categoryID``, ``paymentTypeID``...).
            value: The source value.
            where: Field path for messages.

        Returns:
            The id to send, or None to leave the field out.
        """
        source = to_id(value, where)
        if source is None:
            return None
        mapped = self.settings.id_map.get(name)
        if mapped is not None and source in mapped:
            return str(mapped[source])
        if name in self.settings.keep_foreign_keys:
            return source
        self._warn_once(
            f"fk:{name}",
            f"Stream '{self.stream}': foreign key '{name}' holds ids of the source account; "
            f"they are not sent. Map them with the id_map setting "
            f'(e.g. {{"{name}": {{"{source}": "<id in the target account>"}}}}) or list '
            f"'{name}' in keep_foreign_keys when both accounts share these ids.",
        )
        return None

    def reference_fks(self, rec: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
        """Map the reference-data foreign keys a record has (see :meth:`reference_fk`).

        Args:
            rec: The record in tap shape.
            names: The foreign key fields.

        Returns:
            Field -> id to send, for those mapped.
        """
        mapped = {name: self.reference_fk(name, rec[name], name) for name in names if name in rec}
        return {name: value for name, value in mapped.items() if value is not None}

    # -- match keys --------------------------------------------------------------------------

    def match_keys(self, normalized: Mapping[str, Any]) -> list[MatchKey]:
        """Return the record's match key candidates that have values, in setting order.

        Args:
            normalized: The record in tap shape (flat columns folded in).

        Returns:
            The candidates.
        """
        keys = []
        for fields in self.settings.match_keys[self.entity]:
            values = tuple(self.rules.key_value(name, normalized) for name in fields)
            if all(values):
                keys.append(MatchKey(fields, values))
        return keys

    # -- entry point -------------------------------------------------------------------------

    def map(
        self,
        record: Mapping[str, Any],
        refs: SaleRefs | None = None,
        key_properties: tuple[str, ...] = (),
    ) -> Mapped:
        """Map one record.

        Args:
            record: The input record.
            refs: Resolved references (sales only).
            key_properties: The stream's key properties: identify a flat row that has no
                id of its entity (``customerID``...), so that a changed row updates its record.

        Returns:
            The mapped record.

        Raises:
            MappingError: The record cannot be written; the message names the field.
        """
        normalized = self.normalize(record)
        source_id = to_text(normalized.get(self.rules.source_id_field)) or None
        if source_id is None and key_properties:
            values = [to_text(record.get(k)) for k in key_properties]
            if all(values):
                source_id = "|".join(values)
        notes: list[str] = []
        context = BuildContext(source_id, refs or SaleRefs(), notes)
        payload = self.rules.build(self, normalized, context)
        keys = self.match_keys(normalized)
        body = to_wire(self.wire_entity, payload)
        problem = write_problem(self.wire_entity, body)
        if problem is not None:
            raise MappingError(problem)
        # The record itself, not a copy: a reject finds its input line by identity.
        kept = record if isinstance(record, dict) else dict(record)
        return Mapped(self.stream, kept, payload, body, keys, source_id, notes)

    def normalize(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Fold flat warehouse columns into the tap's shape.

        Args:
            record: The input record.

        Returns:
            A new dict in tap shape.
        """
        return self.rules.normalize(self, record)

    def warn_unknown(self, record: Mapping[str, Any], known: set[str]) -> None:
        """Warn once per set of input columns that the entity's mapping does not read.

        Args:
            record: The input record.
            known: The columns and fields the mapping reads.
        """
        extra = sorted(
            key
            for key, value in record.items()
            if key not in known
            and key != SOURCE_ACCOUNT_FIELD
            and not key.startswith("_sdc_")
            and value not in (None, "")
        )
        if extra:
            self._warn_once(
                "unknown:" + ",".join(extra),
                f"Stream '{self.stream}': columns not written to Lightspeed "
                f"{self.wire_entity} (not documented input columns): {', '.join(extra)}",
            )
