"""tap-lightspeed: Singer tap for Lightspeed Retail (R-Series)."""

from __future__ import annotations

import sys
import typing as t

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter

from lightspeed_client.errors import AuthorizationError, ConfigurationError, MissingScopeError
from lightspeed_client.settings import CONNECTION_PROPERTIES
from tap_lightspeed.streams import DERIVED_STREAM_TYPES, STREAM_TYPES

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from singer_sdk import Stream

#: Errors that end a run with their one-line message and exit status 1, without a traceback:
#: the message says what to do (run lightspeed-authorize again, fix a setting, authorize the
#: scopes it names for the stream and endpoint it names).
CLEAN_STOPS = (ConfigurationError, AuthorizationError, MissingScopeError)


class TapLightspeed(Tap):
    """Singer tap for Lightspeed Retail (R-Series), V3 API."""

    name = "tap-lightspeed"
    message_writer_class = MsgSpecWriter

    config_jsonschema = th.PropertiesList(
        *CONNECTION_PROPERTIES,
        th.Property(
            "start_date",
            th.DateTimeType,
            description=(
                "Earliest record change to extract on a first run (the stream's "
                "replication key: updatetime for sales, timeStamp for the others); "
                "later runs start from the saved bookmark."
            ),
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=100),
            default=100,
            description="Records per page (Lightspeed's `limit`, 1 to 100).",
        ),
    ).to_dict()

    @classmethod
    @override
    def invoke(  # type: ignore[override]
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: t.Any = None,
        state: t.IO[str] | None = None,
        catalog: t.IO[str] | None = None,
    ) -> None:
        """Run the tap from the command line; a clean stop exits 1 with a one-line message.

        Args:
            about: Display package metadata and settings.
            about_format: Style of ``--about``.
            config: Configuration files or ``ENV``.
            state: A bookmarks file.
            catalog: A catalog file.
        """
        try:
            super().invoke(
                about=about, about_format=about_format, config=config, state=state, catalog=catalog
            )
        except CLEAN_STOPS as exc:
            cls.logger.error("%s", exc)
            sys.exit(1)

    @override
    def discover_streams(self) -> list[Stream]:
        return [stream_class(tap=self) for stream_class in (*STREAM_TYPES, *DERIVED_STREAM_TYPES)]

    @override
    def load_state(self, state: dict[str, t.Any]) -> None:
        """Load the state, moving bookmarks of earlier versions onto today's replication keys.

        A sales bookmark on ``timeStamp`` (saved before the stream followed ``updatetime``)
        resumes on ``updatetime`` from the same value instead of starting over.

        Args:
            state: The state given with ``--state``.
        """
        super().load_state(state)
        bookmarks = self.state.get("bookmarks", {})
        for stream_class in STREAM_TYPES:
            bookmark = bookmarks.get(stream_class.name)
            if not bookmark:
                continue
            old_key = stream_class.migrate_bookmark(bookmark)
            if old_key:
                self.logger.info(
                    "Stream '%s': resuming the bookmark saved on %s (%s) on %s",
                    stream_class.name,
                    old_key,
                    bookmark.get("replication_key_value"),
                    stream_class.replication_key,
                )


if __name__ == "__main__":
    TapLightspeed.cli()
