"""Sinks of target-lightspeed: one per entity, batches of up to 100 records.

A batch is written in three steps:

1. every record is mapped to a write payload (bad records go to the rejects file);
2. the ledger is read for the batch; records it does not know are looked up in Lightspeed
   with ``IN`` filters (100 values per request), by match key candidate in order;
3. each record then costs at most one write: nothing when its payload did not change since
   it was last written (ledger) or already matches Lightspeed, a PUT when it changed, a POST
   when it does not exist. Each write is committed to the ledger at once.
"""

from __future__ import annotations

import sys
import typing as t
from collections import defaultdict

from singer_sdk.sinks import BatchSink

from lightspeed_client.errors import (
    LightspeedAPIError,
    RetriesExhaustedError,
    UncertainWriteError,
)
from lightspeed_client.writes import changed_fields, matches_existing
from target_lightspeed.api import record_id
from target_lightspeed.mapping import (
    WIRE_ENTITY,
    Mapped,
    MappingError,
    MatchKey,
    RecordMapper,
    SaleRefs,
    stored_key_values,
)
from target_lightspeed.validation import RecordValidator

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from singer_sdk.sinks.core import BaseJSONSchemaValidator

    from target_lightspeed.ledger import LedgerEntry
    from target_lightspeed.target import Runtime, TargetLightspeed

#: Statuses that reject the record (the run goes on); others stop the run.
REJECT_STATUSES = frozenset({400, 404, 405, 409, 410, 413, 422})
#: How far back a create in doubt is searched for by ``createTime`` (clock differences).
CREATE_TIME_MARGIN = 600.0
#: Field by which records without a match key are looked for, matched then by whole content.
CONTENT_LOOKUP_FIELDS = {"customers": "lastName", "items": "description"}
#: Fields of a sale that an update may change (lines and payments are written once).
SALE_HEADER_EXCLUDED = frozenset({"SaleLines", "SalePayments", "completed"})


class LightspeedSink(BatchSink):
    """Writes one input stream to one Lightspeed entity."""

    entity: t.ClassVar[str] = "customers"

    def __init__(
        self,
        target: TargetLightspeed,
        stream_name: str,
        schema: dict,
        key_properties: t.Sequence[str] | None,
    ) -> None:
        """Create the sink.

        Args:
            target: The target.
            stream_name: Input stream name.
            schema: The stream's schema.
            key_properties: The stream's key properties.
        """
        self._target = target
        self.runtime: Runtime = target.runtime
        self._record_validator = RecordValidator(schema)
        super().__init__(target, stream_name, schema, key_properties)
        # Keep date-time strings as they are: the mapping reads them, and a malformed one
        # rejects the record instead of stopping the run in the SDK's timestamp parser.
        self.schema = _without_datetime_formats(self.schema)
        self.summary = self.runtime.report.stream(stream_name, self.entity)
        self.mapper = RecordMapper(
            stream_name, self.entity, self.runtime.mapper_settings, self._warn
        )
        self.runtime.sinks.append(self)
        #: Key properties missing from the record being read (see :meth:`preprocess_record`).
        self._missing_keys: list[str] = []
        #: ``id(record)`` -> its input line, for the batch being written.
        self._lines: dict[int, int] = {}

    def _warn(self, message: str) -> None:
        self.logger.warning(message)

    # -- SDK hooks ---------------------------------------------------------------------------

    @property
    @override
    def max_size(self) -> int:
        """Records per batch: ``batch_size_rows`` (default and maximum 100)."""
        configured = self.config.get("batch_size_rows")
        return max(1, min(int(configured or 100), 100))

    @override
    def get_validator(self) -> BaseJSONSchemaValidator | None:
        """No SDK-side validation: :meth:`process_record` validates and rejects instead.

        The SDK's validation either stops the run or lets an invalid record through; the
        target must put it in the rejects file and go on.

        Returns:
            None.
        """
        return None

    @override
    def preprocess_record(self, record: dict, context: dict) -> dict:
        """Note the key properties a record lacks (it is rejected by :meth:`process_record`).

        The SDK stops the whole run on a record without its key properties; filling them
        with None here lets the record reach :meth:`process_record`, which rejects it.

        Args:
            record: The record as read.
            context: The batch context.

        Returns:
            The record, with the missing key properties set to None.
        """
        self._missing_keys = [key for key in self.key_properties if key not in record]
        if self._missing_keys:
            return {**record, **dict.fromkeys(self._missing_keys)}
        return record

    @override
    def process_record(self, record: dict, context: dict) -> None:
        self.summary.read += 1
        line = self._target.input_line
        if self._missing_keys:
            missing, self._missing_keys = self._missing_keys, []
            as_read = {k: v for k, v in record.items() if k not in missing}
            names = ", ".join(f"'{k}'" for k in missing)
            plural = "ies" if len(missing) > 1 else "y"
            self.reject(
                as_read,
                None,
                None,
                f"key propert{plural} {names} missing: every record of stream "
                f"'{self.stream_name}' needs {', '.join(self.key_properties)}",
                line=line,
            )
            return
        if self.validate_schema:
            problem = self._record_validator.first_error(record)
            if problem is not None:
                self.reject(
                    record,
                    None,
                    None,
                    f"record does not match the stream's schema: {problem}",
                    line=line,
                )
                return
        context.setdefault("records", []).append(record)
        if line is not None:
            context.setdefault("lines", []).append((id(record), line))

    @override
    def process_batch(self, context: dict) -> None:
        records = context.get("records") or []
        if records:
            self._lines = dict(context.get("lines") or ())
            try:
                self.write_batch(records)
            finally:
                self._lines = {}

    # -- outcomes ----------------------------------------------------------------------------

    def reject(
        self,
        record: dict,
        match_key: str | None,
        status: int | None,
        message: str,
        *,
        line: int | None = None,
    ) -> None:
        """Put a record in the rejects file and count it.

        Args:
            record: The record as read.
            match_key: Its match key as text.
            status: Lightspeed's HTTP status, or None when the target refused it.
            message: The reason.
            line: Its input line (default: looked up for the batch being written).
        """
        if line is None:
            line = self._lines.get(id(record))
        self.runtime.rejects.write(
            stream=self.stream_name,
            record=record,
            match_key=match_key,
            status=status,
            message=message,
            line=line,
        )
        where = f" (input line {line})" if line is not None else ""
        self.logger.warning(
            "Stream '%s': record %s%s rejected: %s",
            self.stream_name,
            match_key or self._record_name(record),
            where,
            message,
        )
        reason = f"HTTP {status}" if status else message.split(":", 1)[0]
        self.runtime.report.outcome(self.summary, "rejected", reason)

    def _record_name(self, record: dict) -> str:
        """Name a record without a match key by its key properties (``customerID=5``)."""
        named = [
            f"{key}={record[key]}"
            for key in self.key_properties
            if isinstance(record, dict) and record.get(key) not in (None, "")
        ]
        return "|".join(named) if named else "(no match key)"

    def _outcome(self, mapped: Mapped, outcome: str, reason: str) -> None:
        for note in mapped.notes:
            self.logger.info("Stream '%s': %s: %s", self.stream_name, mapped.ledger_key, note)
        self.runtime.report.outcome(self.summary, outcome, reason)

    # -- the batch ---------------------------------------------------------------------------

    def write_batch(self, records: list[dict]) -> None:
        """Map, look up and write a batch of records.

        Args:
            records: The records, in input order.
        """
        refs = self.resolve_refs(records)
        mapped: list[Mapped] = []
        for record in records:
            try:
                mapped.append(self.mapper.map(record, refs, tuple(self.key_properties)))
            except MappingError as exc:
                self.reject(record, None, None, str(exc))
        ledger = self.runtime.ledger
        rows = ledger.get_many(self.entity, [m.ledger_key for m in mapped])
        unknown = [m for m in mapped if not _written(rows.get(m.ledger_key))]
        found = self.lookup([m for m in unknown if m.keys])
        found.update(self.content_lookup([m for m in unknown if not m.keys]))
        for item in mapped:
            self.apply(item, found.get(id(item)))

    def resolve_refs(self, records: list[dict]) -> SaleRefs | None:
        """Resolve what the records refer to in the target account (sales only).

        Args:
            records: The batch.

        Returns:
            The resolved references, or None for entities without references.
        """
        return None

    def lookup(self, batch: list[Mapped]) -> dict[int, dict[str, t.Any]]:
        """Find existing records by match key, candidate after candidate, batched with IN.

        Args:
            batch: Records the ledger does not know.

        Returns:
            ``id(mapped)`` -> the stored record (wire form), for the records found.
        """
        found: dict[int, dict[str, t.Any]] = {}
        pending = list(batch)
        depth = 0
        while pending:
            groups: dict[tuple[str, ...], list[tuple[Mapped, MatchKey]]] = defaultdict(list)
            for item in pending:
                if len(item.keys) > depth:
                    key = item.keys[depth]
                    groups[key.fields].append((item, key))
            if not groups:
                break
            for fields, members in groups.items():
                stored = self.runtime.writer.lookup(
                    self.entity, fields[0], [key.values[0] for _, key in members]
                )
                for item, key in members:
                    match = self._best_match(stored, key)
                    if match is not None:
                        found[id(item)] = match
            pending = [item for item in pending if id(item) not in found]
            depth += 1
        return found

    def content_lookup(self, batch: list[Mapped]) -> dict[int, dict[str, t.Any]]:
        """Find records without a match key that Lightspeed already holds with the same content.

        One batched lookup by ``lastName`` (customers) or ``description`` (items), then only
        records holding every value of the body count, each claimed once.

        Args:
            batch: Records without a match key that the ledger does not know.

        Returns:
            ``id(mapped)`` -> the stored record, for the records found.
        """
        field = CONTENT_LOOKUP_FIELDS.get(self.entity)
        if field is None:
            return {}
        wanted = [(m, str(m.payload.get(field) or "").strip()) for m in batch]
        wanted = [(m, value) for m, value in wanted if value]
        if not wanted:
            return {}
        stored = self.runtime.writer.lookup(self.entity, field, [v for _, v in wanted])
        claimed = self.runtime.ledger.claimed(
            self.entity, [record_id(self.entity, record) for record in stored]
        )
        found: dict[int, dict[str, t.Any]] = {}
        for item, _ in wanted:
            candidates = [
                record
                for record in stored
                if record_id(self.entity, record) not in claimed
                and matches_existing(record, item.body)
            ]
            if candidates:
                match = min(candidates, key=lambda r: int(record_id(self.entity, r) or 0))
                claimed.add(record_id(self.entity, match))
                found[id(item)] = match
        return found

    def _best_match(self, stored: list[dict[str, t.Any]], key: MatchKey) -> dict[str, t.Any] | None:
        matches = [
            record
            for record in stored
            if all(
                value.casefold()
                in {v.casefold() for v in stored_key_values(self.entity, f, record)}
                for f, value in zip(key.fields, key.values, strict=True)
            )
        ]
        if not matches:
            return None
        if len(matches) > 1:
            self.logger.warning(
                "Stream '%s': %d %s records match %s; using the oldest",
                self.stream_name,
                len(matches),
                WIRE_ENTITY[self.entity],
                key.text,
            )
        return min(matches, key=lambda r: int(record_id(self.entity, r) or 0))

    # -- one record --------------------------------------------------------------------------

    def _source_key(self, item: Mapped) -> str | None:
        return item.source_id

    def compare_body(self, item: Mapped) -> dict[str, t.Any]:
        """The part of the body an update writes (and that is compared with Lightspeed).

        Args:
            item: The mapped record.

        Returns:
            The body.
        """
        return item.body

    def apply(self, item: Mapped, stored: dict[str, t.Any] | None) -> None:
        """Decide and make the one write (or none) of a record.

        Args:
            item: The mapped record.
            stored: The record found in Lightspeed by its match key, if any.
        """
        ledger = self.runtime.ledger
        mode = self.runtime.write_mode
        row = ledger.get_many(self.entity, [item.ledger_key]).get(item.ledger_key)
        source_key = self._source_key(item)
        if _written(row):
            assert row is not None
            if row.payload_hash == item.hash:
                if source_key and row.source_key != source_key and not self.runtime.dry_run:
                    ledger.mark_written(
                        self.entity,
                        item.ledger_key,
                        row.lightspeed_id or "",
                        row.payload_hash,
                        source_key,
                    )
                self._outcome(item, "unchanged", "same as last written (ledger)")
                return
            if mode == "insert":
                self._outcome(item, "unchanged", "exists, left as is (insert mode)")
                return
            self.update(item, str(row.lightspeed_id), "changed since last written (ledger)")
            return
        if stored is None and row is not None and not item.keys:
            stored = self.find_created(item, row.attempted_at)
            if stored is not None:
                self.logger.info(
                    "Stream '%s': %s was created by an interrupted run; found it",
                    self.stream_name,
                    item.ledger_key,
                )
        if stored is not None:
            target_id = record_id(self.entity, stored)
            body = self.compare_body(item)
            if matches_existing(stored, body):
                ledger.mark_written(self.entity, item.ledger_key, target_id, item.hash, source_key)
                self._outcome(item, "unchanged", "already up to date in Lightspeed")
                return
            if mode == "insert":
                ledger.mark_written(self.entity, item.ledger_key, target_id, None, source_key)
                self._outcome(item, "unchanged", "exists, left as is (insert mode)")
                return
            changed = ", ".join(changed_fields(stored, body)[:6])
            self.update(item, target_id, f"changed: {changed}")
            return
        if mode == "update":
            which = item.match_key_text or "match key (the record has none)"
            self.reject(
                item.record,
                item.match_key_text,
                None,
                f"not found in Lightspeed by {which}; write_mode update creates nothing",
            )
            return
        self.create(item)

    def update(self, item: Mapped, target_id: str, reason: str) -> None:
        """PUT a changed record.

        Args:
            item: The mapped record.
            target_id: Its id in the target account.
            reason: What changed (for the summary).
        """
        if self.runtime.dry_run:
            self._outcome(item, "updated", reason)
            return
        try:
            self.runtime.writer.update(self.entity, target_id, self.compare_body(item))
        except LightspeedAPIError as exc:
            if exc.status == 404:
                self.logger.warning(
                    "Stream '%s': %s %s is gone from Lightspeed; looking it up again",
                    self.stream_name,
                    WIRE_ENTITY[self.entity],
                    target_id,
                )
                self.runtime.ledger.forget(self.entity, item.ledger_key)
                found = self.lookup([item]).get(id(item))
                if found is not None and record_id(self.entity, found) != target_id:
                    self.update(item, record_id(self.entity, found), reason)
                elif self.runtime.write_mode == "update":
                    self.reject(item.record, item.match_key_text, 404, exc.message)
                else:
                    self.create(item)
                return
            if exc.status in REJECT_STATUSES:
                self.reject(item.record, item.match_key_text, exc.status, exc.message)
                return
            raise
        self.runtime.report.wrote()
        self.runtime.ledger.mark_written(
            self.entity, item.ledger_key, target_id, item.hash, self._source_key(item)
        )
        self._outcome(item, "updated", reason)

    def create(self, item: Mapped) -> None:
        """POST a new record; a create in doubt is looked up before it is sent again.

        Args:
            item: The mapped record.

        Raises:
            RetriesExhaustedError: Creates kept failing in doubt past the retry budget.
        """
        reason = "not found by " + (item.keys[0].name if item.keys else "any match key")
        if self.runtime.dry_run:
            self.runtime.ledger.mark_written(
                self.entity, item.ledger_key, "dry-run", item.hash, self._source_key(item)
            )
            self._outcome(item, "created", reason)
            return
        ledger = self.runtime.ledger
        attempted_at = ledger.mark_pending(self.entity, item.ledger_key, self._source_key(item))
        attempts = self.runtime.client.settings.max_retries + 1
        stored: dict[str, t.Any] | None = None
        last_failure = ""
        for _ in range(attempts):
            try:
                stored = self.runtime.writer.create(self.entity, item.body)
                self.runtime.report.wrote()
                break
            except UncertainWriteError as exc:
                last_failure = exc.failure
                self.logger.warning(
                    "Stream '%s': create of %s in doubt (%s); looking it up before retrying",
                    self.stream_name,
                    item.ledger_key,
                    exc.failure,
                )
                stored = self.find_after_doubt(item, attempted_at)
                if stored is not None:
                    self.runtime.report.wrote()
                    break
            except LightspeedAPIError as exc:
                if exc.status not in REJECT_STATUSES:
                    raise
                ledger.forget(self.entity, item.ledger_key)
                self.reject(item.record, item.match_key_text, exc.status, exc.message)
                return
        if stored is None:
            raise RetriesExhaustedError(
                method="POST",
                path=f"/{WIRE_ENTITY[self.entity]}.json",
                attempts=attempts,
                last_failure=last_failure,
            )
        new_id = record_id(self.entity, stored)
        ledger.mark_written(self.entity, item.ledger_key, new_id, item.hash, self._source_key(item))
        self._outcome(item, "created", reason)

    def find_after_doubt(self, item: Mapped, attempted_at: float) -> dict[str, t.Any] | None:
        """Look up a record whose create may or may not have been stored.

        Args:
            item: The mapped record.
            attempted_at: When its create was first attempted.

        Returns:
            The stored record, or None when it is not there.
        """
        if item.keys:
            return self.lookup([item]).get(id(item))
        return self.find_created(item, attempted_at)

    def find_created(self, item: Mapped, since: float | None) -> dict[str, t.Any] | None:
        """Find a record without match key among those created since a time, by content.

        Args:
            item: The mapped record.
            since: When its create was attempted (None: unknown, not searched).

        Returns:
            The stored record holding exactly the body, not claimed by another ledger row.
        """
        if since is None:
            return None
        created = self.runtime.writer.created_since(self.entity, since - CREATE_TIME_MARGIN)
        claimed = self.runtime.ledger.claimed(
            self.entity, [record_id(self.entity, stored) for stored in created]
        )
        candidates = [
            stored
            for stored in created
            if record_id(self.entity, stored) not in claimed and matches_existing(stored, item.body)
        ]
        if not candidates:
            return None
        return min(candidates, key=lambda r: int(record_id(self.entity, r) or 0))


class CustomersSink(LightspeedSink):
    """Writes customers (matched by email by default)."""

    entity = "customers"


class ItemsSink(LightspeedSink):
    """Writes items (matched by customSku, then upc, then ean by default)."""

    entity = "items"


class SalesSink(LightspeedSink):
    """Writes sales with their lines and payments in one POST (matched by referenceNumber)."""

    entity = "sales"

    @override
    def write_batch(self, records: list[dict]) -> None:
        # Sales refer to customers and items: write those first.
        for sink in list(self.runtime.sinks):
            if sink.entity != "sales" and sink.current_size:
                self._target.drain_one(sink)
        super().write_batch(records)

    @override
    def compare_body(self, item: Mapped) -> dict[str, t.Any]:
        return {k: v for k, v in item.body.items() if k not in SALE_HEADER_EXCLUDED}

    @override
    def resolve_refs(self, records: list[dict]) -> SaleRefs | None:
        refs = SaleRefs()
        source_customers: set[str] = set()
        source_items: set[str] = set()
        emails: set[str] = set()
        item_keys: dict[str, set[str]] = defaultdict(set)
        for record in records:
            try:
                normalized = self.mapper.normalize(record)
            except MappingError:
                continue  # rejected when mapped
            email = str(normalized.get("customer_email") or "").strip().lower()
            if email:
                emails.add(email)
            if _id(normalized.get("customerID")):
                source_customers.add(_id(normalized.get("customerID")))
            for line in normalized.get("SaleLines") or []:
                key = next((k for k in ("customSku", "upc", "ean") if line.get(k)), None)
                if key is not None:
                    item_keys[key].add(str(line[key]).strip())
                elif _id(line.get("itemID")):
                    source_items.add(_id(line.get("itemID")))
        ledger = self.runtime.ledger
        refs.customers.update(ledger.ids_by_source("customers", sorted(source_customers)))
        refs.items.update(ledger.ids_by_source("items", sorted(source_items)))
        if emails:
            refs.customers_by_email.update(self._resolve_keys("customers", "email", emails))
        for field, values in item_keys.items():
            for value, target_id in self._resolve_keys("items", field, values).items():
                refs.items_by_key[f"{field}={value}"] = target_id
        return refs

    def _resolve_keys(self, entity: str, field: str, values: set[str]) -> dict[str, str | None]:
        """Resolve match key values of another entity: ledger first, then one batched lookup."""
        rows = self.runtime.ledger.get_many(entity, [f"{field}={v}" for v in values])
        out: dict[str, str | None] = {}
        missing = []
        for value in values:
            row = rows.get(f"{field}={value}")
            if _written(row):
                out[value] = row.lightspeed_id  # type: ignore[union-attr]
            else:
                missing.append(value)
        if missing:
            index: dict[str, str] = {}
            for stored in self.runtime.writer.lookup(entity, field, missing):
                for value in stored_key_values(entity, field, stored):
                    index.setdefault(value.casefold(), record_id(entity, stored))
            for value in missing:
                out[value] = index.get(value.casefold())
        return out


SINK_CLASSES: dict[str, type[LightspeedSink]] = {
    "customers": CustomersSink,
    "items": ItemsSink,
    "sales": SalesSink,
}


def _written(row: LedgerEntry | None) -> bool:
    return row is not None and row.written


def _id(value: t.Any) -> str:
    """A source id as text, ``""`` for none (``0``, ``""``, None, not a number)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return ""
    return str(number) if number else ""


def _without_datetime_formats(schema: dict) -> dict:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return schema
    cleaned = {
        name: {k: v for k, v in prop.items() if k != "format"}
        if isinstance(prop, dict) and prop.get("format") in ("date-time", "date", "time")
        else prop
        for name, prop in properties.items()
    }
    return {**schema, "properties": cleaned}
