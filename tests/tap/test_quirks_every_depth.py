"""Every stream against the wire quirks, at the top level and in every nested relation it reads.

The records are generated from each stream's schema file (:func:`generated_record`): every
field at every depth, the record typed as the tap must emit it beside its wire form. Each case
serves three records (a page of two as a list, then one as an object) in one shape of section
6 of the API reference, applied at every depth: every scalar a string; one-element collections
as an object in their wrapper; empty collections and nested objects as ``""`` or left out (at
each depth that has them); ``""`` for every scalar that is not text; unset fields left out;
numbers and booleans already typed. The stream's records and the rows of its derived streams
(``sale_lines``, ``order_lines``...) must be exactly the expected ones, valid against the
announced schema, with nothing in ``_extra_fields``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from jsonschema import Draft7Validator, FormatChecker

from tap_lightspeed.client import SCHEMAS, LightspeedStream
from tap_lightspeed.streams import DERIVED_STREAM_TYPES, STREAM_TYPES, ImagesStream, RelationStream
from tests.tap.conftest import run_sync
from tests.tap.fake_api import ACCOUNT_ID
from tests.tap.wire_data import Shape, container_depth, generated_record

if TYPE_CHECKING:
    from tests.tap.conftest import SyncResult
    from tests.tap.fake_api import FakeLightspeed

STREAMS: dict[str, type[LightspeedStream]] = {stream.name: stream for stream in STREAM_TYPES}
#: Stream -> the derived streams its records feed.
CHILDREN: dict[str, tuple[type[RelationStream], ...]] = {
    name: tuple(d for d in DERIVED_STREAM_TYPES if d.parent_stream_type is stream)
    for name, stream in STREAMS.items()
}
#: Ids of the records served in each case: with pages of two, a list then an object.
IDS = (1, 2, 3)
#: The shapes every stream is served in.
FLAT_VARIANTS = {
    "strings": Shape(elements=2),
    "empty-strings-for-null": Shape(elements=2, scalars="empty"),
    "unset-fields-left-out": Shape(elements=1, scalars="omitted"),
    "already-typed": Shape(elements=2, scalars="native"),
}


def _variants(stream: str) -> dict[str, Shape]:
    """The shapes of a stream: the flat ones, and per depth of its collections and objects."""
    variants = dict(FLAT_VARIANTS)
    depth = container_depth(SCHEMAS.get_schema(stream))
    if depth:
        variants["one-element-as-object"] = Shape(elements=1)
    for level in range(1, depth + 1):
        variants[f"empty-as-empty-string-depth{level}"] = Shape(containers="empty", depth=level)
        variants[f"empty-as-missing-key-depth{level}"] = Shape(containers="missing", depth=level)
    return variants


CASES = [(stream, variant) for stream in sorted(STREAMS) for variant in _variants(stream)]


def _emitted(stream: type[LightspeedStream], expected: dict[str, Any]) -> dict[str, Any]:
    """A generated record as the stream emits it: with its account, an image with its url."""
    record = {**expected, "account_id": ACCOUNT_ID}
    if stream is ImagesStream:
        record["url"] = None  # computed; the generated filename has no extension
    return record


def _derived_rows(child: type[RelationStream], parents: list[dict[str, Any]]) -> dict[int, dict]:
    """The rows a derived stream must emit for the parents' expected records, by key."""
    parent_key = child.parent_stream_type.primary_keys[0]
    marker = child.parent_stream_type.replication_key
    return {
        element[child.primary_keys[0]]: {
            **element,
            parent_key: parent[parent_key],
            child.replication_key: parent[marker],
            "account_id": ACCOUNT_ID,
        }
        for parent in parents
        for element in parent.get(child.relation) or []
    }


def _differences(got: Any, want: Any, path: str = "") -> list[str]:
    """Where two emitted values differ, as dotted paths with both values."""
    if isinstance(got, dict) and isinstance(want, dict):
        return [
            difference
            for name in sorted(set(got) | set(want), key=str)
            for difference in _differences(
                got.get(name, "<absent>"), want.get(name, "<absent>"), f"{path}.{name}"
            )
        ]
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        return [
            d
            for i, pair in enumerate(zip(got, want, strict=True))
            for d in _differences(*pair, f"{path}[{i}]")
        ]
    if got == want and type(got) is type(want):
        return []
    return [f"{path}: got {got!r}, want {want!r}"]


def _assert_valid(result: SyncResult, stream: str) -> None:
    validator = Draft7Validator(result.schemas[stream]["schema"], format_checker=FormatChecker())
    for record in result.records[stream]:
        errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(record)]
        assert not errors, (stream, errors)


def _sync(
    api: FakeLightspeed, config: dict[str, Any], stream: str, rows: list[dict[str, Any]]
) -> SyncResult:
    api.data = {STREAMS[stream].entity: rows}
    return run_sync(config, streams={stream, *(child.name for child in CHILDREN[stream])})


@pytest.mark.parametrize(("stream", "variant"), CASES, ids=[f"{s}-{v}" for s, v in CASES])
def test_every_quirk_at_every_depth(api, config, stream, variant):
    source = STREAMS[stream]
    entity = source.entity
    key = source.primary_keys[0]
    generated = [generated_record(source, i, i * 10, _variants(stream)[variant]) for i in IDS]
    result = _sync(api, config, stream, [g.wire for g in generated])

    served = {type(page[entity]) for page in api.pages if entity in page}
    assert served == {list, dict}  # two records as a list, one as an object
    expected = {g.expected[key]: _emitted(source, g.expected) for g in generated}
    got = {record[key]: record for record in result.records[stream]}
    assert not _differences(got, expected), _differences(got, expected)
    _assert_valid(result, stream)
    for child in CHILDREN[stream]:
        rows = result.records[child.name]
        want = _derived_rows(child, [g.expected for g in generated])
        got_rows = {row[child.primary_keys[0]]: row for row in rows}
        assert not _differences(got_rows, want), (child.name, _differences(got_rows, want))
        assert len(rows) == len(want)
        assert child.name in result.schemas
        _assert_valid(result, child.name)


@pytest.mark.parametrize("stream", sorted(STREAMS))
def test_archived_rows_come_where_the_entity_archives(api, config, stream):
    source = STREAMS[stream]
    key = source.primary_keys[0]
    archives = "archived" in SCHEMAS.get_schema(stream)["properties"]
    assert source.include_archived or not archives, "an entity that archives is asked to"
    rows = [generated_record(source, i, i * 10, Shape(elements=2)).wire for i in IDS]
    if archives:
        for row in rows:
            row["archived"] = "true" if row[key] == "2" else "false"
    result = _sync(api, config, stream, rows)

    first = parse_qs(urlsplit(api.list_requests()[0]).query)
    assert first.get("archived") == (["true"] if source.include_archived else None)
    records = {record[key]: record for record in result.records[stream]}
    assert sorted(records) == list(IDS)
    if archives:
        assert {i: record["archived"] for i, record in records.items()} == {
            1: False,
            2: True,
            3: False,
        }
    for child in CHILDREN[stream]:
        parent_key = source.primary_keys[0]
        of_archived = [row for row in result.records[child.name] if row[parent_key] == 2]
        assert len(of_archived) == 2, child.name  # an archived parent's rows come too


@pytest.mark.parametrize("stream", sorted(name for name, children in CHILDREN.items() if children))
def test_no_parent_record_gives_no_row(api, config, stream):
    result = _sync(api, config, stream, [])
    assert api.pages == [{"@attributes": {"next": "", "previous": ""}}]
    for name in (stream, *(child.name for child in CHILDREN[stream])):
        assert result.records[name] == []
        assert name in result.schemas
