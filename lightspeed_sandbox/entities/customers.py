"""Customers: generated table, computed relations, writes (with the Contact)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import generate as g
from ..store import EntitySpec, Table
from ..wire import ApiError, as_bool, fmt_ts, parse_ts, unwrap, wire_scalar, wrap
from .base import Entity, empty_relations, foreign_key, row_relations, tax_category

if TYPE_CHECKING:
    from ..accounts import Account

FIELDS = frozenset(
    [
        "customerID",
        "firstName",
        "lastName",
        "title",
        "company",
        "companyRegistrationNumber",
        "vatNumber",
        "dob",
        "createTime",
        "timeStamp",
        "archived",
        "contactID",
        "creditAccountID",
        "customerTypeID",
        "discountID",
        "taxCategoryID",
        "employeeID",
        "noteID",
    ]
)


SPEC = EntitySpec(
    "Customer",
    "customerID",
    g.K_CUSTOMER,
    {
        "Contact": False,
        "CustomerType": False,
        "Discount": False,
        "Note": False,
        "TaxCategory": False,
        "CreditAccount": False,
        "Tags": True,
        "CustomFieldValues": True,
    },
    frozenset({"Contact"}),
    ("customerID", "timeStamp", "firstName", "lastName"),
    FIELDS,
    True,
    frozenset({"customerID", "timeStamp"}),
    {"Contact.Addresses": True, "Contact.Phones": True, "Contact.Emails": True},
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


def relations(account: Account, rec: dict[str, Any], rid: int, rels: frozenset[str]) -> None:
    """Add a customer's computed relations (CustomerType, Discount, TaxCategory, Tags, ...).

    CustomerType, Discount and CreditAccount are the rows their endpoints serve.
    """
    row_relations(
        account,
        rec,
        rels,
        (
            ("CustomerType", "customerTypeID"),
            ("Discount", "discountID"),
            ("CreditAccount", "creditAccountID"),
        ),
    )
    tax = int(rec.get("taxCategoryID") or 0)
    if "TaxCategory" in rels and tax in g.TAX_CATEGORIES:
        rec["TaxCategory"] = tax_category(tax, account.gen.taxes[tax])
    if "CustomFieldValues" in rels:
        generated = rid <= account.gen.n_customers
        values = account.gen.customer_custom_field_values(rid) if generated else []
        rec["CustomFieldValues"] = wrap(values, "CustomFieldValue")
    empty_relations(rec, rels, ("Tags",))


def write(
    account: Account, table: Table, rid: int | None, p: dict[str, Any], verb: str, now: int
) -> int:
    """Create (``rid`` None) or update a customer and its Contact; return its id.

    Raises:
        ApiError: 400 on invalid fields.
    """
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
            "employeeID": "0",
            "noteID": "0",
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
        "discountID": g.DISCOUNT_ROWS,
        "taxCategoryID": g.TAX_CATEGORIES,
        "creditAccountID": {},
    }
    for key, known in fks.items():
        if key in p:
            rec[key] = foreign_key("Customer", verb, key, p[key], known)
    discount = int(rec["discountID"])
    if "discountID" in p and discount and g.discount_percent(discount) == "0":  # Discount page
        raise ApiError(400, f"Customer not {verb}. Customers can only have percentage discounts.")
    if "Contact" in p and p["Contact"] not in (None, ""):
        if not isinstance(p["Contact"], dict):
            raise ApiError(400, f"Customer not {verb}. Contact must be an object.")
        rec["Contact"] = _contact(rec.get("Contact") or {}, p["Contact"], verb, now)
    rec["timeStamp"] = fmt_ts(now)
    table.put(rid, rec)
    return rid


def _contact(old: dict[str, Any], p: dict[str, Any], verb: str, now: int) -> dict:
    contact = dict(old) or dict(EMPTY_CONTACT)
    for key in ("custom", "noEmail", "noPhone", "noMail"):
        if key in p:
            contact[key] = (
                wire_scalar(p[key]) if key == "custom" else ("true" if as_bool(p[key]) else "false")
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


def make_table(account: Account) -> Table:
    """The account's generated customers."""
    gen = account.gen
    return Table(
        SPEC,
        account.volumes["customers"],
        gen.customer,
        {
            "firstName": lambda i: gen.customer_names(i)[0],
            "lastName": lambda i: gen.customer_names(i)[1],
        },
        lambda i: gen.timestamp(g.K_CUSTOMER, i),
        lambda i: gen.archived(g.K_CUSTOMER, i),
    )


CUSTOMER = Entity(
    SPEC,
    make_table,
    relations,
    write,
    write_relations=frozenset({"Contact"}),
    record_relations=frozenset({"Contact"}),
)
