"""Stream classes of tap-lightspeed."""

from __future__ import annotations

import sys
import typing as t
from functools import cache

from singer_sdk.helpers.conform import TypeConformanceLevel

from lightspeed_client.scopes import scopes_for
from lightspeed_client.wire import normalize_timestamp
from tap_lightspeed.client import ACCOUNT_ID, SCHEMAS, AccountStream, LightspeedStream

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context

#: Field of every ``sale_lines`` / ``sale_payments`` row: its sale's ``updatetime``, the
#: replication key of those streams.
SALE_UPDATETIME = "sale_updatetime"


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
    sync starts over from the previous bookmark. Images are deleted, never archived (the
    official page lists no ``archived`` field), so the parameter is not sent.
    """

    name = "images"
    entity = "Image"
    path = "/Image.json"
    primary_keys = ("imageID",)
    sort_field = None
    include_archived = False

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


class RelationParentStream(LightspeedStream):
    """A stream whose records also feed derived streams (:class:`RelationStream`).

    The records read feed the selected derived streams of this stream (its relations,
    e.g. a sale's ``SaleLines``), without a request of their own: the stream reads from the
    earliest bookmark of the selected streams of its family (and runs for the derived ones
    when it is itself deselected). Records read only for a derived stream are not emitted.
    """

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Initialize the stream (same arguments as :class:`LightspeedStream`).

        Args:
            *args: Positional arguments for the SDK stream.
            **kwargs: Keyword arguments for the SDK stream.
        """
        super().__init__(*args, **kwargs)
        #: The selected derived streams of this sync.
        self._fed: list[RelationStream] = []
        #: Records handed to them since they last emitted.
        self._handed = 0
        #: Where the stream itself resumes in this sync (its own bookmark or start_date).
        self._own_start: str | None = None

    @override
    def starting_timestamp(self, context: Context | None) -> str | None:
        """The earliest resume point of this stream (when selected) and the fed ones.

        Args:
            context: Stream partition or context dictionary.

        Returns:
            ``YYYY-MM-DDTHH:MM:SS+00:00``, or None when one of them reads everything.
        """
        starts = [super().starting_timestamp(context)] if self.selected else []
        starts += [child.not_before for child in self._fed]
        if not starts or None in starts:
            return None
        return min(t.cast("list[str]", starts))

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """The records; every ``page_size`` records, the derived streams emit their rows.

        The derived streams take their rows in :meth:`post_process` (before the parent
        record is written) and emit them after it was, so a page's child rows follow the
        page's records.

        Args:
            context: Stream partition or context dictionary.

        Yields:
            The records, as read.
        """
        self._fed = [
            child
            for child in self.child_streams
            if isinstance(child, RelationStream) and child.selected
        ]
        for child in self._fed:
            child.begin_run()
        self._own_start = super().starting_timestamp(context) if self.selected else None
        self._handed = 0
        for record in super().get_records(context):
            yield record
            if self._handed >= self.page_size:
                self._emit_derived()
        self._emit_derived(last=True)

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """Hand the record to the derived streams; keep it if this stream wants it.

        A record read only for a derived stream (this stream is deselected, or the record
        changed before its bookmark) is not emitted.

        Args:
            row: A record from the reader.
            context: Stream partition or context dictionary.

        Returns:
            The record, or None to skip it.
        """
        record = super().post_process(row, context)
        if record is None:
            return None
        for child in self._fed:
            child.take(record)
        self._handed += 1
        if not self.selected:
            return None
        own_start = self._own_start
        changed = record.get(t.cast("str", self.replication_key))
        if own_start is not None and changed is not None and changed < own_start:
            return None
        return record

    @override
    def generate_child_contexts(
        self, record: dict, context: Context | None
    ) -> Iterable[Context | None]:
        """No child context: the derived streams take records in :meth:`post_process`.

        Args:
            record: A record of this stream.
            context: Stream partition or context dictionary.

        Returns:
            Nothing: the SDK's sync of the children per parent record is not used.
        """
        return ()

    def _emit_derived(self, *, last: bool = False) -> None:
        """Let every fed derived stream emit the rows it took.

        Args:
            last: The sync's end: a stream that emitted nothing yet emits (its SCHEMA) too.
        """
        for child in self._fed:
            child.emit(force=last)
        self._handed = 0


class SalesStream(RelationParentStream):
    """Sales with their SaleLines and SalePayments, incremental on ``updatetime``.

    A sale's ``timeStamp`` is its completion time once it is completed and never moves again;
    ``updatetime`` moves on every change (void, archive, later edits), so the stream sorts and
    filters on it. A bookmark saved on ``timeStamp`` by an earlier version resumes on
    ``updatetime`` from the same value: safe, as every sale's ``updatetime`` is at or after
    its ``timeStamp``.

    The sales read also feed the derived streams ``sale_lines`` and ``sale_payments``
    (:class:`SaleRelationStream`), without a request of their own.
    """

    name = "sales"
    entity = "Sale"
    path = "/Sale.json"
    primary_keys = ("saleID",)
    replication_key = "updatetime"
    sort_field = "updatetime"
    legacy_replication_keys = ("timeStamp",)
    load_relations = ("SaleLines", "SalePayments")


class RelationStream(AccountStream):
    """One row per element of a relation of a parent stream's records (e.g. ``SaleLines``).

    The rows come from the records that the parent (a :class:`RelationParentStream`) reads
    (with its wire reader), not from an endpoint of their own: no request, no drip. Each row
    is the element as it sits in the parent record, with the parent's id and its change
    marker (:attr:`replication_key`, e.g. ``sale_updatetime``) added. The stream is
    incremental on that marker, with one bookmark (no partition per parent): a changed
    parent moves its marker, so the next run reads it again and re-emits all its rows. Rows
    arrive in the parent's sort order, so the bookmark is resumable like the parent's.

    The schema is the relation's item schema in the parent's schema file (one home for the
    field list), with the primary key first and not null, then the parent's id and marker.
    """

    parent_stream_type: type[RelationParentStream]
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    #: The relation of a parent record that the rows come from, e.g. ``"SaleLines"``.
    relation: t.ClassVar[str]

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Initialize the stream (same arguments as :class:`~singer_sdk.Stream`).

        Args:
            *args: Positional arguments for the SDK stream.
            **kwargs: Keyword arguments for the SDK stream.
        """
        super().__init__(*args, **kwargs)
        self._taken: list[dict[str, t.Any]] = []
        self._emitted = False
        #: This sync's resume point (set by :meth:`begin_run`): rows of parents changed
        #: before it are not taken.
        self.not_before: str | None = None

    @property
    def parent_key(self) -> str:
        """The parent's primary key, added to every row (e.g. ``saleID``)."""
        return self.parent_stream_type.primary_keys[0]

    @property
    def parent_marker(self) -> str:
        """The parent's change marker field (e.g. ``updatetime``)."""
        return t.cast("str", self.parent_stream_type.replication_key)

    @property
    @override
    def schema(self) -> dict:
        return relation_schema(
            self.parent_stream_type.name,
            self.relation,
            self.entity_keys[0],
            self.parent_key,
            (t.cast("str", self.replication_key), self.parent_marker),
        )

    @property
    @override
    def is_sorted(self) -> bool:
        """Rows come in their parent's change order (the parent stream's sort)."""
        return True

    def begin_run(self) -> None:
        """Fix this sync's resume point: the bookmark, else ``start_date`` (the SDK's rule)."""
        self.state_manager.write_starting_replication_value(
            context=None,
            replication_method=self.replication_method,
            replication_key=self.replication_key,
            config=dict(self.config),
            compare_start_date_fn=self.compare_start_date,
        )
        value = self.get_starting_replication_key_value(None)
        self.not_before = normalize_timestamp(value) if value else None
        self._taken = []
        self._emitted = False

    def take(self, parent: dict[str, t.Any]) -> None:
        """Keep the rows of a parent record, to emit with the next :meth:`emit`.

        A parent changed before the resume point (read for another stream with an older
        bookmark) gives no rows. An element without its id is left out, with a warning.

        Args:
            parent: A record as the parent stream read it.
        """
        changed = parent.get(self.parent_marker)
        if self.not_before is not None and changed is not None and changed < self.not_before:
            return
        rows = parent.get(self.relation)
        if not rows:
            return
        parent_id = parent.get(self.parent_key)
        key = self.entity_keys[0]
        marker = t.cast("str", self.replication_key)
        for row in rows:
            if row.get(key) is None:
                self.logger.warning(
                    "Stream '%s': %s %s has a %s element without %s; left out",
                    self.name,
                    self.parent_stream_type.entity,
                    parent_id,
                    self.relation,
                    key,
                )
                continue
            self._taken.append(
                self.stamp_account({**row, self.parent_key: parent_id, marker: changed})
            )

    def emit(self, *, force: bool = False) -> None:
        """Sync the rows taken since the last call (SCHEMA, RECORDs, STATE).

        Args:
            force: Sync even with no rows, when the stream has not synced in this run.
        """
        if self._taken or (force and not self._emitted):
            self._emitted = True
            self.sync()

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        rows, self._taken = self._taken, []
        return rows


class SaleRelationStream(RelationStream):
    """One row per element of a sale's relation (``SaleLines``, ``SalePayments``).

    Rows carry ``saleID`` and ``sale_updatetime`` (the sale's ``updatetime``): an edited
    sale moves its ``updatetime``, so the next run re-emits all its rows.
    """

    parent_stream_type = SalesStream
    replication_key = SALE_UPDATETIME


class SaleLinesStream(SaleRelationStream):
    """One row per sale line (``Sale.SaleLines``), with ``saleID`` and ``sale_updatetime``."""

    name = "sale_lines"
    relation = "SaleLines"
    primary_keys = ("saleLineID",)


class SalePaymentsStream(SaleRelationStream):
    """One row per sale payment (``Sale.SalePayments``), with ``saleID``, ``sale_updatetime``."""

    name = "sale_payments"
    relation = "SalePayments"
    primary_keys = ("salePaymentID",)


@cache
def relation_schema(
    parent: str, relation: str, key: str, parent_key: str, marker: tuple[str, str]
) -> dict[str, t.Any]:
    """The schema of a derived stream, built from its parent's schema file.

    Args:
        parent: The parent stream's name (its schema file), e.g. ``"sales"``.
        relation: The array property of the parent's schema, e.g. ``"SaleLines"``.
        key: The primary key among its item's properties.
        parent_key: The parent's primary key, e.g. ``"saleID"``.
        marker: The row's change-marker field and the parent's field it copies, e.g.
            ``("sale_updatetime", "updatetime")``.

    Returns:
        The item schema with ``account_id`` and ``key`` first (not null), then
        ``parent_key`` and the marker, then the other properties in their order.
    """
    parent_properties = SCHEMAS.get_schema(parent)["properties"]
    item = parent_properties[relation]["items"]["properties"]
    properties: dict[str, t.Any] = {
        ACCOUNT_ID: parent_properties[ACCOUNT_ID],
        key: {"type": ["integer"]},
        parent_key: parent_properties[parent_key],
        marker[0]: parent_properties[marker[1]],
    }
    properties.update((name, sub) for name, sub in item.items() if name not in properties)
    return {"type": "object", "properties": properties}


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


#: Field of every ``order_lines`` row: its purchase order's ``timeStamp``, the replication
#: key of that stream.
ORDER_TIMESTAMP = "order_timeStamp"
#: Field of every ``vendor_return_items`` row: its vendor return's ``timeStamp``.
VENDOR_RETURN_TIMESTAMP = "vendor_return_timeStamp"


class OrdersStream(RelationParentStream):
    """Purchase orders (``Order.json``) with their OrderLines, incremental on ``timeStamp``.

    ``OrderLines`` costs 0.4 drip more per page. The orders read also feed ``order_lines``
    (:class:`OrderLinesStream`) without a request of their own. Archived orders come too.
    """

    name = "orders"
    entity = "Order"
    path = "/Order.json"
    primary_keys = ("orderID",)
    load_relations = ("OrderLines",)


class OrderLinesStream(RelationStream):
    """One row per purchase-order line (``Order.OrderLines``).

    Rows carry ``orderID`` and ``order_timeStamp`` (the order's ``timeStamp``). The lines
    come with the orders page: a line edited without its order's ``timeStamp`` moving is
    picked up when the order next changes (a full resync, without state, reads every line).
    ``OrderLine.json`` would cost one more request per 100 lines.
    """

    name = "order_lines"
    parent_stream_type = OrdersStream
    replication_key = ORDER_TIMESTAMP
    relation = "OrderLines"
    primary_keys = ("orderLineID",)


class TransfersStream(LightspeedStream):
    """Inventory transfers between shops (``Inventory/Transfer.json``), on ``timeStamp``.

    Their ``TransferItems`` load only on a single transfer, so the items are a stream of
    their own (:class:`TransferItemsStream`) rather than one request per transfer.
    """

    name = "transfers"
    entity = "Transfer"
    path = "/Inventory/Transfer.json"
    primary_keys = ("transferID",)


class TransferItemsStream(LightspeedStream):
    """The lines of every transfer (``TransferItem.json``), incremental on ``timeStamp``.

    ``TransferItem.json`` is the only list of all transfer lines (the documentation calls it
    deprecated in favour of the per-transfer ``Inventory/Transfer/{id}/TransferItems``, which
    would cost a request per transfer). Transfer items are not archived.
    """

    name = "transfer_items"
    entity = "TransferItem"
    path = "/TransferItem.json"
    primary_keys = ("transferItemID",)
    include_archived = False


class InventoryCountsStream(LightspeedStream):
    """Physical inventory counts (``InventoryCount.json``): full table.

    The endpoint sorts by ``inventoryCountID`` only, so every sync reads the whole table
    (counts are few). Archived counts come too.
    """

    name = "inventory_counts"
    entity = "InventoryCount"
    path = "/InventoryCount.json"
    primary_keys = ("inventoryCountID",)
    replication_key = None
    sort_field = None


class InventoryCountItemsStream(LightspeedStream):
    """The amount counted per item and count (``InventoryCountItem.json``): full table.

    The endpoint sorts by ids only; its rows are not archived. Not selected by default: one
    row per item counted, for stock-audit reporting only.
    """

    selected_by_default = False
    name = "inventory_count_items"
    entity = "InventoryCountItem"
    path = "/InventoryCountItem.json"
    primary_keys = ("inventoryCountItemID",)
    replication_key = None
    sort_field = None
    include_archived = False


class VendorReturnsStream(RelationParentStream):
    """Returns to vendors (``VendorReturn.json``) with their items, on ``timeStamp``.

    ``VendorReturnItems`` (0.4 drip more per page) also feed ``vendor_return_items``
    (:class:`VendorReturnItemsStream`) without a request of their own.
    """

    name = "vendor_returns"
    entity = "VendorReturn"
    path = "/VendorReturn.json"
    primary_keys = ("vendorReturnID",)
    load_relations = ("VendorReturnItems",)


class VendorReturnItemsStream(RelationStream):
    """One row per vendor-return line, with ``vendorReturnID`` and ``vendor_return_timeStamp``."""

    name = "vendor_return_items"
    parent_stream_type = VendorReturnsStream
    replication_key = VENDOR_RETURN_TIMESTAMP
    relation = "VendorReturnItems"
    primary_keys = ("vendorReturnItemID",)


class WorkordersStream(LightspeedStream):
    """Service and repair work orders (``Workorder.json``), incremental on ``timeStamp``.

    Not selected by default: service tickets, not stock movement. Their lines and items
    (``WorkorderLines``, ``WorkorderItems``) are not loaded.
    """

    selected_by_default = False
    name = "workorders"
    entity = "Workorder"
    path = "/Workorder.json"
    primary_keys = ("workorderID",)


class SpecialOrdersStream(LightspeedStream):
    """Customer special orders (``SpecialOrder.json``), incremental on ``timeStamp``.

    Special orders have no ``archived`` field, so the parameter is not sent.
    """

    name = "special_orders"
    entity = "SpecialOrder"
    path = "/SpecialOrder.json"
    primary_keys = ("specialOrderID",)
    include_archived = False


class ReferenceStream(LightspeedStream):
    """A small reference table that sales, items and customers point at.

    Subclasses name the stream, the entity and the primary key. Where the entity's page lists
    ``timeStamp`` among its sortable fields the stream is incremental on it; otherwise
    (:attr:`full_table`) every sync reads the whole table, sorted by the primary key. Archived
    rows come too wherever the entity archives, so a warehouse tells a deleted record from
    a missing one. The path is ``/<entity>.json``.
    """

    #: No ``timeStamp`` sort on the endpoint: read the whole table, sorted by id, each sync.
    full_table: t.ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        """Derive the path, and for a full-table stream the sort and replication key.

        Args:
            **kwargs: Passed on to :class:`object`.
        """
        super().__init_subclass__(**kwargs)
        cls.path = f"/{cls.entity}.json"
        if cls.full_table:
            cls.replication_key = None  # type: ignore[assignment]
            cls.sort_field = cls.primary_keys[0]


def _reference_stream(
    name: str,
    entity: str,
    key: str,
    description: str,
    *,
    full_table: bool = False,
    archives: bool = True,
    relations: tuple[str, ...] = (),
) -> type[ReferenceStream]:
    """Declare one reference stream.

    Args:
        name: The stream name.
        entity: The entity (``/<entity>.json``).
        key: Its primary key.
        description: What the stream holds and how it replicates (the class docstring).
        full_table: The page lists no ``timeStamp`` sort: read the whole table each sync.
        archives: The entity archives (``archived=true`` is sent); False where it is deleted.
        relations: Relations to load.

    Returns:
        The stream class.
    """
    return type(
        f"{entity}Stream",
        (ReferenceStream,),
        {
            "__doc__": description,
            "__module__": __name__,
            "name": name,
            "entity": entity,
            "primary_keys": (key,),
            "full_table": full_table,
            "include_archived": archives,
            "load_relations": relations,
        },
    )


class CreditAccountsStream(ReferenceStream):
    """Store credit of customers and gift cards (``CreditAccount.json``), incremental.

    The list leaves gift cards out unless the query passes ``giftCard=true``, so each sync
    reads the endpoint twice, both times sorted by ``timeStamp`` from the bookmark: the plain
    list (customers' credit accounts), then ``giftCard=true`` (the gift cards). That is one
    more request (one drip) per sync. A row of the other kind in a pass is left out (one
    without the flag is store credit), so every account comes once however the API reads
    ``giftCard=true``. The two passes together are not in ``timeStamp`` order: the bookmark
    is the highest ``timeStamp`` seen (capped at the sync's start) and is saved when the sync
    completes. Gift card codes come masked unless the
    token has ``employee:customers_view_gift_card_numbers``. ``creditLimit`` is not in the
    page's field table but in every sample response.
    """

    name = "credit_accounts"
    entity = "CreditAccount"
    primary_keys = ("creditAccountID",)

    #: The passes of a sync: ``giftCard=true`` sent or not.
    GIFT_CARD_PASSES: t.ClassVar[tuple[bool, ...]] = (False, True)

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Initialize the stream (same arguments as :class:`LightspeedStream`).

        Args:
            *args: Positional arguments for the SDK stream.
            **kwargs: Keyword arguments for the SDK stream.
        """
        super().__init__(*args, **kwargs)
        self._gift_cards = False

    @property
    @override
    def is_sorted(self) -> bool:
        """False: each pass is sorted by ``timeStamp``, the two together are not."""
        return False

    @override
    def get_url_params(self, context: Context | None, next_page_token: str | None) -> dict:
        """Those of every list (see the base class), with ``giftCard=true`` for gift cards."""
        params = super().get_url_params(context, next_page_token)
        if self._gift_cards:
            params["giftCard"] = "true"
        return params

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """The store credit accounts, then the gift cards (see the class).

        Args:
            context: Stream partition or context dictionary.

        Yields:
            The records of each pass, of the pass's kind.
        """
        for gift_cards in self.GIFT_CARD_PASSES:
            self._gift_cards = gift_cards
            for record in super().get_records(context):
                # A row without the flag counts as store credit: it comes in the first pass.
                if (record.get("giftCard") is True) is gift_cards:
                    yield record


#: The small reference tables, in the order the docs list them.
REFERENCE_STREAM_TYPES: tuple[type[ReferenceStream], ...] = (
    _reference_stream(
        "shops", "Shop", "shopID", "Shops (sortable by shopID only): full table.", full_table=True
    ),
    _reference_stream(
        "registers",
        "Register",
        "registerID",
        "Registers, each in a shop (sortable by registerID only): full table.",
        full_table=True,
    ),
    _reference_stream("employees", "Employee", "employeeID", "Employees, incremental."),
    _reference_stream(
        "categories",
        "Category",
        "categoryID",
        "Item categories, a tree (parentID, nested-set leftNode/rightNode), incremental. "
        "A category is deleted rather than archived.",
        archives=False,
    ),
    _reference_stream(
        "manufacturers",
        "Manufacturer",
        "manufacturerID",
        "Manufacturers, incremental; they cannot be deleted nor archived.",
        archives=False,
    ),
    _reference_stream("vendors", "Vendor", "vendorID", "Vendors (suppliers), incremental."),
    _reference_stream(
        "payment_types",
        "PaymentType",
        "paymentTypeID",
        "Payment types (sortable by paymentTypeID only): full table.",
        full_table=True,
    ),
    _reference_stream(
        "tax_classes",
        "TaxClass",
        "taxClassID",
        "Tax classes of items, incremental; deleted, never archived.",
        archives=False,
    ),
    _reference_stream(
        "tax_categories",
        "TaxCategory",
        "taxCategoryID",
        "Sales taxes with their rates and, per tax class, the custom rate (TaxCategoryClasses; "
        "a class without one pays the category's rates). Incremental; deleted, never archived. "
        "The TaxCategoryClass page documents only timeStamp; the other element fields are "
        "those the API returns.",
        archives=False,
        relations=("TaxCategoryClasses",),
    ),
    _reference_stream(
        "customer_types",
        "CustomerType",
        "customerTypeID",
        "Customer types (sortable by customerTypeID only): full table; deleted, never archived.",
        full_table=True,
        archives=False,
    ),
    _reference_stream(
        "price_levels",
        "PriceLevel",
        "priceLevelID",
        "Price levels: full table by priceLevelID. The page's sortable fields say orderLineID "
        "and name: orderLineID is a typo for priceLevelID. Calculation is kept as it comes.",
        full_table=True,
    ),
    _reference_stream(
        "discounts",
        "Discount",
        "discountID",
        "Discounts (a percentage or an amount), incremental.",
    ),
    _reference_stream(
        "item_attribute_sets",
        "ItemAttributeSet",
        "itemAttributeSetID",
        "Item attribute sets (a matrix's kind: Color/Size...), sortable by id only: full table.",
        full_table=True,
    ),
    _reference_stream(
        "seasons",
        "Season",
        "seasonID",
        "Seasons (deprecated by Lightspeed, still served), sortable by id only: full table; "
        "deleted, never archived.",
        full_table=True,
        archives=False,
    ),
    _reference_stream(
        "item_matrices",
        "ItemMatrix",
        "itemMatrixID",
        "Item matrices (a product's variants, e.g. Color/Size; each matrix item carries its "
        "itemMatrixID), with their Prices, incremental. The page types itemAttributeSetID as a "
        "string; it is the id of an item attribute set, an integer. attribute1Values.. "
        "attribute3Values list the values of each attribute of the set (in the page's sample "
        "responses, not its field table; a set has up to three attributes).",
    ),
    CreditAccountsStream,
)

#: The streams read from an endpoint of their own.
STREAM_TYPES: tuple[type[LightspeedStream], ...] = (
    CustomersStream,
    ItemsStream,
    ImagesStream,
    SalesStream,
    ItemShopsStream,
    OrdersStream,
    TransfersStream,
    TransferItemsStream,
    InventoryCountsStream,
    InventoryCountItemsStream,
    VendorReturnsStream,
    WorkordersStream,
    SpecialOrdersStream,
    *REFERENCE_STREAM_TYPES,
)

#: The streams derived from another stream's records (no request of their own).
DERIVED_STREAM_TYPES: tuple[type[RelationStream], ...] = (
    SaleLinesStream,
    SalePaymentsStream,
    OrderLinesStream,
    VendorReturnItemsStream,
)


def stream_entity(stream_type: type[AccountStream]) -> str:
    """Return the entity a stream reads: its endpoint's, or its parent's for a derived stream.

    Args:
        stream_type: A class of :data:`STREAM_TYPES` or :data:`DERIVED_STREAM_TYPES`.

    Returns:
        The entity's API name (``Order`` for ``orders`` and ``order_lines``).
    """
    if issubclass(stream_type, RelationStream):
        return stream_type.parent_stream_type.entity
    return t.cast("type[LightspeedStream]", stream_type).entity


#: Stream name -> the scopes that let the tap read it (any one; ``employee:all`` last), from
#: :data:`lightspeed_client.scopes.ENTITY_SCOPES`.
READ_SCOPES: dict[str, tuple[str, ...]] = {
    stream_type.name: scopes_for(stream_entity(stream_type), write=False)
    for stream_type in (*STREAM_TYPES, *DERIVED_STREAM_TYPES)
}
