"""target-lightspeed: reverse ETL into Lightspeed Retail (R-Series)."""

from __future__ import annotations

import fnmatch
import sys
import typing as t
import uuid
from functools import cached_property
from pathlib import Path

from singer_sdk import Target
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter

from lightspeed_client.client import LightspeedClient
from lightspeed_client.errors import ConfigurationError
from lightspeed_client.settings import CONNECTION_PROPERTIES, ConnectionSettings
from target_lightspeed.api import LightspeedWriter
from target_lightspeed.ledger import Ledger
from target_lightspeed.mapping import DEFAULT_MATCH_KEYS, ENTITIES, KEY_FIELDS, MapperSettings
from target_lightspeed.reader import CheckedReader
from target_lightspeed.rejects import RejectsFile
from target_lightspeed.report import RunReport, TooManyRejectsError
from target_lightspeed.sinks import SINK_CLASSES, LightspeedSink

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

WRITE_MODES = ("upsert", "insert", "update")
DEFAULT_REJECTS_PATH = "target-lightspeed-rejects.jsonl"
DEFAULT_PROGRESS_INTERVAL = 10.0
#: Records per batch: one ``IN`` lookup (at most 100 values) serves a batch.
MAX_BATCH_SIZE = 100
#: Unreadable input lines logged one by one; later ones are counted (all go to the rejects).
MAX_LOGGED_LINES = 20


class UnmappedStreamError(ConfigurationError):
    """A stream of the input is not mapped to a Lightspeed entity (the run stops)."""


class UnreadableInputError(Exception):
    """Input lines were skipped as unusable; raised once everything else was written."""


#: Errors that end a run with a one-line message and exit status 1, without a traceback:
#: the message says what to do, and everything read before was handled.
CLEAN_STOPS = (ConfigurationError, TooManyRejectsError, UnreadableInputError)

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


class Runtime:
    """What every sink of a run shares: client, ledger, rejects file, report, settings."""

    def __init__(self, target: TargetLightspeed) -> None:
        """Read the settings (connections are opened on first use).

        Args:
            target: The target.

        Raises:
            ConfigurationError: An unacceptable setting.
        """
        config = target.config
        self.target = target
        self.logger = target.logger
        self.config = config
        self.dry_run = bool(config.get("dry_run"))
        self.write_mode = config.get("write_mode") or "upsert"
        if self.write_mode not in WRITE_MODES:
            msg = f"Setting 'write_mode' must be one of {', '.join(WRITE_MODES)}"
            raise ConfigurationError(msg)
        self.stream_entities = dict(config.get("stream_entities") or {})
        self.run_id = uuid.uuid4().hex[:12]
        self.mapper_settings = MapperSettings(
            match_keys=parse_match_keys(config.get("match_keys")),
            id_map={
                name: {str(k): str(v) for k, v in mapping.items()}
                for name, mapping in (config.get("id_map") or {}).items()
            },
            keep_foreign_keys=frozenset(config.get("keep_foreign_keys") or ()),
            reference_number_source=config.get("reference_number_source") or "target-lightspeed",
            defaults={
                name: (str(config[name]) if config.get(name) not in (None, "") else None)
                for name in (
                    "default_employee_id",
                    "default_register_id",
                    "default_shop_id",
                    "default_payment_type_id",
                )
            },
        )
        self.rejects = RejectsFile(
            config.get("rejects_path") or DEFAULT_REJECTS_PATH,
            run_id=self.run_id,
            dry_run=self.dry_run,
        )
        interval = config.get("progress_interval")
        self.report = RunReport(
            self.logger,
            dry_run=self.dry_run,
            progress_interval=DEFAULT_PROGRESS_INTERVAL if interval is None else float(interval),
            max_rejects=config.get("max_rejects"),
            waited_seconds=lambda: self.client.pacer.stats.waited_seconds,
        )
        self.sinks: list[LightspeedSink] = []

    def entity_for(self, stream: str) -> str:
        """Return the entity a stream writes.

        Args:
            stream: The input stream name.

        Returns:
            ``customers``, ``items`` or ``sales``.

        Raises:
            ConfigurationError: The stream is not mapped.
        """
        if stream in self.stream_entities:
            return self.stream_entities[stream]
        for pattern, entity in self.stream_entities.items():
            if fnmatch.fnmatchcase(stream, pattern):
                return entity
        if stream in ENTITIES:
            return stream
        msg = (
            f"Stream '{stream}' is not mapped to a Lightspeed entity. Map it with the "
            f'stream_entities setting (e.g. {{"{stream}": "customers"}}; entities: '
            f"{', '.join(ENTITIES)}) or deselect it in the tap."
        )
        raise UnmappedStreamError(msg)

    @cached_property
    def client(self) -> LightspeedClient:
        """The shared Lightspeed client."""
        return LightspeedClient.for_config(dict(self.config))

    @cached_property
    def writer(self) -> LightspeedWriter:
        """The target's requests."""
        return LightspeedWriter(self.client, self.mapper_settings.reference_number_source)

    @cached_property
    def ledger(self) -> Ledger:
        """The ledger of the target account (read-only in a dry run)."""
        account_id = self.client.account_id
        path = self.config.get("ledger_path")
        if path:
            ledger_path = Path(path).expanduser()
        else:
            store = ConnectionSettings.from_config(self.config).token_store
            ledger_path = store.parent / f"ledger-{account_id}.sqlite3"
        return Ledger(ledger_path, account_id, read_only=self.dry_run)

    def close(self) -> None:
        """Close the ledger and the rejects file."""
        if "ledger" in self.__dict__:
            self.ledger.close()
        self.rejects.close()


class TargetLightspeed(Target):
    """Singer target for Lightspeed Retail (R-Series): customers, items and sales."""

    name = "target-lightspeed"
    message_reader_class = CheckedReader
    message_writer_class = MsgSpecWriter
    default_sink_class = LightspeedSink
    config_jsonschema = th.PropertiesList(*CONNECTION_PROPERTIES, *TARGET_PROPERTIES).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Initialize the target (same arguments as :class:`~singer_sdk.Target`).

        Args:
            *args: Positional arguments for the SDK target.
            **kwargs: Keyword arguments for the SDK target.
        """
        super().__init__(*args, **kwargs)
        # Sinks drain one at a time, in order: sales need the items and customers written
        # before them, and every write shares one rate limit anyway.
        self.max_parallelism = 1
        self.runtime = Runtime(self)
        if isinstance(self.message_reader, CheckedReader):
            self.message_reader.on_bad_line = self._skip_line

    @property
    def input_line(self) -> int | None:
        """Number of the input line being processed (from 1), when the reader counts lines."""
        reader = self.message_reader
        return reader.line_number if isinstance(reader, CheckedReader) else None

    @override
    def get_sink_class(self, stream_name: str) -> type[LightspeedSink]:
        return SINK_CLASSES[self.runtime.entity_for(stream_name)]

    @classmethod
    @override
    def invoke(  # type: ignore[override]
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: t.Any = None,
        file_input: t.IO[str] | None = None,
    ) -> None:
        """Run the target from the command line; a clean stop exits 1 with a one-line message.

        Args:
            about: Display package metadata and settings.
            about_format: Style of ``--about``.
            config: Configuration files or ``ENV``.
            file_input: Read messages from this file instead of standard input.
        """
        try:
            super().invoke(
                about=about, about_format=about_format, config=config, file_input=file_input
            )
        except CLEAN_STOPS as exc:
            cls.logger.error("%s", exc)
            sys.exit(1)

    @override
    def listen(self, file_input: t.IO[str] | None = None) -> None:
        """Read and write the whole input.

        A line that is not a usable Singer message is skipped (logged with its number, kept
        in the rejects file); the run goes on and, once everything else is written and the
        last STATE emitted, ends with :class:`UnreadableInputError` (exit status 1). An
        unmapped stream stops the run at once, after the records read before it were
        written (and the STATE read before them emitted).

        Args:
            file_input: Readable stream of messages (default: standard input).

        Raises:
            UnreadableInputError: Lines were skipped (raised by :meth:`process_endofpipe`).
            UnmappedStreamError: A stream is not mapped to an entity.
        """
        try:
            super().listen(file_input)
        except UnmappedStreamError:
            self._drain_before_stop()
            raise
        except BaseException:
            self._finish(failed=True)
            raise

    def _drain_before_stop(self) -> None:
        """Write every record read so far and emit the last STATE read, then finish (failed)."""
        try:
            self.drain_all(is_endofpipe=True)
        except BaseException:
            self._finish(failed=True)
            raise
        self._finish(
            failed=True,
            note="Run stopped: the records read before were written, and the last STATE "
            "read before them emitted",
        )

    def _skip_line(self, number: int, line: str, problem: str, stream: str | None) -> None:
        """Report an unusable input line and keep it in the rejects file; the run goes on.

        Args:
            number: Its line number (from 1).
            line: The line.
            problem: What is wrong with it.
            stream: The stream it names, if any.
        """
        report = self.runtime.report
        report.unreadable_lines += 1
        where = f"Input line {number}" + (f" (stream '{stream}')" if stream else "")
        if report.unreadable_lines <= MAX_LOGGED_LINES:
            self.logger.error("%s skipped: %s", where, problem)
        if report.unreadable_lines == MAX_LOGGED_LINES:
            self.logger.error(
                "%d unusable input lines so far; further ones are counted, not logged (all "
                "are in %s)",
                MAX_LOGGED_LINES,
                self.runtime.rejects.path,
            )
        self.runtime.rejects.write_line(line=number, text=line, stream=stream, message=problem)

    @override
    def process_endofpipe(self) -> None:
        """Write what is left, emit the last STATE, log the summary.

        Raises:
            UnreadableInputError: Input lines were skipped (after everything else was done).
        """
        try:
            super().process_endofpipe()
        except BaseException:
            self._finish(failed=True)
            raise
        self._finish(failed=False)
        skipped = self.runtime.report.unreadable_lines
        if skipped:
            lines = "1 input line" if skipped == 1 else f"{skipped} input lines"
            msg = (
                f"{lines} skipped: not usable Singer messages (each logged above with its line "
                f"number, kept in {self.runtime.rejects.path}); everything else was written"
            )
            raise UnreadableInputError(msg)

    def _finish(self, *, failed: bool, note: str | None = None) -> None:
        """Log the progress line and the summary (once), close the ledger and rejects file.

        Args:
            failed: The run stopped on an error (the summary covers what was done).
            note: What the failed run did before stopping (default: no STATE past the last
                full drain).
        """
        if getattr(self, "_finished", False):
            return
        self._finished = True
        report = self.runtime.report
        if report.streams:
            report.maybe_progress(force=True)
        if failed:
            self.logger.error(note or "Run failed; no state was emitted past the last full drain")
        for line in report.summary_lines():
            self.logger.info(line)
        if self.runtime.rejects.count:
            self.logger.warning(
                "%d records rejected: see %s",
                self.runtime.rejects.count,
                self.runtime.rejects.path,
            )
        self.runtime.close()


if __name__ == "__main__":
    TargetLightspeed.cli()
