"""The settings of target-lightspeed: their schema (``--about``), and reading them.

:data:`TARGET_PROPERTIES` is the settings schema (the README's table is generated from it);
:class:`TargetSettings` reads a config into typed values, :func:`parse_match_keys` the
``match_keys`` setting.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from pathlib import Path

from singer_sdk import typing as th

from lightspeed_client.errors import ConfigurationError
from target_lightspeed.mapping import DEFAULT_MATCH_KEYS, ENTITIES, KEY_FIELDS, MapperSettings

WRITE_MODES = ("upsert", "insert", "update")
DEFAULT_REJECTS_PATH = "target-lightspeed-rejects.jsonl"
DEFAULT_PROGRESS_INTERVAL = 10.0
#: Records per batch: one ``IN`` lookup (at most 100 values) serves a batch.
MAX_BATCH_SIZE = 100


_ID = th.CustomType({"type": ["string", "integer", "null"]})

TARGET_PROPERTIES = th.PropertiesList(
    th.Property(
        "write_mode",
        th.StringType(allowed_values=list(WRITE_MODES)),
        default="upsert",
        title="Write Mode",
        description=(
            "`upsert`: update the record found by its match key, else create it. `insert`: "
            "create records not found, leave existing ones untouched. `update`: update "
            "records found, reject the others."
        ),
    ),
    th.Property(
        "stream_entities",
        th.CustomType(
            {
                "type": ["object", "null"],
                "additionalProperties": {"type": "string", "enum": list(ENTITIES)},
            }
        ),
        title="Stream Entities",
        description=(
            "Maps input stream names to the entity they write: `customers`, `items` or "
            '`sales`, e.g. `{"public-crm_contacts": "customers"}`. Keys may be shell '
            "patterns (`crm_*`). The streams `customers`, `items` and `sales` map to "
            "themselves. Another stream stops the run."
        ),
    ),
    th.Property(
        "match_keys",
        th.CustomType(
            {
                "type": ["object", "null"],
                "properties": {
                    entity: {"type": "array", "items": {"type": "string"}} for entity in ENTITIES
                },
                "additionalProperties": False,
            }
        ),
        title="Match Keys",
        description=(
            "Per entity, the fields that find an existing record, tried in order; join "
            'fields with `+` for a composite key. Defaults: customers `["email"]`, items '
            '`["customSku", "upc", "ean"]`, sales `["referenceNumber"]` (always with '
            "`referenceNumberSource`)."
        ),
    ),
    th.Property(
        "ledger_path",
        th.StringType,
        title="Ledger Path",
        description=(
            "SQLite file remembering, per target account, entity and match key, the "
            "Lightspeed id and a hash of what was last written. Default: "
            "`ledger-<account_id>.sqlite3` beside the token store."
        ),
    ),
    th.Property(
        "rejects_path",
        th.StringType,
        default=DEFAULT_REJECTS_PATH,
        title="Rejects Path",
        description=(
            "JSONL file receiving each rejected record with its stream, match key, HTTP "
            "status and reason (appended to)."
        ),
    ),
    th.Property(
        "max_rejects",
        th.IntegerType(minimum=0),
        title="Max Rejects",
        description="Fail the run once more records than this are rejected (default: no limit).",
    ),
    th.Property(
        "dry_run",
        th.BooleanType,
        default=False,
        title="Dry Run",
        description=(
            "Look records up but write nothing (not even the ledger); the summary says what "
            "would be created, updated, left unchanged and rejected, and why."
        ),
    ),
    th.Property(
        "reference_number_source",
        th.StringType,
        default="target-lightspeed",
        title="Reference Number Source",
        description=(
            "`referenceNumberSource` set on every sale the target creates, so that reruns "
            "find them by `referenceNumber`."
        ),
    ),
    th.Property(
        "progress_interval",
        th.NumberType(minimum=0),
        default=DEFAULT_PROGRESS_INTERVAL,
        title="Progress Interval",
        description="Seconds between progress lines (0: none).",
    ),
    th.Property(
        "default_employee_id",
        _ID,
        title="Default Employee ID",
        description="Employee of the target account for sales whose employeeID is not mapped.",
    ),
    th.Property(
        "default_register_id",
        _ID,
        title="Default Register ID",
        description="Register of the target account for sales whose registerID is not mapped.",
    ),
    th.Property(
        "default_shop_id",
        _ID,
        title="Default Shop ID",
        description="Shop of the target account for sales whose shopID is not mapped.",
    ),
    th.Property(
        "default_payment_type_id",
        _ID,
        title="Default Payment Type ID",
        description=(
            "Payment type of the target account for payments whose paymentTypeID is not mapped."
        ),
    ),
    th.Property(
        "id_map",
        th.CustomType(
            {
                "type": ["object", "null"],
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": {"type": ["string", "integer"]},
                },
            }
        ),
        title="ID Map",
        description=(
            "Maps reference ids of the source account to the target account, per field: "
            '`{"employeeID": {"1": "4"}, "categoryID": {"12": "3"}}`.'
        ),
    ),
    th.Property(
        "keep_foreign_keys",
        th.ArrayType(th.StringType),
        title="Keep Foreign Keys",
        description=(
            "Foreign key fields sent unchanged (the input already holds ids of the target "
            "account, or both accounts share them). Others are mapped with `id_map` or left out."
        ),
    ),
    th.Property(
        "archive_items",
        th.BooleanType,
        default=False,
        title="Archive Items",
        description=(
            "Keep items' archived state in step with the input: archive an item with a "
            "DELETE (the only way Lightspeed archives one) when the input says it is archived, "
            "and restore one (`archived: false`) when it says it is not. A DELETE zeroes the "
            "item's stock in every shop, and that cannot be undone. Off (default): the "
            "archived state is never changed; such items are counted with the reason "
            '"not archived (archive_items is off)".'
        ),
    ),
    th.Property(
        "batch_size_rows",
        th.IntegerType(minimum=1, maximum=MAX_BATCH_SIZE),
        default=MAX_BATCH_SIZE,
        title="Batch Size Rows",
        description="Records per batch (one batched lookup per batch; at most 100).",
    ),
)


def parse_match_keys(raw: t.Mapping[str, t.Any] | None) -> dict[str, list[tuple[str, ...]]]:
    """Read the ``match_keys`` setting, with defaults for the entities it leaves out.

    Args:
        raw: The setting.

    Returns:
        Entity -> candidates (each a tuple of fields).

    Raises:
        ConfigurationError: An unknown entity or field.
    """
    out: dict[str, list[tuple[str, ...]]] = {}
    raw = raw or {}
    for entity in ENTITIES:
        names = raw.get(entity) or DEFAULT_MATCH_KEYS[entity]
        candidates = []
        for name in names:
            fields = tuple(part.strip() for part in str(name).split("+"))
            unknown = [f for f in fields if f not in KEY_FIELDS[entity]]
            if unknown:
                msg = (
                    f"Setting 'match_keys.{entity}': unknown field(s) {', '.join(unknown)}; "
                    f"choose among {', '.join(KEY_FIELDS[entity])}"
                )
                raise ConfigurationError(msg)
            candidates.append(fields)
        if entity == "sales" and candidates != [("referenceNumber",)]:
            msg = "Setting 'match_keys.sales': sales are matched by referenceNumber only"
            raise ConfigurationError(msg)
        out[entity] = candidates
    return out


#: Settings naming a reference id of the target account that sales and payments default to.
DEFAULT_ID_SETTINGS = (
    "default_employee_id",
    "default_register_id",
    "default_shop_id",
    "default_payment_type_id",
)


@dataclass(frozen=True)
class TargetSettings:
    """The target's settings, read and checked (connection settings apart)."""

    write_mode: str
    dry_run: bool
    stream_entities: dict[str, str]
    mapper: MapperSettings
    ledger_path: Path | None
    rejects_path: str
    max_rejects: int | None
    progress_interval: float
    batch_size: int
    archive_items: bool = False

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> TargetSettings:
        """Read the settings from a config.

        Args:
            config: The target's config.

        Returns:
            The settings.

        Raises:
            ConfigurationError: An unacceptable setting.
        """
        write_mode = config.get("write_mode") or "upsert"
        if write_mode not in WRITE_MODES:
            msg = f"Setting 'write_mode' must be one of {', '.join(WRITE_MODES)}"
            raise ConfigurationError(msg)
        mapper = MapperSettings(
            match_keys=parse_match_keys(config.get("match_keys")),
            id_map={
                name: {str(k): str(v) for k, v in mapping.items()}
                for name, mapping in (config.get("id_map") or {}).items()
            },
            keep_foreign_keys=frozenset(config.get("keep_foreign_keys") or ()),
            reference_number_source=config.get("reference_number_source") or "target-lightspeed",
            defaults={
                name: (str(config[name]) if config.get(name) not in (None, "") else None)
                for name in DEFAULT_ID_SETTINGS
            },
        )
        interval = config.get("progress_interval")
        ledger_path = config.get("ledger_path")
        return cls(
            write_mode=write_mode,
            dry_run=bool(config.get("dry_run")),
            stream_entities=dict(config.get("stream_entities") or {}),
            mapper=mapper,
            ledger_path=Path(ledger_path).expanduser() if ledger_path else None,
            rejects_path=config.get("rejects_path") or DEFAULT_REJECTS_PATH,
            max_rejects=config.get("max_rejects"),
            progress_interval=DEFAULT_PROGRESS_INTERVAL if interval is None else float(interval),
            batch_size=max(
                1, min(int(config.get("batch_size_rows") or MAX_BATCH_SIZE), MAX_BATCH_SIZE)
            ),
            archive_items=bool(config.get("archive_items")),
        )
