"""Stream classes of tap-lightspeed."""

from __future__ import annotations

import sys
import typing as t

from tap_lightspeed.client import LightspeedStream

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class CustomersStream(LightspeedStream):
    """Customers with their Contact (addresses, phones, emails, websites) and custom fields.

    ``CustomFieldValues`` (never part of ``load_relations=all``) costs 0.4 drip more per page;
    a choice field's ``value`` is an object, other fields' a string, so it is kept as JSON.
    Customer ``Tags`` are not loaded: the documentation gives no shape for them.
    """

    name = "customers"
    entity = "Customer"
    path = "/Customer.json"
    primary_keys = ("customerID",)
    load_relations = ("Contact", "CustomFieldValues")


class ItemsStream(LightspeedStream):
    """Items with Prices, ItemShops, ItemAttributes and ItemVendorNums.

    Prices are always sent; ItemShops are the stock per shop, ItemAttributes a matrix item's
    attribute values, ItemVendorNums its vendor SKUs and costs. The three relations cost 0.4,
    0.2 and 0.4 drip more per page, on top of the page's 1.

    An item's ``timeStamp`` does not move when its stock changes: the ``ItemShops`` of a record
    are the stock levels when the item itself last changed. Current stock comes from the
    ``item_shops`` stream.
    """

    name = "items"
    entity = "Item"
    path = "/Item.json"
    primary_keys = ("itemID",)
    load_relations = ("ItemShops", "ItemAttributes", "ItemVendorNums")


class ImagesStream(LightspeedStream):
    """Item images, with a computed ``url`` of the full picture.

    ``/Image.json`` sorts only by ``imageID``, so the stream is incremental but unsorted: the
    ``timeStamp >=`` filter still applies, the bookmark is the highest ``timeStamp`` seen
    (capped at the sync's start) and is saved only when the sync completes; an interrupted
    sync starts over from the previous bookmark.
    """

    name = "images"
    entity = "Image"
    path = "/Image.json"
    primary_keys = ("imageID",)
    sort_field = None

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """Add ``url``: ``{baseImageURL}{publicID}.{extension of filename}``.

        Args:
            row: A record from the reader.
            context: Stream partition or context dictionary.

        Returns:
            The record with ``url`` (None when a part is missing), or None to skip it.
        """
        record = super().post_process(row, context)
        if record is not None:
            base = record.get("baseImageURL")
            public_id = record.get("publicID")
            _, dot, extension = (record.get("filename") or "").rpartition(".")
            record["url"] = (
                f"{base}{public_id}.{extension}"
                if base and public_id and dot and extension
                else None
            )
        return record


class SalesStream(LightspeedStream):
    """Sales with their SaleLines and SalePayments, incremental on ``updatetime``.

    A sale's ``timeStamp`` is its completion time once it is completed and never moves again;
    ``updatetime`` moves on every change (void, archive, later edits), so the stream sorts and
    filters on it. A bookmark saved on ``timeStamp`` by an earlier version resumes on
    ``updatetime`` from the same value: safe, as every sale's ``updatetime`` is at or after
    its ``timeStamp``.
    """

    name = "sales"
    entity = "Sale"
    path = "/Sale.json"
    primary_keys = ("saleID",)
    replication_key = "updatetime"
    sort_field = "updatetime"
    legacy_replication_keys = ("timeStamp",)
    load_relations = ("SaleLines", "SalePayments")


class ItemShopsStream(LightspeedStream):
    """Stock per item and shop (``ItemShop.json``): current ``qoh`` and reorder levels.

    Its own ``timeStamp`` moves when the stock changes, unlike the item's. ``shopID`` 0 is the
    all-shops summary row. Not selected by default: select it for current stock. ItemShop
    rows are not archived, so ``archived`` is not sent.
    """

    selected_by_default = False
    name = "item_shops"
    entity = "ItemShop"
    path = "/ItemShop.json"
    primary_keys = ("itemShopID",)
    include_archived = False


STREAM_TYPES: tuple[type[LightspeedStream], ...] = (
    CustomersStream,
    ItemsStream,
    ImagesStream,
    SalesStream,
    ItemShopsStream,
)
