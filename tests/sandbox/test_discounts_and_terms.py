"""Sales hold together with their discounts, customers, employees and registers.

As the official pages say: SaleLine (``calcSubtotal`` is ``unitQuantity * unitPrice``,
``displayableSubtotal`` that less the line's discount, ``calcLineDiscount`` and
``calcTransactionDiscount`` the line's and the sale's discounts), Sale (``total`` is
``calcSubtotal - calcDiscount + calcTax1 + calcTax2``), Discount (a percent or a dollar
amount, never both; sales, customers and customer types take percent ones only), Employee
(``limitToShopID``: the shop an employee is limited to).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import pytest

from lightspeed_sandbox import Sandbox, SandboxConfig, two_accounts
from lightspeed_sandbox.generate import DISCOUNT_ROWS, EMPLOYEE_ROWS, SECONDS_PER_DAY, fmt_rate
from lightspeed_sandbox.wire import parse_ts, unwrap

from .conftest import Api, as_list

if TYPE_CHECKING:
    from lightspeed_sandbox.accounts import Account

SALE_RELATIONS = frozenset({"SaleLines", "SalePayments"})


@pytest.fixture(scope="module")
def store() -> Sandbox:
    """A generated store of three accounts of three shops (read directly, not listening)."""
    return Sandbox(SandboxConfig(seed=11, accounts=3, customers=60, items=60, sales=300, shops=3))


def _accounts(store: Sandbox) -> list[Account]:
    return list(store.app.accounts.values())


def _rows(account: Account, entity: str, relations: frozenset[str] = frozenset()) -> list[dict]:
    table = account.tables[entity]
    return [table.get(rid, relations) for rid in range(1, table.n + 1)]


def _cents(value: str) -> int:
    return int(Decimal(value) * 100)


def _percent_of(cents: int, percent: str) -> int:
    return int((Decimal(cents) * Decimal(percent)).quantize(Decimal(1), ROUND_HALF_UP))


def _lines(sale: dict[str, Any]) -> list[dict[str, Any]]:
    return unwrap(sale.get("SaleLines"), "SaleLine")


def _sales(store: Sandbox) -> Iterator[tuple[Account, dict[str, Any]]]:
    for account in _accounts(store):
        for sale in _rows(account, "Sale", SALE_RELATIONS):
            yield account, sale


# -- the money of lines and sales -----------------------------------------------------------


def test_line_money_follows_the_sale_line_page(store):
    for _account, sale in _sales(store):
        for line in _lines(sale):
            subtotal = int(line["unitQuantity"]) * _cents(line["unitPrice"])
            own, transaction = (
                _cents(line["calcLineDiscount"]),
                _cents(line["calcTransactionDiscount"]),
            )
            taxes = _cents(line["calcTax1"]) + _cents(line["calcTax2"])
            assert _cents(line["calcSubtotal"]) == subtotal, line
            assert _cents(line["displayableSubtotal"]) == subtotal - own, line
            assert _cents(line["calcTotal"]) == subtotal - own - transaction + taxes, line
            amount, percent = _cents(line["discountAmount"]), line["discountPercent"]
            assert not (amount and percent != "0"), line  # an amount or a percent, not both
            assert own == (amount or _percent_of(subtotal, percent)), line
            discount = DISCOUNT_ROWS.get(int(line["discountID"]))
            if discount is not None:  # the line's discount is its Discount's
                assert not discount.archived, line
                assert percent == discount.fields["discountPercent"], line
                assert amount == min(_cents(discount.fields["discountAmount"]), subtotal), line


def test_sale_totals_follow_the_sale_page(store):
    with_discount = 0
    for account, sale in _sales(store):
        lines = _lines(sale)
        subtotal = sum(_cents(x["calcSubtotal"]) for x in lines)
        discounts = sum(
            _cents(x["calcLineDiscount"]) + _cents(x["calcTransactionDiscount"]) for x in lines
        )
        tax1, tax2 = (sum(_cents(x[f]) for x in lines) for f in ("calcTax1", "calcTax2"))
        assert _cents(sale["calcSubtotal"]) == subtotal
        assert _cents(sale["calcDiscount"]) == discounts
        assert (_cents(sale["calcTax1"]), _cents(sale["calcTax2"])) == (tax1, tax2)
        assert _cents(sale["total"]) == subtotal - discounts + tax1 + tax2
        assert _cents(sale["calcTaxable"]) + _cents(sale["calcNonTaxable"]) == subtotal - discounts
        discount = DISCOUNT_ROWS.get(int(sale["discountID"]))
        percent = discount.fields["discountPercent"] if discount else "0"
        assert sale["discountPercent"] == percent  # the deprecated field agrees
        for line in lines:
            sold = int(line["unitQuantity"]) > 0
            left = _cents(line["calcSubtotal"]) - _cents(line["calcLineDiscount"])
            expected = _percent_of(left, percent) if sold else 0
            assert _cents(line["calcTransactionDiscount"]) == expected, (sale["saleID"], line)
        if discount is not None:
            with_discount += 1
            assert percent != "0"  # sales take percent discounts only
            archived_on = account.gen.end - discount.changed_days_ago * SECONDS_PER_DAY
            assert parse_ts(sale["createTime"]) < archived_on  # given before it was archived
    assert with_discount


def test_customers_terms_reach_their_sales(store):
    """A sale gets its customer's discount and tax category: their own, else their type's."""
    used: Counter[str] = Counter()
    for account in _accounts(store):
        types = {int(t["customerTypeID"]): t for t in _rows(account, "CustomerType")}
        customers = {int(c["customerID"]): c for c in _rows(account, "Customer")}
        for customer in customers.values():
            used["own discount"] += customer["discountID"] != "0"
            used["own tax category"] += customer["taxCategoryID"] != "0"
            discount = DISCOUNT_ROWS.get(int(customer["discountID"]))
            assert discount is None or discount.fields["discountPercent"] != "0"
        for sale in _rows(account, "Sale", SALE_RELATIONS):
            customer = customers.get(int(sale["customerID"]))
            ctype = types.get(int(customer["customerTypeID"])) if customer else None
            discount, tax = "0", "0"
            if customer is not None:
                discount, tax = customer["discountID"], customer["taxCategoryID"]
            if ctype is not None:
                discount = discount if discount != "0" else ctype["discountID"]
                tax = tax if tax != "0" else ctype["taxCategoryID"]
            assert sale["taxCategoryID"] == (tax if tax != "0" else "1"), sale["saleID"]
            rates = account.gen.taxes[int(sale["taxCategoryID"])]
            assert (sale["tax1Rate"], sale["tax2Rate"]) == (
                fmt_rate(rates.rate1),
                fmt_rate(rates.rate2),
            )
            for line in _lines(sale):
                if int(line["unitQuantity"]) > 0 and discount != "0":
                    assert line["discountID"] == discount, (sale["saleID"], line)
                    used["customer's discount on a line"] += 1
            if tax not in ("0", "1"):
                used["sale in the customer's tax category"] += 1
    assert len(used) == 4, used
    assert all(used.values()), used


def test_every_discount_is_in_use(store):
    used: Counter[int] = Counter()
    manual = 0
    for _account, sale in _sales(store):
        used[int(sale["discountID"])] += 1
        for line in _lines(sale):
            used[int(line["discountID"])] += 1
            manual += line["discountID"] == "0" and line["discountAmount"] != "0"
    for account in _accounts(store):
        for customer in _rows(account, "Customer"):
            used[int(customer["discountID"])] += 1
        for ctype in _rows(account, "CustomerType"):
            used[int(ctype["discountID"])] += 1
    assert set(used) - {0} == set(DISCOUNT_ROWS)
    assert manual  # a cashier's discount: an amount without a Discount


# -- employees and registers ----------------------------------------------------------------


def test_employees_limited_to_a_shop_work_there_only(store):
    limits = {
        eid: row.fields["limitToShopID"]
        for eid, row in EMPLOYEE_ROWS.items()
        if row.fields["limitToShopID"] != "0"
    }
    assert limits
    checked: Counter[str] = Counter()

    def check(what: str, employee: str, shop: str) -> None:
        if int(employee) in limits:
            assert shop == limits[int(employee)], (what, employee, shop)
            checked[what] += 1

    for account in _accounts(store):
        for sale in _rows(account, "Sale"):
            check("sale", sale["employeeID"], sale["shopID"])
        for order in _rows(account, "Order"):
            check("order", order["createdByEmployeeID"], order["shopID"])
        for transfer in _rows(account, "Transfer"):
            check("transfer", transfer["createdByEmployeeID"], transfer["sendingShopID"])
        for workorder in _rows(account, "Workorder"):
            check("workorder", workorder["employeeID"], workorder["shopID"])
        counts = {c["inventoryCountID"]: c["shopID"] for c in _rows(account, "InventoryCount")}
        for counted in _rows(account, "InventoryCountItem"):
            check("count", counted["employeeID"], counts[counted["inventoryCountID"]])
    assert checked["sale"], checked


def test_sales_on_registers_with_tipping_name_the_seller_for_tips(store):
    seen: Counter[bool] = Counter()
    for account in _accounts(store):
        tipping = {r["registerID"] for r in _rows(account, "Register") if r["tipEnabled"] == "true"}
        assert tipping
        for sale in _rows(account, "Sale"):
            tips = sale["registerID"] in tipping
            seen[tips] += 1
            assert sale["tipEnabled"] == ("true" if tips else "false")
            assert sale["tipEmployeeID"] == (sale["employeeID"] if tips else "0")
    assert seen[True]
    assert seen[False]


# -- relations ------------------------------------------------------------------------------


@pytest.fixture
def w(sandbox_factory: Callable[..., Sandbox]) -> Api:
    sb = sandbox_factory(
        two_accounts(empty_second=False, seed=5, customers=200, items=10, sales=200)
    )
    sb.configure_bucket(enabled=False)
    return Api(sb)


def test_sales_and_customers_load_their_discounts(w: Api) -> None:
    relations = '["Discount","SaleLines","SaleLines.Discount"]'
    sales = w.all("Sale", {"archived": "true", "load_relations": relations})
    found: Counter[str] = Counter()
    for sale in sales:
        if sale["discountID"] != "0":
            found["sale"] += 1
            assert sale["Discount"]["discountID"] == sale["discountID"]
        else:
            assert "Discount" not in sale
        for line in as_list(sale.get("SaleLines") or {}, "SaleLine"):
            if line["discountID"] != "0":
                found["line"] += 1
                assert (
                    line["Discount"]
                    == w.get(f"Discount/{line['discountID']}.json").json()["Discount"]
                )
    relations = '["Discount","CustomerType","TaxCategory"]'
    customers = w.all("Customer", {"archived": "true", "load_relations": relations})
    for customer in customers:
        if customer["discountID"] != "0":
            found["customer"] += 1
            assert customer["Discount"]["discountID"] == customer["discountID"]
        if customer["customerTypeID"] != "0":
            ctype = w.get(f"CustomerType/{customer['customerTypeID']}.json").json()
            assert customer["CustomerType"] == ctype["CustomerType"]  # the row, as served
        if customer["taxCategoryID"] != "0":
            found["tax category"] += 1
            assert customer["TaxCategory"]["taxCategoryID"] == customer["taxCategoryID"]
    assert set(found) == {"sale", "line", "customer", "tax category"}, found


# -- writes ---------------------------------------------------------------------------------

BASE = {"employeeID": 1, "registerID": 1, "shopID": 1}


def test_a_written_sale_is_priced_with_its_discounts(w: Api) -> None:
    body = {
        **BASE,
        "discountID": 3,  # Staff 20%, on the whole sale
        "SaleLines": {
            "SaleLine": [
                {"itemID": 2, "unitQuantity": 2, "unitPrice": "10", "discountID": 1},  # VIP 10%
                {"itemID": 3, "unitQuantity": 1, "unitPrice": "10", "discountPercent": "0.50"},
            ]
        },
    }
    resp = w.request("POST", "Sale.json", json=body)
    assert resp.status_code == 200, resp.text
    sale = resp.json()["Sale"]
    first, second = as_list(sale["SaleLines"], "SaleLine")
    # 20 - 10% = 18, less 20% of the sale = 14.40; 8% tax: 1.15
    assert (first["discountID"], first["discountPercent"], first["discountAmount"]) == (
        "1",
        "0.1",
        "0",
    )
    assert first["calcLineDiscount"] == "2"
    assert first["displayableSubtotal"] == "18"
    assert first["calcTransactionDiscount"] == "3.6"
    assert (first["calcTax1"], first["calcTotal"]) == ("1.15", "15.55")
    assert (second["discountPercent"], second["calcLineDiscount"]) == ("0.5", "5")
    assert (second["calcTransactionDiscount"], second["calcTotal"]) == ("1", "4.32")
    assert (sale["discountPercent"], sale["calcSubtotal"], sale["calcDiscount"]) == (
        "0.2",
        "30",
        "11.6",
    )
    assert sale["total"] == "19.87"
    # Without the sale's discount, its lines are priced again
    changed = w.request("PUT", f"Sale/{sale['saleID']}.json", json={"discountID": 0})
    assert changed.status_code == 200, changed.text
    again = changed.json()["Sale"]
    assert (again["discountPercent"], again["calcDiscount"], again["total"]) == ("0", "7", "24.84")


def test_a_completed_sale_keeps_its_discount_and_tax_category(w: Api) -> None:
    sale = w.request(
        "POST",
        "Sale.json",
        json={
            **BASE,
            "SaleLines": {"SaleLine": {"itemID": 2, "unitPrice": "10"}},
            "SalePayments": {"SalePayment": {"amount": "10.8", "paymentTypeID": 1}},
            "completed": True,
        },
    )
    assert sale.status_code == 200, sale.text
    sid = sale.json()["Sale"]["saleID"]
    for change in ({"discountID": 3}, {"taxCategoryID": 2}):
        refused = w.request("PUT", f"Sale/{sid}.json", json=change)
        assert refused.status_code == 400, refused.text
        assert "discount and tax category cannot change" in refused.json()["message"]
    same = w.request("PUT", f"Sale/{sid}.json", json={"discountID": 0, "taxCategoryID": 1})
    assert same.status_code == 200, same.text  # the values it has: nothing changes
    assert same.json()["Sale"]["total"] == "10.8"


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("Sale.json", {**BASE, "discountID": 2}, "Sales can only have percentage discounts."),
        ("Sale.json", {**BASE, "discountID": 9}, "Discount with ID '9' does not exist."),
        (
            "Sale.json",
            {
                **BASE,
                "SaleLines": {
                    "SaleLine": {"itemID": 2, "discountAmount": 1, "discountPercent": "0.1"}
                },
            },
            "A SaleLine can have a dollar amount or a percentage discount, not both.",
        ),
        (
            "Sale.json",
            {**BASE, "SaleLines": {"SaleLine": {"itemID": 2, "discountPercent": "1.5"}}},
            "discountPercent must be between 0 and 1 (100%).",
        ),
        (
            "Customer.json",
            {"firstName": "A", "discountID": 2},
            "Customers can only have percentage discounts.",
        ),
        ("Item.json", {"description": "Mug", "seasonID": 9}, "Season with ID '9' does not exist."),
        (
            "Item.json",
            {"description": "Mug", "defaultVendorID": 9},
            "DefaultVendor with ID '9' does not exist.",
        ),
    ],
)
def test_discounts_seasons_and_vendors_of_writes_are_checked(
    w: Api, path: str, body: dict[str, Any], message: str
) -> None:
    resp = w.request("POST", path, json=body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["message"].endswith(message)


def test_writes_keep_existing_discounts_seasons_and_vendors(w: Api) -> None:
    customer = w.request("POST", "Customer.json", json={"firstName": "A", "discountID": 3})
    assert customer.status_code == 200, customer.text
    assert customer.json()["Customer"]["discountID"] == "3"
    item = w.request(
        "POST", "Item.json", json={"description": "Mug", "seasonID": 2, "defaultVendorID": 4}
    )
    assert item.status_code == 200, item.text
    assert (item.json()["Item"]["seasonID"], item.json()["Item"]["defaultVendorID"]) == ("2", "4")
    # A generated item written back as it was read is accepted
    generated = w.get("Item/1.json").json()["Item"]
    fields = ("categoryID", "manufacturerID", "seasonID", "defaultVendorID")
    back = w.request("PUT", "Item/1.json", json={f: generated[f] for f in fields})
    assert back.status_code == 200, back.text
