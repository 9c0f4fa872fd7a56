"""Sales with their lines and payments: generated table, relations, writes."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from .. import generate as g
from ..store import EntitySpec, Table
from ..wire import (
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
from .base import Entity, empty_relations, foreign_key, not_found, tax_category
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
        "tipEnabled",
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
        "calcTips",
        "total",
        "totalDue",
        "displayableTotal",
        "balance",
        "customerID",
        "discountID",
        "employeeID",
        "tipEmployeeID",
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
        "SaleLines.Discount": False,
        "SaleLines.Note": False,
        "SalePayments.PaymentType": False,
        "SalePayments.CCCharge": False,
        "Customer.Contact": False,
    },
)


def relations(account: Account, rec: dict[str, Any], rid: int, rels: frozenset[str]) -> None:
    """Add a sale's computed relations (items of its lines, payment types, Customer, ...)."""
    empty_relations(rec, rels, ("SaleNotes",))
    discounts = account.tables["Discount"]
    line_item, line_discount = "SaleLines.Item" in rels, "SaleLines.Discount" in rels
    if (line_item or line_discount) and rec.get("SaleLines"):
        items = account.tables["Item"]
        item_rels = frozenset({"ItemShops"}) if "SaleLines.Item.ItemShops" in rels else None
        lines = []
        for line in unwrap(rec["SaleLines"], "SaleLine"):
            line = dict(line)
            iid = int(line.get("itemID") or 0)
            if line_item and items.exists(iid):
                line["Item"] = (
                    account.materialize("Item", iid, item_rels) if item_rels else items.get(iid)
                )
            did = int(line.get("discountID") or 0)
            if line_discount and discounts.exists(did):
                line["Discount"] = discounts.get(did)
            lines.append(line)
        rec["SaleLines"] = wrap(lines, "SaleLine")
    did = int(rec.get("discountID") or 0)
    if "Discount" in rels and discounts.exists(did):
        rec["Discount"] = discounts.get(did)
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
        rec["TaxCategory"] = tax_category(tax, account.gen.taxes[tax])


#: The sale fields a write cannot change (the state they name has its own way).
STATE_FIELDS = {
    "voided": "voided cannot be set by a write: a sale is voided in Lightspeed Retail "
    "(Register, with the admin_void_sale permission), not through the API",
    "archived": "archived cannot be set by a write: DELETE archives a sale (an open one only)",
}


def write(
    account: Account, table: Table, rid: int | None, p: dict[str, Any], verb: str, now: int
) -> int:
    """Create (``rid`` None) or update a sale, its lines and payments; return its id.

    The totals are computed from the lines and the account's own tax rates. Completing a sale
    checks that the payments equal that total and takes its items out of stock; the legacy
    ``timeStamp`` then stays at the completion time while ``updatetime`` follows every change.

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
            "change": "0",
            "tipEnabled": "false",
            "receiptPreference": "printed",
            "ticketNumber": f"220000{rid:06d}",
            "customerID": "0",
            "discountID": "0",
            "employeeID": "0",
            "tipEmployeeID": "0",
            "quoteID": "0",
            "registerID": "0",
            "shipToID": "0",
            "shopID": "0",
            "taxCategoryID": "1",
            "SaleLines": "",
            "SalePayments": "",
        }
        if "enablePromotions" in p:  # set on creation only
            rec["enablePromotions"] = "true" if as_bool(p["enablePromotions"]) else "false"
        was_completed = False
    else:
        rec = table.full(rid)
        was_completed = rec.get("completed") == "true"
    shops = range(1, account.shops + 1)
    fks = {
        "employeeID": g.EMPLOYEES,
        "tipEmployeeID": g.EMPLOYEES,
        "registerID": shops,
        "shopID": shops,
        "customerID": range(1, account.tables["Customer"].n + 1),
        "discountID": g.DISCOUNT_ROWS,
        "taxCategoryID": g.TAX_CATEGORIES,
        "quoteID": {},
        "shipToID": {},
    }
    priced = (rec.get("discountID"), rec.get("taxCategoryID"))
    for key, known in fks.items():
        if key in p:
            rec[key] = foreign_key("Sale", verb, key, p[key], known)
    if was_completed and (rec.get("discountID"), rec.get("taxCategoryID")) != priced:
        raise ApiError(
            400, f"Sale not {verb}. A completed sale's discount and tax category cannot change."
        )
    if "discountID" in p:
        percent = g.discount_percent(int(rec["discountID"]))
        if rec["discountID"] != "0" and percent == "0":
            raise ApiError(400, f"Sale not {verb}. Sales can only have percentage discounts.")
        rec["discountPercent"] = percent
    for key in ("referenceNumber", "referenceNumberSource", "receiptPreference"):
        if key in p:
            rec[key] = wire_scalar(p[key])
    if "tipEnabled" in p:
        rec["tipEnabled"] = "true" if as_bool(p["tipEnabled"]) else "false"
    _state_fields(account, rec, p, verb)
    complete_time = _complete_time(p, verb, now)
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
    total, paid = _totals(account, rec, lines, payments)
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
    if complete_time is not None:
        rec["completeTime"] = fmt_ts(complete_time)
    if completing:
        rec["completed"] = "true"
        rec.setdefault("completeTime", fmt_ts(now))
        rec["timeStamp"] = rec["completeTime"]  # frozen from now on
    elif not was_completed:
        rec["timeStamp"] = fmt_ts(now)
    rec["updatetime"] = fmt_ts(now)
    table.put(rid, rec)
    if completing:
        _move_stock(account, rec, lines, now, -1)
    return rid


def _state_fields(account: Account, rec: dict[str, Any], p: dict[str, Any], verb: str) -> None:
    """Apply ``voided``/``archived`` of a write: refused when they would change the sale.

    The official pages list neither among the attributes of a Sale PUT (voiding is not an
    API action; DELETE archives). Sending the value the sale already has is accepted. The
    ``lenient_sales`` setting restores the sandbox's old behaviour: both are written.

    Raises:
        ApiError: 400 for a change.
    """
    for key, why in STATE_FIELDS.items():
        if key not in p:
            continue
        value = "true" if as_bool(p[key]) else "false"
        if value != rec[key] and not account.lenient_sales:
            raise ApiError(400, f"Sale not {verb}. {why}.")
        rec[key] = value


def _complete_time(p: dict[str, Any], verb: str, now: int) -> int | None:
    """Return the ``completeTime`` of a write (a past time; ``None`` when not sent).

    Raises:
        ApiError: 400 for a time that is not a timestamp or lies in the future.
    """
    raw = wire_scalar(p.get("completeTime", "")).strip()
    if not raw:
        return None
    try:
        when = parse_ts(raw)
    except ValueError as exc:
        raise ApiError(400, f"Sale not {verb}. completeTime is not a valid date/time.") from exc
    if when > now:
        raise ApiError(400, f"Sale not {verb}. completeTime cannot be in the future.")
    return when


def _totals(
    account: Account, rec: dict[str, Any], lines: list[dict[str, Any]], payments: list[dict]
) -> tuple[int, int]:
    """Store a sale's lines, payments and totals; return (total, paid) in cents.

    Every line is priced again (:func:`_price_line`): the sale's tax category and discount
    may have changed since it was written.
    """
    tax = account.gen.taxes[int(rec.get("taxCategoryID") or 1)]
    money = [_price_line(account, rec, line) for line in lines]
    paid = sum(to_cents(x["amount"]) for x in payments if x.get("archived") != "true")
    rec.update(g.sale_total_fields(money, paid))
    rec["tax1Rate"] = g.fmt_rate(tax.rate1)
    rec["tax2Rate"] = g.fmt_rate(tax.rate2)
    rec["SaleLines"] = wrap(lines, "SaleLine")
    rec["SalePayments"] = wrap(payments, "SalePayment")
    return sum(m.total for m in money), paid


def _price_line(account: Account, sale: dict[str, Any], line: dict[str, Any]) -> g.LineMoney:
    """Compute a line's taxes and money fields (in place) and return its money.

    From its price and discount, the sale's tax category (the account's rates for the line's
    tax class) and the sale's discount (a transaction discount on lines sold, not refunds).
    """
    tax = account.gen.taxes[int(sale.get("taxCategoryID") or 1)]
    rates = tax.rates(int(line.get("taxClassID") or 1), line.get("tax") == "true")
    qty = int(line["unitQuantity"])
    transaction = g.discount_percent(int(sale.get("discountID") or 0)) if qty > 0 else "0"
    money = g.price_line(
        qty,
        to_cents(line["unitPrice"]),
        rates,
        to_cents(line.get("discountAmount") or 0),
        line.get("discountPercent") or "0",
        transaction,
    )
    line["tax1Rate"] = g.fmt_rate(rates[0])
    line["tax2Rate"] = g.fmt_rate(rates[1])
    line.update(g.line_money_fields(money))
    return money


def _move_stock(
    account: Account, rec: dict[str, Any], lines: list[dict[str, Any]], now: int, sign: int
) -> None:
    """Take a sale's items out of stock (``sign`` -1) or restock them (+1)."""
    items = account.tables["Item"]
    shop = int(rec["shopID"] or 0)
    for line in lines:
        iid = int(line["itemID"])
        if iid and 1 <= shop <= account.shops and items.exists(iid):
            set_stock(account, iid, shop, {}, now, delta=sign * int(line["unitQuantity"]))


def archive(account: Account, rec: dict[str, Any], now: int) -> None:
    """Archive a sale (DELETE): open sales only, as the official Sale page says.

    Raises:
        ApiError: 400 for a completed sale (unless ``lenient_sales``).
    """
    completed = rec.get("completed") == "true"
    if completed and not account.lenient_sales:
        raise ApiError(400, "Sale not deleted. You can't archive a completed sale.")
    rec["archived"] = "true"
    if not completed:
        rec["timeStamp"] = fmt_ts(now)
    rec["updatetime"] = fmt_ts(now)


def void(account: Account, sid: int, now: int) -> dict[str, Any]:
    """Void a sale as Lightspeed Retail does (the API has no way to): the sandbox's admin hook.

    The items of a completed sale go back into stock; ``updatetime`` moves, ``timeStamp`` of a
    completed sale does not.

    Raises:
        ApiError: 404 for an unknown sale, 400 for one already voided.
    """
    table = account.tables["Sale"]
    if not table.exists(sid):
        raise not_found("Sale", sid)
    rec = table.full(sid)
    if rec["voided"] == "true":
        raise ApiError(400, f"Sale {sid} is already voided.")
    rec["voided"] = "true"
    if rec["completed"] != "true":
        rec["timeStamp"] = fmt_ts(now)
    rec["updatetime"] = fmt_ts(now)
    table.put(sid, rec)
    if rec["completed"] == "true":
        _move_stock(account, rec, unwrap(rec.get("SaleLines"), "SaleLine"), now, 1)
    account.writes += 1
    return account.materialize("Sale", sid, SALE.write_relations)


def write_line(
    account: Account, sid: int, line_id: int | None, method: str, p: dict[str, Any], now: int
) -> dict[str, Any]:
    """POST, PUT or DELETE one line of an open sale (``/Sale/{id}/SaleLine[/{lineID}]``).

    Returns:
        The line as stored (as deleted, for a DELETE).

    Raises:
        ApiError: 404 for an unknown sale or line; 400 when the sale is completed or archived
            (the official Sale SaleLine page: "the specified sale must not be completed or
            archived"), or for an invalid line.
    """
    verb = {"POST": "created", "PUT": "updated", "DELETE": "deleted"}[method]
    table = account.tables["Sale"]
    if not table.exists(sid):
        raise not_found("Sale", sid)
    rec = table.full(sid)
    for state in ("completed", "archived"):
        if rec.get(state) == "true":
            raise ApiError(
                400, f"SaleLine not {verb}. The sale is {state}: its lines cannot change."
            )
    lines = [dict(x) for x in unwrap(rec.get("SaleLines"), "SaleLine")]
    position = None
    if line_id is not None:
        position = next((i for i, x in enumerate(lines) if x["saleLineID"] == str(line_id)), None)
        if position is None:
            raise not_found("SaleLine", line_id)
    items = account.tables["Item"]
    if method == "DELETE":
        assert position is not None
        done = lines.pop(position)
    elif position is None:
        done = _sale_line(account, rec, p, items, verb, now, "SaleLine")
        lines.append(done)
    else:
        old = lines[position]
        kept = ("itemID", "unitQuantity", "unitPrice", "tax", *LINE_DISCOUNT_FIELDS)
        merged = {k: old[k] for k in kept if k in old}
        if any(k in p for k in LINE_DISCOUNT_FIELDS):  # a new discount replaces the old one
            for k in LINE_DISCOUNT_FIELDS:
                merged.pop(k, None)
        merged.update(p, saleLineID=old["saleLineID"])
        done = _sale_line(account, rec, merged, items, verb, now, "SaleLine")
        done["createTime"] = old["createTime"]
        lines[position] = done
    payments = unwrap(rec.get("SalePayments"), "SalePayment")
    _totals(account, rec, lines, payments)
    rec["timeStamp"] = fmt_ts(now)
    rec["updatetime"] = fmt_ts(now)
    table.put(sid, rec)
    account.writes += 1
    return done


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


#: A line's discount fields: a write gives the amount or the percent, or the Discount (whose
#: amount or percent the line then takes).
LINE_DISCOUNT_FIELDS = ("discountID", "discountAmount", "discountPercent")


def _sale_line(
    account: Account,
    sale: dict[str, Any],
    el: dict[str, Any],
    items: Table,
    verb: str,
    now: int,
    entity: str = "Sale",
) -> dict[str, Any]:
    """Build a line of a write (``unitQuantity`` 0 is a valid line).

    Its price comes from the item unless given; its discount is ``discountAmount`` or
    ``discountPercent`` (not both, as the SaleLine page says), else its Discount's
    (``discountID``); its tax comes from the account's tax category and the line's tax class.
    """
    iid_text = wire_scalar(el.get("itemID", "0")) or "0"
    try:
        iid = int(float(iid_text))
        qty_text = wire_scalar(el.get("unitQuantity", 1))
        qty = int(float(qty_text)) if qty_text.strip() else 1
    except ValueError as exc:
        raise ApiError(400, f"{entity} not {verb}. Invalid SaleLine.") from exc
    if iid and not items.exists(iid):
        raise ApiError(400, f"{entity} not {verb}. Item with ID '{iid}' does not exist.")
    discount = int(
        foreign_key(entity, verb, "discountID", el.get("discountID", 0), g.DISCOUNT_ROWS)
    )
    try:
        if "unitPrice" in el:
            unit = to_cents(el["unitPrice"])
        elif iid:
            prices = unwrap(items.get(iid)["Prices"], "ItemPrice")
            unit = next((to_cents(x["amount"]) for x in prices if x["useType"] == "Default"), 0)
        else:
            unit = 0
        if "discountAmount" in el or "discountPercent" in el:
            amount = to_cents(el.get("discountAmount", 0) or 0)
        else:
            amount = g.discount_amount(discount)
    except (TypeError, ValueError) as exc:
        raise ApiError(400, f"{entity} not {verb}. SaleLine amounts must be numbers.") from exc
    if "discountAmount" in el or "discountPercent" in el:
        percent = _percent(el.get("discountPercent", 0), entity, verb)
    else:
        percent = g.discount_percent(discount)
    if amount and percent != "0":
        raise ApiError(
            400,
            f"{entity} not {verb}. A SaleLine can have a dollar amount or a percentage "
            "discount, not both.",
        )
    taxed = as_bool(el.get("tax", True))
    tax_class = int(items.get(iid).get("taxClassID") or 1) if iid else 1
    line_id = wire_scalar(el.get("saleLineID", "")) or ""
    if not line_id or line_id == "0":
        line_id = str(account.next_line_id)
        account.next_line_id += 1
    line = {
        "saleLineID": line_id,
        "createTime": fmt_ts(now),
        "timeStamp": fmt_ts(now),
        **g.sale_line_fields(
            qty,
            unit,
            g.price_line(qty, unit, (0, 0)),  # priced below, with the sale's taxes
            taxed=taxed,
            rates=(0, 0),
            tax_class=tax_class,
            discount_amount=amount,
            discount_percent=percent,
        ),
        "customerID": sale.get("customerID", "0"),
        "discountID": str(discount),
        "employeeID": sale.get("employeeID", "0"),
        "itemID": str(iid),
        "noteID": "0",
        "parentSaleLineID": "0",
        "shopID": sale.get("shopID", "0"),
        "saleID": sale["saleID"],
    }
    for key in ("sortorder", "lineType"):
        if key in el:
            line[key] = wire_scalar(el[key])
    _price_line(account, sale, line)
    return line


def _percent(value: Any, entity: str, verb: str) -> str:
    """Return a written ``discountPercent`` in wire form (``0.1`` is 10%).

    Raises:
        ApiError: 400 for a value that is not a number between 0 and 1.
    """
    text = wire_scalar(value).strip() or "0"
    try:
        percent = Decimal(text)
    except InvalidOperation as exc:
        raise ApiError(400, f"{entity} not {verb}. discountPercent must be a number.") from exc
    if not 0 <= percent <= 1:
        raise ApiError(400, f"{entity} not {verb}. discountPercent must be between 0 and 1 (100%).")
    return format(percent.normalize(), "f") if percent else "0"


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
        gen.sale_timestamp,
        lambda i: gen.archived(g.K_SALE, i),
    )


SALE = Entity(
    SPEC,
    make_table,
    relations,
    write,
    write_relations=frozenset({"SaleLines", "SalePayments"}),
    record_relations=frozenset({"SaleLines", "SalePayments"}),
    archive=archive,
)
