"""Purchasing and stock movement, read-only.

Purchase orders and their lines, transfers and their items, inventory counts and their
items, vendor returns, work orders, special orders.

The records come from :class:`lightspeed_sandbox.generate.StockMovements`. Sortable fields,
``archived`` and relations follow each entity's official page: ``InventoryCount`` sorts by
its id only, ``InventoryCountItem`` by ids only; ``Transfer`` is served at
``Inventory/Transfer`` (see the route table) and loads no relation in a list (its
``TransferItems`` come with a single transfer only, so lists of items come from
``TransferItem``); ``Order`` loads ``OrderLines`` and ``VendorReturn`` its
``VendorReturnItems``, at the usual relation cost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import generate as g
from ..store import EntitySpec, Table
from .base import Entity

if TYPE_CHECKING:
    from ..accounts import Account

#: Makes a record: (movements, id, relations) -> wire record.
Maker = Callable[[g.StockMovements, int, frozenset[str]], dict[str, Any]]


def _spec(
    name: str,
    pk: str,
    kind: int,
    fields: str,
    sorts: tuple[str, ...],
    *,
    archived: bool,
    relations: tuple[str, ...] = (),
) -> EntitySpec:
    """An entity's description; every sort is an integer (ids and ``timeStamp``)."""
    return EntitySpec(
        name,
        pk,
        kind,
        dict.fromkeys(relations, True),
        frozenset(relations),
        sorts,
        frozenset(fields.split()),
        archived,
        frozenset(sorts),
    )


def _entity(
    spec: EntitySpec,
    count: Callable[[g.StockMovements], int],
    make: Maker,
    timestamp: Callable[[g.StockMovements, int], int],
) -> Entity:
    """A read-only entity whose table is ``count`` generated records."""

    def make_table(account: Account) -> Table:
        movements = g.movements(account.gen)
        return Table(
            spec,
            count(movements),
            lambda rid, rels: make(movements, rid, rels),
            {},
            lambda rid: timestamp(movements, rid),
            lambda rid: spec.has_archived and movements.archived(spec.kind, rid),
        )

    return Entity(spec, make_table, record_relations=spec.stored)


def _own_time(kind: int) -> Callable[[g.StockMovements, int], int]:
    return lambda mv, rid: mv.timestamp(kind, rid)


ORDER = _entity(
    _spec(
        "Order",
        "orderID",
        g.K_ORDER,
        "orderID orderedDate receivedDate arrivalDate refNum shipCost otherCost complete "
        "archived discount totalDiscount totalQuantity timeStamp createTime vendorID noteID "
        "shopID createdByEmployeeID",
        ("orderID", "timeStamp"),
        archived=True,
        relations=("OrderLines",),
    ),
    lambda mv: mv.n_orders,
    lambda mv, rid, rels: mv.order(rid, rels),
    _own_time(g.K_ORDER),
)
ORDER_LINE = _entity(
    _spec(
        "OrderLine",
        "orderLineID",
        g.K_ORDER,
        "orderLineID quantity price originalPrice vendorCost checkedIn numReceived orderID "
        "itemID timeStamp total createTime",
        ("orderLineID", "timeStamp", "orderID"),
        archived=False,
    ),
    lambda mv: mv.order_lines.n,
    lambda mv, rid, _rels: mv.order_line(rid),
    lambda mv, rid: mv.timestamp(g.K_ORDER, mv.order_lines.parent(rid)[0]),
)
TRANSFER = _entity(
    _spec(
        "Transfer",
        "transferID",
        g.K_TRANSFER,
        "transferID note archived timeStamp createTime status sentOn needBy sendingShopID "
        "sentByEmployeeID receivingShopID createdByEmployeeID",
        ("transferID", "timeStamp"),
        archived=True,
    ),
    lambda mv: mv.n_transfers,
    lambda mv, rid, _rels: mv.transfer(rid),
    _own_time(g.K_TRANSFER),
)
TRANSFER_ITEM = _entity(
    _spec(
        "TransferItem",
        "transferItemID",
        g.K_TRANSFER,
        "transferItemID toSend toReceive sent received sentValue receivedValue comment "
        "timeStamp transferID itemID",
        ("transferItemID", "timeStamp", "transferID"),
        archived=False,
    ),
    lambda mv: mv.transfer_items.n,
    lambda mv, rid, _rels: mv.transfer_item(rid),
    lambda mv, rid: mv.timestamp(g.K_TRANSFER, mv.transfer_items.parent(rid)[0]),
)
INVENTORY_COUNT = _entity(
    _spec(
        "InventoryCount",
        "inventoryCountID",
        g.K_INVENTORY_COUNT,
        "inventoryCountID name timeStamp archived shopID",
        ("inventoryCountID",),
        archived=True,
    ),
    lambda mv: mv.n_counts,
    lambda mv, rid, _rels: mv.inventory_count(rid),
    _own_time(g.K_INVENTORY_COUNT),
)
INVENTORY_COUNT_ITEM = _entity(
    _spec(
        "InventoryCountItem",
        "inventoryCountItemID",
        g.K_INVENTORY_COUNT,
        "inventoryCountItemID qty timeStamp inventoryCountID itemID employeeID",
        ("inventoryCountItemID", "inventoryCountID", "itemID"),
        archived=False,
    ),
    lambda mv: mv.count_items.n,
    lambda mv, rid, _rels: mv.inventory_count_item(rid),
    lambda mv, rid: mv.count_item_timestamp(rid),
)
VENDOR_RETURN = _entity(
    _spec(
        "VendorReturn",
        "vendorReturnID",
        g.K_VENDOR_RETURN,
        "vendorReturnID vendorID shopID refNum status sentDate shipCost otherCost "
        "hideVendorDetails archived subtotal total timeStamp",
        ("vendorReturnID", "timeStamp"),
        archived=True,
        relations=("VendorReturnItems",),
    ),
    lambda mv: mv.n_vendor_returns,
    lambda mv, rid, rels: mv.vendor_return(rid, rels),
    _own_time(g.K_VENDOR_RETURN),
)
WORKORDER = _entity(
    _spec(
        "Workorder",
        "workorderID",
        g.K_WORKORDER,
        "workorderID timeIn etaOut note internalNote warranty tax archived hookIn hookOut "
        "saveParts assignEmployeeToAll timeStamp customerID discountID employeeID serializedID "
        "shopID saleID saleLineID workorderStatusID",
        ("workorderID", "timeStamp"),
        archived=True,
    ),
    lambda mv: mv.n_workorders,
    lambda mv, rid, _rels: mv.workorder(rid),
    _own_time(g.K_WORKORDER),
)
SPECIAL_ORDER = _entity(
    _spec(
        "SpecialOrder",
        "specialOrderID",
        g.K_SPECIAL_ORDER,
        "specialOrderID unitQuantity contacted completed timeStamp status customerID shopID "
        "saleLineID orderLineID transferItemID",
        ("specialOrderID", "timeStamp"),
        archived=False,
    ),
    lambda mv: mv.n_special_orders,
    lambda mv, rid, _rels: mv.special_order(rid),
    _own_time(g.K_SPECIAL_ORDER),
)

#: The entities of this module, for the registry.
STOCK_MOVEMENT_ENTITIES = (
    ORDER,
    ORDER_LINE,
    TRANSFER,
    TRANSFER_ITEM,
    INVENTORY_COUNT,
    INVENTORY_COUNT_ITEM,
    VENDOR_RETURN,
    WORKORDER,
    SPECIAL_ORDER,
)
