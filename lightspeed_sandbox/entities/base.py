"""What every entity module declares, and the helpers their writers share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import generate as g
from ..wire import ApiError, wire_scalar

if TYPE_CHECKING:
    from ..accounts import Account
    from ..query import ListQuery
    from ..store import EntitySpec, Table

#: Adds computed relations to a wire record: (account, record, id, relations).
Relations = Callable[["Account", dict[str, Any], int, frozenset[str]], None]
#: Applies a POST (id ``None``) or PUT: (account, table, id, payload, verb, now) -> stored id.
Writer = Callable[["Account", "Table", "int | None", dict[str, Any], str, int], int]
#: Archives a record for a DELETE, or refuses to: (account, stored record, now).
Archiver = Callable[["Account", dict[str, Any], int], None]
#: The records a list request sees unless it asks otherwise: (account, query) -> id filter
#: (``None``: all), e.g. no gift cards in ``CreditAccount.json`` without ``giftCard=``.
ListScope = Callable[["Account", "ListQuery"], "Callable[[int], bool] | None"]


@dataclass(frozen=True)
class Entity:
    """One entity of the sandbox: its table, its relations and its writer.

    Attributes:
        spec: The static description (fields, sorts, relations) queries use.
        make_table: Builds an account's table of this entity from the account's generator.
        relations: Adds the relations that are computed rather than stored (``None``: none).
        write: Applies a POST or PUT (``None``: read-only; DELETE is the same for all).
        write_relations: Relations of the record a write answers with.
        record_relations: Relations of the records ``/_admin/records`` returns.
        change_times: Time fields a DELETE (which archives) sets to now.
        archive: Archives a record for a DELETE in the entity's own way, or refuses to
            (``None``: set ``archived`` and the ``change_times``), e.g. a completed sale.
        on_archive: What a DELETE does once the record is archived: (account, id, now), e.g.
            an item's stock zeroed (``None``: nothing).
        list_scope: The records a list request sees by default (``None``: all).
    """

    spec: EntitySpec
    make_table: Callable[[Account], Table]
    relations: Relations | None = None
    write: Writer | None = None
    write_relations: frozenset[str] = frozenset()
    record_relations: frozenset[str] = frozenset()
    change_times: tuple[str, ...] = ("timeStamp",)
    archive: Archiver | None = None
    on_archive: Callable[[Account, int, int], None] | None = None
    list_scope: ListScope | None = None

    @property
    def name(self) -> str:
        """The entity's name (the envelope key)."""
        return self.spec.name


def foreign_key(
    entity: str, verb: str, field: str, value: Any, known: Any, allow_zero: bool = True
) -> str:
    """Check a foreign key of a write and return it in wire form.

    Raises:
        ApiError: 400 when the value is not a number or names no existing record.
    """
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


def tax_category(tax: int, sales_tax: g.SalesTax | None = None) -> dict[str, Any]:
    """Return the TaxCategory relation of a customer or a sale.

    Args:
        tax: The tax category id.
        sales_tax: The account's tax of that id (default: the first account's).
    """
    found = sales_tax or g.sales_taxes(0)[tax]
    return {
        "taxCategoryID": str(tax),
        "isTaxInclusive": "false",
        "tax1Name": found.name1,
        "tax2Name": found.name2,
        "tax1Rate": g.fmt_rate(found.rate1),
        "tax2Rate": g.fmt_rate(found.rate2),
    }


def not_found(entity: str, rid: Any) -> ApiError:
    """The API's 404 for a record that does not exist."""
    return ApiError(404, f"Object of type '{entity}' not found with primary ID '{rid}'.")


def parent_item(account: Account, rec: dict[str, Any], rid: int, rels: frozenset[str]) -> None:
    """Add the ``Item`` relation of a record that belongs to an item (Image, ItemShop)."""
    iid = int(rec.get("itemID") or 0)
    items = account.tables["Item"]
    if "Item" in rels and items.exists(iid):
        rec["Item"] = items.get(iid)


def empty_relations(rec: dict[str, Any], rels: frozenset[str], names: tuple[str, ...]) -> None:
    """Add the relations among ``names`` that were asked for, empty (the sandbox has none)."""
    for name in names:
        if name in rels:
            rec[name] = ""


def row_relations(
    account: Account, rec: dict[str, Any], rels: frozenset[str], keys: tuple[tuple[str, str], ...]
) -> None:
    """Add the to-one relations asked for, each the row its table serves (when there is one).

    Args:
        account: The account.
        rec: The record (changed in place).
        rels: The relations asked for.
        keys: (relation, foreign key field) pairs, e.g. ``("Category", "categoryID")``.
    """
    for relation, key in keys:
        target = int(rec.get(key) or 0)
        if relation in rels and account.tables[relation].exists(target):
            rec[relation] = account.tables[relation].get(target)
