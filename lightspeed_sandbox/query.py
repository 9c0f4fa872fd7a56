"""Query parameters of list endpoints: filters, operators, sorting, cursors, relations."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .store import TIME_FIELDS, EntitySpec, Order, Table
from .wire import ApiError, parse_ts, unwrap

CONTROL_PARAMS = frozenset(
    {"limit", "offset", "sort", "after", "before", "count", "archived", "load_relations", "or"}
)
OPERATORS = frozenset({"=", ">", ">=", "<", "<=", "><", "!=", "~", "!~"})
MAX_IN_VALUES = 100
#: Relation filters that reach into a Contact's collections: name -> (collection, element,
#: field, useType or None). The phone filters are those of the official Customer page
#: (``Contact.phoneHome``, ``Contact.phoneWork``, ``Contact.mobile``, ``Contact.pager``,
#: ``Contact.fax``), each matching the phones of its ``useType``.
RELATION_ALIASES: dict[str, tuple[str, str, str, str | None]] = {
    "email": ("Emails", "ContactEmail", "address", None),
    "phoneHome": ("Phones", "ContactPhone", "number", "Home"),
    "phoneWork": ("Phones", "ContactPhone", "number", "Work"),
    "mobile": ("Phones", "ContactPhone", "number", "Mobile"),
    "pager": ("Phones", "ContactPhone", "number", "Pager"),
    "fax": ("Phones", "ContactPhone", "number", "Fax"),
    "url": ("Websites", "ContactWebsite", "url", None),
}
_NUM_RE = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass
class Predicate:
    """One filter condition ``field <op> values``."""

    field: str
    op: str
    values: list[str]
    relation: str | None = None
    sub: str | None = None
    many: bool = False
    test: Callable[[Any], bool] | None = None


@dataclass
class ListQuery:
    """The parsed parameters of a list request."""

    limit: int = 100
    sort_field: str = ""
    desc: bool = False
    after: tuple[Any, int] | None = None
    before: tuple[Any, int] | None = None
    count: bool = False
    archived: str = "false"
    relations: frozenset[str] = frozenset()
    relation_cost: float = 0.0
    preds: list[Predicate] = field(default_factory=list)
    or_groups: list[list[Predicate]] = field(default_factory=list)


# -- cursors -------------------------------------------------------------------------------
def encode_cursor(value: Any, rid: int) -> str:
    """Encode a cursor: base64 of the JSON array ``[sortKeyValue, id]``."""
    raw = json.dumps([value, rid], separators=(",", ":")).encode()
    return base64.b64encode(raw).decode()


def decode_cursor(text: str) -> tuple[Any, int]:
    """Decode a cursor made by :func:`encode_cursor`.

    Raises:
        ApiError: 400 if the cursor is not one of ours.
    """
    try:
        padded = text.strip().replace(" ", "+") + "=" * (-len(text.strip()) % 4)
        data = json.loads(base64.b64decode(padded.replace("-", "+").replace("_", "/")))
        if not (isinstance(data, list) and len(data) == 2 and isinstance(data[1], int)):
            raise ValueError
        return data[0], data[1]
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(400, f"Invalid cursor '{text}'.") from exc


# -- relations ------------------------------------------------------------------------------
def parse_relations(spec: EntitySpec, raw: str | None, is_list: bool) -> tuple[frozenset, float]:
    """Parse ``load_relations`` (a JSON array or ``all``) and return (names, cost).

    Raises:
        ApiError: 400 on malformed JSON or an unknown relation.
    """
    if raw is None or raw == "":
        return frozenset(), 0.0
    if raw.strip().lower() == "all":
        names = list(spec.relations)
    else:
        try:
            names = json.loads(raw)
        except ValueError as exc:
            raise ApiError(
                400, f"Invalid load_relations value '{raw}': expected a JSON array or 'all'."
            ) from exc
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ApiError(400, "load_relations must be a JSON array of relation names.")
    nested = spec.nested_relations
    cost = 0.0
    out = set()
    for name in names:
        if name in spec.relations:
            many = spec.relations[name]
        elif name in nested:
            many = nested[name]
        else:
            allowed = ", ".join(list(spec.relations) + list(nested))
            raise ApiError(
                400, f"Invalid relation '{name}' for {spec.name}. Valid relations: {allowed}."
            )
        if name in out:
            continue
        out.add(name)
        top = name.split(".", 1)[0]
        out.add(top)
        cost += 0.2 if many else 0.1
    if is_list:
        cost *= 2
    return frozenset(out), round(cost, 4)


# -- filters --------------------------------------------------------------------------------
def _like_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for ch in pattern:
        if ch == "%":
            parts.append(".*")
        elif ch == "_":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def parse_condition(name: str, raw: str) -> Predicate:
    """Parse ``field=<op>,<value>`` (already URL-decoded) into a predicate.

    Raises:
        ApiError: 400 on a malformed condition.
    """
    if raw[:3].upper() == "IN," or raw.upper() == "IN":
        body = raw[3:].strip()
        if not (body.startswith("[") and body.endswith("]")):
            raise ApiError(400, f"Invalid IN filter for {name}: expected IN,[value,...].")
        try:
            parsed = json.loads(body)
            values = [str(v) if not isinstance(v, bool) else str(v).lower() for v in parsed]
        except ValueError:
            inner = body[1:-1]
            values = [v.strip().strip("'\"") for v in inner.split(",")] if inner.strip() else []
        if len(values) > MAX_IN_VALUES:
            raise ApiError(
                400, f"Too many values in IN filter for {name}: at most {MAX_IN_VALUES}."
            )
        return Predicate(name, "IN", values)
    head, sep, rest = raw.partition(",")
    if sep and head in OPERATORS:
        op = head
        if op == "><":
            bounds = rest.split(",")
            if len(bounds) != 2:
                raise ApiError(400, f"Invalid between filter for {name}: expected ><,low,high.")
            return Predicate(name, op, bounds)
        return Predicate(name, op, [rest])
    return Predicate(name, "=", [raw])


def _coerce_num(text: str) -> float | None:
    if _NUM_RE.match(text):
        return float(text)
    return None


def compile_predicate(spec: EntitySpec, pred: Predicate, relations: frozenset[str]) -> None:
    """Validate a predicate against the entity and attach its test function.

    Raises:
        ApiError: 400 for unknown fields, relations not loaded, or bad timestamps.
    """
    name = pred.field
    if "." in name:
        rel, sub = name.split(".", 1)
        if rel not in spec.relations:
            raise ApiError(400, f"Invalid filter field '{name}' for {spec.name}.")
        if rel not in relations:
            raise ApiError(
                400,
                f"Filter on '{name}' needs the relation loaded: load_relations=[\"{rel}\"].",
            )
        pred.relation, pred.sub, pred.many = rel, sub, spec.relations[rel]
        leaf = sub.rsplit(".", 1)[-1]
    else:
        if name not in spec.fields:
            raise ApiError(400, f"Invalid filter field '{name}' for {spec.name}.")
        leaf = name
    is_time = leaf in TIME_FIELDS or leaf.endswith("Time")
    op = pred.op
    if is_time:
        try:
            bounds = [parse_ts(v) for v in pred.values]
        except ValueError as exc:
            raise ApiError(
                400,
                f"Invalid date '{','.join(pred.values)}' for {name}: "
                "use ISO 8601 and encode '+' as %2B.",
            ) from exc
        pred.test = _time_test(op, bounds)
    else:
        pred.test = _value_test(op, pred.values)


def _cmp(op: str) -> Callable[[Any, Any], bool]:
    return {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }[op]


def _time_test(op: str, bounds: list[int]) -> Callable[[Any], bool]:
    def value_of(v: Any) -> int | None:
        if isinstance(v, int):
            return v
        if v in (None, ""):
            return None
        try:
            return parse_ts(str(v))
        except ValueError:
            return None

    if op == "><":
        lo, hi = bounds

        def between(v: Any) -> bool:
            t = value_of(v)
            return t is not None and lo <= t <= hi

        return between
    if op == "IN":
        allowed = set(bounds)
        return lambda v: value_of(v) in allowed
    if op in ("~", "!~"):
        # LIKE on a timestamp compares the wire text.
        return _value_test(op, [str(b) for b in bounds])
    cmp = _cmp(op)
    bound = bounds[0]

    def compare(v: Any) -> bool:
        t = value_of(v)
        return t is not None and cmp(t, bound)

    return compare


def _norm_bool(value: str) -> str:
    low = value.lower()
    return {"1": "true", "0": "false"}.get(low, low)


def _value_test(op: str, values: list[str]) -> Callable[[Any], bool]:
    if op in ("~", "!~"):
        regex = _like_regex(values[0])
        negate = op == "!~"

        def like(v: Any) -> bool:
            if v is None:
                return False
            return bool(regex.fullmatch(str(v))) != negate

        return like
    nums = [_coerce_num(v) for v in values]
    lowered = [v.lower() for v in values]

    def key_pair(v: Any, i: int) -> tuple[Any, Any] | None:
        if v is None or isinstance(v, (dict, list)):
            return None
        text = str(v)
        num = nums[i]
        if num is not None:
            vn = _coerce_num(text)
            if vn is not None:
                return vn, num
        low = text.lower()
        if low in ("true", "false"):
            return low, _norm_bool(lowered[i])
        return low, lowered[i]

    if op == "IN":

        def is_in(v: Any) -> bool:
            for i in range(len(values)):
                pair = key_pair(v, i)
                if pair is not None and pair[0] == pair[1]:
                    return True
            return False

        return is_in
    if op == "><":

        def between(v: Any) -> bool:
            lo, hi = key_pair(v, 0), key_pair(v, 1)
            return lo is not None and hi is not None and lo[1] <= lo[0] <= hi[1]

        return between
    cmp = _cmp(op)

    def compare(v: Any) -> bool:
        pair = key_pair(v, 0)
        if pair is None:
            return False
        try:
            return cmp(pair[0], pair[1])
        except TypeError:
            return False

    return compare


def relation_values(rec: dict[str, Any], relation: str, sub: str, many: bool) -> list[Any]:
    """Collect the values of ``relation.sub`` in a record (any element of a collection)."""
    rel = rec.get(relation)
    if not rel or not isinstance(rel, dict):
        return []
    elements = unwrap(rel, next(iter(rel))) if many else [rel]
    out: list[Any] = []
    for el in elements:
        if sub in el:
            out.append(el[sub])
            continue
        alias = RELATION_ALIASES.get(sub)
        if alias is not None and alias[0] in el:
            collection, element, name, use_type = alias
            out.extend(
                e.get(name)
                for e in unwrap(el[collection], element)
                if use_type is None or e.get("useType") == use_type
            )
            continue
        for value in el.values():
            if isinstance(value, dict) and len(value) == 1:
                inner_name = next(iter(value))
                out.extend(e.get(sub) for e in unwrap(value, inner_name) if sub in e)
    return out


def predicate_matches(pred: Predicate, rec: dict[str, Any]) -> bool:
    """Evaluate a predicate on an output record."""
    test = pred.test
    assert test is not None
    if pred.relation is None:
        return test(rec.get(pred.field))
    values = relation_values(rec, pred.relation, pred.sub or "", pred.many)
    return any(test(v) for v in values)


# -- the whole query ----------------------------------------------------------------------------
def parse_list_query(
    spec: EntitySpec,
    params: list[tuple[str, str]],
    sorts: tuple[str, ...],
    is_list: bool = True,
    relation_in: str = "refused",
) -> ListQuery:
    """Parse and validate the parameters of a list (or single GET) request.

    Args:
        spec: The entity.
        params: The query parameters, URL-decoded, in order.
        sorts: The fields it may be sorted by.
        is_list: Whether it is a list (relations cost twice as much).
        relation_in: What ``IN`` on a relation filter does: ``refused`` (400), ``ignored``
            (the filter is dropped) or ``supported``.

    Raises:
        ApiError: 400 on any invalid parameter.
    """
    q = ListQuery(sort_field=spec.pk)
    seen: dict[str, str] = {}
    conditions: list[tuple[str, str]] = []
    for key, value in params:
        if key in CONTROL_PARAMS:
            seen[key] = value
        else:
            conditions.append((key, value))
    q.relations, q.relation_cost = parse_relations(spec, seen.get("load_relations"), is_list)
    if "count" in seen:
        if seen["count"] not in ("1", "true"):
            raise ApiError(400, "count must be 1.")
        clash = [p for p in ("limit", "sort", "after", "before") if p in seen]
        if clash:
            raise ApiError(400, f"count=1 cannot be combined with {', '.join(clash)}.")
        q.count = True
    if "limit" in seen:
        try:
            q.limit = int(seen["limit"])
        except ValueError as exc:
            raise ApiError(400, "limit must be an integer from 1 to 100.") from exc
        if not 1 <= q.limit <= 100:
            raise ApiError(400, "limit must be an integer from 1 to 100.")
    if seen.get("sort"):
        raw = seen["sort"]
        desc = raw.startswith("-")
        name = raw[1:] if desc else raw
        if name not in sorts:
            raise ApiError(
                400,
                f"Invalid sort field '{name}' for {spec.name}. Allowed: {', '.join(sorts)}.",
            )
        q.sort_field, q.desc = name, desc
    if "after" in seen and "before" in seen:
        raise ApiError(400, "after and before cannot be combined.")
    if seen.get("after"):
        q.after = decode_cursor(seen["after"])
    if seen.get("before"):
        q.before = decode_cursor(seen["before"])
    archived = seen.get("archived", "false").lower()
    if archived in ("1",):
        archived = "true"
    if archived in ("0", ""):
        archived = "false"
    if archived not in ("false", "true", "only"):
        raise ApiError(400, "archived must be false, true or only.")
    q.archived = archived
    for key, value in conditions:
        pred = parse_condition(key, value)
        compile_predicate(spec, pred, q.relations)
        if _keeps_relation_in(pred, relation_in):
            q.preds.append(pred)
    if seen.get("or"):
        group = []
        for part in seen["or"].split("|"):
            key, sep, value = part.partition("=")
            if not sep or not key:
                raise ApiError(400, f"Invalid or filter '{seen['or']}': expected a=x|b=y.")
            pred = parse_condition(key.strip(), value)
            compile_predicate(spec, pred, q.relations)
            if _keeps_relation_in(pred, relation_in):
                group.append(pred)
        if group:
            q.or_groups.append(group)
    return q


def _keeps_relation_in(pred: Predicate, mode: str) -> bool:
    """Apply the ``relation_in`` mode to a predicate: False drops it (the ``ignored`` mode).

    Raises:
        ApiError: 400 for ``IN`` on a relation filter in the ``refused`` mode.
    """
    if pred.relation is None or pred.op != "IN" or mode == "supported":
        return True
    if mode == "refused":
        raise ApiError(
            400,
            f"Invalid filter for {pred.field}: the IN operator is not supported on a "
            "relation's fields; search one value at a time.",
        )
    return False


@dataclass
class Page:
    """One page of results."""

    records: list[dict[str, Any]]
    ids: list[int]
    has_next: bool
    has_previous: bool


def run_list(
    table: Table,
    q: ListQuery,
    materialize: Callable[[int, frozenset[str]], dict[str, Any]],
    scope: Callable[[int], bool] | None = None,
) -> Page | int:
    """Execute a list query with keyset paging (or a count).

    Args:
        table: The table to read.
        q: The parsed query.
        materialize: Builds the output record for an id with relations.
        scope: Optional extra id filter (sub-resources such as ``/Item/{id}/Image.json``).

    Returns:
        A :class:`Page`, or the number of matches when ``q.count``.
    """
    spec = table.spec
    arch_mode = q.archived if spec.has_archived else "true"
    arch = table.arch if arch_mode != "true" else None
    ts_tests = []
    id_tests = []
    rec_preds = []
    for pred in q.preds:
        if pred.relation is None and pred.field == "timeStamp":
            ts_tests.append(pred.test)
        elif pred.relation is None and pred.field == spec.pk:
            id_tests.append(pred.test)
        else:
            rec_preds.append(pred)
    groups = q.or_groups
    need_record = bool(rec_preds or groups)
    ts = table.ts if ts_tests else None

    def passes_cheap(rid: int) -> bool:
        if arch is not None:
            flag = arch[rid - 1]
            if (arch_mode == "false" and flag) or (arch_mode == "only" and not flag):
                return False
        if scope is not None and not scope(rid):
            return False
        for test in ts_tests:
            if not test(ts[rid - 1]):  # type: ignore[index]
                return False
        return all(test(str(rid)) for test in id_tests)

    def passes_record(rec: dict[str, Any]) -> bool:
        for pred in rec_preds:
            if not predicate_matches(pred, rec):
                return False
        return all(any(predicate_matches(p, rec) for p in group) for group in groups)

    lo, hi = _pk_bounds([p for p in q.preds if p.relation is None and p.field == spec.pk])
    lo, hi = max(lo, 1), min(hi, table.n)
    if q.count:
        if not (scope or ts_tests or id_tests or need_record):
            if arch is None:
                return table.n
            flagged = arch[: table.n].count(1)
            return flagged if arch_mode == "only" else table.n - flagged
        total = 0
        for rid in range(lo, hi + 1):
            if passes_cheap(rid) and (
                not need_record or passes_record(materialize(rid, q.relations))
            ):
                total += 1
        return total

    if q.sort_field == spec.pk:
        order = Order(range(lo, hi + 1), int, None)
    else:
        order = table.order(q.sort_field)
    cursor = q.after or q.before
    reverse_result = False
    if cursor is None:
        walk = order.backward(len(order.seq) - 1) if q.desc else order.forward(0)
    else:
        try:
            boundary = table.boundary(q.sort_field, cursor[0], cursor[1])
        except (ValueError, TypeError) as exc:
            raise ApiError(400, "Invalid cursor.") from exc
        going_up = (q.after is not None) != q.desc
        if going_up:
            walk = order.forward(order.bisect_right(boundary))
        else:
            walk = order.backward(order.bisect_left(boundary) - 1)
        reverse_result = q.before is not None
    ids: list[int] = []
    records: list[dict[str, Any]] = []
    limit = q.limit
    more = False
    for rid in walk:
        if not passes_cheap(rid):
            continue
        rec = materialize(rid, q.relations)
        if need_record and not passes_record(rec):
            continue
        if len(ids) == limit:
            more = True
            break
        ids.append(rid)
        records.append(rec)
    if reverse_result:
        ids.reverse()
        records.reverse()
        return Page(records, ids, has_next=bool(ids), has_previous=more)
    return Page(records, ids, has_next=more, has_previous=cursor is not None and bool(ids))


def _pk_bounds(preds: list[Predicate]) -> tuple[int, int]:
    """Return the id range (inclusive) that primary-key predicates allow."""
    lo, hi = 1, 1 << 62
    for pred in preds:
        try:
            nums = [int(float(v)) for v in pred.values]
        except ValueError:
            continue
        op = pred.op
        if op == "=" and nums:
            lo, hi = max(lo, nums[0]), min(hi, nums[0])
        elif op == "IN":
            if not nums:
                return 1, 0
            lo, hi = max(lo, min(nums)), min(hi, max(nums))
        elif op == "><" and len(nums) == 2:
            lo, hi = max(lo, nums[0]), min(hi, nums[1])
        elif op == ">":
            lo = max(lo, nums[0] + 1)
        elif op == ">=":
            lo = max(lo, nums[0])
        elif op == "<":
            hi = min(hi, nums[0] - 1)
        elif op == "<=":
            hi = min(hi, nums[0])
    return lo, hi
