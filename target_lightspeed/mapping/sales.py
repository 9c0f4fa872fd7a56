"""Sales: matched by referenceNumber (and referenceNumberSource); lines, payments in one POST."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lightspeed_client.writes import wire_scalar
from target_lightspeed.mapping.fields import (
    BuildContext,
    EntityRules,
    MappingError,
    SaleRefs,
    elements,
    scalars,
    to_boolean,
    to_id,
    to_number,
    to_scalar,
    to_text,
)

if TYPE_CHECKING:
    from target_lightspeed.mapping.mapper import RecordMapper

SALE_FIELDS = ("completed", "receiptPreference")
#: States of a source sale the API cannot write (the writer reports them, not sends them).
SALE_STATES = ("voided", "archived")
SALE_REFERENCE_FKS = ("employeeID", "registerID", "shopID", "taxCategoryID", "discountID")
SALE_DEFAULTED_FKS = {
    "employeeID": "default_employee_id",
    "registerID": "default_register_id",
    "shopID": "default_shop_id",
}
LINE_FIELDS = ("unitQuantity", "unitPrice", "discountAmount", "discountPercent", "tax")
FLAT_SALE_COLUMNS = {
    "reference_number": "referenceNumber",
    "customer_id": "customerID",
    "employee_id": "employeeID",
    "register_id": "registerID",
    "shop_id": "shopID",
    "tax_category_id": "taxCategoryID",
    "sale_id": "saleID",
    "lines": "SaleLines",
    "payments": "SalePayments",
}
FLAT_LINE_COLUMNS = {
    "item_id": "itemID",
    "quantity": "unitQuantity",
    "unit_price": "unitPrice",
    "discount": "discountAmount",
    "discount_percent": "discountPercent",
    "discount_id": "discountID",
    "custom_sku": "customSku",
    "sku": "customSku",
}
FLAT_PAYMENT_COLUMNS = {"payment_type_id": "paymentTypeID"}
#: Fields read but never written (no "unknown column" warning).
READ_ONLY = frozenset(
    {
        "saleID",
        "timeStamp",
        "createTime",
        "updatetime",
        "updateTime",
        "ticketNumber",
        "discountPercent",
        "enablePromotions",
        "isTaxInclusive",
        "tax1Rate",
        "tax2Rate",
        "change",
        "displayableSubtotal",
        "displayableTotal",
        "total",
        "totalDue",
        "balance",
        "taxTotal",
        "quoteID",
        "shipToID",
        "referenceNumberSource",
        "customer_email",
    }
)


def normalize(mapper: RecordMapper, record: Mapping[str, Any]) -> dict[str, Any]:
    """Fold flat columns (``reference_number``, ``lines``, ``payments``...) into a sale.

    The ``normalize`` of :class:`~target_lightspeed.mapping.fields.EntityRules`.
    """
    out: dict[str, Any] = {}
    known = set(SALE_FIELDS) | set(SALE_STATES) | set(SALE_REFERENCE_FKS)
    known |= {"SaleLines", "SalePayments"}
    known |= {"referenceNumber", "customerID", "calcTotal"} | READ_ONLY
    known |= set(FLAT_SALE_COLUMNS)
    for key, value in record.items():
        out[FLAT_SALE_COLUMNS.get(key, key)] = value
    out["SaleLines"] = [
        {FLAT_LINE_COLUMNS.get(k, k): v for k, v in line.items()}
        for line in elements(out.get("SaleLines"), "SaleLine", "SaleLines")
    ]
    out["SalePayments"] = [
        {FLAT_PAYMENT_COLUMNS.get(k, k): v for k, v in payment.items()}
        for payment in elements(out.get("SalePayments"), "SalePayment", "SalePayments")
    ]
    mapper.warn_unknown({k: v for k, v in record.items() if not k.startswith("calc")}, known)
    return out


def reference_number(mapper: RecordMapper, rec: Mapping[str, Any], source_id: str | None) -> str:
    """Return the sale's reference number: given, else derived from its source id.

    Args:
        mapper: The sales stream's mapper.
        rec: The sale in tap shape.
        source_id: The source saleID.

    Returns:
        The reference number.

    Raises:
        MappingError: Neither a reference number nor a source id.
    """
    given = to_text(rec.get("referenceNumber"))
    if given:
        return given
    if source_id:
        return f"{mapper.stream}-{source_id}"
    msg = "sales need a referenceNumber (or reference_number) or a saleID to be matched"
    raise MappingError(msg, field="referenceNumber")


def source_states(rec: Mapping[str, Any]) -> list[str]:
    """Return the states of a source sale that no write can copy (``voided``, ``archived``).

    Args:
        rec: The sale in tap shape.

    Returns:
        The names of those that are true.
    """
    return [name for name in SALE_STATES if to_boolean(rec.get(name), name)]


def build(mapper: RecordMapper, rec: dict[str, Any], context: BuildContext) -> dict[str, Any]:
    """Build a sale's payload with its lines and payments; set its referenceNumber in ``rec``.

    ``completed`` is what the source says: the writer creates the sale open and completes it
    only when its payments equal the total the target account computes. ``voided`` and
    ``archived`` are not written (the API refuses them; the writer reports them).

    The ``build`` of :class:`~target_lightspeed.mapping.fields.EntityRules`.
    """
    source_id, refs = context.source_id, context.refs
    payload: dict[str, Any] = {
        "referenceNumber": reference_number(mapper, rec, source_id),
        "referenceNumberSource": mapper.settings.reference_number_source,
        "enablePromotions": mapper.settings.enable_promotions,
    }
    payload.update(scalars(rec, SALE_FIELDS))
    complete_time = to_text(rec.get("completeTime"))
    if payload.get("completed") and complete_time:
        payload["completeTime"] = complete_time
    for name in SALE_REFERENCE_FKS:
        mapped = mapper.reference_fk(name, rec.get(name), name) if name in rec else None
        if mapped is None and name in SALE_DEFAULTED_FKS:
            mapped = mapper.settings.defaults.get(SALE_DEFAULTED_FKS[name])
            if not mapped:
                setting = SALE_DEFAULTED_FKS[name]
                msg = (
                    f"field '{name}': a sale needs one in the target account; set the "
                    f"{setting} setting (or map {name} with id_map)"
                )
                raise MappingError(msg, field=name)
        if mapped is not None:
            payload[name] = mapped
    customer = _customer(mapper, rec, refs)
    if customer is not None:
        payload["customerID"] = customer
    lines = []
    for index, line in enumerate(rec.get("SaleLines") or []):
        lines.append(_line(mapper, line, index, refs))
    payments = []
    for index, payment in enumerate(rec.get("SalePayments") or []):
        payments.append(_payment(mapper, payment, index))
    payload["SaleLines"] = lines
    payload["SalePayments"] = payments
    rec["referenceNumber"] = payload["referenceNumber"]  # the match key reads it
    return payload


def paid(body: Mapping[str, Any]) -> Decimal:
    """Return the sum of a sale body's payments that count (not archived).

    Args:
        body: The sale's write body (wrapped form).

    Returns:
        The amount.
    """
    payments = elements(body.get("SalePayments"), "SalePayment", "SalePayments")
    return sum(
        (Decimal(wire_scalar(p.get("amount")) or 0) for p in payments if not _archived(p)),
        start=Decimal(0),
    )


def _archived(payment: Mapping[str, Any]) -> bool:
    return str(payment.get("archived")).lower() in ("true", "1")


def _customer(mapper: RecordMapper, rec: Mapping[str, Any], refs: SaleRefs) -> str | None:
    email = to_text(rec.get("customer_email")).lower()
    if email:
        target = refs.customers_by_email.get(email)
        if target is None:
            msg = (
                f"field 'customer_email': no customer with email {email!r} in the target "
                "account (sync the customers first)"
            )
            raise MappingError(msg, field="customer_email")
        return target
    source = to_id(rec.get("customerID"), "customerID")
    if source is None:
        return None
    refs.check_unambiguous("customers", source, "customerID")
    target = refs.customers.get(source)
    if target is not None:
        return target
    if "customerID" in mapper.settings.keep_foreign_keys:
        return source
    msg = (
        f"field 'customerID': customer {source} of the source account has no counterpart "
        "in the target account: write the customers stream first (same ledger), or list "
        "customerID in keep_foreign_keys if the ids are the target's"
    )
    raise MappingError(msg, field="customerID")


def _line(
    mapper: RecordMapper, line: Mapping[str, Any], index: int, refs: SaleRefs
) -> dict[str, Any]:
    where = f"SaleLines[{index}]"
    out: dict[str, Any] = {}
    item: str | None = None
    by_key = next(
        (f"{k}={to_text(line[k])}" for k in ("customSku", "upc", "ean") if to_text(line.get(k))),
        None,
    )
    if by_key is not None:
        item = refs.items_by_key.get(by_key)
        if item is None:
            msg = f"field '{where}': no item with {by_key} in the target account"
            raise MappingError(msg, field=f"{where}.itemID")
    else:
        source = to_id(line.get("itemID"), f"{where}.itemID")
        if source is not None:
            refs.check_unambiguous("items", source, f"{where}.itemID")
            item = refs.items.get(source)
            if item is None and "itemID" in mapper.settings.keep_foreign_keys:
                item = source
            if item is None:
                msg = (
                    f"field '{where}.itemID': item {source} of the source account has no "
                    "counterpart in the target account: write the items stream first "
                    "(same ledger)"
                )
                raise MappingError(msg, field=f"{where}.itemID")
    if item is not None:
        out["itemID"] = item
    discount = mapper.reference_fk("discountID", line.get("discountID"), f"{where}.discountID")
    if discount is not None:
        out["discountID"] = discount
    for name in LINE_FIELDS:
        if name in line and line[name] not in (None, ""):
            out[name] = to_scalar(name, line[name], f"{where}.{name}")
    return out


def _payment(mapper: RecordMapper, payment: Mapping[str, Any], index: int) -> dict[str, Any]:
    where = f"SalePayments[{index}]"
    amount = to_number(payment.get("amount"), f"{where}.amount")
    if amount is None:
        raise MappingError(f"field '{where}.amount': missing", field="amount")
    out: dict[str, Any] = {"amount": amount}
    ptype = mapper.reference_fk(
        "paymentTypeID", payment.get("paymentTypeID"), f"{where}.paymentTypeID"
    )
    ptype = ptype or mapper.settings.defaults.get("default_payment_type_id")
    if not ptype:
        msg = (
            f"field '{where}.paymentTypeID': a payment needs a payment type of the target "
            "account; set default_payment_type_id (or map paymentTypeID with id_map)"
        )
        raise MappingError(msg, field="paymentTypeID")
    out["paymentTypeID"] = ptype
    archived = to_boolean(payment.get("archived"), f"{where}.archived")
    if archived:
        out["archived"] = True
    return out


RULES = EntityRules(
    entity="sales",
    wire="Sale",
    source_id_field="saleID",
    key_fields={"referenceNumber": ("referenceNumber", ())},
    default_match_keys=("referenceNumber",),
    normalize=normalize,
    build=build,
)
