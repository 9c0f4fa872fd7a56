"""The rejects file: one JSON line per record Lightspeed (or the target) refused.

Each line holds the stream, the record as read, the number of its line in the input, its match
key, the HTTP status (None when the target itself refused it, e.g. a failed schema validation
or an unmapped foreign key) and the reason (Lightspeed's own message when there is one).
Nothing else: no setting, no token.

An input line that is not a usable Singer message (not JSON, unknown type, a RECORD before its
SCHEMA...) is kept too, as text under ``input`` instead of ``record``, so that it can be
repaired and sent again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

#: Longest input line kept in the rejects file (characters).
MAX_INPUT_CHARS = 1_000_000


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


class RejectsFile:
    """Appends rejected records to a JSONL file (opened on the first reject)."""

    def __init__(self, path: Path | str, *, run_id: str, dry_run: bool = False) -> None:
        """Create the writer.

        Args:
            path: The JSONL file (appended to; its folder is created).
            run_id: Identifies this run in every line.
            dry_run: Mark lines as coming from a dry run.
        """
        self.path = Path(path).expanduser()
        self.run_id = run_id
        self.dry_run = dry_run
        self.count = 0
        self.lines = 0
        #: Sales written but left open (their entries carry ``"outcome": "left_open"``).
        self.left_open = 0
        self._file: IO[str] | None = None
        self._lock = threading.Lock()

    def write(
        self,
        *,
        stream: str,
        record: Mapping[str, Any],
        match_key: str | None,
        status: int | None,
        message: str,
        line: int | None = None,
        outcome: str = "rejected",
    ) -> None:
        """Append one rejected record (flushed at once).

        Args:
            stream: Input stream name.
            record: The record as read.
            match_key: Its match key (``email=a@b.com``), when it has one.
            status: HTTP status of Lightspeed's refusal, or None.
            message: Why it was rejected.
            line: Number of the record's line in the input (from 1), when known.
            outcome: ``rejected``, or ``left_open`` for a sale written but left open (a
                person must act on it; counted in :attr:`left_open`, not :attr:`count`).
        """
        entry: dict[str, Any] = {
            "stream": stream,
            "record": dict(record),
            "line": line,
            "match_key": match_key,
            "status": status,
            "message": message,
        }
        if outcome != "rejected":
            entry["outcome"] = outcome
        self._append(entry, "count" if outcome == "rejected" else "left_open")

    def write_line(self, *, line: int, text: str, stream: str | None, message: str) -> None:
        """Append one input line that is not a usable Singer message (flushed at once).

        Args:
            line: Its number in the input (from 1).
            text: The line as read (cut at :data:`MAX_INPUT_CHARS` characters).
            stream: The stream it names, when it names one.
            message: What is wrong with it.
        """
        text = text.rstrip("\r\n")
        entry: dict[str, Any] = {
            "stream": stream,
            "input": text[:MAX_INPUT_CHARS],
            "line": line,
            "match_key": None,
            "status": None,
            "message": message,
        }
        if len(text) > MAX_INPUT_CHARS:
            entry["input_truncated_from"] = len(text)
        self._append(entry, "lines")

    def _append(self, entry: dict[str, Any], counter: str) -> None:
        entry["run_id"] = self.run_id
        entry["time"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        if self.dry_run:
            entry["dry_run"] = True
        text = json.dumps(entry, default=_json_default, ensure_ascii=False)
        with self._lock:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(text + "\n")
            self._file.flush()
            setattr(self, counter, getattr(self, counter) + 1)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
