"""The sink of target-lightspeed: SDK glue around a writer, batches of up to 100 records.

The sink checks each record as read (key properties, schema) and hands full batches to its
:class:`~target_lightspeed.writer.RecordWriter`, which decides and writes. It reaches the
rest of the run only through its :class:`~target_lightspeed.runtime.Runtime`.
"""

from __future__ import annotations

import sys
import typing as t

from singer_sdk.sinks import BatchSink

from target_lightspeed.report import SKIPPED
from target_lightspeed.validation import RecordValidator
from target_lightspeed.writer import WRITERS

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from singer_sdk import Target
    from singer_sdk.sinks.core import BaseJSONSchemaValidator

    from target_lightspeed.runtime import Runtime


class LightspeedSink(BatchSink):
    """Writes one input stream to one Lightspeed entity (see :func:`sink_class`)."""

    #: The run's shared parts (set on the class of each run by :func:`sink_class`).
    runtime: t.ClassVar[Runtime]

    def __init__(
        self,
        target: Target,
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
        entity = self.runtime.entity_for(stream_name)
        assert entity is not None, f"stream {stream_name} is skipped: SkippedStreamSink"
        self.entity = entity
        self._record_validator = RecordValidator(schema)
        super().__init__(target, stream_name, schema, key_properties)
        # Keep date-time strings as they are: the mapping reads them, and a malformed one
        # rejects the record instead of stopping the run in the SDK's timestamp parser.
        self.schema = _without_datetime_formats(self.schema)
        self.summary = self.runtime.report.stream(stream_name, self.entity)
        self.writer = WRITERS[self.entity](
            self.runtime,
            self.entity,
            stream_name,
            tuple(self.key_properties),
            self.logger,
            self.summary,
        )
        self.runtime.sinks.append(self)
        #: Key properties missing from the record being read (see :meth:`preprocess_record`).
        self._missing_keys: list[str] = []

    # -- SDK hooks ---------------------------------------------------------------------------

    @property
    @override
    def max_size(self) -> int:
        """Records per batch: ``batch_size_rows`` (default and maximum 100)."""
        return self.runtime.settings.batch_size

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
        line = self.runtime.input_line()
        if self._missing_keys:
            missing, self._missing_keys = self._missing_keys, []
            as_read = {k: v for k, v in record.items() if k not in missing}
            names = ", ".join(f"'{k}'" for k in missing)
            plural = "ies" if len(missing) > 1 else "y"
            self.writer.reject(
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
                self.writer.reject(
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
            self.writer.write_batch(records, dict(context.get("lines") or ()))


class SkippedStreamSink(BatchSink):
    """Counts the records of a tap-lightspeed stream the target does not write, and drops them.

    ``tap-lightspeed | target-lightspeed`` brings images, stock, sale lines and payments,
    reference tables and purchasing streams besides customers, items and sales; they are
    counted in the summary, and their STATE passes on like any other's.
    """

    #: The run's shared parts (set on the class of each run by :func:`sink_class`).
    runtime: t.ClassVar[Runtime]

    def __init__(
        self,
        target: Target,
        stream_name: str,
        schema: dict,
        key_properties: t.Sequence[str] | None,
    ) -> None:
        """Create the sink (see :class:`LightspeedSink`)."""
        super().__init__(target, stream_name, schema, key_properties)
        self.summary = self.runtime.report.stream(stream_name, SKIPPED)
        self.logger.info(
            "Stream '%s' is a tap-lightspeed stream that target-lightspeed does not write: "
            "its records are skipped",
            stream_name,
        )

    @override
    def get_validator(self) -> BaseJSONSchemaValidator | None:
        return None

    @override
    def process_record(self, record: dict, context: dict) -> None:
        self.summary.read += 1

    @override
    def process_batch(self, context: dict) -> None:
        """Nothing to write."""


def sink_class(runtime: Runtime) -> type[LightspeedSink]:
    """Return the sink class of one run: :class:`LightspeedSink` bound to the run's runtime.

    The SDK creates sinks with the target alone; binding the runtime to the class keeps the
    sinks from reaching back into the target.

    Args:
        runtime: The run's shared parts.

    Returns:
        The sink class.
    """
    return type("LightspeedSink", (LightspeedSink,), {"runtime": runtime})


def skipped_sink_class(runtime: Runtime) -> type[SkippedStreamSink]:
    """Return the class of one run's sinks for skipped streams (see :func:`sink_class`).

    Args:
        runtime: The run's shared parts.

    Returns:
        The sink class.
    """
    return type("SkippedStreamSink", (SkippedStreamSink,), {"runtime": runtime})


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
