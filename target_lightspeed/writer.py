"""The writer: every decision and every request for the batches of one input stream.

A batch is written in three steps:

1. **look up**: every record is mapped to a write payload (bad records are rejected); the
   ledger is read for the batch; records it does not know are looked up in Lightspeed with
   ``IN`` filters (100 values per request), by match key candidate in order, or by content
   for records without a match key.
2. **decide**, record by record: :func:`~target_lightspeed.decision.decide` (pure) answers
   create, update, unchanged or reject from the record, its ledger row and what the lookup
   found;
3. **act** on that decision: at most one write per record, a PUT for an update, a POST for a
   create (a create in doubt is looked up before it is sent again), each committed to the
   ledger at once, before the next record is decided.

:class:`RecordWriter` writes customers; :class:`ItemWriter` adds what items need (prices on
the target account's price levels, archiving by DELETE only); :class:`SaleWriter` what sales
need (their customers and items resolved first, only the header compared for updates). A new
entity's rules are a subclass and an entry in :data:`WRITERS`.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t
from collections import defaultdict
from decimal import Decimal

from lightspeed_client.errors import (
    LightspeedAPIError,
    MissingScopeError,
    RetriesExhaustedError,
    UncertainWriteError,
)
from lightspeed_client.session import EDIT_CONFLICT
from lightspeed_client.wire import as_list
from lightspeed_client.writes import matches_existing, payload_hash
from target_lightspeed.decision import CREATE, REJECT, UNCHANGED, UPDATE, Case, Decision, decide
from target_lightspeed.mapping import (
    WIRE_ENTITY,
    Mapped,
    MappingError,
    MatchKey,
    RecordMapper,
    SaleRefs,
    record_id,
    source_id_text,
    stored_key_values,
)
from target_lightspeed.mapping.fields import elements
from target_lightspeed.mapping.items import PriceLevels
from target_lightspeed.mapping.sales import paid as sale_payments_total
from target_lightspeed.mapping.sales import source_states

if t.TYPE_CHECKING:
    import logging

    from target_lightspeed.ledger import LedgerEntry
    from target_lightspeed.report import StreamSummary
    from target_lightspeed.runtime import Runtime

#: Statuses that reject the record (the run goes on); others stop the run.
REJECT_STATUSES = frozenset({400, 404, 405, 409, 410, 413, 422})
#: How far back a create in doubt is searched for by ``createTime`` (clock differences).
CREATE_TIME_MARGIN = 600.0
#: Field by which records without a match key are looked for, matched then by whole content.
CONTENT_LOOKUP_FIELDS = {"customers": "lastName", "items": "description"}
#: What separates the words of a stream name (``public-shop_a.sales``).
_WORD_SEPARATORS = re.compile(r"[-_./]+")
#: The ledger hash of a sale written but not yet completed, archived or brought in line.
UNSETTLED = "unsettled"
#: Fields of a sale that a header update leaves out: lines (their own endpoint), payments
#: (written with the create), the completion (its own step), ``enablePromotions`` (set on
#: creation only) and ``completeTime`` (written with the create).
SALE_HEADER_EXCLUDED = frozenset(
    {"SaleLines", "SalePayments", "completed", "completeTime", "enablePromotions"}
)


class RecordWriter:
    """Writes the records of one input stream to one Lightspeed entity."""

    #: Fields of the body a create leaves out (the ledger's hash is still the whole body's).
    create_excluded: t.ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self,
        runtime: Runtime,
        entity: str,
        stream: str,
        key_properties: t.Sequence[str],
        logger: logging.Logger,
        summary: StreamSummary,
    ) -> None:
        """Create the writer.

        Args:
            runtime: The run's shared parts.
            entity: ``customers``, ``items`` or ``sales``.
            stream: The input stream name.
            key_properties: The stream's key properties.
            logger: Where warnings go.
            summary: The stream's counts in the run report.
        """
        self.runtime = runtime
        self.entity = entity
        self.stream = stream
        self.key_properties = tuple(key_properties)
        self.logger = logger
        self.summary = summary
        self.mapper = RecordMapper(stream, self.entity, runtime.mapper_settings, logger.warning)
        #: ``id(record)`` -> its input line, for the batch being written.
        self._lines: dict[int, int] = {}

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
            stream=self.stream,
            record=record,
            match_key=match_key,
            status=status,
            message=message,
            line=line,
        )
        where = f" (input line {line})" if line is not None else ""
        self.logger.warning(
            "Stream '%s': record %s%s rejected: %s",
            self.stream,
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
            self.logger.info("Stream '%s': %s: %s", self.stream, mapped.ledger_key, note)
        self.runtime.report.outcome(self.summary, outcome, reason)

    # -- the batch ---------------------------------------------------------------------------

    def write_batch(self, records: list[dict], lines: dict[int, int] | None = None) -> None:
        """Map and look up a batch of records, then decide and write each one in turn.

        Each record's decision reads its ledger row just before: a record written earlier in
        the batch (the same match key twice) is then known, and not created twice. A 403 (a
        scope the token lacks) stops the run, the stream and record named in front of the
        client's message.

        Args:
            records: The records, in input order.
            lines: ``id(record)`` -> its input line.
        """
        self._lines = dict(lines or {})
        current: Mapped | None = None
        try:
            for item, stored in self.look_up_batch(records):
                current = item
                self.act(item, self.decide(item, stored))
        except MissingScopeError as exc:
            raise exc.about(self._doing(current)) from None
        finally:
            self._lines = {}

    def _doing(self, item: Mapped | None) -> str:
        """Say what the writer was doing, for an error: the stream, and the record if one.

        Args:
            item: The record being written, or None while the batch was looked up.

        Returns:
            ``Stream 'items', record customSku=A-1 (input line 4)`` or ``Stream 'items'
            (looking up a batch)``.
        """
        if item is None:
            return f"Stream '{self.stream}' (looking up a batch)"
        line = self._lines.get(id(item.record))
        where = f" (input line {line})" if line is not None else ""
        name = item.match_key_text or self._record_name(item.record)
        return f"Stream '{self.stream}', record {name}{where}"

    def look_up_batch(self, records: list[dict]) -> list[tuple[Mapped, dict[str, t.Any] | None]]:
        """Map the records, read the ledger, and look up in Lightspeed those it does not know.

        Args:
            records: The records, in input order.

        Returns:
            Each mappable record with what the lookup found (None: nothing or not looked
            up), in input order; the others are rejected.
        """
        refs = self.references(records)
        mapped: list[Mapped] = []
        for record in records:
            try:
                mapped.append(self.mapper.map(record, refs, self.key_properties))
            except MappingError as exc:
                self.reject(record, None, None, str(exc))
        rows = self.runtime.ledger.get_many(self.entity, [m.ledger_key for m in mapped])
        unknown = [m for m in mapped if not _written(rows.get(m.ledger_key))]
        found = self.lookup([m for m in unknown if m.keys])
        without_key = [m for m in unknown if not m.keys]
        found.update(self.content_lookup(without_key))
        found.update(self.find_interrupted([m for m in without_key if id(m) not in found], rows))
        return [(item, found.get(id(item))) for item in mapped]

    def decide(self, item: Mapped, stored: dict[str, t.Any] | None) -> Decision:
        """Decide about one record from its ledger row (read now) and what the lookup found.

        Args:
            item: The mapped record.
            stored: What the lookup found.

        Returns:
            The decision of :func:`~target_lightspeed.decision.decide`.
        """
        row = self.runtime.ledger.get_many(self.entity, [item.ledger_key]).get(item.ledger_key)
        return decide(self.case(item, row, stored))

    def case(self, item: Mapped, row: LedgerEntry | None, stored: dict[str, t.Any] | None) -> Case:
        """Gather what the decision about one record depends on.

        Args:
            item: The mapped record.
            row: Its ledger row.
            stored: What the lookup found.

        Returns:
            The case.
        """
        return Case(
            entity=self.entity,
            write_mode=self.runtime.write_mode,
            payload_hash=item.hash,
            body=self.compare_body(item),
            match_key=item.match_key_text,
            key_name=item.keys[0].name if item.keys else None,
            source_key=item.source_key,
            ledger=row,
            stored=stored,
        )

    def act(self, item: Mapped, decision: Decision) -> None:
        """Carry a decision out: the one write (or none) of a record, and its ledger row.

        Args:
            item: The mapped record.
            decision: What :func:`~target_lightspeed.decision.decide` answered.
        """
        if decision.action == UNCHANGED:
            if decision.remember and decision.target_id:
                self.runtime.ledger.mark_written(
                    self.entity,
                    item.ledger_key,
                    decision.target_id,
                    decision.remembered_hash,
                    item.source_key,
                )
            self._outcome(item, "unchanged", decision.reason)
        elif decision.action == UPDATE:
            self.update(item, str(decision.target_id), decision.reason)
        elif decision.action == CREATE:
            self.create(item, decision.reason)
        else:
            assert decision.action == REJECT
            self.reject(item.record, item.match_key_text, None, decision.reason)

    def references(self, records: list[dict]) -> SaleRefs | None:
        """Resolve what the records refer to in the target account (sales only).

        Args:
            records: The batch.

        Returns:
            The resolved references, or None for entities without references.
        """
        return None

    def compare_body(self, item: Mapped) -> dict[str, t.Any]:
        """The part of the body an update writes (and that is compared with Lightspeed).

        Args:
            item: The mapped record.

        Returns:
            The body.
        """
        return item.body

    # -- lookups -----------------------------------------------------------------------------

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
                stored = self.runtime.api.lookup(
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
        stored = self.runtime.api.lookup(self.entity, field, [v for _, v in wanted])
        return self._claim(stored, [item for item, _ in wanted])

    def find_interrupted(
        self, batch: list[Mapped], rows: dict[str, LedgerEntry]
    ) -> dict[int, dict[str, t.Any]]:
        """Find records without a match key whose create an interrupted run left pending.

        Args:
            batch: Records without a match key not found by content.
            rows: Their ledger rows.

        Returns:
            ``id(mapped)`` -> the stored record, for the records found.
        """
        found: dict[int, dict[str, t.Any]] = {}
        for item in batch:
            row = rows.get(item.ledger_key)
            if row is None:
                continue
            stored = self.find_created(item, row.attempted_at)
            if stored is not None:
                self.logger.info(
                    "Stream '%s': %s was created by an interrupted run; found it",
                    self.stream,
                    item.ledger_key,
                )
                found[id(item)] = stored
        return found

    def _claim(
        self, stored: list[dict[str, t.Any]], batch: list[Mapped]
    ) -> dict[int, dict[str, t.Any]]:
        """Match records by whole content, each stored record claimed once (oldest first)."""
        claimed = self.runtime.ledger.claimed(
            self.entity, [record_id(self.entity, record) for record in stored]
        )
        found: dict[int, dict[str, t.Any]] = {}
        for item in batch:
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
                self.stream,
                len(matches),
                WIRE_ENTITY[self.entity],
                key.text,
            )
        return min(matches, key=lambda r: int(record_id(self.entity, r) or 0))

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
        created = self.runtime.api.created_since(self.entity, since - CREATE_TIME_MARGIN)
        return self._claim(created, [item]).get(id(item))

    # -- writes ------------------------------------------------------------------------------

    def update(self, item: Mapped, target_id: str, reason: str, *, conflicts: int = 0) -> None:
        """PUT a changed record; one gone from Lightspeed is looked up again, else created.

        An edit conflict (409: another update of the record came in at the same time) is
        answered by backing off, reading the record again and deciding anew: it may now hold
        the record's values already, or still need the update.

        Args:
            item: The mapped record.
            target_id: Its id in the target account.
            reason: What changed (for the summary).
            conflicts: Edit conflicts this record met so far.

        Raises:
            LightspeedAPIError: A status that stops the run.
            RetriesExhaustedError: Edit conflicts past the retry budget.
        """
        if self.runtime.dry_run:
            self._outcome(item, "updated", reason)
            return
        try:
            self.runtime.api.update(
                self.entity, target_id, self.compare_body(item), retry_conflicts=False
            )
        except LightspeedAPIError as exc:
            if exc.status == EDIT_CONFLICT:
                self.after_conflict(item, target_id, exc.message, conflicts + 1)
                return
            if exc.status == 404:
                self.after_gone(item, target_id, reason, exc.message)
                return
            if exc.status in REJECT_STATUSES:
                self.reject(item.record, item.match_key_text, exc.status, exc.message)
                return
            raise
        self.runtime.report.wrote()
        self.runtime.ledger.mark_written(
            self.entity, item.ledger_key, target_id, self.written_hash(item), item.source_key
        )
        self.after_write(item, target_id, None)
        self._outcome(item, "updated", reason)

    def after_conflict(self, item: Mapped, target_id: str, message: str, conflicts: int) -> None:
        """Back off, read a record again after an edit conflict, and decide anew.

        Args:
            item: The mapped record.
            target_id: Its id in the target account.
            message: Lightspeed's message of the 409.
            conflicts: Edit conflicts this record met so far (1 for the first).

        Raises:
            RetriesExhaustedError: More conflicts than ``max_retries``.
        """
        session = self.runtime.client.session
        path = f"/{WIRE_ENTITY[self.entity]}/{target_id}.json"
        failure = f"HTTP 409 {message}"
        if conflicts > session.max_retries:
            raise RetriesExhaustedError(
                method="PUT", path=path, attempts=conflicts, last_failure=failure, status=409
            )
        session.wait_before_retry(conflicts, method="PUT", path=path, failure=failure)
        try:
            stored = self.runtime.api.read(self.entity, target_id)
        except LightspeedAPIError as exc:
            if exc.status != 404:
                raise
            self.after_gone(item, target_id, "changed", exc.message)
            return
        if record_id(self.entity, stored) != target_id:
            self.after_gone(item, target_id, "changed", "not returned when read again")
            return
        decision = decide(self.case(item, None, stored))
        if decision.action == UPDATE:
            self.update(item, str(decision.target_id), decision.reason, conflicts=conflicts)
        else:
            self.act(item, decision)

    def after_gone(self, item: Mapped, target_id: str, reason: str, message: str) -> None:
        """Answer a 404 on an update: look the record up again, else create it (or reject).

        Args:
            item: The mapped record.
            target_id: The id Lightspeed no longer knows.
            reason: What changed (for the summary).
            message: Lightspeed's message of the 404.
        """
        self.logger.warning(
            "Stream '%s': %s %s is gone from Lightspeed; looking it up again",
            self.stream,
            WIRE_ENTITY[self.entity],
            target_id,
        )
        self.runtime.ledger.forget(self.entity, item.ledger_key)
        found = self.lookup([item]).get(id(item))
        if found is not None and record_id(self.entity, found) != target_id:
            self.update(item, record_id(self.entity, found), reason)
        elif self.runtime.write_mode == "update":
            self.reject(item.record, item.match_key_text, 404, message)
        else:
            self.create(item, reason)

    def create(self, item: Mapped, reason: str) -> None:
        """POST a new record; a create in doubt is looked up, and backed off, before it is resent.

        Args:
            item: The mapped record.
            reason: Why it is created (for the summary).

        Raises:
            RetriesExhaustedError: Creates kept failing in doubt past the retry budget.
            LightspeedAPIError: A status that stops the run.
        """
        ledger = self.runtime.ledger
        if self.runtime.dry_run:
            ledger.mark_written(self.entity, item.ledger_key, "dry-run", item.hash, item.source_key)
            self._outcome(item, "created", reason)
            return
        attempted_at = ledger.mark_pending(self.entity, item.ledger_key, item.source_key)
        attempts = self.runtime.client.settings.max_retries + 1
        path = f"/{WIRE_ENTITY[self.entity]}.json"
        stored: dict[str, t.Any] | None = None
        last_failure = ""
        for attempt in range(1, attempts + 1):
            try:
                body = {k: v for k, v in item.body.items() if k not in self.create_excluded}
                stored = self.runtime.api.create(self.entity, body)
                self.runtime.report.wrote()
                break
            except UncertainWriteError as exc:
                last_failure = exc.failure
                self.logger.warning(
                    "Stream '%s': create of %s in doubt (%s); looking it up before retrying",
                    self.stream,
                    item.ledger_key,
                    exc.failure,
                )
                stored = self.find_after_doubt(item, attempted_at)
                if stored is not None:
                    self.runtime.report.wrote()
                    break
                if attempt < attempts:
                    self.runtime.client.session.wait_before_retry(
                        attempt, method="POST", path=path, failure=exc.failure
                    )
            except LightspeedAPIError as exc:
                if exc.status not in REJECT_STATUSES:
                    raise
                ledger.forget(self.entity, item.ledger_key)
                self.reject(item.record, item.match_key_text, exc.status, exc.message)
                return
        if stored is None:
            raise RetriesExhaustedError(
                method="POST",
                path=path,
                attempts=attempts,
                last_failure=last_failure,
            )
        new_id = record_id(self.entity, stored)
        ledger.mark_written(
            self.entity, item.ledger_key, new_id, self.written_hash(item), item.source_key
        )
        self.after_write(item, new_id, stored)
        self._outcome(item, "created", reason)

    def written_hash(self, item: Mapped) -> str:
        """The ledger hash of a record right after its POST or PUT (before :meth:`after_write`).

        Args:
            item: The mapped record.

        Returns:
            Its payload hash: the record is written. A writer with requests still to send
            after the write returns a hash that no payload has, so that a run stopped before
            them sends them next time.
        """
        return item.hash

    def after_write(self, item: Mapped, target_id: str, created: dict[str, t.Any] | None) -> None:
        """What an entity writes after its record is created or updated (nothing here).

        Args:
            item: The mapped record.
            target_id: Its id in the target account.
            created: The stored record a create answered (None after an update).
        """


#: Reasons of an item whose archived state was not changed (``archive_items`` off).
NOT_ARCHIVED = "not archived (archive_items is off)"
NOT_RESTORED = "not restored from the archive (archive_items is off)"
#: Reasons of an item whose archived state was changed.
ARCHIVED = "archived (DELETE; its stock is zeroed)"
RESTORED = "restored from the archive (archived=false)"


class ItemWriter(RecordWriter):
    """Writes items: prices on the target account's price levels, archiving by DELETE only.

    **Price levels** are the target account's own: read once per run (the first batch of
    items), each price is put on the target's level of the same name, else of the same id
    when that level is built in (:meth:`PriceLevels.find`); a level the target lacks
    rejects the record.

    **Archiving**: an Item PUT with ``archived`` does not archive, so ``archived`` is never
    part of an Item body (nor of the comparison that finds an item unchanged). With the
    ``archive_items`` setting on, an item the input says is archived is archived with one
    DELETE (which zeroes its stock), and an archived item the input says is not is restored
    with a PUT ``archived=false`` (as the API documents); the ledger's hash then includes
    the archived state, so reruns send nothing. Off (default), the archived state is left as
    it is and the difference is given as the record's reason, once: reruns skip the record
    (its ledger hash ignores ``archived``).
    """

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Create the writer (see :class:`RecordWriter`)."""
        super().__init__(*args, **kwargs)
        self.archive_items = self.runtime.settings.archive_items
        #: ``id(mapped)`` -> what the lookup found, for the batch being written.
        self._stored: dict[int, dict[str, t.Any] | None] = {}

    def references(self, records: list[dict]) -> None:
        """Read the target account's price levels (once per run) for the mapper.

        Args:
            records: The batch.
        """
        if self.mapper.price_levels is None:
            self.mapper.price_levels = PriceLevels.from_wire(self.runtime.api.price_levels())

    def look_up_batch(self, records: list[dict]) -> list[tuple[Mapped, dict[str, t.Any] | None]]:
        """Map and look up the batch; with ``archive_items`` on, hash the archived state too.

        Args:
            records: The records, in input order.

        Returns:
            See :meth:`RecordWriter.look_up_batch`.
        """
        batch = super().look_up_batch(records)
        if self.archive_items:
            for item, _ in batch:
                wanted = item.payload.get("archived")
                # A record known by its content only keeps the body's hash: it is its key.
                known_by_content = not item.keys and item.source_id is None
                if wanted is not None and not known_by_content:
                    item.hash = payload_hash({**item.body, "archived": wanted})
        return batch

    def decide(self, item: Mapped, stored: dict[str, t.Any] | None) -> Decision:
        """Decide as :class:`RecordWriter` does, keeping what the lookup found for :meth:`act`.

        Args:
            item: The mapped record.
            stored: What the lookup found.

        Returns:
            The decision.
        """
        self._stored[id(item)] = stored
        return super().decide(item, stored)

    def act(self, item: Mapped, decision: Decision) -> None:
        """Carry a decision out, then bring the item's archived state in step (or say why not).

        Args:
            item: The mapped record.
            decision: What :func:`~target_lightspeed.decision.decide` answered.
        """
        stored = self._stored.pop(id(item), None)
        wanted = item.payload.get("archived")
        left_as_is = decision.action == UNCHANGED and self.runtime.write_mode == "insert"
        if decision.action == REJECT or wanted is None or left_as_is:
            super().act(item, decision)
        elif decision.action != CREATE and stored is None:
            self._act_on_ledger_decision(item, decision, wanted)
        else:
            current = decision.action != CREATE and str(stored and stored.get("archived")) == "true"
            self._act_on_found(item, decision, wanted, current)

    def _act_on_found(self, item: Mapped, decision: Decision, wanted: bool, current: bool) -> None:
        """Act on a record created now or found by the lookup (its archived state is known).

        Args:
            item: The mapped record.
            decision: The decision.
            wanted: Whether the input says the item is archived.
            current: Whether Lightspeed holds it archived (False for a create).
        """
        if current == wanted:
            super().act(item, decision)
            return
        if not self.archive_items:
            note = NOT_ARCHIVED if wanted else NOT_RESTORED
            reason = note if decision.action == UNCHANGED else f"{decision.reason}; {note}"
            super().act(item, dataclasses.replace(decision, reason=reason))
            return
        if decision.action == UNCHANGED:
            self._archive(item, str(decision.target_id), wanted, count=True)
            return
        change = ARCHIVED if wanted else RESTORED
        super().act(item, dataclasses.replace(decision, reason=f"{decision.reason}; {change}"))
        self._archive(item, self._written_id(item), wanted, count=False)

    def _act_on_ledger_decision(self, item: Mapped, decision: Decision, wanted: bool) -> None:
        """Act on a record the ledger decided about (what Lightspeed holds was not read).

        An unchanged record is done. A changed one whose body is what was last written
        differs by its archived state only: it is archived (DELETE) or restored (PUT
        ``archived=false``) without another PUT of its body, or, when the archived state
        last written is not known (``archive_items`` was off) and it is not to be archived,
        left as it is. A changed body is PUT, then archived when it must be.

        Args:
            item: The mapped record.
            decision: The decision.
            wanted: Whether the input says the item is archived.
        """
        if not self.archive_items or decision.action != UPDATE:
            super().act(item, decision)
            return
        row = self.runtime.ledger.get_many(self.entity, [item.ledger_key]).get(item.ledger_key)
        last = row.payload_hash if row is not None else None
        was = {
            payload_hash({**item.body, "archived": True}): True,
            payload_hash({**item.body, "archived": False}): False,
            payload_hash(item.body): None,
        }
        if last not in was:
            reason = f"{decision.reason}; {ARCHIVED}" if wanted else decision.reason
            super().act(item, dataclasses.replace(decision, reason=reason))
            if wanted:
                self._archive(item, self._written_id(item), wanted, count=False)
        elif wanted or was[last]:
            self._archive(item, str(decision.target_id), wanted, count=True)
        else:
            remembered = dataclasses.replace(
                decision,
                action=UNCHANGED,
                reason="same as last written (ledger)",
                remember=True,
                remembered_hash=item.hash,
            )
            super().act(item, remembered)

    def _written_id(self, item: Mapped) -> str | None:
        """The item's id in the target account once written (None: rejected, or a dry run)."""
        if self.runtime.dry_run:
            return None
        row = self.runtime.ledger.get_many(self.entity, [item.ledger_key]).get(item.ledger_key)
        return row.lightspeed_id if _written(row) and row.payload_hash == item.hash else None

    def _archive(self, item: Mapped, target_id: str | None, wanted: bool, *, count: bool) -> None:
        """Archive (DELETE) or restore (PUT ``archived=false``) an item written or found.

        Args:
            item: The mapped record.
            target_id: Its id in the target account (None: nothing to do).
            wanted: Whether it must end archived.
            count: Count the record's outcome here (it had no write of its own).

        Raises:
            LightspeedAPIError: A status that stops the run.
        """
        reason = ARCHIVED if wanted else RESTORED
        if self.runtime.dry_run or target_id is None:
            if count:
                self._outcome(item, "updated", reason)
            return
        try:
            if wanted:
                self.runtime.api.archive(self.entity, target_id)
            else:
                self.runtime.api.update(self.entity, target_id, {"archived": False})
        except LightspeedAPIError as exc:
            if exc.status not in REJECT_STATUSES:
                raise
            if count:
                self.reject(item.record, item.match_key_text, exc.status, exc.message)
                return
            self.logger.warning(
                "Stream '%s': %s written but not %s (the next run tries again): HTTP %s %s",
                self.stream,
                item.ledger_key,
                "archived" if wanted else "restored",
                exc.status,
                exc.message,
            )
            # The hash of the body alone: the next run sees the archived state as not done.
            self.runtime.ledger.mark_written(
                self.entity, item.ledger_key, target_id, payload_hash(item.body), item.source_key
            )
            return
        self.runtime.report.wrote()
        self.runtime.ledger.mark_written(
            self.entity, item.ledger_key, target_id, item.hash, item.source_key
        )
        if count:
            self._outcome(item, "updated", reason)


class SaleWriter(RecordWriter):
    """Writes sales with their lines and payments in one POST (matched by referenceNumber).

    A sale refers to customers and items of the source account. Those of the run are written
    first (:meth:`write_batch`), then each reference is resolved through the ledger (source
    keys) or by match key (a customer's email, a line's sku).

    Which stream a source id belongs to: since source keys are ``<stream>:<id>``, a sale's
    ``customerID`` must name a customer stream. It is the customer stream (among those the
    ledger knows) whose name shares the most leading words with the sale's stream name: the
    same tap or schema (``shop_a-sales`` -> ``shop_a-customers``, not ``shop_b-customers``).
    When several share it equally (``sales`` beside ``customers`` and ``crm_contacts``), the
    one of them holding that id; held by more than one, the sale is rejected as ambiguous
    rather than attached to a guess. Line ``itemID``s follow the same rule.
    """

    #: A sale is created open: it is completed once the target account's total is known.
    create_excluded = frozenset({"completed"})

    def write_batch(self, records: list[dict], lines: dict[int, int] | None = None) -> None:
        """Write the run's pending customers and items, then the sales.

        Args:
            records: The sales, in input order.
            lines: ``id(record)`` -> its input line.
        """
        self.runtime.write_pending(("customers", "items"))
        super().write_batch(records, lines)

    def compare_body(self, item: Mapped) -> dict[str, t.Any]:
        """Only the header: lines go through their own endpoint, payments with the create.

        Args:
            item: The mapped sale.

        Returns:
            The header fields.
        """
        return {k: v for k, v in item.body.items() if k not in SALE_HEADER_EXCLUDED}

    def act(self, item: Mapped, decision: Decision) -> None:
        """Carry a decision out; a sale left unchanged still reports what was not copied.

        A sale found in Lightspeed with the record's content but not known to the ledger as
        settled (a run stopped between its POST and its completion or archiving, before the
        ledger heard of the create) is settled now.

        Args:
            item: The mapped sale.
            decision: What :func:`~target_lightspeed.decision.decide` answered.
        """
        super().act(item, decision)
        if decision.action != UNCHANGED:
            return
        found_unknown = decision.remember and decision.remembered_hash == item.hash
        if found_unknown and decision.target_id and not self.runtime.dry_run:
            self.after_write(item, decision.target_id, None)
        elif "voided" in self._states(item):
            self.runtime.report.not_copied(self.summary, "voided")

    def written_hash(self, item: Mapped) -> str:
        """:data:`UNSETTLED`: the sale is completed, archived or brought in line after."""
        return UNSETTLED

    def after_write(self, item: Mapped, target_id: str, created: dict[str, t.Any] | None) -> None:
        """Bring a written sale as far as the API allows, and report the rest.

        After a create: complete the sale when its payments equal the total the target
        account computed, else leave it open (rejects file, summary). After an update: an
        open sale's lines are brought in line through the SaleLine endpoint (and it is
        completed when it can be); a completed sale's lines cannot change and are reported
        when they differ. ``voided`` is never written (no API call voids a sale); ``archived``
        is written (DELETE) for sales that stay open, reported for completed ones.

        Args:
            item: The mapped sale.
            target_id: Its id in the target account.
            created: The stored sale a create answered (None after an update).
        """
        if self.runtime.dry_run:
            return
        ledger = self.runtime.ledger
        # Until the sale is settled its ledger row says "changed": a run stopped here
        # settles it next time (an update) instead of finding it unchanged.
        ledger.mark_written(self.entity, item.ledger_key, target_id, UNSETTLED, item.source_key)
        self._settle(item, target_id, created)
        ledger.mark_written(self.entity, item.ledger_key, target_id, item.hash, item.source_key)

    def _settle(self, item: Mapped, target_id: str, created: dict[str, t.Any] | None) -> None:
        api = self.runtime.api
        stored = created if created is not None else api.get("sales", target_id, ("SaleLines",))
        completed = _true(stored.get("completed"))
        if created is None and not completed and self._sync_lines(item, target_id, stored):
            stored = api.get("sales", target_id)
        elif created is None and completed and self._lines_differ(item, stored):
            self.runtime.report.not_copied(self.summary, "lines of a completed sale")
        if _true(item.body.get("completed")) and not completed:
            completed = self._complete(item, target_id, stored)
        states = self._states(item)
        if "voided" in states:
            self.runtime.report.not_copied(self.summary, "voided")
        if "archived" in states and not _true(stored.get("archived")):
            if completed:
                self.runtime.report.not_copied(self.summary, "archived (a completed sale)")
            else:
                api.archive("sales", target_id)
                self.runtime.report.wrote()

    def _states(self, item: Mapped) -> list[str]:
        try:
            return source_states(self.mapper.normalize(item.record))
        except MappingError:
            return []

    def _complete(self, item: Mapped, target_id: str, stored: dict[str, t.Any]) -> bool:
        """Complete a created sale when its payments equal the target's total, else leave it open.

        Returns:
            Whether the sale is now completed.
        """
        total = Decimal(str(stored.get("total") or stored.get("calcTotal") or "0"))
        paid = sale_payments_total(item.body)
        if paid != total:
            relation = "don't cover" if paid < total else "exceed"
            self._leave_open(
                item,
                f"left open: payments {paid:.2f} {relation} the target account's total {total:.2f}",
            )
            return False
        try:
            self.runtime.api.update("sales", target_id, {"completed": True})
        except LightspeedAPIError as exc:
            if exc.status not in REJECT_STATUSES:
                raise
            self._leave_open(item, f"left open: Lightspeed refused to complete it: {exc.message}")
            return False
        self.runtime.report.wrote()
        return True

    def _leave_open(self, item: Mapped, message: str) -> None:
        """Report a sale left open: log, summary and rejects file (a person must act)."""
        self.runtime.rejects.write(
            stream=self.stream,
            record=item.record,
            match_key=item.match_key_text,
            status=None,
            message=message,
            line=self._lines.get(id(item.record)),
            outcome="left_open",
        )
        self.logger.warning("Stream '%s': sale %s %s", self.stream, item.match_key_text, message)
        self.runtime.report.left_open(self.summary)

    def _sync_lines(self, item: Mapped, target_id: str, stored: dict[str, t.Any]) -> bool:
        """Bring an open sale's lines in line with the record's, position by position.

        Returns:
            Whether a line was written.
        """
        wanted = _body_lines(item.body)
        have = _stored_lines(stored)
        api = self.runtime.api
        writes = 0
        for index, line in enumerate(wanted):
            if index >= len(have):
                api.write_sale_line("POST", target_id, body=line)
            elif _line_differs(line, have[index]):
                api.write_sale_line("PUT", target_id, str(have[index]["saleLineID"]), line)
            else:
                continue
            writes += 1
        for old in have[len(wanted) :]:
            api.write_sale_line("DELETE", target_id, str(old["saleLineID"]))
            writes += 1
        for _ in range(writes):
            self.runtime.report.wrote()
        return writes > 0

    def _lines_differ(self, item: Mapped, stored: dict[str, t.Any]) -> bool:
        wanted, have = _body_lines(item.body), _stored_lines(stored)
        return len(wanted) != len(have) or any(
            _line_differs(a, b) for a, b in zip(wanted, have, strict=True)
        )

    def references(self, records: list[dict]) -> SaleRefs:
        """Resolve the customers and items the sales refer to.

        Args:
            records: The batch.

        Returns:
            The resolved references.
        """
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
            if source_id_text(normalized.get("customerID")):
                source_customers.add(source_id_text(normalized.get("customerID")))
            for line in normalized.get("SaleLines") or []:
                key = next((k for k in ("customSku", "upc", "ean") if line.get(k)), None)
                if key is not None:
                    item_keys[key].add(str(line[key]).strip())
                elif source_id_text(line.get("itemID")):
                    source_items.add(source_id_text(line.get("itemID")))
        self._resolve_sources("customers", source_customers, refs.customers, refs.ambiguous)
        self._resolve_sources("items", source_items, refs.items, refs.ambiguous)
        if emails:
            refs.customers_by_email.update(self._resolve_keys("customers", "email", emails))
        for field, values in item_keys.items():
            for value, target_id in self._resolve_keys("items", field, values).items():
                refs.items_by_key[f"{field}={value}"] = target_id
        return refs

    def _resolve_sources(
        self,
        entity: str,
        source_ids: set[str],
        resolved: dict[str, str | None],
        ambiguous: dict[str, list[str]],
    ) -> None:
        """Map source ids of an entity to target ids, by the stream rule of the class docstring.

        Args:
            entity: ``customers`` or ``items``.
            source_ids: Ids of the source account.
            resolved: Receives source id -> target id.
            ambiguous: Receives ``<entity>:<source id>`` -> the streams holding it.
        """
        if not source_ids:
            return
        streams = nearest_streams(self.stream, self.runtime.ledger.source_streams(entity))
        wanted = [f"{stream}:{source}" for stream in streams for source in sorted(source_ids)]
        known = self.runtime.ledger.ids_by_source(entity, wanted)
        for source in source_ids:
            holders = [stream for stream in streams if f"{stream}:{source}" in known]
            if len(holders) == 1:
                resolved[source] = known[f"{holders[0]}:{source}"]
            elif holders:
                ambiguous[f"{entity}:{source}"] = holders

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
            for stored in self.runtime.api.lookup(entity, field, missing):
                for value in stored_key_values(entity, field, stored):
                    index.setdefault(value.casefold(), record_id(entity, stored))
            for value in missing:
                out[value] = index.get(value.casefold())
        return out


#: The writer of each entity.
WRITERS: dict[str, type[RecordWriter]] = {
    "customers": RecordWriter,
    "items": ItemWriter,
    "sales": SaleWriter,
}


def nearest_streams(stream: str, candidates: t.Iterable[str]) -> list[str]:
    """Return the candidate streams whose names share the longest beginning with a stream's.

    Names are compared word by word (words separated by ``-``, ``_``, ``.``, ``/``), so
    ``shop_a-sales`` shares two words with ``shop_a-customers``, one with
    ``shop_b-customers`` and none with ``customers``.

    Args:
        stream: The referring stream (``shop_a-sales``).
        candidates: Streams of the referred entity (``shop_a-customers``, ``shop_b-customers``).

    Returns:
        The nearest candidates (several when they tie), sorted.
    """
    lengths = {name: _common_prefix(stream, name) for name in candidates}
    if not lengths:
        return []
    best = max(lengths.values())
    return sorted(name for name, length in lengths.items() if length == best)


def _common_prefix(a: str, b: str) -> int:
    """Count the leading words two stream names share."""
    length = 0
    for x, y in zip(_WORD_SEPARATORS.split(a), _WORD_SEPARATORS.split(b), strict=False):
        if x != y:
            break
        length += 1
    return length


def _written(row: LedgerEntry | None) -> bool:
    return row is not None and row.written


def _true(value: t.Any) -> bool:
    return str(value).strip().lower() in ("true", "1")


def _body_lines(body: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    return elements(body.get("SaleLines"), "SaleLine", "SaleLines")


def _stored_lines(stored: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    lines = stored.get("SaleLines")
    inner = lines.get("SaleLine") if isinstance(lines, dict) else None
    return [line for line in as_list(inner) if isinstance(line, dict)]


def _line_differs(wanted: t.Mapping[str, t.Any], stored: t.Mapping[str, t.Any]) -> bool:
    """Whether a stored line lacks a value of the wanted one (numbers compared as numbers)."""
    for key, value in wanted.items():
        have = stored.get(key)
        try:
            if Decimal(str(value)) != Decimal(str(have)):
                return True
        except ArithmeticError:
            if str(value).lower() != str(have).lower():
                return True
    return False
