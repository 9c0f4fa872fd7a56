"""What to do with one record: a pure function over plain data, no I/O.

:func:`decide` looks at a mapped record's payload, its ledger row and what the lookup found
in Lightspeed, and answers create, update, unchanged or reject, with the reason the run's
summary shows. :class:`~target_lightspeed.writer.RecordWriter` gathers the :class:`Case`
(ledger reads and lookups) and then carries the :class:`Decision` out (requests and ledger
writes).
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from lightspeed_client.writes import changed_fields, matches_existing
from target_lightspeed.mapping import record_id

if t.TYPE_CHECKING:
    from target_lightspeed.ledger import LedgerEntry

CREATE = "create"
UPDATE = "update"
UNCHANGED = "unchanged"
REJECT = "reject"
#: Changed fields named in an update's reason, at most.
NAMED_CHANGES = 6


@dataclass(frozen=True)
class Case:
    """Everything the decision about one record depends on.

    Attributes:
        entity: ``customers``, ``items`` or ``sales``.
        write_mode: ``upsert``, ``insert`` or ``update``.
        payload_hash: Hash of the record's write body.
        body: The part of the body an update writes (compared with the stored record).
        match_key: The record's first match key as text (None: it has none).
        key_name: The name of that key (``email``), for the reason of a create.
        source_key: ``<stream>:<source id>``, or None.
        ledger: The record's ledger row, if any.
        stored: The record Lightspeed holds (wire form), found by match key or content.
    """

    entity: str
    write_mode: str
    payload_hash: str
    body: t.Mapping[str, t.Any]
    match_key: str | None = None
    key_name: str | None = None
    source_key: str | None = None
    ledger: LedgerEntry | None = None
    stored: t.Mapping[str, t.Any] | None = None


@dataclass(frozen=True)
class Decision:
    """What to do with one record.

    Attributes:
        action: :data:`CREATE`, :data:`UPDATE`, :data:`UNCHANGED` or :data:`REJECT`.
        reason: Why (the summary counts records by reason; a reject's message).
        target_id: The record's id in the target account (updates, and records found).
        remember: Write the ledger row although no request is sent (a record found in
            Lightspeed, or a known record arriving from another source key).
        remembered_hash: The payload hash that row gets (None: what Lightspeed holds is
            not known to match the payload).
    """

    action: str
    reason: str
    target_id: str | None = None
    remember: bool = False
    remembered_hash: str | None = None


def decide(case: Case) -> Decision:
    """Decide what to do with one record.

    The ledger answers first: a record it knows as written is unchanged (same hash) or
    updated (in ``insert`` mode left as is). Otherwise what the lookup found decides: the
    same content is unchanged, other content is updated (``insert``: left as is). A record
    found nowhere is created, or rejected in ``update`` mode.

    Args:
        case: The record, its ledger row and what the lookup found.

    Returns:
        The decision.
    """
    row = case.ledger
    if row is not None and row.written:
        if row.payload_hash == case.payload_hash:
            moved = bool(case.source_key) and row.source_key != case.source_key
            return Decision(
                UNCHANGED,
                "same as last written (ledger)",
                row.lightspeed_id,
                remember=moved,
                remembered_hash=row.payload_hash,
            )
        if case.write_mode == "insert":
            return Decision(UNCHANGED, "exists, left as is (insert mode)", row.lightspeed_id)
        return Decision(UPDATE, "changed since last written (ledger)", row.lightspeed_id)
    if case.stored is not None:
        target_id = record_id(case.entity, case.stored)
        if matches_existing(case.stored, case.body):
            return Decision(
                UNCHANGED,
                "already up to date in Lightspeed",
                target_id,
                remember=True,
                remembered_hash=case.payload_hash,
            )
        if case.write_mode == "insert":
            return Decision(UNCHANGED, "exists, left as is (insert mode)", target_id, remember=True)
        changed = ", ".join(changed_fields(case.stored, case.body)[:NAMED_CHANGES])
        return Decision(UPDATE, f"changed: {changed}", target_id)
    if case.write_mode == "update":
        which = case.match_key or "match key (the record has none)"
        return Decision(
            REJECT, f"not found in Lightspeed by {which}; write_mode update creates nothing"
        )
    return Decision(CREATE, "not found by " + (case.key_name or "any match key"))
