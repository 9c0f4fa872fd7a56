"""Per-account record storage: compact arrays for generated data plus an overlay of writes.

Generated records are never kept in memory: a table holds one ``timeStamp`` per record in an
``array('q')``, one archived flag per record in a ``bytearray`` and a dict of the records that
were written (created or changed). Sort orders are arrays of ids or of composite integers
``(value << 24) | id`` built lazily; the ``timeStamp`` order is maintained on writes.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .wire import ApiError, fmt_ts, parse_ts

ID_BITS = 24
ID_MASK = (1 << ID_BITS) - 1
MAX_IDS = ID_MASK

TIME_FIELDS = frozenset(
    {"timeStamp", "createTime", "completeTime", "updatetime", "dob", "updateTime"}
)


@dataclass(frozen=True)
class EntitySpec:
    """Static description of an entity.

    Attributes:
        name: Singular entity name (the envelope key).
        pk: Primary key field.
        kind: Hash stream of the generator.
        relations: Relation name -> True when to-many.
        stored: Relations kept inside stored records (the rest are computed).
        sorts: Sortable fields of the top-level list endpoint.
        fields: Filterable top-level fields.
        has_archived: Whether the ``archived`` parameter applies.
        composite_sorts: Sort fields whose value is an integer (timestamps, ids).
        nested_relations: Nested relation names accepted in ``load_relations`` (to-many flag
            for the cost model).
    """

    name: str
    pk: str
    kind: int
    relations: dict[str, bool]
    stored: frozenset[str]
    sorts: tuple[str, ...]
    fields: frozenset[str]
    has_archived: bool
    composite_sorts: frozenset[str]
    nested_relations: dict[str, bool] = field(default_factory=dict)


Walk = Iterator[int]


class Order:
    """A sorted sequence of records for one sort field, with keyset positioning."""

    def __init__(
        self,
        seq: Sequence[Any],
        to_id: Callable[[Any], int],
        key: Callable[[int], Any] | None,
    ) -> None:
        self.seq = seq
        self.to_id = to_id
        self.key = key

    def bisect_left(self, boundary: Any) -> int:
        """Return the position of the first element not below ``boundary``."""
        if self.key is None:
            return bisect.bisect_left(self.seq, boundary)
        return bisect.bisect_left(self.seq, boundary, key=self.key)

    def bisect_right(self, boundary: Any) -> int:
        """Return the position after the last element not above ``boundary``."""
        if self.key is None:
            return bisect.bisect_right(self.seq, boundary)
        return bisect.bisect_right(self.seq, boundary, key=self.key)

    def forward(self, start: int) -> Walk:
        """Yield ids from position ``start`` upwards."""
        seq, to_id = self.seq, self.to_id
        for pos in range(max(start, 0), len(seq)):
            yield to_id(seq[pos])

    def backward(self, start: int) -> Walk:
        """Yield ids from position ``start`` downwards."""
        seq, to_id = self.seq, self.to_id
        for pos in range(min(start, len(seq) - 1), -1, -1):
            yield to_id(seq[pos])


def _identity(x: int) -> int:
    return x


def _low_bits(x: int) -> int:
    return x & ID_MASK


class Table:
    """The records of one entity in one account.

    Args:
        spec: The entity's description.
        n_generated: Number of generated records (ids 1..n).
        generate: Function (id, relations) -> wire record for generated ids.
        fast_values: Field -> function(id) returning the raw wire value of a generated
            record cheaply (used to build sort orders without generating whole records).
        timestamp: Function(id) -> generated timeStamp (epoch seconds).
        archived: Function(id) -> generated archived flag.
    """

    def __init__(
        self,
        spec: EntitySpec,
        n_generated: int,
        generate: Callable[[int, frozenset[str]], dict[str, Any]],
        fast_values: dict[str, Callable[[int], Any]],
        timestamp: Callable[[int], int],
        archived: Callable[[int], bool],
    ) -> None:
        if n_generated > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} records per entity")
        self.spec = spec
        self.n_generated = n_generated
        self.n = n_generated
        self._generate = generate
        self._fast = fast_values
        self._timestamp_fn = timestamp
        self._archived_fn = archived
        self.overlay: dict[int, dict[str, Any]] = {}
        self._ts: array | None = None
        self._arch: bytearray | None = None
        self._orders: dict[str, Order] = {}
        self._ts_keys: array | None = None

    # -- compact arrays ----------------------------------------------------------------------
    @property
    def ts(self) -> array:
        """Return the timeStamp (epoch seconds) of every record, indexed by id - 1."""
        if self._ts is None:
            fn = self._timestamp_fn
            self._ts = array("q", (fn(i) for i in range(1, self.n_generated + 1)))
            for rid, rec in self.overlay.items():
                self._set_ts(rid, parse_ts(rec["timeStamp"]))
        return self._ts

    @property
    def arch(self) -> bytearray:
        """Return the archived flag of every record, indexed by id - 1."""
        if self._arch is None:
            if self.spec.has_archived:
                fn = self._archived_fn
                self._arch = bytearray(fn(i) for i in range(1, self.n_generated + 1))
            else:
                self._arch = bytearray(self.n_generated)
            for rid, rec in self.overlay.items():
                self._set_arch(rid, rec.get("archived") == "true")
        return self._arch

    def _set_ts(self, rid: int, value: int) -> None:
        ts = self._ts
        if ts is None:
            return
        while len(ts) < rid:
            ts.append(0)
        ts[rid - 1] = value

    def _set_arch(self, rid: int, value: bool) -> None:
        arch = self._arch
        if arch is None:
            return
        while len(arch) < rid:
            arch.append(0)
        arch[rid - 1] = 1 if value else 0

    # -- records -----------------------------------------------------------------------------
    def exists(self, rid: int) -> bool:
        """Return whether a record with this id exists."""
        return 1 <= rid <= self.n

    def get(self, rid: int, relations: frozenset[str] = frozenset()) -> dict[str, Any]:
        """Return the stored part of a record: base fields plus requested stored relations."""
        rec = self.overlay.get(rid)
        if rec is None:
            return self._generate(rid, relations)
        stored = self.spec.stored
        if not stored:
            return dict(rec)
        return {k: v for k, v in rec.items() if k not in stored or k in relations}

    def full(self, rid: int) -> dict[str, Any]:
        """Return a copy of the whole stored record (with all stored relations)."""
        rec = self.overlay.get(rid)
        if rec is not None:
            return dict(rec)
        return self._generate(rid, self.spec.stored)

    def put(self, rid: int, rec: dict[str, Any]) -> None:
        """Store a record (create or replace) and update arrays and orders."""
        if rid > MAX_IDS:
            raise ApiError(400, "Too many records.")
        old_ts = None
        if self._ts is not None and rid <= len(self._ts) and rid <= self.n:
            old_ts = self._ts[rid - 1]
        if rid > self.n:
            self.n = rid
        self.overlay[rid] = rec
        new_ts = parse_ts(rec["timeStamp"])
        self._set_ts(rid, new_ts)
        self._set_arch(rid, rec.get("archived") == "true")
        keys = self._ts_keys
        if keys is not None:
            if old_ts is not None:
                old_key = (old_ts << ID_BITS) | rid
                pos = bisect.bisect_left(keys, old_key)
                if pos < len(keys) and keys[pos] == old_key:
                    del keys[pos]
            bisect.insort(keys, (new_ts << ID_BITS) | rid)
        self._orders = {k: v for k, v in self._orders.items() if k == "timeStamp"}

    # -- field values ------------------------------------------------------------------------
    def raw_value(self, rid: int, field: str) -> Any:
        """Return the wire value of a top-level field (``None`` when unset)."""
        rec = self.overlay.get(rid)
        if rec is not None:
            return rec.get(field)
        if field == "timeStamp":
            return fmt_ts(self.ts[rid - 1])
        fast = self._fast.get(field)
        if fast is not None:
            return fast(rid)
        return self._generate(rid, frozenset()).get(field)

    def sort_value(self, rid: int, field: str) -> Any:
        """Return the comparable sort value of a field for a record."""
        if field == self.spec.pk:
            return rid
        if field == "timeStamp":
            return self.ts[rid - 1]
        raw = self.raw_value(rid, field)
        return self.wire_to_sort(field, raw)

    def wire_to_sort(self, field: str, raw: Any) -> Any:
        """Convert a wire value to its comparable sort value."""
        if field in self.spec.composite_sorts:
            if raw in (None, ""):
                return 0
            if field in TIME_FIELDS:
                return parse_ts(str(raw))
            return int(raw)
        return str(raw or "").lower()

    # -- orders ------------------------------------------------------------------------------
    def order(self, field: str) -> Order:
        """Return the sort order for a field (built lazily)."""
        if field == self.spec.pk:
            return Order(range(1, self.n + 1), _identity, None)
        if field == "timeStamp":
            if self._ts_keys is None:
                ts = self.ts
                self._ts_keys = array(
                    "q", sorted((ts[i] << ID_BITS) | (i + 1) for i in range(self.n))
                )
            return Order(self._ts_keys, _low_bits, None)
        cached = self._orders.get(field)
        if cached is not None:
            return cached
        value = self.sort_value
        if field in self.spec.composite_sorts:
            seq = array("q", sorted((value(i, field) << ID_BITS) | i for i in range(1, self.n + 1)))
            order = Order(seq, _low_bits, None)
        else:
            ids = array("q", sorted(range(1, self.n + 1), key=lambda i: (value(i, field), i)))
            order = Order(ids, _identity, lambda i: (value(i, field), i))
        self._orders[field] = order
        return order

    def boundary(self, field: str, value: Any, rid: int) -> Any:
        """Return the order key of a cursor (sort value as on the wire, id)."""
        if field == self.spec.pk:
            return rid
        sort_value = self.wire_to_sort(field, value)
        if field in self.spec.composite_sorts:
            return (sort_value << ID_BITS) | rid
        return (sort_value, rid)
