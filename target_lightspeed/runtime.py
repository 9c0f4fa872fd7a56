"""What every sink of a run shares: settings, client, ledger, rejects file and report.

The target creates one :class:`Runtime` and hands it to each sink; a sink reaches the other
sinks of the run only through it (:meth:`Runtime.write_pending`), never through the target.
"""

from __future__ import annotations

import fnmatch
import typing as t
import uuid
from functools import cached_property

from lightspeed_client.client import LightspeedClient
from lightspeed_client.errors import ConfigurationError
from lightspeed_client.settings import ConnectionSettings
from tap_lightspeed.streams import DERIVED_STREAM_TYPES, STREAM_TYPES
from target_lightspeed.api import LightspeedAPI
from target_lightspeed.ledger import Ledger
from target_lightspeed.mapping import ENTITIES
from target_lightspeed.rejects import RejectsFile
from target_lightspeed.report import RunReport
from target_lightspeed.settings import TargetSettings

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable


class UnmappedStreamError(ConfigurationError):
    """A stream of the input is not mapped to a Lightspeed entity (the run stops)."""


#: tap-lightspeed's streams that are not an entity the target writes (images, stock, sale
#: lines and payments, which are written inside their sales): their records are counted and
#: skipped, so that ``tap-lightspeed | target-lightspeed`` copies an account as it is.
TAP_STREAMS_NOT_WRITTEN = frozenset(
    stream.name for stream in (*STREAM_TYPES, *DERIVED_STREAM_TYPES)
) - set(ENTITIES)


class PendingBatch(t.Protocol):
    """A sink as the runtime sees it: the entity it writes and whether records wait."""

    entity: str

    @property
    def current_size(self) -> int:
        """Records waiting to be written."""


class Runtime:
    """The shared parts of one run (connections are opened on first use)."""

    def __init__(
        self,
        config: t.Mapping[str, t.Any],
        logger: logging.Logger,
        drain: Callable[[t.Any], None],
        input_line: Callable[[], int | None] = lambda: None,
    ) -> None:
        """Read the settings.

        Args:
            config: The target's config.
            logger: The target's logger.
            drain: Writes the records a sink holds (the target's ``drain_one``).
            input_line: Returns the number of the input line being read, if counted.

        Raises:
            ConfigurationError: An unacceptable setting.
        """
        self.config = config
        self.logger = logger
        self.settings = TargetSettings.from_config(config)
        self.dry_run = self.settings.dry_run
        self.write_mode = self.settings.write_mode
        self.mapper_settings = self.settings.mapper
        self.run_id = uuid.uuid4().hex[:12]
        self._drain = drain
        #: The number of the input line being read (from 1), when the reader counts lines.
        self.input_line = input_line
        self.rejects = RejectsFile(
            self.settings.rejects_path, run_id=self.run_id, dry_run=self.dry_run
        )
        self.report = RunReport(
            logger,
            dry_run=self.dry_run,
            progress_interval=self.settings.progress_interval,
            max_rejects=self.settings.max_rejects,
            waited_seconds=lambda: self.client.pacer.stats.waited_seconds,
        )
        #: The sinks of the run, in creation order.
        self.sinks: list[PendingBatch] = []

    def entity_for(self, stream: str) -> str | None:
        """Return the entity a stream writes (None: a tap-lightspeed stream it skips).

        Args:
            stream: The input stream name.

        Returns:
            ``customers``, ``items`` or ``sales``; None for a stream of tap-lightspeed that is
            no entity the target writes (:data:`TAP_STREAMS_NOT_WRITTEN`), unless
            ``stream_entities`` maps it.

        Raises:
            UnmappedStreamError: The stream is not mapped.
        """
        stream_entities = self.settings.stream_entities
        if stream in stream_entities:
            return stream_entities[stream]
        for pattern, entity in stream_entities.items():
            if fnmatch.fnmatchcase(stream, pattern):
                return entity
        if stream in ENTITIES:
            return stream
        if stream in TAP_STREAMS_NOT_WRITTEN:
            return None
        msg = (
            f"Stream '{stream}' is not mapped to a Lightspeed entity. Map it with the "
            f'stream_entities setting (e.g. {{"{stream}": "customers"}}; entities: '
            f"{', '.join(ENTITIES)}) or deselect it in the tap."
        )
        raise UnmappedStreamError(msg)

    def write_pending(self, entities: t.Collection[str]) -> None:
        """Write the records other sinks hold for some entities (before a batch that needs them).

        Args:
            entities: The entities whose pending records must be written first.
        """
        for sink in list(self.sinks):
            if sink.entity in entities and sink.current_size:
                self._drain(sink)

    @cached_property
    def client(self) -> LightspeedClient:
        """The shared Lightspeed client."""
        return LightspeedClient.for_config(dict(self.config))

    @cached_property
    def api(self) -> LightspeedAPI:
        """The target's requests."""
        return LightspeedAPI(self.client, self.mapper_settings.reference_number_source)

    @cached_property
    def ledger(self) -> Ledger:
        """The ledger of the target account (read-only in a dry run)."""
        account_id = self.client.account_id
        ledger_path = self.settings.ledger_path
        if ledger_path is None:
            store = ConnectionSettings.from_config(self.config).token_store
            ledger_path = store.parent / f"ledger-{account_id}.sqlite3"
        return Ledger(ledger_path, account_id, read_only=self.dry_run)

    def close(self) -> None:
        """Close the ledger and the rejects file."""
        if "ledger" in self.__dict__:
            self.ledger.close()
        self.rejects.close()
