"""The rejects file: one JSON line per record Lightspeed (or the target) refused.

Each line holds the stream, the record as read, its match key, the HTTP status (None when the
target itself refused it, e.g. a failed schema validation or an unmapped foreign key) and the
reason (Lightspeed's own message when there is one). Nothing else: no setting, no token.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import IO, Any


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
    ) -> None:
        """Append one rejected record (flushed at once).

        Args:
            stream: Input stream name.
            record: The record as read.
            match_key: Its match key (``email=a@b.com``), when it has one.
            status: HTTP status of Lightspeed's refusal, or None.
            message: Why it was rejected.
        """
        line = {
            "stream": stream,
            "record": dict(record),
            "match_key": match_key,
            "status": status,
            "message": message,
            "run_id": self.run_id,
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        if self.dry_run:
            line["dry_run"] = True
        text = json.dumps(line, default=_json_default, ensure_ascii=False)
        with self._lock:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(text + "\n")
            self._file.flush()
            self.count += 1

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
