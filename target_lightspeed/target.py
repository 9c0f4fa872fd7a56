"""target-lightspeed: reverse ETL into Lightspeed Retail (R-Series).

The target wires the run together: its settings schema (:mod:`target_lightspeed.settings`),
the shared :class:`~target_lightspeed.runtime.Runtime`, one sink per input stream, and the
end of a run (summary, clean stops with exit status 1).
"""

from __future__ import annotations

import sys
import typing as t

from singer_sdk import Target
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter

from lightspeed_client.errors import AuthorizationError, ConfigurationError, MissingScopeError
from lightspeed_client.settings import CONNECTION_PROPERTIES
from target_lightspeed.reader import CheckedReader
from target_lightspeed.report import TooManyRejectsError
from target_lightspeed.runtime import Runtime, UnmappedStreamError
from target_lightspeed.settings import TARGET_PROPERTIES
from target_lightspeed.sinks import (
    LightspeedSink,
    SkippedStreamSink,
    sink_class,
    skipped_sink_class,
)

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

#: Unreadable input lines logged one by one; later ones are counted (all go to the rejects).
MAX_LOGGED_LINES = 20


class UnreadableInputError(Exception):
    """Input lines were skipped as unusable; raised once everything else was written."""


#: Errors that end a run with a one-line message and exit status 1, without a traceback:
#: the message says what to do (``AuthorizationError``: run lightspeed-authorize again;
#: ``MissingScopeError``: authorize the scope it names); the records written before it stay
#: written, and the ledger knows them.
CLEAN_STOPS = (
    ConfigurationError,
    AuthorizationError,
    MissingScopeError,
    TooManyRejectsError,
    UnreadableInputError,
)


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
        self.runtime = Runtime(
            self.config, self.logger, drain=self.drain_one, input_line=self._input_line
        )
        self._sink_class = sink_class(self.runtime)
        self._skipped_sink_class = skipped_sink_class(self.runtime)
        self._state_withheld = False
        if isinstance(self.message_reader, CheckedReader):
            self.message_reader.on_bad_line = self._skip_line

    @override
    def _write_state_message(self, state: dict) -> None:
        """Emit a STATE, except in a dry run: nothing was written, so nothing is done.

        A dry run that passed STATE on would let Meltano save its bookmarks, and the real run
        after it would start past the records the dry run only looked at.

        Args:
            state: The STATE value.
        """
        if self.runtime.dry_run:
            if not self._state_withheld:
                self._state_withheld = True
                self.logger.info(
                    "Dry run: STATE is not emitted, so the next run starts where this one did"
                )
            return
        super()._write_state_message(state)

    def _input_line(self) -> int | None:
        """Number of the input line being processed (from 1), when the reader counts lines."""
        reader = self.message_reader
        return reader.line_number if isinstance(reader, CheckedReader) else None

    @override
    def get_sink_class(self, stream_name: str) -> type[LightspeedSink | SkippedStreamSink]:
        # An unmapped stream stops the run here; a tap-lightspeed stream without an entity
        # is skipped.
        if self.runtime.entity_for(stream_name) is None:
            return self._skipped_sink_class
        return self._sink_class

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
        if self.runtime.rejects.left_open:
            self.logger.warning(
                "%d sales left open (payments do not match the target account's total): see %s",
                self.runtime.rejects.left_open,
                self.runtime.rejects.path,
            )
        self.runtime.close()


if __name__ == "__main__":
    TargetLightspeed.cli()
