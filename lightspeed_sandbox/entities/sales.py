"""Sales with their lines and payments: generated table, relations, writes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import generate as g
from ..store import EntitySpec, Table
from ..wire import ApiError, as_bool, fmt_cents, fmt_ts, to_cents, unwrap, wire_scalar, wrap
from .base import Entity, empty_relations, foreign_key, tax_category
from .items import set_stock

if TYPE_CHECKING:
    from ..accounts import Account

FIELDS = frozenset(
    [
        "saleID",
        "timeStamp",
        "discountPercent",
        "completed",
        "archived",
        "voided",
        "enablePromotions",
        "isTaxInclusive",
        "createTime",
        "updatetime",
        "completeTime",
        "referenceNumber",
        "referenceNumberSource",
        "tax1Rate",
        "tax2Rate",
        "change",
        "receiptPreference",
        "displayableSubtotal",
        "ticketNumber",
        "calcDiscount",
        "calcTotal",
        "calcSubtotal",
        "calcTaxable",
        "calcNonTaxable",
        "calcAvgCost",
        "calcFIFOCost",
        "calcTax1",
        "calcTax2",
        "calcPayments",
        "total",
        "totalDue",
        "displayableTotal",
        "balance",
        "customerID",
        "discountID",
        "employeeID",
        "quoteID",
        "registerID",
        "shipToID",
        "shopID",
        "taxCategoryID",
        "taxTotal",
    ]
)


SPEC = EntitySpec(
    "Sale",
    "saleID",
    g.K_SALE,
    {
        "SaleLines": True,
        "SalePayments": True,
        "SaleNotes": True,
        "Customer": False,
        "Discount": False,
        "TaxCategory": False,
        "ShipTo": False,
        "Quote": False,
    },
    frozenset({"SaleLines", "SalePayments"}),
    ("saleID", "timeStamp", "completeTime", "updatetime"),
    FIELDS,
    True,
    frozenset({"saleID", "timeStamp", "completeTime", "updatetime"}),
    {
        "SaleLines.Item": False,
        "SaleLines.Item.ItemShops": True,
        "SaleLines.Note": False,
        "SalePayments.PaymentType": False,
        "SalePayments.CCCharge": False,
        "Customer.Contact": False,
    },
)


def relations(account: Account, rec: dict[str, Any], rid: int, rels: frozenset[str]) -> None:
    """Add a sale's computed relations (items of its lines, payment types, Customer, ...)."""
    empty_relations(rec, rels, ("SaleNotes",))
    if "SaleLines.Item" in rels and rec.get("SaleLines"):
        items = account.tables["Item"]
        item_rels = frozenset({"ItemShops"}) if "SaleLines.Item.ItemShops" in rels else None
        lines = []
        for line in unwrap(rec["SaleLines"], "SaleLine"):
            line = dict(line)
            iid = int(line.get("itemID") or 0)
            if items.exists(iid):
                line["Item"] = (
                    account.materialize("Item", iid, item_rels) if item_rels else items.get(iid)
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
    customers = account.tables["Customer"]
    if "Customer" in rels and customers.exists(cid):
        crels = frozenset({"Contact"}) if "Customer.Contact" in rels else frozenset()
        rec["Customer"] = account.materialize("Customer", cid, crels)
    tax = int(rec.get("taxCategoryID") or 0)
    if "TaxCategory" in rels and tax in g.TAX_CATEGORIES:
        rec["TaxCategory"] = tax_category(tax)


def write(
    account: Account, table: Table, rid: int | None, p: dict[str, Any], verb: str, now: int
) -> int:
    """Create (``rid`` None) or update a sale, its lines and payments; return its id.

    Completing a sale checks that the payments balance it and takes its items out of stock.

    Raises:
        ApiError: 400 on invalid fields or a change the sale's state forbids.
    """
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
    shops = range(1, account.shops + 1)
    fks = {
        "employeeID": g.EMPLOYEES,
        "registerID": shops,
        "shopID": shops,
        "customerID": range(1, account.tables["Customer"].n + 1),
        "discountID": {},
        "taxCategoryID": g.TAX_CATEGORIES,
        "quoteID": {},
        "shipToID": {},
    }
    for key, known in fks.items():
        if key in p:
            rec[key] = foreign_key("Sale", verb, key, p[key], known)
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
    items = account.tables["Item"]
    new_lines = []
    for el in unwrap(p.get("SaleLines"), "SaleLine"):
        new_lines.append(_sale_line(account, rec, el, items, verb, now))
    lines = _merge_by_id(lines, new_lines, "saleLineID")
    new_payments = []
    for el in unwrap(p.get("SalePayments"), "SalePayment"):
        new_payments.append(_sale_payment(account, rec, el, verb, now))
    payments = _merge_by_id(payments, new_payments, "salePaymentID")
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
            if iid and 1 <= shop <= account.shops and items.exists(iid):
                set_stock(account, iid, shop, {}, now, delta=-int(line["unitQuantity"]))
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
    account: Account, sale: dict[str, Any], el: dict[str, Any], items: Table, verb: str, now: int
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
        line_id = str(account.next_line_id)
        account.next_line_id += 1
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
    account: Account, sale: dict[str, Any], el: dict[str, Any], verb: str, now: int
) -> dict[str, Any]:
    try:
        amount = to_cents(el.get("amount", 0))
    except (TypeError, ValueError) as exc:
        raise ApiError(400, f"Sale not {verb}. Payment amount must be a number.") from exc
    ptype = foreign_key(
        "Sale", verb, "paymentTypeID", el.get("paymentTypeID", 0), g.PAYMENT_TYPES, False
    )
    pay_id = wire_scalar(el.get("salePaymentID", "")) or ""
    if not pay_id or pay_id == "0":
        pay_id = str(account.next_payment_id)
        account.next_payment_id += 1
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


def make_table(account: Account) -> Table:
    """The account's generated sales."""
    gen = account.gen

    def complete_time(i: int) -> str | None:
        c = gen.sale_complete_time(i)
        return fmt_ts(c) if c else None

    return Table(
        SPEC,
        account.volumes["sales"],
        gen.sale,
        {
            "completeTime": complete_time,
            "updatetime": lambda i: fmt_ts(gen.timestamp(g.K_SALE, i)),
        },
        lambda i: gen.timestamp(g.K_SALE, i),
        lambda i: gen.archived(g.K_SALE, i),
    )


SALE = Entity(
    SPEC,
    make_table,
    relations,
    write,
    write_relations=frozenset({"SaleLines", "SalePayments"}),
    record_relations=frozenset({"SaleLines", "SalePayments"}),
    change_times=("timeStamp", "updatetime"),
)
