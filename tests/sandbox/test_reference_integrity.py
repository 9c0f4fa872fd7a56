"""The generated store holds together: every foreign key points at a row the store serves.

Sales, their lines and payments, items and customers point at shops, registers, employees,
categories, manufacturers, vendors, payment types...: each non-zero id must be a row of that
entity's table (which the reference endpoints serve), in every account.
"""

from __future__ import annotations

from typing import Any

import pytest

from lightspeed_sandbox import Sandbox, SandboxConfig, generate
from lightspeed_sandbox.entities import ENTITIES
from lightspeed_sandbox.generate import GIFT_CARDS

from .conftest import Api

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
    ("Item", "itemMatrixID"): "ItemMatrix",
    ("Item", "ItemAttributes.itemAttributeSetID"): "ItemAttributeSet",
    ("ItemMatrix", "itemAttributeSetID"): "ItemAttributeSet",
    ("ItemMatrix", "taxClassID"): "TaxClass",
    ("ItemMatrix", "categoryID"): "Category",
    ("ItemMatrix", "manufacturerID"): "Manufacturer",
    ("ItemMatrix", "seasonID"): "Season",
    ("ItemMatrix", "defaultVendorID"): "Vendor",
    ("Customer", "creditAccountID"): "CreditAccount",
    ("CreditAccount", "customerID"): "Customer",
    ("Sale", "SalePayments.SalePayment.creditAccountID"): "CreditAccount",
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
    if not field:  # a relation that is one object ("ItemAttributes.itemAttributeSetID")
        value = record.get(relation)
        return [int(value.get(element) or 0)] if isinstance(value, dict) else []
    return [int(el.get(field) or 0) for el in _elements(record.get(relation), element)]


def test_every_target_is_a_served_entity():
    assert {target for target in FOREIGN_KEYS.values()} <= set(ENTITIES)


#: Foreign keys the generator leaves at 0 (none), so only their validity is checked; every
#: other key is set somewhere in the store. ``Customer.employeeID`` is no field of the
#: official Customer page: the sandbox serves it as "0" and gives it no meaning.
ALWAYS_ZERO = {"Customer.employeeID"}


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
    if f"{entity}.{where}" not in ALWAYS_ZERO:
        assert seen, f"no {entity}.{where} was set in the generated store"
    else:
        assert not seen, f"{entity}.{where} is set: take it out of ALWAYS_ZERO"


def _accounts_and_payments(account: Any) -> tuple[dict[int, dict], list[tuple[int, dict]]]:
    """An account's credit accounts by id, and (sale customer, payment) of every payment."""
    accounts = account.tables["CreditAccount"]
    by_id = {rid: accounts.get(rid) for rid in range(1, accounts.n + 1)}
    sales = account.tables["Sale"]
    payments = []
    for sid in range(1, sales.n + 1):
        sale = sales.get(sid, frozenset({"SalePayments"}))
        customer = int(sale["customerID"])
        payments += [(customer, p) for p in _elements(sale["SalePayments"], "SalePayment")]
    return by_id, payments


def test_store_credit_and_gift_cards_are_in_use(store):
    by_type: dict[str, set[int]] = {"3": set(), "7": set()}
    for account in store.app.accounts.values():
        by_id, payments = _accounts_and_payments(account)
        customers = account.tables["Customer"]
        holders = {
            cid: int(customers.get(cid)["creditAccountID"])
            for cid in range(1, customers.n + 1)
            if customers.get(cid)["creditAccountID"] != "0"
        }
        store_credit = {rid: r for rid, r in by_id.items() if r["giftCard"] == "false"}
        gift_cards = {rid: r for rid, r in by_id.items() if r["giftCard"] == "true"}
        assert len(store_credit) >= 3
        assert len(gift_cards) >= 3
        # the customer and the account point at each other
        assert {rid: int(r["customerID"]) for rid, r in store_credit.items()} == {
            rid: cid for cid, rid in holders.items()
        }
        assert all(r["customerID"] == "0" and len(r["code"]) >= 8 for r in gift_cards.values())
        assert any(r["archived"] == "true" for r in store_credit.values())
        assert any(r["archived"] == "true" for r in gift_cards.values())
        for customer, payment in payments:
            kind, target = payment["paymentTypeID"], int(payment["creditAccountID"])
            if kind == "3":
                assert target == holders[customer], payment
            elif kind == "7":
                assert target in gift_cards, payment
            else:
                assert target == 0, payment
            if kind in by_type:
                by_type[kind].add(target)
    assert by_type["3"], "no sale was paid with store credit"
    assert by_type["7"], "no sale was paid with a gift card"


def test_matrix_items_match_their_matrix(store):
    for account in store.app.accounts.values():
        items, matrices = account.tables["Item"], account.tables["ItemMatrix"]
        seen = 0
        for iid in range(1, items.n + 1):
            item = items.get(iid, frozenset({"ItemAttributes"}))
            ENTITIES["Item"].relations(account, item, iid, frozenset({"ItemAttributes"}))  # type: ignore[misc]
            if item["itemMatrixID"] == "0":
                assert "ItemAttributes" not in item
                continue
            seen += 1
            matrix = matrices.get(int(item["itemMatrixID"]))
            assert item["description"].startswith(matrix["description"] + " ")
            assert item["ItemAttributes"]["itemAttributeSetID"] == matrix["itemAttributeSetID"]
            for shared in MATRIX_SHARED:
                assert item[shared] == matrix[shared], (iid, shared)
            # each attribute value of the item is one its matrix defines, and only those
            attributes = item["ItemAttributes"]
            for n in (1, 2, 3):
                value = attributes[f"attribute{n}"]
                defined = matrix.get(f"attribute{n}Values")
                assert (value in defined) if value else defined is None, (iid, n, matrix)
        assert seen
        for shared in MATRIX_SHARED:  # matrices are filed: most under each field
            filed = [matrices.get(mid)[shared] != "0" for mid in range(1, matrices.n + 1)]
            assert sum(filed) > len(filed) / 5, shared


#: The fields a matrix item shares with its matrix (the ItemMatrix page: its categorization).
MATRIX_SHARED = ("categoryID", "manufacturerID", "defaultVendorID", "seasonID")


def test_items_are_bought_from_existing_vendors_and_filed_by_season(store):
    vendors: list[int] = []
    seasons: list[int] = []
    for account in store.app.accounts.values():
        items = account.tables["Item"]
        for iid in range(1, items.n + 1):
            item = items.get(iid)
            ENTITIES["Item"].relations(account, item, iid, frozenset({"ItemVendorNums"}))  # type: ignore[misc]
            vendor = int(item["defaultVendorID"])
            vendors.append(vendor)
            seasons.append(int(item["seasonID"]))
            for sku in _elements(item["ItemVendorNums"], "ItemVendorNum"):
                assert sku["vendorID"] == item["defaultVendorID"], iid  # the SKU is the vendor's
    archived = {vid for vid, row in generate.VENDOR_ROWS.items() if row.archived}
    assert all(vendors)  # every item has a default vendor
    active_share = sum(v not in archived for v in vendors) / len(vendors)
    assert 0.75 < active_share < 1  # mostly active vendors, a few bought from the archived one
    season_share = sum(bool(s) for s in seasons) / len(seasons)
    assert 0.1 < season_share < 0.5  # seasonal goods, not everything
    assert set(seasons) - {0} == set(generate.SEASON_ROWS)


def test_the_same_seed_makes_the_same_store():
    def tables(seed: int) -> list[dict]:
        sb = Sandbox(SandboxConfig(seed=seed, customers=30, items=30, sales=30))
        account = next(iter(sb.app.accounts.values()))
        return [
            account.tables[entity].get(rid)
            for entity in ("ItemMatrix", "CreditAccount")
            for rid in range(1, account.tables[entity].n + 1)
        ]

    assert tables(3) == tables(3)


def test_credit_account_list_leaves_gift_cards_out_unless_asked(api):
    params = {"archived": "true", "limit": "2"}
    plain = api.all("CreditAccount", params)
    gift_cards = api.all("CreditAccount", {**params, "giftCard": "true"})
    store_credit = api.all("CreditAccount", {**params, "giftCard": "false"})
    assert plain
    assert all(r["giftCard"] == "false" for r in plain)
    assert store_credit == plain
    assert [r["giftCard"] for r in gift_cards] == ["true"] * len(GIFT_CARDS)
    assert all(set(r["code"][:-4]) == {"*"} for r in gift_cards)  # masked
    one = api.get(f"CreditAccount/{gift_cards[0]['creditAccountID']}.json")
    assert one.json()["CreditAccount"] == gift_cards[0]  # the single GET finds it


@pytest.mark.parametrize(
    ("entity", "sortable", "not_sortable"),
    [("ItemMatrix", "description", "itemType"), ("CreditAccount", "customerID", "name")],
)
def test_only_the_documented_sorts_are_accepted(api, entity, sortable, not_sortable):
    assert api.get(f"{entity}.json", {"sort": sortable}).status_code == 200
    assert api.get(f"{entity}.json", {"sort": not_sortable}).status_code == 400


# -- relations of the ItemMatrix and CreditAccount pages ------------------------------------

MATRIX_RELATIONS = (
    '["Category","TaxClass","Department","ItemAttributeSet","Manufacturer","Season","Images",'
    '"Items","ItemECommerce","TagRelations","TagRelations.Tag"]'
)


def test_a_matrix_loads_its_rows_and_its_items(api):
    items = api.all("Item", {"archived": "true"})
    members: dict[str, list[str]] = {}
    for item in items:
        if item["itemMatrixID"] != "0":
            members.setdefault(item["itemMatrixID"], []).append(item["itemID"])
    matrices = api.all("ItemMatrix", {"archived": "true", "load_relations": '["Items"]'})
    assert {
        m["itemMatrixID"]: [i["itemID"] for i in _elements(m["Items"], "Item")]
        for m in matrices
        if m["Items"] != ""
    } == members
    largest = max(members, key=lambda mid: len(members[mid]))
    resp = api.get(f"ItemMatrix/{largest}.json", {"load_relations": MATRIX_RELATIONS})
    # 7 to-one relations (0.1 each), 3 to-many (0.2 each), the nested TagRelations.Tag (0.1)
    assert resp.headers["X-LS-API-Request-Cost"] == "2.4"
    matrix = resp.json()["ItemMatrix"]
    assert [i["itemID"] for i in _elements(matrix["Items"], "Item")] == members[largest]
    served = {i["itemID"]: i for i in items}
    assert all(i == served[i["itemID"]] for i in _elements(matrix["Items"], "Item"))
    for relation, key in (
        ("Category", "categoryID"),
        ("TaxClass", "taxClassID"),
        ("ItemAttributeSet", "itemAttributeSetID"),
        ("Manufacturer", "manufacturerID"),
        ("Season", "seasonID"),
    ):
        if matrix[key] == "0":
            assert relation not in matrix
        else:
            assert matrix[relation] == api.get(f"{relation}/{matrix[key]}.json").json()[relation]
    assert (matrix["Images"], matrix["TagRelations"]) == ("", "")  # none in the sandbox
    assert "Department" not in matrix
    assert "ItemECommerce" not in matrix


def test_a_credit_account_loads_its_holder_contact_and_its_payments(sandbox_factory):
    sb = sandbox_factory(seed=11, customers=60, items=30, sales=300, bucket_enabled=False)
    api = Api(sb)
    paid_with: dict[str, list[dict]] = {}
    for sale in api.all("Sale", {"archived": "true", "load_relations": '["SalePayments"]'}):
        for payment in _elements(sale.get("SalePayments"), "SalePayment"):
            if payment["creditAccountID"] != "0":
                paid_with.setdefault(payment["creditAccountID"], []).append(payment)
    relations = '["Contact","WithdrawalPayments"]'
    accounts = [
        *api.all("CreditAccount", {"archived": "true", "load_relations": relations}),
        *api.all(
            "CreditAccount", {"archived": "true", "giftCard": "true", "load_relations": relations}
        ),
    ]
    assert {
        a["creditAccountID"]: _elements(a["WithdrawalPayments"], "SalePayment")
        for a in accounts
        if a["WithdrawalPayments"] != ""
    } == paid_with
    assert {a["giftCard"] for a in accounts if a["creditAccountID"] in paid_with} == {
        "true",
        "false",
    }
    for account in accounts:
        holder = account["customerID"]
        if holder == "0":  # a gift card
            assert "Contact" not in account
        else:
            customer = api.get(f"Customer/{holder}.json", {"load_relations": '["Contact"]'})
            assert account["Contact"] == customer.json()["Customer"]["Contact"]
    single = api.get("CreditAccount/1.json", {"load_relations": relations})
    assert single.headers["X-LS-API-Request-Cost"] == "1.3"  # to-one 0.1, to-many 0.2
