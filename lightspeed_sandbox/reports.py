"""Reports computed from the sandbox's own records, to check a warehouse's reports against.

The demo prints, and the end-to-end test checks, revenue and units by shop and category; the
warehouse computes them in SQL (``scripts/warehouse_report.py``), this module from the store.

* **Sales counted**: completed, not voided, not archived. Archiving is Lightspeed's delete (the
  API's DELETE archives a sale): a deleted sale is no revenue.
* **Revenue** of a line: ``calcTotal - calcTax1 - calcTax2``, the line's amount after its
  line and transaction discounts and before tax (the official SaleLine page: ``calcTotal`` is
  the line's total, ``calcSubtotal`` is ``unitQuantity * unitPrice`` before any discount).
  Refund lines (negative ``unitQuantity``) count negative.
* **Units**: the sum of ``unitQuantity``.
* **Shop**: the sale's ``shopID``; **category**: the line's item's ``categoryID``, named by the
  category's ``fullPathName`` (names repeat across branches of the category tree). A line
  without an item, an item without a category, a sale without a shop fall under ``NO_ITEM``,
  ``NO_CATEGORY``, ``NO_SHOP``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .wire import as_bool, unwrap

#: The category of a line whose item is unknown (or a miscellaneous line: itemID 0).
NO_ITEM = "(no item)"
#: The category of an item without a category.
NO_CATEGORY = "(no category)"
#: The shop of a sale without a shop.
NO_SHOP = "(no shop)"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class SalesTotal:
    """Units and revenue (rounded to the cent) of one shop and category."""

    units: int
    revenue: Decimal


def relation_rows(records: list[dict[str, Any]], relation: str) -> list[dict[str, Any]]:
    """Return the elements of a relation of records (e.g. every ``SaleLines`` of the sales).

    These are the rows of the tap's derived stream of that relation (``sale_lines``...).

    Args:
        records: Parent records in wire form.
        relation: The relation, named as the records name it (plural: ``"SaleLines"``); its
            elements are wrapped in the singular (``{"SaleLine": [...]}``).
    """
    element = relation.removesuffix("s")
    return [row for record in records for row in unwrap(record.get(relation), element)]


def _amount(line: dict[str, Any], field: str) -> Decimal:
    value = line.get(field)
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def line_revenue(line: dict[str, Any]) -> Decimal:
    """Return a sale line's revenue: ``calcTotal - calcTax1 - calcTax2`` (exact)."""
    return _amount(line, "calcTotal") - _amount(line, "calcTax1") - _amount(line, "calcTax2")


def counted(sale: dict[str, Any]) -> bool:
    """Return whether a sale counts in the sales report: completed, not voided, not archived."""
    return (
        as_bool(sale.get("completed", False))
        and not as_bool(sale.get("voided", False))
        and not as_bool(sale.get("archived", False))
    )


def sales_by_shop_and_category(
    records: Callable[[str], list[dict[str, Any]]],
) -> dict[tuple[str, str], SalesTotal]:
    """Return units and revenue by (shop name, category name) of the counted sales.

    Args:
        records: The store's records of an entity in wire form, e.g.
            ``lambda entity: sandbox.records(account_id, entity)`` or the ``records`` of
            ``GET /_admin/records/{account}/{entity}``.

    Returns:
        ``{(shop, category): SalesTotal}``, one entry per pair with at least one line.
    """
    shops = {str(r["shopID"]): r.get("name") or NO_SHOP for r in records("Shop")}
    categories = {
        str(r["categoryID"]): r.get("fullPathName") or r.get("name") or NO_CATEGORY
        for r in records("Category")
    }
    item_category = {
        str(r["itemID"]): categories.get(str(r.get("categoryID") or "0"), NO_CATEGORY)
        for r in records("Item")
    }
    units: dict[tuple[str, str], int] = {}
    revenue: dict[tuple[str, str], Decimal] = {}
    for sale in records("Sale"):
        if not counted(sale):
            continue
        shop = shops.get(str(sale.get("shopID") or "0"), NO_SHOP)
        for line in relation_rows([sale], "SaleLines"):
            key = (shop, item_category.get(str(line.get("itemID") or "0"), NO_ITEM))
            units[key] = units.get(key, 0) + int(Decimal(str(line.get("unitQuantity") or 0)))
            revenue[key] = revenue.get(key, Decimal(0)) + line_revenue(line)
    return {
        key: SalesTotal(units[key], revenue[key].quantize(CENT, rounding=ROUND_HALF_UP))
        for key in sorted(units)
    }
