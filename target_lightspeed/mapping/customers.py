"""Customers: matched by email by default; flat contact columns fold into the Contact."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from target_lightspeed.mapping.fields import (
    BuildContext,
    EntityRules,
    MappingError,
    elements,
    plain_key_value,
    plain_stored_key_values,
    scalars,
    to_scalar,
    to_text,
)

if TYPE_CHECKING:
    from target_lightspeed.mapping.mapper import RecordMapper

CUSTOMER_FIELDS = (
    "firstName",
    "lastName",
    "title",
    "company",
    "companyRegistrationNumber",
    "vatNumber",
    "dob",
    "archived",
)
CUSTOMER_REFERENCE_FKS = ("customerTypeID", "discountID", "taxCategoryID", "creditAccountID")
CONTACT_FIELDS = ("custom", "noEmail", "noPhone", "noMail")
ADDRESS_FIELDS = (
    "address1",
    "address2",
    "city",
    "state",
    "stateCode",
    "zip",
    "country",
    "countryCode",
)
FLAT_CUSTOMER_COLUMNS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "company_registration_number": "companyRegistrationNumber",
    "vat_number": "vatNumber",
    "birthday": "dob",
    "customer_type_id": "customerTypeID",
    "discount_id": "discountID",
    "tax_category_id": "taxCategoryID",
    "credit_account_id": "creditAccountID",
    "no_email": "noEmail",
    "no_phone": "noPhone",
    "no_mail": "noMail",
}
FLAT_EMAIL_COLUMNS = {"email": "Primary", "email_secondary": "Secondary"}
FLAT_PHONE_COLUMNS = {
    "phone": "Home",
    "phone_home": "Home",
    "phone_work": "Work",
    "phone_mobile": "Mobile",
    "mobile": "Mobile",
    "phone_fax": "Fax",
    "phone_pager": "Pager",
}
FLAT_ADDRESS_COLUMNS = {
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "state": "state",
    "state_code": "stateCode",
    "stateCode": "stateCode",
    "zip": "zip",
    "postal_code": "zip",
    "country": "country",
    "country_code": "countryCode",
    "countryCode": "countryCode",
}
FLAT_WEBSITE_COLUMNS = ("website",)
#: Fields read but never written (no "unknown column" warning).
READ_ONLY = frozenset(
    {
        "customerID",
        "contactID",
        "createTime",
        "timeStamp",
        "measurementID",
        "employeeID",
        "noteID",
        "CustomFieldValues",
    }
)


def normalize(mapper: RecordMapper, record: Mapping[str, Any]) -> dict[str, Any]:
    """Fold flat columns (``email``, ``phone``, ``address1``...) into the customer's Contact.

    The ``normalize`` of :class:`~target_lightspeed.mapping.fields.EntityRules`.
    """
    out: dict[str, Any] = {}
    known = set(CUSTOMER_FIELDS) | set(CUSTOMER_REFERENCE_FKS) | {"Contact"}
    known |= READ_ONLY | set(FLAT_CUSTOMER_COLUMNS)
    known |= set(FLAT_EMAIL_COLUMNS) | set(FLAT_PHONE_COLUMNS) | set(FLAT_ADDRESS_COLUMNS)
    known |= set(FLAT_WEBSITE_COLUMNS) | set(CONTACT_FIELDS)
    for key, value in record.items():
        out[FLAT_CUSTOMER_COLUMNS.get(key, key)] = value
    contact = out.get("Contact")
    if contact is not None and not isinstance(contact, Mapping):
        raise MappingError("field 'Contact': expected an object", field="Contact")
    contact = dict(contact or {})
    for name in CONTACT_FIELDS:
        if name in out and name not in contact:
            contact[name] = out.pop(name)
    emails = [
        {"address": to_text(record[col]), "useType": use}
        for col, use in FLAT_EMAIL_COLUMNS.items()
        if to_text(record.get(col))
    ]
    phones = [
        {"number": to_text(record[col]), "useType": use}
        for col, use in FLAT_PHONE_COLUMNS.items()
        if to_text(record.get(col))
    ]
    address = {
        name: to_text(record[col])
        for col, name in FLAT_ADDRESS_COLUMNS.items()
        if to_text(record.get(col))
    }
    websites = [{"url": to_text(record[c])} for c in FLAT_WEBSITE_COLUMNS if to_text(record.get(c))]
    for name, flat in (
        ("Emails", emails),
        ("Phones", phones),
        ("Addresses", [address] if address else []),
        ("Websites", websites),
    ):
        if flat and contact.get(name) in (None, "", []):
            contact[name] = flat
    if contact:
        out["Contact"] = contact
    mapper.warn_unknown(record, known)
    return out


def build(mapper: RecordMapper, rec: dict[str, Any], context: BuildContext) -> dict[str, Any]:
    """Build a customer's payload (Contact with its emails, phones, addresses, websites).

    The ``build`` of :class:`~target_lightspeed.mapping.fields.EntityRules`.
    """
    payload = scalars(rec, CUSTOMER_FIELDS)
    payload.update(mapper.reference_fks(rec, CUSTOMER_REFERENCE_FKS))
    contact_in = rec.get("Contact") or {}
    contact: dict[str, Any] = {}
    for name in CONTACT_FIELDS:
        if name in contact_in:
            contact[name] = to_scalar(name, contact_in[name], f"Contact.{name}")
    shapes = (
        ("Emails", "ContactEmail", ("address", "useType")),
        ("Phones", "ContactPhone", ("number", "useType")),
        ("Addresses", "ContactAddress", ADDRESS_FIELDS),
        ("Websites", "ContactWebsite", ("url",)),
    )
    for name, element, fields in shapes:
        if name not in contact_in:
            continue
        rows = []
        for index, item in enumerate(elements(contact_in[name], element, f"Contact.{name}")):
            row = {f: to_text(item.get(f)) for f in fields if f in item}
            if name == "Emails":
                address = row.get("address", "")
                if address and "@" not in address:
                    msg = f"field 'Contact.Emails[{index}].address': {address!r} is not an email"
                    raise MappingError(msg, field="Contact.Emails.address")
            rows.append(row)
        contact[name] = rows
    if contact:
        payload["Contact"] = contact
    return payload


def key_value(name: str, normalized: Mapping[str, Any]) -> str:
    """The ``key_value`` of customers: ``email`` is the primary email, in lower case."""
    if name != "email":
        return plain_key_value(name, normalized)
    contact = normalized.get("Contact")
    if not isinstance(contact, Mapping):
        return ""
    emails = list(elements(contact.get("Emails"), "ContactEmail", "Emails"))
    emails.sort(key=lambda e: 0 if to_text(e.get("useType")) == "Primary" else 1)
    return next(
        (to_text(e.get("address")).lower() for e in emails if to_text(e.get("address"))), ""
    )


def stored_key_values(name: str, stored: Mapping[str, Any]) -> list[str]:
    """The ``stored_key_values`` of customers: ``email`` is every email, in lower case."""
    if name != "email":
        return plain_stored_key_values(name, stored)
    contact = stored.get("Contact")
    if not isinstance(contact, Mapping):
        return []
    return [
        to_text(e.get("address")).lower()
        for e in elements(contact.get("Emails"), "ContactEmail", "Emails")
        if to_text(e.get("address"))
    ]


RULES = EntityRules(
    entity="customers",
    wire="Customer",
    source_id_field="customerID",
    key_fields={
        "email": ("Contact.email", ("Contact",)),
        "firstName": ("firstName", ()),
        "lastName": ("lastName", ()),
        "company": ("company", ()),
        "title": ("title", ()),
        "vatNumber": ("vatNumber", ()),
        "companyRegistrationNumber": ("companyRegistrationNumber", ()),
    },
    default_match_keys=("email",),
    normalize=normalize,
    build=build,
    key_value=key_value,
    stored_key_values=stored_key_values,
)
