"""The generated store holds together: every foreign key points at a row the store serves.

Sales, their lines and payments, items and customers point at shops, registers, employees,
categories, manufacturers, vendors, payment types...: each non-zero id must be a row of that
entity's table (which the reference endpoints serve), in every account.
"""

from __future__ import annotations

from typing import Any

import pytest

from lightspeed_sandbox import Sandbox, SandboxConfig
from lightspeed_sandbox.entities import ENTITIES

#: (entity, where in the record: the field or "<relation>.<element key>.<field>") -> target.
FOREIGN_KEYS: dict[tuple[str, str], str] = {
    ("Sale", "shopID"): "Shop",
    ("Sale", "registerID"): "Register",
    ("Sale", "employeeID"): "Employee",
    ("Sale", "tipEmployeeID"): "Employee",
    ("Sale", "customerID"): "Customer",
    ("Sale", "SaleLines.SaleLine.itemID"): "Item",
    ("Sale", "SaleLines.SaleLine.shopID"): "Shop",
    ("Sale", "SaleLines.SaleLine.employeeID"): "Employee",
    ("Sale", "SalePayments.SalePayment.paymentTypeID"): "PaymentType",
    ("Sale", "SalePayments.SalePayment.registerID"): "Register",
    ("Sale", "SalePayments.SalePayment.employeeID"): "Employee",
    ("Item", "categoryID"): "Category",
    ("Item", "manufacturerID"): "Manufacturer",
    ("Item", "defaultVendorID"): "Vendor",
    ("Item", "ItemVendorNums.ItemVendorNum.vendorID"): "Vendor",
    ("Customer", "employeeID"): "Employee",
    ("Register", "shopID"): "Shop",
    ("Register", "openEmployeeID"): "Employee",
    ("Employee", "lastShopID"): "Shop",
    ("Employee", "limitToShopID"): "Shop",
    ("Employee", "lastRegisterID"): "Register",
    ("Category", "parentID"): "Category",
    ("PaymentType", "refundAsPaymentTypeID"): "PaymentType",
    ("Shop", "priceLevelID"): "PriceLevel",
    ("Shop", "taxCategoryID"): "TaxCategory",
    ("Sale", "taxCategoryID"): "TaxCategory",
    ("Item", "taxClassID"): "TaxClass",
    ("Item", "seasonID"): "Season",
    ("Customer", "customerTypeID"): "CustomerType",
    ("Customer", "taxCategoryID"): "TaxCategory",
    ("CustomerType", "taxCategoryID"): "TaxCategory",
    ("CustomerType", "discountID"): "Discount",
    ("Customer", "discountID"): "Discount",
    ("Sale", "discountID"): "Discount",
    ("Sale", "SaleLines.SaleLine.discountID"): "Discount",
    ("TaxCategory", "TaxCategoryClasses.TaxCategoryClass.taxClassID"): "TaxClass",
}


@pytest.fixture(scope="module")
def store() -> Sandbox:
    """A generated store of three accounts (not listening: its tables are read directly)."""
    sb = Sandbox(SandboxConfig(seed=11, accounts=3, customers=60, items=60, sales=80, shops=3))
    return sb


def _elements(value: Any, key: str) -> list[dict[str, Any]]:
    """The elements of a wire collection (``""``, ``{key: {...}}`` or ``{key: [...]}``)."""
    if not isinstance(value, dict):
        return []
    inner = value.get(key)
    if isinstance(inner, dict):
        return [inner]
    return list(inner or [])


def _values(record: dict[str, Any], where: str) -> list[int]:
    relation, _, rest = where.partition(".")
    if not rest:
        return [int(record.get(where) or 0)]
    element, _, field = rest.partition(".")
    return [int(el.get(field) or 0) for el in _elements(record.get(relation), element)]


def test_every_target_is_a_served_entity():
    assert {target for target in FOREIGN_KEYS.values()} <= set(ENTITIES)


#: Foreign keys the generator leaves at 0 (none), so only their validity is checked.
ALWAYS_ZERO = {
    "defaultVendorID",
    "limitToShopID",
    "tipEmployeeID",
    "Customer.employeeID",
    "Customer.taxCategoryID",
    "seasonID",
    "discountID",
    "Sale.SaleLines.SaleLine.discountID",
}


@pytest.mark.parametrize(
    ("entity", "where"), sorted(FOREIGN_KEYS), ids=[f"{e}.{w}" for e, w in sorted(FOREIGN_KEYS)]
)
def test_foreign_keys_point_at_existing_rows(store, entity, where):
    target = FOREIGN_KEYS[(entity, where)]
    seen = 0
    for account in store.app.accounts.values():
        table = account.tables[entity]
        targets = account.tables[target]
        relations = frozenset({where.partition(".")[0]}) if "." in where else frozenset()
        for rid in range(1, table.n + 1):
            record = table.get(rid, relations)
            if relations and relations - table.spec.stored:
                ENTITIES[entity].relations(account, record, rid, relations)  # type: ignore[misc]
            for value in _values(record, where):
                if value:
                    seen += 1
                    assert targets.exists(value), f"{entity} {rid}: {where}={value} ({target})"
    if where not in ALWAYS_ZERO and f"{entity}.{where}" not in ALWAYS_ZERO:
        assert seen, f"no {entity}.{where} was set in the generated store"
