"""Stream classes of tap-lightspeed."""

from __future__ import annotations

import sys
import typing as t
from functools import cache

from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel

from lightspeed_client.wire import normalize_timestamp
from tap_lightspeed.client import SCHEMAS, LightspeedStream

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

    The sales read also feed the derived streams ``sale_lines`` and ``sale_payments``
    (:class:`SaleRelationStream`), without a request of their own: the stream reads from the
    earliest bookmark of the selected streams among the three (and runs for the derived ones
    when ``sales`` itself is deselected).
    """

    name = "sales"
    entity = "Sale"
    path = "/Sale.json"
    primary_keys = ("saleID",)
    replication_key = "updatetime"
    sort_field = "updatetime"
    legacy_replication_keys = ("timeStamp",)
    load_relations = ("SaleLines", "SalePayments")

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Initialize the stream (same arguments as :class:`LightspeedStream`).

        Args:
            *args: Positional arguments for the SDK stream.
            **kwargs: Keyword arguments for the SDK stream.
        """
        super().__init__(*args, **kwargs)
        #: The selected derived streams of this sync.
        self._fed: list[SaleRelationStream] = []
        #: Sales handed to them since they last emitted.
        self._handed = 0
        #: Where ``sales`` itself resumes in this sync (its own bookmark or start_date).
        self._own_start: str | None = None

    @override
    def starting_timestamp(self, context: Context | None) -> str | None:
        """The earliest resume point of ``sales`` (when selected) and the fed derived streams.

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
        """The sales; every ``page_size`` sales, the derived streams emit their rows.

        The derived streams take their rows in :meth:`post_process` (before the sale is
        written) and emit them after it was, so a page's lines and payments follow the
        page's sales.

        Args:
            context: Stream partition or context dictionary.

        Yields:
            The sales, as read.
        """
        self._fed = [
            child
            for child in self.child_streams
            if isinstance(child, SaleRelationStream) and child.selected
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
        """Hand the sale to the derived streams; keep it if ``sales`` wants it.

        A sale read only for a derived stream (``sales`` is deselected, or the sale changed
        before the sales bookmark) is not emitted as a sale.

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
        updated = record.get("updatetime")
        if own_start is not None and updated is not None and updated < own_start:
            return None
        return record

    @override
    def generate_child_contexts(
        self, record: dict, context: Context | None
    ) -> Iterable[Context | None]:
        """No child context: the derived streams take sales in :meth:`post_process`.

        Args:
            record: A sale.
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


class SaleRelationStream(Stream):
    """One row per element of a sale's relation (``SaleLines``, ``SalePayments``).

    The rows come from the sales that :class:`SalesStream` reads (with its wire reader), not
    from an endpoint of their own: no request, no drip. Each row is the element as it sits
    in the sale record, with ``saleID`` and ``sale_updatetime`` (the sale's ``updatetime``)
    added. The stream is incremental on ``sale_updatetime``, with one bookmark (no partition
    per sale): an edited sale moves its ``updatetime``, so the next run reads it again and
    re-emits all its rows. Rows arrive in ``sale_updatetime`` order, so the bookmark is
    resumable like the sales one.

    The schema is the relation's item schema in ``sales.json`` (one home for the field
    list), with the primary key first and not null, then ``saleID`` and ``sale_updatetime``.
    """

    parent_stream_type = SalesStream
    replication_key = SALE_UPDATETIME
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    #: The relation of a sale record that the rows come from, e.g. ``"SaleLines"``.
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
        #: This sync's resume point (set by :meth:`begin_run`): rows of sales changed
        #: before it are not taken.
        self.not_before: str | None = None

    @property
    @override
    def schema(self) -> dict:
        return relation_schema(self.relation, self.primary_keys[0])

    @property
    @override
    def is_sorted(self) -> bool:
        """Rows come in their sale's ``updatetime`` order (the sales stream's sort)."""
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

    def take(self, sale: dict[str, t.Any]) -> None:
        """Keep the rows of a sale, to emit with the next :meth:`emit`.

        A sale changed before the resume point (read for another stream with an older
        bookmark) gives no rows. An element without its id is left out, with a warning.

        Args:
            sale: A sale record as the sales stream read it.
        """
        updated = sale.get("updatetime")
        if self.not_before is not None and updated is not None and updated < self.not_before:
            return
        rows = sale.get(self.relation)
        if not rows:
            return
        sale_id = sale.get("saleID")
        key = self.primary_keys[0]
        for row in rows:
            if row.get(key) is None:
                self.logger.warning(
                    "Stream '%s': sale %s has a %s element without %s; left out",
                    self.name,
                    sale_id,
                    self.relation,
                    key,
                )
                continue
            self._taken.append({**row, "saleID": sale_id, SALE_UPDATETIME: updated})

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
def relation_schema(relation: str, key: str) -> dict[str, t.Any]:
    """The schema of a derived sale stream, built from ``sales.json``.

    Args:
        relation: The array property of the sales schema, e.g. ``"SaleLines"``.
        key: The primary key among its item's properties.

    Returns:
        The item schema with ``key`` first (not null), then ``saleID`` and
        ``sale_updatetime``, then the other properties in their order.
    """
    sales = SCHEMAS.get_schema("sales")["properties"]
    item = sales[relation]["items"]["properties"]
    properties: dict[str, t.Any] = {
        key: {"type": ["integer"]},
        "saleID": sales["saleID"],
        SALE_UPDATETIME: sales["updatetime"],
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
)

#: The streams read from an endpoint of their own.
STREAM_TYPES: tuple[type[LightspeedStream], ...] = (
    CustomersStream,
    ItemsStream,
    ImagesStream,
    SalesStream,
    ItemShopsStream,
    *REFERENCE_STREAM_TYPES,
)

#: The streams derived from another stream's records (no request of their own).
DERIVED_STREAM_TYPES: tuple[type[SaleRelationStream], ...] = (
    SaleLinesStream,
    SalePaymentsStream,
)
