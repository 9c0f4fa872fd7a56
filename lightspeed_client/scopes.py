"""OAuth scopes: which scopes let a token read or write each Lightspeed entity.

The one home of that knowledge: the sandbox enforces it, the client names it in its 403
errors, the tap and the target say which stream or record needed it, and the docs' scope
tables are checked against it.

Sources, both official: the "Access Scopes" page (the scope values a client may request, each
with what it grants) and the "Scopes Required" table of each endpoint page
(``docs/endpoints/<entity>.md``). The table below reads them with these rules:

- **Read**: any scope the endpoint page lists, plus any scope whose Access Scopes description
  says it views the entity. The Item page, for instance, lists neither ``employee:inventory``
  nor ``employee:inventory_read``, whose descriptions ("View items and inventory") name items.
- Several pages list scopes that are not on the Access Scopes page, so no client can request
  them: ``employee:cfd`` (the customer-facing display) is left out; ``employee:inventory_base``
  is read as the two inventory scopes, ``employee:inventory`` and ``employee:inventory_read``.
- **Write** (POST, PUT, DELETE): the scopes whose Access Scopes description says they create,
  update or archive the entity. A ``_read`` scope never writes ("Scopes with the ``_read``
  suffix only give read access"), nor does a view-only one (``employee:reports``,
  ``employee:vendor_returns``).
- ``employee:all`` grants everything the authorizing employee may do. ``employee:admin``
  ("administrative records") covers what the ``employee:admin_*`` scopes cover, and the other
  records kept under the Admin menu (categories: "Admin → Inventory → Categories").
- Where a page is silent and no description names the entity, the entry says what was chosen.

A token that lacks the scope gets ``403 Forbidden`` ("the authentication token was accepted,
but does not include the necessary access scopes", official Errors page).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: Grants everything (Access Scopes page).
ALL = "employee:all"

#: The scope values a client may request: the Access Scopes page's list, in its order.
REQUESTABLE_SCOPES: tuple[str, ...] = (
    ALL,
    "employee:admin",
    "employee:admin_employees",
    "employee:admin_inventory",
    "employee:admin_purchases",
    "employee:admin_shops",
    "employee:admin_void_sale",
    "employee:categories",
    "employee:customers",
    "employee:customers_read",
    "employee:customers_view_gift_card_numbers",
    "employee:inventory",
    "employee:inventory_counts",
    "employee:inventory_counts_reconcile",
    "employee:inventory_read",
    "employee:manufacturers",
    "employee:product_cost",
    "employee:product_edit",
    "employee:purchase_orders",
    "employee:register",
    "employee:register_layaway",
    "employee:register_read",
    "employee:register_refund",
    "employee:reports",
    "employee:special_orders",
    "employee:tags",
    "employee:transfers",
    "employee:vendors",
    "employee:vendor_returns",
    "employee:workbench",
)

#: What ``employee:inventory_base`` (named by endpoint pages, not requestable) is read as.
_INVENTORY = ("employee:inventory", "employee:inventory_read")
#: The list the Customer, Image, Shop, Register and PaymentType pages give (``employee:cfd``
#: left out, ``employee:inventory_base`` read as :data:`_INVENTORY`).
_ANY_AREA = (
    "employee:register",
    *_INVENTORY,
    "employee:reports",
    "employee:workbench",
    "employee:customers",
    "employee:admin",
)
_REGISTER = ("employee:register",)
_ADMIN_PURCHASES = ("employee:admin_purchases", "employee:admin")


@dataclass(frozen=True)
class EntityScopes:
    """The scopes that let a token read or write one entity (any one of them suffices).

    Attributes:
        read: Scopes that allow GET (``employee:all`` aside).
        write: Scopes that allow POST, PUT and DELETE (``employee:all`` aside).
        source: Where the entry comes from: the pages, and any choice made.
    """

    read: tuple[str, ...]
    write: tuple[str, ...]
    source: str


#: Every entity the tap reads, the target writes or the sandbox serves, by its API name.
ENTITY_SCOPES: Mapping[str, EntityScopes] = {
    "Customer": EntityScopes(
        read=(*_ANY_AREA, "employee:customers_read"),
        write=("employee:customers",),
        source="Customer page; Access Scopes: customers, customers_read",
    ),
    "CustomerType": EntityScopes(
        read=("employee:customers",),
        write=("employee:customers",),
        source="CustomerType page (it lists `customers`, without the prefix)",
    ),
    "CreditAccount": EntityScopes(
        read=("employee:customers",),
        write=("employee:customers",),
        source="CreditAccount page (customers_view_gift_card_numbers only unmasks codes)",
    ),
    "Item": EntityScopes(
        read=(
            "employee:register",
            "employee:product_cost",
            "employee:reports",
            "employee:workbench",
            "employee:customers",
            "employee:admin",
            *_INVENTORY,
        ),
        write=("employee:inventory", "employee:product_edit"),
        source="Item page; Access Scopes: inventory, inventory_read, product_edit (items)",
    ),
    "ItemShop": EntityScopes(
        read=(*_INVENTORY, "employee:product_cost"),
        write=("employee:inventory",),
        source="ItemShop page",
    ),
    "ItemMatrix": EntityScopes(
        read=("employee:product_cost", *_INVENTORY),
        write=("employee:inventory", "employee:product_edit"),
        source="ItemMatrix page (product_cost); Access Scopes: the item scopes (a matrix "
        "groups items)",
    ),
    "ItemAttributeSet": EntityScopes(
        read=_INVENTORY,
        write=("employee:inventory",),
        source="ItemAttributeSet page (inventory_base)",
    ),
    "Image": EntityScopes(
        read=_ANY_AREA,
        write=("employee:inventory",),
        source="Image and Item Image pages; writes: Access Scopes' inventory (items)",
    ),
    "PriceLevel": EntityScopes(
        read=_INVENTORY,
        write=("employee:inventory",),
        source="PriceLevel page silent, Access Scopes too: chosen the item scopes (price "
        "levels price items)",
    ),
    "Season": EntityScopes(
        read=_INVENTORY,
        write=("employee:inventory",),
        source="Season page silent, Access Scopes too: chosen the item scopes (seasons "
        "organize items)",
    ),
    "Category": EntityScopes(
        read=("employee:categories", "employee:admin"),
        write=("employee:categories", "employee:admin"),
        source="Category page silent: Access Scopes' categories, and admin (Admin menu)",
    ),
    "Manufacturer": EntityScopes(
        read=("employee:manufacturers", "employee:admin_inventory", "employee:admin"),
        write=("employee:manufacturers", "employee:admin_inventory", "employee:admin"),
        source="Manufacturer page silent: Access Scopes' manufacturers, admin_inventory",
    ),
    "Vendor": EntityScopes(
        read=("employee:vendors", "employee:admin_inventory", "employee:admin"),
        write=("employee:vendors", "employee:admin_inventory", "employee:admin"),
        source="Vendor page silent: Access Scopes' vendors, admin_inventory",
    ),
    "Employee": EntityScopes(
        read=("employee:admin_employees", "employee:admin"),
        write=("employee:admin_employees", "employee:admin"),
        source="Employee page silent: Access Scopes' admin_employees",
    ),
    "Shop": EntityScopes(
        read=(*_ANY_AREA, "employee:admin_shops"),
        write=("employee:admin_shops", "employee:admin"),
        source="Shop page; Access Scopes: admin_shops",
    ),
    "Register": EntityScopes(
        read=_ANY_AREA,
        write=("employee:admin_shops", "employee:admin"),
        source="Register page; writes: admin_shops (registers are edited in a shop's admin)",
    ),
    "PaymentType": EntityScopes(
        read=(*_ANY_AREA, "employee:admin_purchases"),
        write=_ADMIN_PURCHASES,
        source="PaymentType page; Access Scopes: admin_purchases",
    ),
    "Discount": EntityScopes(
        read=_ADMIN_PURCHASES,
        write=_ADMIN_PURCHASES,
        source="Discount page silent: Access Scopes' admin_purchases",
    ),
    "TaxClass": EntityScopes(
        read=_ADMIN_PURCHASES,
        write=_ADMIN_PURCHASES,
        source="TaxClass page silent: Access Scopes' admin_purchases (taxes)",
    ),
    "TaxCategory": EntityScopes(
        read=_ADMIN_PURCHASES,
        write=_ADMIN_PURCHASES,
        source="TaxCategory page silent: Access Scopes' admin_purchases (taxes)",
    ),
    "Sale": EntityScopes(
        read=(*_REGISTER, "employee:register_read"),
        write=_REGISTER,
        source="Sale page; Access Scopes: register_read (sales history)",
    ),
    "SaleLine": EntityScopes(
        read=(*_REGISTER, "employee:register_read"),
        write=_REGISTER,
        source="Sale SaleLine page; Access Scopes: register_read (sales history)",
    ),
    "Order": EntityScopes(
        read=("employee:purchase_orders",),
        write=("employee:purchase_orders",),
        source="Order page",
    ),
    "OrderLine": EntityScopes(
        read=("employee:purchase_orders",),
        write=("employee:purchase_orders",),
        source="OrderLine page",
    ),
    "Transfer": EntityScopes(
        read=("employee:transfers",),
        write=("employee:transfers",),
        source="Transfer and Inventory Transfer pages",
    ),
    "TransferItem": EntityScopes(
        read=("employee:transfers",),
        write=("employee:transfers",),
        source="TransferItem page",
    ),
    "InventoryCount": EntityScopes(
        read=("employee:inventory_counts",),
        write=("employee:inventory_counts",),
        source="InventoryCount page",
    ),
    "InventoryCountItem": EntityScopes(
        read=("employee:inventory_counts",),
        write=("employee:inventory_counts",),
        source="InventoryCountItem page",
    ),
    "VendorReturn": EntityScopes(
        read=("employee:vendor_returns",),
        write=(),
        source="VendorReturn page; vendor_returns only views (Access Scopes)",
    ),
    "Workorder": EntityScopes(
        read=("employee:workbench",),
        write=("employee:workbench",),
        source="Workorder page",
    ),
    "SpecialOrder": EntityScopes(
        read=("employee:special_orders",),
        write=("employee:special_orders",),
        source="SpecialOrder page",
    ),
}

#: ``/API/V3/Account/{id}/`` (or V2's ``/API/Account/{id}/``), then the resource path.
_RESOURCE_PATH = re.compile(r"^/API/(?:V\d+/)?Account/[^/]+/(?P<rest>[^?#]+?)(?:\.json)?$")


def scopes_for(entity: str, *, write: bool) -> tuple[str, ...]:
    """Return the scopes that allow reading (or writing) an entity, ``employee:all`` last.

    Args:
        entity: The entity's API name (``Order``).
        write: True for POST, PUT and DELETE; False for GET.

    Returns:
        The scopes, any one of which suffices. For an entity the table does not know, only
        ``employee:all``.
    """
    entry = ENTITY_SCOPES.get(entity)
    if entry is None:
        return (ALL,)
    return (*(entry.write if write else entry.read), ALL)


def token_allows(granted: Iterable[str], entity: str, *, write: bool) -> bool:
    """Tell whether a token with these scopes may read (or write) an entity.

    Args:
        granted: The token's scopes.
        entity: The entity's API name.
        write: True for POST, PUT and DELETE; False for GET.

    Returns:
        True when one of the token's scopes is among :func:`scopes_for`'s.
    """
    return not set(granted).isdisjoint(scopes_for(entity, write=write))


def entity_of_path(path: str) -> str | None:
    """Return the entity an API path reads or writes (its innermost known resource).

    ``/API/V3/Account/1/Order.json`` is ``Order``, ``.../Inventory/Transfer/4.json``
    ``Transfer``, ``.../Sale/7/SaleLine.json`` ``SaleLine`` and ``.../Item/3/Image.json``
    ``Image``.

    Args:
        path: A URL path (no query string).

    Returns:
        The entity, or None for a path outside an account's resources (``Account.json``) or
        naming none the table knows.
    """
    match = _RESOURCE_PATH.match(path)
    if match is None:
        return None
    known = [part for part in match.group("rest").split("/") if part in ENTITY_SCOPES]
    return known[-1] if known else None


def describe_needed(entity: str | None, *, write: bool) -> str:
    """Say which scopes a request needs, for an error message.

    Args:
        entity: The entity (None when the path names none).
        write: True for POST, PUT and DELETE.

    Returns:
        A sentence such as ``reading Order needs one of the scopes employee:purchase_orders,
        employee:all``.
    """
    if entity is None:
        return f"only {ALL} is known to allow this path (it names no entity of the table)"
    verb = "writing" if write else "reading"
    return f"{verb} {entity} needs one of the scopes {', '.join(scopes_for(entity, write=write))}"
