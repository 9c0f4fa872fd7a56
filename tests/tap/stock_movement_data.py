"""Purchasing and stock-movement records in wire form, after the official pages' samples.

Each entity's template is its documented sample response; a record is the template with
its id, ``timeStamp`` (seconds after :data:`tests.tap.wire_data.BASE`), archived flag and
children set. Parent 1 of each family has no children (``""``), parent 2 one (an object).
"""

from __future__ import annotations

from typing import Any

from tests.tap.wire_data import ts, wrap

ORDER = {
    "orderedDate": "2021-08-29T07:00:00+00:00",
    "receivedDate": "2021-08-29T07:00:00+00:00",
    "shipInstructions": "",
    "stockInstructions": "",
    "shipCost": "9.56",
    "shipVendorCost": "8.12",
    "otherCost": "0",
    "otherVendorCost": "0",
    "complete": "true",
    "archived": "false",
    "discount": "0",
    "totalDiscount": "0",
    "totalQuantity": "2",
    "subTotalCost": "5",
    "totalCost": "6.5",
    "refNum": "",
    "createTime": "2021-10-17T13:47:52+00:00",
    "vendorCurrencyRate": "1.5",
    "vendorCurrencyCode": "USD",
    "shippingCostMethod": "evenly",
    "hasShipments": "true",
    "discountMethod": "proportionally",
    "discountMoneyValue": "6.12",
    "discountMoneyVendorValue": "4.56",
    "discountIsPercent": "false",
    "discountPercentValue": "0",
    "costsModifiedAfterShipment": "false",
    "b2bOrderUID": "12345",
    "b2bOrderNumber": "abcde",
    "vendorID": "62",
    "noteID": "11",
    "shopID": "2",
    "createdByEmployeeID": "1",
}
ORDER_LINE = {
    "quantity": "1",
    "price": "20.12",
    "originalPrice": "20.12",
    "vendorCost": "15.12",
    "checkedIn": "0",
    "numReceived": "0",
    "total": "20.12",
    "createTime": "2022-09-07T19:29:19+00:00",
    "shippingCost": "3.12",
    "shippingVendorCost": "2.12",
    "discountMoneyValue": "2.34",
    "discountMoneyVendorValue": "1.23",
    "discountPercentValue": "0",
    "itemID": "89",
}
TRANSFER = {
    "note": "Transfer note",
    "archived": "false",
    "createTime": "2021-01-29T21:19:43+00:00",
    "status": "open",
    "sentOn": "2021-01-29T21:19:43+00:00",
    "needBy": "2021-01-29T21:19:43+00:00",
    "sendingShopID": "1",
    "sentByEmployeeID": "0",
    "receivingShopID": "2",
    "createdByEmployeeID": "1",
}
TRANSFER_ITEM = {
    "toSend": "1",
    "toReceive": "0",
    "sent": "0",
    "received": "10",
    "sentValue": "0",
    "receivedValue": "3000",
    "comment": "",
    "transferID": "1",
    "itemID": "5",
}
INVENTORY_COUNT = {"name": "Test", "archived": "false", "shopID": "2"}
INVENTORY_COUNT_ITEM = {"qty": "150", "inventoryCountID": "1", "itemID": "22", "employeeID": "1"}
VENDOR_RETURN = {
    "vendorID": "2",
    "shopID": "1",
    "refNum": "4524324324324",
    "status": "sent",
    "archived": "false",
    "sentDate": "2025-12-18T08:00:00+00:00",
    "shipCost": "0",
    "otherCost": "0",
    "subtotal": "0",
    "total": "0",
    "hideVendorDetails": "false",
}
VENDOR_RETURN_ITEM = {
    "itemID": "262",
    "orderID": "0",
    "quantity": "10",
    "cost": "0",
    "subtotal": "0",
    "inventoryInStock": "8788",
    "vendorReturnItemReasonID": "2",
}
WORKORDER = {
    "systemSku": "250000000001",
    "timeIn": "2021-10-25T15:11:28+00:00",
    "etaOut": "2021-10-25T15:11:28+00:00",
    "note": "",
    "internalNote": "",
    "warranty": "true",
    "tax": "false",
    "archived": "false",
    "hookIn": "",
    "hookOut": "",
    "saveParts": "true",
    "assignEmployeeToAll": "false",
    "customerID": "2",
    "discountID": "0",
    "employeeID": "4",
    "serializedID": "1",
    "shopID": "1",
    "saleID": "110",
    "saleLineID": "85",
    "workorderStatusID": "5",
}
SPECIAL_ORDER = {
    "unitQuantity": "1",
    "contacted": "false",
    "completed": "true",
    "status": "Ready For Pickup",
    "customerID": "8",
    "shopID": "1",
    "saleLineID": "142",
    "orderLineID": "0",
    "transferItemID": "0",
}

#: Wire entity -> (primary key, template, archivable).
TEMPLATES: dict[str, tuple[str, dict[str, str], bool]] = {
    "Order": ("orderID", ORDER, True),
    "Transfer": ("transferID", TRANSFER, True),
    "TransferItem": ("transferItemID", TRANSFER_ITEM, False),
    "InventoryCount": ("inventoryCountID", INVENTORY_COUNT, True),
    "InventoryCountItem": ("inventoryCountItemID", INVENTORY_COUNT_ITEM, False),
    "VendorReturn": ("vendorReturnID", VENDOR_RETURN, True),
    "Workorder": ("workorderID", WORKORDER, True),
    "SpecialOrder": ("specialOrderID", SPECIAL_ORDER, False),
}
#: Parent entity -> (relation, element key, element id field, element template, parent key).
CHILDREN: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "Order": ("OrderLines", "OrderLine", "orderLineID", ORDER_LINE),
    "VendorReturn": (
        "VendorReturnItems",
        "VendorReturnItem",
        "vendorReturnItemID",
        VENDOR_RETURN_ITEM,
    ),
}


def record(entity: str, i: int, second: int, *, children: int = 0, archived: bool = False) -> dict:
    """A record of ``entity`` with id ``i``, changed ``second`` seconds after BASE.

    Args:
        entity: The wire entity, e.g. ``"Order"``.
        i: Its id.
        second: Its ``timeStamp``, in seconds after BASE.
        children: Elements of its relation (Order and VendorReturn only), ids ``i*100+k``.
        archived: Whether it is archived (entities that can be).

    Returns:
        The record in wire form.
    """
    key, template, archivable = TEMPLATES[entity]
    out: dict[str, Any] = {key: str(i), **template, "timeStamp": ts(second)}
    if archivable:
        out["archived"] = "true" if archived else "false"
    if entity in CHILDREN:
        relation, element, element_key, element_template = CHILDREN[entity]
        elements = [
            {
                element_key: str(i * 100 + k),
                **element_template,
                key: str(i),
                "timeStamp": ts(second),
            }
            for k in range(children)
        ]
        out[relation] = wrap(elements, element)
    return out


def stock_movement_dataset() -> dict[str, list[dict]]:
    """Five records per entity: ids 1-5, pairs sharing a second, the third archived where the
    entity can be; parents 1..5 have 0, 1, 3, 2, 1 children.
    """
    seconds = (0, 10, 10, 20, 30)
    children = (0, 1, 3, 2, 1)
    return {
        entity: [
            record(entity, i, seconds[i - 1], children=children[i - 1], archived=i == 3)
            for i in range(1, 6)
        ]
        for entity in TEMPLATES
    }
