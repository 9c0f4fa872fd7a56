"""tap-lightspeed: Singer tap for Lightspeed Retail (R-Series)."""

from __future__ import annotations

import sys
import typing as t

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter

from lightspeed_client.settings import CONNECTION_PROPERTIES
from tap_lightspeed.streams import STREAM_TYPES

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from tap_lightspeed.client import LightspeedStream


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
                "Earliest record change (timeStamp) to extract on a first run; "
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

    @override
    def discover_streams(self) -> list[LightspeedStream]:
        return [stream_class(tap=self) for stream_class in STREAM_TYPES]


if __name__ == "__main__":
    TapLightspeed.cli()
