"""Outcome counts, the progress line and the end-of-run summary."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

OUTCOMES = ("created", "updated", "unchanged", "rejected")
#: The entity of a stream whose records are read and skipped (see ``TAP_STREAMS_NOT_WRITTEN``).
SKIPPED = "not written"


class TooManyRejectsError(Exception):
    """More records were rejected than ``max_rejects`` allows."""


@dataclass
class StreamSummary:
    """What happened to the records of one input stream."""

    stream: str
    entity: str
    read: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    reasons: dict[str, Counter[str]] = field(default_factory=dict)
    #: Sales written but left open (their payments do not match the target's total).
    left_open: int = 0
    #: What was read but could not be written (``voided``...), with how many records.
    not_copied: Counter[str] = field(default_factory=Counter)

    @property
    def done(self) -> int:
        """Records with an outcome."""
        return sum(self.counts[o] for o in OUTCOMES)

    def as_dict(self) -> dict[str, object]:
        """Return the summary as JSON-friendly data."""
        return {
            "stream": self.stream,
            "entity": self.entity,
            "read": self.read,
            **{o: self.counts[o] for o in OUTCOMES},
            "reasons": {
                o: dict(self.reasons[o].most_common(10)) for o in OUTCOMES if o in self.reasons
            },
            "left_open": self.left_open,
            "not_copied": dict(self.not_copied),
        }


class RunReport:
    """Counts outcomes, logs a progress line every few seconds and the summary at the end."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        dry_run: bool,
        progress_interval: float,
        max_rejects: int | None,
        waited_seconds: Callable[[], float] = lambda: 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create the report.

        Args:
            logger: Where progress and summary lines go.
            dry_run: Whether outcomes are only planned ("would be created").
            progress_interval: Seconds between progress lines (0: never).
            max_rejects: Fail the run when more records than this are rejected.
            waited_seconds: Returns the time spent waiting for the rate limit so far.
            clock: Monotonic clock (replaced in tests).
        """
        self.logger = logger
        self.dry_run = dry_run
        self.progress_interval = progress_interval
        self.max_rejects = max_rejects
        self._waited_seconds = waited_seconds
        self._clock = clock
        self.streams: dict[str, StreamSummary] = {}
        self.writes = 0
        #: Input lines skipped because they are not usable Singer messages.
        self.unreadable_lines = 0
        self._first_write_at: float | None = None
        self._started_at = clock()
        self._last_progress = self._started_at
        self._lock = threading.Lock()

    def stream(self, stream: str, entity: str) -> StreamSummary:
        """Return (creating it once) the summary of a stream.

        Args:
            stream: Input stream name.
            entity: The entity it maps to.

        Returns:
            The summary.
        """
        with self._lock:
            summary = self.streams.get(stream)
            if summary is None:
                summary = self.streams[stream] = StreamSummary(stream, entity)
            return summary

    def wrote(self) -> None:
        """Count one write request that succeeded (for the write rate)."""
        with self._lock:
            if self._first_write_at is None:
                self._first_write_at = self._clock()
            self.writes += 1

    def outcome(self, summary: StreamSummary, outcome: str, reason: str) -> None:
        """Count the outcome of one record.

        Args:
            summary: The record's stream summary.
            outcome: created, updated, unchanged or rejected.
            reason: Why (aggregated in the summary).

        Raises:
            TooManyRejectsError: Past ``max_rejects``.
        """
        with self._lock:
            summary.counts[outcome] += 1
            summary.reasons.setdefault(outcome, Counter())[reason] += 1
            rejected = sum(s.counts["rejected"] for s in self.streams.values())
        if self.max_rejects is not None and rejected > self.max_rejects:
            msg = (
                f"{rejected} records rejected, more than max_rejects={self.max_rejects}; "
                "stopping (see the rejects file for the reasons)"
            )
            raise TooManyRejectsError(msg)
        self.maybe_progress()

    def left_open(self, summary: StreamSummary) -> None:
        """Count a sale written but left open (it is created or updated as well).

        Args:
            summary: The sale's stream summary.
        """
        with self._lock:
            summary.left_open += 1

    def not_copied(self, summary: StreamSummary, what: str) -> None:
        """Count something a record holds that the API does not let the target write.

        Args:
            summary: The record's stream summary.
            what: What was not copied (``voided``, ``lines of a completed sale``...).
        """
        with self._lock:
            summary.not_copied[what] += 1

    def write_rate(self) -> float:
        """Successful writes per second since the first one."""
        if self._first_write_at is None or self.writes < 2:
            return 0.0
        elapsed = self._clock() - self._first_write_at
        return (self.writes - 1) / elapsed if elapsed > 0 else 0.0

    def progress_line(self) -> str:
        """Return the progress line (records done, outcomes, write rate, bucket waits)."""
        totals: Counter[str] = Counter()
        for summary in self.streams.values():
            totals.update(summary.counts)
        done = sum(totals[o] for o in OUTCOMES)
        would = "would be " if self.dry_run else ""
        return (
            f"progress: {done} records done ({would}created {totals['created']}, "
            f"updated {totals['updated']}, unchanged {totals['unchanged']}, "
            f"rejected {totals['rejected']}); {self.write_rate():.2f} writes/s; "
            f"{self._waited_seconds():.1f} s waiting for the rate limit"
        )

    def maybe_progress(self, *, force: bool = False) -> None:
        """Log the progress line when ``progress_interval`` has passed.

        Args:
            force: Log it now.
        """
        if not force and self.progress_interval <= 0:
            return
        now = self._clock()
        if force or now - self._last_progress >= self.progress_interval:
            self._last_progress = now
            self.logger.info(self.progress_line())

    def summary_lines(self) -> list[str]:
        """Return the end-of-run summary, one line per stream."""
        lines = []
        prefix = "dry run, would be: " if self.dry_run else ""
        for summary in self.streams.values():
            if summary.entity == SKIPPED:
                lines.append(
                    f"summary: stream '{summary.stream}': read {summary.read}, skipped (a "
                    "tap-lightspeed stream that is no entity target-lightspeed writes)"
                )
                continue
            counts = ", ".join(f"{o} {summary.counts[o]}" for o in OUTCOMES)
            reasons = "; ".join(
                f"{o}: " + ", ".join(f"{r} ({n})" for r, n in summary.reasons[o].most_common(5))
                for o in OUTCOMES
                if o in summary.reasons
            )
            extra = ""
            if summary.left_open:
                extra += (
                    f". Left open: {summary.left_open} (their payments do not match the target "
                    "account's total: see the rejects file)"
                )
            if summary.not_copied:
                extra += ". Not copied: " + ", ".join(
                    f"{what} ({n})" for what, n in summary.not_copied.most_common()
                )
            lines.append(
                f"summary: stream '{summary.stream}' ({summary.entity}): read {summary.read}; "
                f"{prefix}{counts}" + (f". Why: {reasons}" if reasons else "") + extra
            )
        if self.unreadable_lines:
            count = self.unreadable_lines
            lines.append(
                f"summary: {count} input line{'s' if count > 1 else ''} skipped: not usable "
                "Singer messages"
            )
        return lines
