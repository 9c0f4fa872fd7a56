"""The ledger: what this target has written, on disk (SQLite, WAL).

Per target account, entity and match key it remembers the Lightspeed id and a hash of the
body last written, so that a record whose payload did not change costs no request at all.
It also remembers the record's source key, ``<stream>:<source id>`` (the stream is
everything before the first ``:``), so that a sale's ``customerID`` and line ``itemID`` of
the source account map to ids of the target account, and two input streams mapped to one
entity with overlapping ids stay apart.

Schema versions (``meta.schema_version``), checked on open:

- 1: source keys were the bare source id. Opening such a ledger migrates it (in one
  transaction): rows created from a record without match key carry their stream in their
  key (``source:<stream>:<id>``) and get it back; the others are attributed to the stream
  named after their entity (``customers``, ``items``, ``sales``: the tap's own names). A row
  of another stream is re-tagged the next time its record passes. A dry run migrates a
  private copy and leaves the file alone.
- 2: source keys are ``<stream>:<source id>``.

A ledger of a newer version than this target knows stops the run.

Crash safety: before a create, the row is marked ``pending`` and committed; after the
response, the id and hash are committed. A SIGKILL therefore loses at most the write in
flight, which the next run finds with its match-key lookup (or, for records without a match
key, with a look at the records created since the pending mark).

The ledger holds no secret: ids, hashes, match keys and timestamps only.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lightspeed_client.errors import ConfigurationError

SCHEMA_VERSION = 2

_DDL = """
CREATE TABLE IF NOT EXISTS records (
    account_id TEXT NOT NULL,
    entity TEXT NOT NULL,
    match_key TEXT NOT NULL,
    lightspeed_id TEXT,
    payload_hash TEXT,
    source_key TEXT,
    state TEXT NOT NULL,
    attempted_at REAL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (account_id, entity, match_key)
);
CREATE INDEX IF NOT EXISTS records_by_source ON records (account_id, entity, source_key);
CREATE INDEX IF NOT EXISTS records_by_lightspeed_id ON records (account_id, entity, lightspeed_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
#: Version 1 -> 2: tag bare source keys with their stream.
_MIGRATE_1_TO_2 = """
UPDATE records SET source_key = CASE
    WHEN match_key LIKE 'source:%' THEN substr(match_key, 8)
    ELSE entity || ':' || source_key
END
WHERE source_key IS NOT NULL;
"""

WRITTEN = "written"
PENDING = "pending"
#: Values per ``IN (...)`` of one query.
_CHUNK = 500


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the ledger."""

    match_key: str
    lightspeed_id: str | None
    payload_hash: str | None
    source_key: str | None
    state: str
    attempted_at: float | None

    @property
    def written(self) -> bool:
        """Whether the record is known to exist in Lightspeed with this id."""
        return self.state == WRITTEN and bool(self.lightspeed_id)


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class Ledger:
    """The ledger of one target account (thread-safe; one connection per process).

    Read-only (a dry run), the ledger file is never written: what the run would write is kept
    in a private temporary SQLite database instead (the *overlay*, deleted when closed),
    which every read consults after the file. So a dry run's memory does not grow with the
    number of records either.
    """

    def __init__(self, path: Path | str, account_id: str, *, read_only: bool = False) -> None:
        """Open (or create) the ledger.

        Args:
            path: The SQLite file.
            account_id: The target account; rows of other accounts are never used.
            read_only: Never write (dry run): changes go to a temporary overlay database.
        """
        self.path = Path(path).expanduser()
        self.account_id = account_id
        self.read_only = read_only
        self._lock = threading.Lock()
        self._overlay: sqlite3.Connection | None = None
        if read_only:
            # An empty file name: a private, temporary on-disk database (pages cached in
            # memory up to the cache size), deleted when the connection closes.
            self._overlay = sqlite3.connect("", check_same_thread=False, isolation_level=None)
            self._overlay.execute("PRAGMA journal_mode=OFF")
            self._overlay.execute("PRAGMA synchronous=OFF")
            self._overlay.executescript(_DDL)
        if read_only and not self.path.exists():
            self._db: sqlite3.Connection | None = None
            return
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        uri = f"file:{self.path}?mode=ro" if read_only else f"file:{self.path}"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        if not read_only:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_DDL)
            self._db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            self.path.chmod(0o600)
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            self.close()
            msg = (
                f"Ledger {self.path} has schema version {version}, written by a newer "
                f"target-lightspeed (this one knows up to {SCHEMA_VERSION}): upgrade the target"
            )
            raise ConfigurationError(msg)
        if version < SCHEMA_VERSION:
            if read_only:
                # Migrate a private copy: a dry run never writes the file.
                copy = sqlite3.connect("", check_same_thread=False, isolation_level=None)
                self._db.backup(copy)
                self._db.close()
                self._db = copy
            self._migrate(self._db, version)

    def schema_version(self) -> int:
        """Return the schema version of the ledger file (the current one when there is none).

        Returns:
            The version.
        """
        if self._db is None:
            return SCHEMA_VERSION
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.OperationalError:  # a file without the meta table: the first version
            return 1
        return int(row[0]) if row else 1

    @staticmethod
    def _migrate(db: sqlite3.Connection, version: int) -> None:
        """Bring a ledger from an older schema version to the current one, in one transaction.

        Args:
            db: The ledger database.
            version: Its schema version.
        """
        db.execute("BEGIN IMMEDIATE")
        try:
            if version < 2:
                db.execute(_MIGRATE_1_TO_2)
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        """Close the database (and drop the overlay of a dry run)."""
        with self._lock:
            for db in (self._db, self._overlay):
                if db is not None:
                    db.close()
            self._db = None
            self._overlay = None

    def _sources(self) -> list[sqlite3.Connection]:
        """The databases to read, the file first: rows of the overlay win."""
        return [db for db in (self._db, self._overlay) if db is not None]

    # -- reads -------------------------------------------------------------------------------

    def get_many(self, entity: str, match_keys: list[str]) -> dict[str, LedgerEntry]:
        """Read the rows of several match keys.

        Args:
            entity: ``customers``, ``items`` or ``sales``.
            match_keys: Ledger keys.

        Returns:
            Match key -> entry, for the keys that have a row.
        """
        found: dict[str, LedgerEntry] = {}
        unique = list(dict.fromkeys(match_keys))
        with self._lock:
            for db in self._sources():
                for chunk in _chunks(unique):
                    marks = ",".join("?" * len(chunk))
                    rows = db.execute(
                        "SELECT match_key, lightspeed_id, payload_hash, source_key, state, "
                        "attempted_at FROM records WHERE account_id = ? AND entity = ? "
                        f"AND match_key IN ({marks})",
                        (self.account_id, entity, *chunk),
                    ).fetchall()
                    for row in rows:
                        found[row[0]] = LedgerEntry(*row)
        return found

    def ids_by_source(self, entity: str, source_keys: list[str]) -> dict[str, str]:
        """Map source keys (``<stream>:<source id>``) to Lightspeed ids of written records.

        Args:
            entity: ``customers`` or ``items``.
            source_keys: The source keys wanted.

        Returns:
            Source key -> Lightspeed id, for the keys known.
        """
        out: dict[str, str] = {}
        unique = list(dict.fromkeys(source_keys))
        with self._lock:
            for db in self._sources():
                for chunk in _chunks(unique):
                    marks = ",".join("?" * len(chunk))
                    rows = db.execute(
                        "SELECT source_key, lightspeed_id FROM records WHERE account_id = ? "
                        f"AND entity = ? AND state = ? AND source_key IN ({marks}) "
                        "AND lightspeed_id IS NOT NULL AND lightspeed_id != '' "
                        "ORDER BY updated_at",
                        (self.account_id, entity, WRITTEN, *chunk),
                    ).fetchall()
                    out.update(dict(rows))
        return out

    def source_streams(self, entity: str) -> list[str]:
        """Return the streams that written rows of an entity came from.

        Args:
            entity: ``customers`` or ``items``.

        Returns:
            The stream names (the part of each source key before its first ``:``), sorted.
        """
        out: set[str] = set()
        with self._lock:
            for db in self._sources():
                rows = db.execute(
                    "SELECT DISTINCT substr(source_key, 1, instr(source_key, ':') - 1) "
                    "FROM records WHERE account_id = ? AND entity = ? AND state = ? "
                    "AND instr(source_key, ':') > 0",
                    (self.account_id, entity, WRITTEN),
                ).fetchall()
                out.update(row[0] for row in rows)
        return sorted(out)

    def claimed(self, entity: str, lightspeed_ids: list[str]) -> set[str]:
        """Tell which of some Lightspeed ids the ledger holds for a record already.

        Args:
            entity: ``customers``, ``items`` or ``sales``.
            lightspeed_ids: Ids of records found in Lightspeed.

        Returns:
            Those of the ids that a ledger row holds.
        """
        unique = list(dict.fromkeys(i for i in lightspeed_ids if i))
        out: set[str] = set()
        with self._lock:
            for db in self._sources():
                for chunk in _chunks(unique):
                    marks = ",".join("?" * len(chunk))
                    rows = db.execute(
                        "SELECT lightspeed_id FROM records WHERE account_id = ? AND entity = ? "
                        f"AND lightspeed_id IN ({marks})",
                        (self.account_id, entity, *chunk),
                    ).fetchall()
                    out.update(row[0] for row in rows)
        return out

    # -- writes (each one committed at once) -------------------------------------------------

    def _put(self, entity: str, entry: LedgerEntry) -> None:
        with self._lock:
            db = self._overlay if self.read_only else self._db
            if db is None:
                return
            db.execute(
                "INSERT INTO records (account_id, entity, match_key, lightspeed_id, "
                "payload_hash, source_key, state, attempted_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (account_id, entity, match_key) DO UPDATE SET "
                "lightspeed_id = excluded.lightspeed_id, payload_hash = excluded.payload_hash, "
                "source_key = COALESCE(excluded.source_key, records.source_key), "
                "state = excluded.state, attempted_at = excluded.attempted_at, "
                "updated_at = excluded.updated_at",
                (
                    self.account_id,
                    entity,
                    entry.match_key,
                    entry.lightspeed_id,
                    entry.payload_hash,
                    entry.source_key,
                    entry.state,
                    entry.attempted_at,
                    time.time(),
                ),
            )

    def mark_pending(self, entity: str, match_key: str, source_key: str | None) -> float:
        """Record that a create is about to be sent (committed before sending).

        Args:
            entity: ``customers``, ``items`` or ``sales``.
            match_key: The ledger key.
            source_key: ``<stream>:<source id>`` or None.

        Returns:
            The time of the attempt.
        """
        now = time.time()
        self._put(entity, LedgerEntry(match_key, None, None, source_key, PENDING, now))
        return now

    def mark_written(
        self,
        entity: str,
        match_key: str,
        lightspeed_id: str,
        payload_hash: str | None,
        source_key: str | None,
    ) -> None:
        """Record a record known to exist in Lightspeed (created, updated or found).

        Args:
            entity: ``customers``, ``items`` or ``sales``.
            match_key: The ledger key.
            lightspeed_id: Its id in the target account.
            payload_hash: Hash of the body it now holds (None: unknown).
            source_key: ``<stream>:<source id>`` or None.
        """
        self._put(
            entity,
            LedgerEntry(match_key, lightspeed_id, payload_hash, source_key, WRITTEN, None),
        )

    def forget(self, entity: str, match_key: str) -> None:
        """Drop a row (a create that was rejected, or a record gone from Lightspeed).

        Args:
            entity: ``customers``, ``items`` or ``sales``.
            match_key: The ledger key.
        """
        with self._lock:
            db = self._overlay if self.read_only else self._db
            if db is None:
                return
            db.execute(
                "DELETE FROM records WHERE account_id = ? AND entity = ? AND match_key = ?",
                (self.account_id, entity, match_key),
            )
