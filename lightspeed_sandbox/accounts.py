"""Accounts: the tables of one store, cross-entity relations, and writes."""

from __future__ import annotations

import json
import secrets
import time
from typing import TYPE_CHECKING, Any

from . import generate as g
from .generate import Generator
from .store import SPECS, Table

if TYPE_CHECKING:
    from .config import SandboxConfig

from .wire import (
    ApiError,
    as_bool,
    fmt_cents,
    fmt_ts,
    parse_ts,
    to_cents,
    unwrap,
    wire_scalar,
    wrap,
)

ACCOUNT_NAMES = (
    "Kit Kraft",
    "Harbor Bikes",
    "Maple Leaf Outfitters",
    "Blue Door Books",
    "Sunrise Café",
    "Northside Hardware",
)
ITEM_TYPES = frozenset(
    {"default", "non_inventory", "serialized", "box", "serialized_assembly", "assembly"}
)
PRICE_TYPES = {"Default": "1", "MSRP": "2", "Online": "3"}
PRICE_TYPES_BY_ID = {v: k for k, v in PRICE_TYPES.items()}


COLLECTION_KEYS = frozenset(
    {
        "Emails",
        "Phones",
        "Addresses",
        "Websites",
        "Prices",
        "ItemShops",
        "SaleLines",
        "SalePayments",
        "Images",
        "CustomFieldValues",
        "Tags",
        "TaxClassTotals",
    }
)


#: A new customer's Contact before anything is written into it (wire form).
EMPTY_CONTACT: dict[str, str] = {
    "custom": "",
    "noEmail": "false",
    "noPhone": "false",
    "noMail": "false",
    "Addresses": "",
    "Phones": "",
    "Emails": "",
    "Websites": "",
}


def _nested_count(payload: Any) -> int:
    """Count nested entities in a write payload (Contact, each ContactEmail, SaleLine, ...).

    Wrappers such as ``SaleLines`` or ``Emails`` are not entities themselves; their elements are.
    """
    if not isinstance(payload, dict):
        return 0
    count = 0
    for key, value in payload.items():
        if not key[:1].isupper():
            continue
        if key in COLLECTION_KEYS:
            count += _nested_count(value)
            continue
        for element in value if isinstance(value, list) else [value]:
            if isinstance(element, dict):
                count += 1 + _nested_count(element)
    return count


def write_cost(entity: str, payload: Any, method: str) -> float:
    """Return the bucket cost of a write (section 3 of the reference)."""
    if method == "DELETE" or not isinstance(payload, dict):
        return 2.0 if entity == "Sale" else 1.0
    cost = 1.0
    if entity == "Sale":
        cost = 2.0
        if as_bool(payload.get("completed", False)):
            cost += 3.0
    return cost + 0.5 * _nested_count(payload)


class Account:
    """One Lightspeed account (store) with its tables.

    Args:
        cfg: Sandbox configuration.
        index: Position of the account.
        account_id: The account id (string of digits).
    """

    def __init__(self, cfg: SandboxConfig, index: int, account_id: str) -> None:
        self.account_id = account_id
        self.index = index
        self.name = ACCOUNT_NAMES[index % len(ACCOUNT_NAMES)] + (
            f" {index // len(ACCOUNT_NAMES) + 1}" if index >= len(ACCOUNT_NAMES) else ""
        )
        vol = cfg.volumes(index)
        self.shops = max(1, cfg.shops)
        gen = Generator(cfg.seed, index, vol, self.shops, cfg.data_end, cfg.data_span_days)
        self.gen = gen
        n_items = vol["items"]

        def sale_complete(i: int) -> str | None:
            c = gen.sale_complete_time(i)
            return fmt_ts(c) if c else None

        self.tables: dict[str, Table] = {
            "Customer": Table(
                SPECS["Customer"],
                vol["customers"],
                gen.customer,
                {
                    "firstName": lambda i: gen.customer_names(i)[0],
                    "lastName": lambda i: gen.customer_names(i)[1],
                },
                lambda i: gen.timestamp(g.K_CUSTOMER, i),
                lambda i: gen.archived(g.K_CUSTOMER, i),
            ),
            "Item": Table(
                SPECS["Item"],
                n_items,
                gen.item,
                {"description": gen.item_description},
                lambda i: gen.timestamp(g.K_ITEM, i),
                lambda i: gen.archived(g.K_ITEM, i),
            ),
            "Sale": Table(
                SPECS["Sale"],
                vol["sales"],
                gen.sale,
                {
                    "completeTime": sale_complete,
                    "updatetime": lambda i: fmt_ts(gen.timestamp(g.K_SALE, i)),
                },
                lambda i: gen.timestamp(g.K_SALE, i),
                lambda i: gen.archived(g.K_SALE, i),
            ),
            "Image": Table(
                SPECS["Image"],
                vol["images"] if n_items else 0,
                lambda i, _r: gen.image(i),
                {"itemID": lambda i: str((i - 1) % n_items + 1)},
                lambda i: gen.timestamp(g.K_IMAGE, i),
                lambda i: False,
            ),
            "ItemShop": Table(
                SPECS["ItemShop"],
                gen.n_itemshops,
                lambda i, _r: gen.itemshop(i),
                {"itemID": lambda i: str((i - 1) // (self.shops + 1) + 1)},
                lambda i: gen.timestamp(g.K_ITEMSHOP, i),
                lambda i: False,
            ),
        }
        self.extra_images: dict[int, list[int]] = {}
        self.extra_itemshops: dict[int, list[int]] = {}
        self.next_line_id = vol["sales"] * 4 + 1
        self.next_payment_id = vol["sales"] * 2 + 1
        self.writes = 0

    # -- reads -------------------------------------------------------------------------------
    def account_record(self) -> dict[str, Any]:
        """Return the Account resource."""
        return {
            "accountID": self.account_id,
            "name": self.name,
            "link": {"@attributes": {"href": f"/API/V3/Account/{self.account_id}"}},
        }

    def image_ids(self, iid: int) -> list[int]:
        """Return the ids of an item's images."""
        ids = list(self.gen.image_ids(iid)) if iid <= self.gen.n_items else []
        return ids + self.extra_images.get(iid, [])

    def itemshop_ids(self, iid: int) -> list[int]:
        """Return the ids of an item's ItemShops (summary first)."""
        if iid <= self.gen.n_items:
            return list(self.gen.itemshop_ids(iid))
        return list(self.extra_itemshops.get(iid, []))

    def materialize(self, entity: str, rid: int, rels: frozenset[str]) -> dict[str, Any]:
        """Return the wire record of an entity with the requested relations."""
        rec = self.tables[entity].get(rid, rels)
        if not rels:
            return rec
        if entity == "Customer":
            self._customer_relations(rec, rels)
        elif entity == "Item":
            self._item_relations(rec, rid, rels)
        elif entity == "Sale":
            self._sale_relations(rec, rels)
        elif entity in ("Image", "ItemShop"):
            iid = int(rec.get("itemID") or 0)
            if "Item" in rels and self.tables["Item"].exists(iid):
                rec["Item"] = self.tables["Item"].get(iid)
        return rec

    def _customer_relations(self, rec: dict[str, Any], rels: frozenset[str]) -> None:
        ctype = int(rec.get("customerTypeID") or 0)
        if "CustomerType" in rels and ctype in g.CUSTOMER_TYPES:
            rec["CustomerType"] = {
                "customerTypeID": str(ctype),
                "name": g.CUSTOMER_TYPES[ctype],
                "taxCategoryID": "0",
                "discountID": "0",
            }
        tax = int(rec.get("taxCategoryID") or 0)
        if "TaxCategory" in rels and tax in g.TAX_CATEGORIES:
            rec["TaxCategory"] = self._tax_category(tax)
        for name in ("Tags", "CustomFieldValues"):
            if name in rels:
                rec[name] = ""

    def _tax_category(self, tax: int) -> dict[str, Any]:
        name, rate = g.TAX_CATEGORIES[tax]
        return {
            "taxCategoryID": str(tax),
            "isTaxInclusive": "false",
            "tax1Name": name,
            "tax2Name": "",
            "tax1Rate": str(rate / 100000).rstrip("0"),
            "tax2Rate": "0",
        }

    def _item_relations(self, rec: dict[str, Any], rid: int, rels: frozenset[str]) -> None:
        cat = int(rec.get("categoryID") or 0)
        if "Category" in rels and cat in g.CATEGORIES:
            rec["Category"] = {
                "categoryID": str(cat),
                "name": g.CATEGORIES[cat],
                "nodeDepth": "0",
                "fullPathName": g.CATEGORIES[cat],
                "leftNode": str(cat * 2 - 1),
                "rightNode": str(cat * 2),
                "parentID": "0",
            }
        tc = int(rec.get("taxClassID") or 0)
        if "TaxClass" in rels and tc in g.TAX_CLASSES:
            rec["TaxClass"] = {
                "taxClassID": str(tc),
                "name": g.TAX_CLASSES[tc],
                "classType": "item" if tc != 2 else "labor",
            }
        man = int(rec.get("manufacturerID") or 0)
        if "Manufacturer" in rels and man in g.MANUFACTURERS:
            rec["Manufacturer"] = {"manufacturerID": str(man), "name": g.MANUFACTURERS[man]}
        if "Images" in rels:
            images = self.tables["Image"]
            rec["Images"] = wrap([images.get(i) for i in self.image_ids(rid)], "Image")
        if "ItemShops" in rels:
            shops = self.tables["ItemShop"]
            rec["ItemShops"] = wrap([shops.get(i) for i in self.itemshop_ids(rid)], "ItemShop")
        for name in ("ItemVendorNums", "ItemComponents", "TagRelations", "CustomFieldValues"):
            if name in rels:
                rec[name] = ""

    def _sale_relations(self, rec: dict[str, Any], rels: frozenset[str]) -> None:
        if "SaleNotes" in rels:
            rec["SaleNotes"] = ""
        if "SaleLines.Item" in rels and rec.get("SaleLines"):
            items = self.tables["Item"]
            item_rels = frozenset({"ItemShops"}) if "SaleLines.Item.ItemShops" in rels else None
            lines = []
            for line in unwrap(rec["SaleLines"], "SaleLine"):
                line = dict(line)
                iid = int(line.get("itemID") or 0)
                if items.exists(iid):
                    line["Item"] = (
                        self.materialize("Item", iid, item_rels) if item_rels else items.get(iid)
                    )
                lines.append(line)
            rec["SaleLines"] = wrap(lines, "SaleLine")
        if "SalePayments.PaymentType" in rels and rec.get("SalePayments"):
            payments = []
            for pay in unwrap(rec["SalePayments"], "SalePayment"):
                pay = dict(pay)
                ptype = int(pay.get("paymentTypeID") or 0)
                if ptype in g.PAYMENT_TYPES:
                    pay["PaymentType"] = {
                        "paymentTypeID": str(ptype),
                        "name": g.PAYMENT_TYPES[ptype],
                        "requireCustomer": "true" if ptype == 3 else "false",
                        "archived": "false",
                        "internalReserved": "true",
                        "type": "cash" if ptype == 1 else "user defined",
                    }
                payments.append(pay)
            rec["SalePayments"] = wrap(payments, "SalePayment")
        cid = int(rec.get("customerID") or 0)
        customers = self.tables["Customer"]
        if "Customer" in rels and customers.exists(cid):
            crels = frozenset({"Contact"}) if "Customer.Contact" in rels else frozenset()
            rec["Customer"] = self.materialize("Customer", cid, crels)
        tax = int(rec.get("taxCategoryID") or 0)
        if "TaxCategory" in rels and tax in g.TAX_CATEGORIES:
            rec["TaxCategory"] = self._tax_category(tax)

    # -- writes ------------------------------------------------------------------------------
    def write(
        self, entity: str, method: str, rid: int | None, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply a POST/PUT/DELETE and return the stored record in wire form.

        Raises:
            ApiError: 400 on validation errors, 404 for an unknown record, 405 otherwise.
        """
        table = self.tables[entity]
        verb = {"POST": "created", "PUT": "updated", "DELETE": "deleted"}[method]
        if method != "POST":
            assert rid is not None
            if not table.exists(rid):
                raise ApiError(404, f"Object of type '{entity}' not found with primary ID '{rid}'.")
        now = int(time.time())
        if method == "DELETE":
            rec = table.full(rid)  # type: ignore[arg-type]
            rec["archived"] = "true"
            rec["timeStamp"] = fmt_ts(now)
            if entity == "Sale":
                rec["updatetime"] = fmt_ts(now)
            table.put(rid, rec)  # type: ignore[arg-type]
            self.writes += 1
            return self.materialize(entity, rid, self._write_rels(entity))  # type: ignore[arg-type]
        if entity == "Customer":
            rid = self._write_customer(table, rid, payload, verb, now)
        elif entity == "Item":
            rid = self._write_item(table, rid, payload, verb, now)
        elif entity == "Sale":
            rid = self._write_sale(table, rid, payload, verb, now)
        else:
            raise ApiError(405, f"{method} is not supported on {entity}.")
        self.writes += 1
        return self.materialize(entity, rid, self._write_rels(entity))

    @staticmethod
    def _write_rels(entity: str) -> frozenset[str]:
        return {
            "Customer": frozenset({"Contact"}),
            "Item": frozenset({"ItemShops"}),
            "Sale": frozenset({"SaleLines", "SalePayments"}),
        }.get(entity, frozenset())

    def _fk(
        self, entity: str, verb: str, field: str, value: Any, known: Any, allow_zero: bool = True
    ) -> str:
        text = wire_scalar(value).strip() or "0"
        try:
            num = int(float(text))
        except ValueError as exc:
            raise ApiError(400, f"{entity} not {verb}. {field} must be a number.") from exc
        if num == 0 and allow_zero:
            return "0"
        if num not in known:
            target = field[:-2] if field.endswith("ID") else field
            target = target[:1].upper() + target[1:]
            raise ApiError(400, f"{entity} not {verb}. {target} with ID '{num}' does not exist.")
        return str(num)

    def _write_customer(
        self, table: Table, rid: int | None, p: dict[str, Any], verb: str, now: int
    ) -> int:
        if rid is None:
            rid = table.n + 1
            rec: dict[str, Any] = {
                "customerID": str(rid),
                "firstName": "",
                "lastName": "",
                "title": "",
                "company": "",
                "companyRegistrationNumber": "",
                "vatNumber": "",
                "createTime": fmt_ts(now),
                "timeStamp": fmt_ts(now),
                "archived": "false",
                "contactID": str(rid),
                "creditAccountID": "0",
                "customerTypeID": "0",
                "discountID": "0",
                "taxCategoryID": "0",
                "Contact": {
                    **EMPTY_CONTACT,
                    "timeStamp": fmt_ts(now),
                },
            }
        else:
            rec = table.full(rid)
        for key in (
            "firstName",
            "lastName",
            "title",
            "company",
            "companyRegistrationNumber",
            "vatNumber",
        ):
            if key in p:
                rec[key] = wire_scalar(p[key])
        if "archived" in p:
            rec["archived"] = "true" if as_bool(p["archived"]) else "false"
        if "dob" in p:
            if p["dob"] in (None, ""):
                rec.pop("dob", None)
            else:
                try:
                    rec["dob"] = fmt_ts(parse_ts(str(p["dob"])))
                except ValueError as exc:
                    raise ApiError(400, f"Customer not {verb}. Invalid dob.") from exc
        fks = {
            "customerTypeID": g.CUSTOMER_TYPES,
            "discountID": {},
            "taxCategoryID": g.TAX_CATEGORIES,
            "creditAccountID": {},
        }
        for key, known in fks.items():
            if key in p:
                rec[key] = self._fk("Customer", verb, key, p[key], known)
        if "Contact" in p and p["Contact"] not in (None, ""):
            if not isinstance(p["Contact"], dict):
                raise ApiError(400, f"Customer not {verb}. Contact must be an object.")
            rec["Contact"] = self._contact(rec.get("Contact") or {}, p["Contact"], verb, now)
        rec["timeStamp"] = fmt_ts(now)
        table.put(rid, rec)
        return rid

    def _contact(self, old: dict[str, Any], p: dict[str, Any], verb: str, now: int) -> dict:
        contact = dict(old) or dict(EMPTY_CONTACT)
        for key in ("custom", "noEmail", "noPhone", "noMail"):
            if key in p:
                contact[key] = (
                    wire_scalar(p[key])
                    if key == "custom"
                    else ("true" if as_bool(p[key]) else "false")
                )
        shapes = {
            "Emails": ("ContactEmail", ("address", "useType"), "Primary"),
            "Phones": ("ContactPhone", ("number", "useType"), "Home"),
            "Addresses": (
                "ContactAddress",
                (
                    "address1",
                    "address2",
                    "city",
                    "state",
                    "zip",
                    "country",
                    "countryCode",
                    "stateCode",
                ),
                None,
            ),
            "Websites": ("ContactWebsite", ("url",), None),
        }
        for key, (inner, fields, default_use) in shapes.items():
            if key not in p:
                continue
            elements = []
            for el in unwrap(p[key], inner):
                out = {f: wire_scalar(el.get(f, "")) for f in fields}
                if default_use and not out.get("useType"):
                    out["useType"] = default_use
                if key == "Emails" and out["address"] and "@" not in out["address"]:
                    raise ApiError(
                        400, f"Customer not {verb}. Invalid email address '{out['address']}'."
                    )
                elements.append(out)
            contact[key] = wrap(elements, inner)
        contact["timeStamp"] = fmt_ts(now)
        return contact

    def _write_item(
        self, table: Table, rid: int | None, p: dict[str, Any], verb: str, now: int
    ) -> int:
        creating = rid is None
        if creating:
            desc = wire_scalar(p.get("description", "")).strip()
            if not desc:
                raise ApiError(400, "Item not created. An Item must have a description.")
            rid = table.n + 1
            rec: dict[str, Any] = {
                "itemID": str(rid),
                "systemSku": str(210_000_000_000 + rid),
                "defaultCost": "0",
                "avgCost": "0",
                "discountable": "true",
                "tax": "true",
                "archived": "false",
                "itemType": "default",
                "serialized": "false",
                "description": desc,
                "modelYear": "0",
                "upc": "",
                "ean": "",
                "customSku": "",
                "manufacturerSku": "",
                "createTime": fmt_ts(now),
                "timeStamp": fmt_ts(now),
                "publishToEcom": "false",
                "categoryID": "0",
                "taxClassID": "1",
                "departmentID": "0",
                "itemMatrixID": "0",
                "manufacturerID": "0",
                "seasonID": "0",
                "defaultVendorID": "0",
                "Prices": {
                    "ItemPrice": [
                        {"amount": "0", "useTypeID": "1", "useType": "Default"},
                        {"amount": "0", "useTypeID": "2", "useType": "MSRP"},
                        {"amount": "0", "useTypeID": "3", "useType": "Online"},
                    ]
                },
            }
        else:
            rec = table.full(rid)
            if "description" in p and not wire_scalar(p["description"]).strip():
                raise ApiError(400, "Item not updated. An Item must have a description.")
        for key in ("upc", "ean"):
            if key in p:
                value = wire_scalar(p[key]).strip()
                if value and not (value.isdigit() and 11 <= len(value) <= 14):
                    raise ApiError(
                        400, f"Item not {verb}. {key.upper()} must be 11 to 14 digits: '{value}'."
                    )
                rec[key] = value
        for key in ("description", "customSku", "manufacturerSku"):
            if key in p:
                rec[key] = (
                    wire_scalar(p[key]).strip() if key == "description" else wire_scalar(p[key])
                )
        for key in ("discountable", "tax", "archived", "serialized", "publishToEcom"):
            if key in p:
                rec[key] = "true" if as_bool(p[key]) else "false"
        if "itemType" in p:
            itype = wire_scalar(p["itemType"])
            if itype not in ITEM_TYPES:
                raise ApiError(400, f"Item not {verb}. Invalid itemType '{itype}'.")
            rec["itemType"] = itype
        if "modelYear" in p:
            rec["modelYear"] = wire_scalar(p["modelYear"]) or "0"
        if "defaultCost" in p:
            try:
                cost = to_cents(p["defaultCost"])
            except (TypeError, ValueError) as exc:
                raise ApiError(400, f"Item not {verb}. defaultCost must be a number.") from exc
            rec["defaultCost"] = fmt_cents(cost)
            if creating:
                rec["avgCost"] = fmt_cents(cost)
        fks = {
            "categoryID": g.CATEGORIES,
            "taxClassID": g.TAX_CLASSES,
            "manufacturerID": g.MANUFACTURERS,
            "departmentID": {},
            "itemMatrixID": {},
            "seasonID": {},
            "defaultVendorID": {},
        }
        for key, known in fks.items():
            if key in p:
                rec[key] = self._fk("Item", verb, key, p[key], known)
        if "Prices" in p:
            prices = {pr["useType"]: dict(pr) for pr in unwrap(rec["Prices"], "ItemPrice")}
            for el in unwrap(p["Prices"], "ItemPrice"):
                use = wire_scalar(el.get("useType", "")) or PRICE_TYPES_BY_ID.get(
                    wire_scalar(el.get("useTypeID", "")), ""
                )
                if use not in PRICE_TYPES:
                    raise ApiError(400, f"Item not {verb}. Invalid price useType '{use}'.")
                try:
                    amount = fmt_cents(to_cents(el.get("amount", 0)))
                except (TypeError, ValueError) as exc:
                    raise ApiError(400, f"Item not {verb}. Price amount must be a number.") from exc
                prices[use] = {"amount": amount, "useTypeID": PRICE_TYPES[use], "useType": use}
            rec["Prices"] = {"ItemPrice": [prices[u] for u in PRICE_TYPES if u in prices]}
        stock = unwrap(p.get("ItemShops"), "ItemShop") if "ItemShops" in p else None
        if stock:
            for el in stock:
                shop = wire_scalar(el.get("shopID", ""))
                if not shop.isdigit() or not 1 <= int(shop) <= self.shops:
                    raise ApiError(400, f"Item not {verb}. Shop with ID '{shop}' does not exist.")
        only_stock = not creating and set(p) <= {"ItemShops", "itemID"}
        if not only_stock:
            rec["timeStamp"] = fmt_ts(now)
        table.put(rid, rec)
        if creating:
            self._create_itemshops(rid, now)
        for el in stock or []:
            self._set_stock(rid, int(wire_scalar(el["shopID"])), el, now)
        return rid

    def _create_itemshops(self, iid: int, now: int) -> None:
        shops = self.tables["ItemShop"]
        ids = []
        for shop in range(self.shops + 1):
            isid = shops.n + 1
            shops.put(
                isid,
                {
                    "itemShopID": str(isid),
                    "qoh": "0",
                    "sellable": "0",
                    "backorder": "0",
                    "componentQoh": "0",
                    "componentBackorder": "0",
                    "reorderPoint": "0",
                    "reorderLevel": "0",
                    "timeStamp": fmt_ts(now),
                    "itemID": str(iid),
                    "shopID": str(shop),
                },
            )
            ids.append(isid)
        self.extra_itemshops[iid] = ids

    def _set_stock(
        self, iid: int, shop: int, el: dict[str, Any], now: int, delta: int | None = None
    ) -> None:
        shops = self.tables["ItemShop"]
        ids = self.itemshop_ids(iid)
        if not ids:
            return
        target = shops.full(ids[shop])
        if delta is not None:
            target["qoh"] = str(int(target["qoh"]) + delta)
        elif "qoh" in el:
            target["qoh"] = str(int(float(wire_scalar(el["qoh"]) or 0)))
        for key in ("reorderPoint", "reorderLevel", "backorder"):
            if key in el:
                target[key] = str(int(float(wire_scalar(el[key]) or 0)))
        target["sellable"] = str(max(int(target["qoh"]), 0))
        target["timeStamp"] = fmt_ts(now)
        shops.put(ids[shop], target)
        summary = shops.full(ids[0])
        total = sum(int(shops.get(i)["qoh"]) for i in ids[1:])
        summary["qoh"] = str(total)
        summary["sellable"] = str(max(total, 0))
        summary["timeStamp"] = fmt_ts(now)
        shops.put(ids[0], summary)

    def _write_sale(
        self, table: Table, rid: int | None, p: dict[str, Any], verb: str, now: int
    ) -> int:
        creating = rid is None
        if creating:
            for key in ("employeeID", "registerID", "shopID"):
                if wire_scalar(p.get(key, "")).strip() in ("", "0"):
                    raise ApiError(
                        400,
                        f"Sale not created. A Sale must have an employeeID, registerID and "
                        f"shopID: {key} is missing.",
                    )
            rid = table.n + 1
            rec: dict[str, Any] = {
                "saleID": str(rid),
                "timeStamp": fmt_ts(now),
                "discountPercent": "0",
                "completed": "false",
                "archived": "false",
                "voided": "false",
                "enablePromotions": "true",
                "isTaxInclusive": "false",
                "createTime": fmt_ts(now),
                "updatetime": fmt_ts(now),
                "referenceNumber": "",
                "referenceNumberSource": "",
                "tax1Rate": "0.08",
                "tax2Rate": "0",
                "change": "0",
                "receiptPreference": "printed",
                "ticketNumber": f"220000{rid:06d}",
                "customerID": "0",
                "discountID": "0",
                "employeeID": "0",
                "quoteID": "0",
                "registerID": "0",
                "shipToID": "0",
                "shopID": "0",
                "taxCategoryID": "1",
                "SaleLines": "",
                "SalePayments": "",
            }
            was_completed = False
        else:
            rec = table.full(rid)
            was_completed = rec.get("completed") == "true"
        shops = range(1, self.shops + 1)
        fks = {
            "employeeID": g.EMPLOYEES,
            "registerID": shops,
            "shopID": shops,
            "customerID": range(1, self.tables["Customer"].n + 1),
            "discountID": {},
            "taxCategoryID": g.TAX_CATEGORIES,
            "quoteID": {},
            "shipToID": {},
        }
        for key, known in fks.items():
            if key in p:
                rec[key] = self._fk("Sale", verb, key, p[key], known)
        for key in ("referenceNumber", "referenceNumberSource", "receiptPreference"):
            if key in p:
                rec[key] = wire_scalar(p[key])
        if "archived" in p:
            rec["archived"] = "true" if as_bool(p["archived"]) else "false"
        if "voided" in p:
            rec["voided"] = "true" if as_bool(p["voided"]) else "false"
        lines = [dict(x) for x in unwrap(rec.get("SaleLines"), "SaleLine")]
        payments = [dict(x) for x in unwrap(rec.get("SalePayments"), "SalePayment")]
        if was_completed and ("SaleLines" in p or "SalePayments" in p):
            raise ApiError(400, f"Sale not {verb}. A completed sale cannot be changed.")
        items = self.tables["Item"]
        new_lines = []
        for el in unwrap(p.get("SaleLines"), "SaleLine"):
            new_lines.append(self._sale_line(rec, el, items, verb, now))
        lines = self._merge_by_id(lines, new_lines, "saleLineID")
        new_payments = []
        for el in unwrap(p.get("SalePayments"), "SalePayment"):
            new_payments.append(self._sale_payment(rec, el, verb, now))
        payments = self._merge_by_id(payments, new_payments, "salePaymentID")
        subtotal = sum(to_cents(x["calcSubtotal"]) for x in lines)
        tax = sum(to_cents(x["calcTax1"]) for x in lines)
        total = subtotal + tax
        paid = sum(to_cents(x["amount"]) for x in payments if x.get("archived") != "true")
        completing = "completed" in p and as_bool(p["completed"]) and not was_completed
        if completing:
            if rec["voided"] == "true":
                raise ApiError(400, f"Sale not {verb}. A voided sale cannot be completed.")
            if paid != total:
                raise ApiError(
                    400,
                    f"Sale not {verb}. Payments ({fmt_cents(paid)}) must balance the sale total "
                    f"({fmt_cents(total)}) to complete it.",
                )
        elif "completed" in p and not as_bool(p["completed"]) and was_completed:
            raise ApiError(400, f"Sale not {verb}. A completed sale cannot be reopened.")
        discount = sum(to_cents(x["discountAmount"]) for x in lines)
        rec.update(g.sale_total_fields(subtotal, tax, paid, discount))
        rec["SaleLines"] = wrap(lines, "SaleLine")
        rec["SalePayments"] = wrap(payments, "SalePayment")
        if completing:
            rec["completed"] = "true"
            rec["completeTime"] = fmt_ts(now)
        rec["timeStamp"] = fmt_ts(now)
        rec["updatetime"] = fmt_ts(now)
        table.put(rid, rec)
        if completing:
            shop = int(rec["shopID"] or 0)
            for line in lines:
                iid = int(line["itemID"])
                if iid and 1 <= shop <= self.shops and items.exists(iid):
                    self._set_stock(iid, shop, {}, now, delta=-int(line["unitQuantity"]))
        return rid

    @staticmethod
    def _merge_by_id(
        old: list[dict[str, Any]], new: list[dict[str, Any]], key: str
    ) -> list[dict[str, Any]]:
        by_id = {x[key]: i for i, x in enumerate(old)}
        out = list(old)
        for el in new:
            if el[key] in by_id:
                out[by_id[el[key]]] = el
            else:
                out.append(el)
        return out

    def _sale_line(
        self, sale: dict[str, Any], el: dict[str, Any], items: Table, verb: str, now: int
    ) -> dict[str, Any]:
        iid_text = wire_scalar(el.get("itemID", "0")) or "0"
        try:
            iid = int(float(iid_text))
            qty = int(float(wire_scalar(el.get("unitQuantity", 1)) or 1))
        except ValueError as exc:
            raise ApiError(400, f"Sale not {verb}. Invalid SaleLine.") from exc
        if iid and not items.exists(iid):
            raise ApiError(400, f"Sale not {verb}. Item with ID '{iid}' does not exist.")
        if qty == 0:
            raise ApiError(400, f"Sale not {verb}. unitQuantity cannot be 0.")
        try:
            if "unitPrice" in el:
                unit = to_cents(el["unitPrice"])
            elif iid:
                prices = unwrap(items.get(iid)["Prices"], "ItemPrice")
                unit = next((to_cents(x["amount"]) for x in prices if x["useType"] == "Default"), 0)
            else:
                unit = 0
            discount = to_cents(el.get("discountAmount", 0) or 0)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, f"Sale not {verb}. SaleLine amounts must be numbers.") from exc
        taxed = as_bool(el.get("tax", True))
        sub = unit * qty - discount
        tax = round(sub * g.TAX1_RATE) if taxed else 0
        line_id = wire_scalar(el.get("saleLineID", "")) or ""
        if not line_id or line_id == "0":
            line_id = str(self.next_line_id)
            self.next_line_id += 1
        return {
            "saleLineID": line_id,
            "createTime": fmt_ts(now),
            "timeStamp": fmt_ts(now),
            **g.sale_line_fields(qty, unit, discount, sub, tax, taxed=taxed),
            "customerID": sale.get("customerID", "0"),
            "discountID": "0",
            "employeeID": sale.get("employeeID", "0"),
            "itemID": str(iid),
            "noteID": "0",
            "parentSaleLineID": "0",
            "shopID": sale.get("shopID", "0"),
            "saleID": sale["saleID"],
        }

    def _sale_payment(
        self, sale: dict[str, Any], el: dict[str, Any], verb: str, now: int
    ) -> dict[str, Any]:
        try:
            amount = to_cents(el.get("amount", 0))
        except (TypeError, ValueError) as exc:
            raise ApiError(400, f"Sale not {verb}. Payment amount must be a number.") from exc
        ptype = self._fk(
            "Sale", verb, "paymentTypeID", el.get("paymentTypeID", 0), g.PAYMENT_TYPES, False
        )
        pay_id = wire_scalar(el.get("salePaymentID", "")) or ""
        if not pay_id or pay_id == "0":
            pay_id = str(self.next_payment_id)
            self.next_payment_id += 1
        return {
            "salePaymentID": pay_id,
            "amount": fmt_cents(amount),
            "tipAmount": "0",
            "createTime": fmt_ts(now),
            "archived": "true" if as_bool(el.get("archived", False)) else "false",
            "remoteReference": wire_scalar(el.get("remoteReference", "")),
            "paymentID": "",
            "saleID": sale["saleID"],
            "paymentTypeID": ptype,
            "ccChargeID": "0",
            "refPaymentID": "0",
            "registerID": sale.get("registerID", "0"),
            "employeeID": sale.get("employeeID", "0"),
            "creditAccountID": "0",
        }

    def add_image(
        self, iid: int, data: dict[str, Any], filename: str, size: int, now: int | None = None
    ) -> dict[str, Any]:
        """Store an uploaded image for an item and return it.

        Raises:
            ApiError: 404 when the item does not exist.
        """
        if not self.tables["Item"].exists(iid):
            raise ApiError(404, f"Object of type 'Item' not found with primary ID '{iid}'.")
        now = now or int(time.time())
        images = self.tables["Image"]
        mid = images.n + 1
        existing = len(self.image_ids(iid))
        ordering = wire_scalar(data.get("ordering", existing)) or str(existing)
        rec = {
            "imageID": str(mid),
            "description": wire_scalar(data.get("description", "")),
            "filename": filename,
            "ordering": ordering,
            "publicID": f"ls/{self.gen.account_tag}/{secrets.token_hex(10)}",
            "baseImageURL": g.IMAGE_BASE_URL,
            "size": str(size),
            "createTime": fmt_ts(now),
            "timeStamp": fmt_ts(now),
            "itemID": str(iid),
            "itemMatrixID": "0",
        }
        images.put(mid, rec)
        self.extra_images.setdefault(iid, []).append(mid)
        self.writes += 1
        return dict(rec)


def parse_json_body(body: bytes, entity: str, verb: str) -> dict[str, Any]:
    """Parse a JSON write body.

    Raises:
        ApiError: 400 when the body is not a JSON object.
    """
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ApiError(400, f"{entity} not {verb}. The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise ApiError(400, f"{entity} not {verb}. The request body must be a JSON object.")
    return data
