"""The small reference tables (Shop, Register, Employee, Category, ...), read-only here.

Each is a handful of rows (:class:`lightspeed_sandbox.generate.ReferenceRow`, whose home is
:mod:`lightspeed_sandbox.generate`) that sales, items and customers point at. One
:class:`ReferenceEntity` per table says what the official page says: the primary key, the
sortable fields, whether the entity archives, and which time fields its records carry. The
sandbox serves them like every entity (paging, filters, the wire quirks, the request cost).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import generate as g
from ..store import EntitySpec, Table
from ..wire import fmt_ts, unwrap, wrap
from .base import Entity, ListScope, Relations, empty_relations, row_relations

if TYPE_CHECKING:
    from ..accounts import Account
    from ..query import ListQuery

#: A generator of an empty one-shop account: the shape (fields, relations) of every table.
SHAPE_GENERATOR = g.Generator(0, 0, {"customers": 0, "items": 0, "sales": 0, "images": 0}, 1, 0, 1)
#: Seconds between a row's ``createTime`` and its last change.
CREATED_BEFORE_CHANGE = 30 * g.SECONDS_PER_DAY


@dataclass(frozen=True)
class ReferenceEntity:
    """How one reference table looks on the wire.

    Attributes:
        name: The entity (envelope key and path segment), e.g. ``"Shop"``.
        pk: Its primary key field.
        sorts: The sortable fields of its page ("Sortable Fields").
        rows: An account's rows from its generator, by id (ids 1..n).
        archives: Whether records carry ``archived`` and the endpoint knows ``archived=``.
        times: The time fields of a record, among ``createTime``, ``timeStamp`` and
            ``openTime`` (the last change, or for ``createTime`` 30 days before it).
        list_scope: The rows a list request sees by default (``None``: all).
        computed: Relations computed at read time (name -> to-many, for the request cost),
            besides those the rows hold; ``add_relations`` adds them.
        nested: Nested relation names ``load_relations`` accepts (name -> to-many).
        add_relations: Adds the computed relations to a record (``None``: none).
    """

    name: str
    pk: str
    sorts: tuple[str, ...]
    rows: Callable[[g.Generator], dict[int, g.ReferenceRow]]
    archives: bool = True
    times: tuple[str, ...] = ("timeStamp",)
    list_scope: ListScope | None = None
    computed: dict[str, bool] = field(default_factory=dict)
    nested: dict[str, bool] = field(default_factory=dict)
    add_relations: Relations | None = None

    def changed(self, account: Account, row: g.ReferenceRow, rid: int) -> int:
        """A row's last change (epoch seconds): days before the data end, a few minutes apart."""
        return account.gen.end - row.changed_days_ago * g.SECONDS_PER_DAY + rid * 157

    def record(
        self,
        account: Account,
        rows: dict[int, g.ReferenceRow],
        rid: int,
        relations: frozenset[str] = frozenset(),
    ) -> dict:
        """The wire record of row ``rid``, with the asked relations it has."""
        row = rows[rid]
        changed = self.changed(account, row, rid)
        rec: dict[str, Any] = {self.pk: str(rid), **row.fields}
        if self.archives:
            rec["archived"] = "true" if row.archived else "false"
        for time_field in self.times:
            offset = CREATED_BEFORE_CHANGE if time_field == "createTime" else 0
            rec[time_field] = fmt_ts(changed - offset)
        rec.update((name, value) for name, value in row.relations.items() if name in relations)
        return rec

    def entity(self) -> Entity:
        """The sandbox entity serving this table."""
        first = next(iter(self.rows(SHAPE_GENERATOR).values()))
        shape = first.fields
        scalars = {name for name, value in shape.items() if isinstance(value, str)}
        numeric = {name for name in scalars if shape[name].isdigit()}
        spec = EntitySpec(
            self.name,
            self.pk,
            g.K_ITEM,
            {**dict.fromkeys(first.relations, True), **self.computed},
            frozenset(first.relations),
            self.sorts,
            frozenset({self.pk, *self.times, *scalars, *(["archived"] if self.archives else [])}),
            self.archives,
            frozenset(s for s in self.sorts if s == self.pk or s in self.times or s in numeric),
            dict(self.nested),
        )

        def make_table(account: Account) -> Table:
            rows = self.rows(account.gen)
            return Table(
                spec,
                len(rows),
                lambda rid, relations: self.record(account, rows, rid, relations),
                {},
                lambda rid: self.changed(account, rows[rid], rid),
                lambda rid: rows[rid].archived,
            )

        return Entity(spec, make_table, self.add_relations, list_scope=self.list_scope)


def _constant(
    rows: dict[int, g.ReferenceRow],
) -> Callable[[g.Generator], dict[int, g.ReferenceRow]]:
    """Rows that are the same in every account."""
    return lambda _gen: rows


def _no_gift_cards_unless_asked(account: Account, query: ListQuery) -> Callable[[int], bool] | None:
    """``CreditAccount.json`` lists gift cards only when the query names ``giftCard``.

    The page: "The query ``giftCard=true`` must be passed for the results to include credit
    accounts of type giftCard"; ``giftCard=true`` is a field filter like any other, so it
    lists the gift cards alone.
    """
    if any(pred.field == "giftCard" for pred in query.preds):
        return None
    table = account.tables["CreditAccount"]
    return lambda rid: table.get(rid).get("giftCard") != "true"


def _matrix_relations(
    account: Account, rec: dict[str, Any], rid: int, rels: frozenset[str]
) -> None:
    """Add an ItemMatrix's relations (the ItemMatrix page's "Additional Relations").

    Category, TaxClass, ItemAttributeSet, Manufacturer and Season are the rows their endpoints
    serve; ``Items`` are the items in the matrix. The sandbox has no departments, matrix
    images, eCommerce details nor tags: ``Department`` and ``ItemECommerce`` never come,
    ``Images`` and ``TagRelations`` come empty.
    """
    row_relations(
        account,
        rec,
        rels,
        (
            ("Category", "categoryID"),
            ("TaxClass", "taxClassID"),
            ("ItemAttributeSet", "itemAttributeSetID"),
            ("Manufacturer", "manufacturerID"),
            ("Season", "seasonID"),
        ),
    )
    if "Items" in rels:
        items = account.tables["Item"]
        members = [items.get(iid) for iid in account.gen.matrix_items(rid)]
        rec["Items"] = wrap([i for i in members if i["itemMatrixID"] == str(rid)], "Item")
    empty_relations(rec, rels, ("Images", "TagRelations"))


def _credit_account_relations(
    account: Account, rec: dict[str, Any], rid: int, rels: frozenset[str]
) -> None:
    """Add a CreditAccount's relations (the CreditAccount page's "Additional Relations").

    ``Contact`` is the holder's (a customer's store credit; a gift card has none);
    ``WithdrawalPayments`` are the sale payments made with the account, in sale order.
    """
    customers = account.tables["Customer"]
    holder = int(rec.get("customerID") or 0)
    if "Contact" in rels and customers.exists(holder):
        rec["Contact"] = customers.get(holder, frozenset({"Contact"}))["Contact"]
    if "WithdrawalPayments" in rels:
        sales = account.tables["Sale"]
        relation = frozenset({"SalePayments"})
        payments = [
            payment
            for sid in account.gen.credit_account_sales(rid)
            for payment in unwrap(sales.get(sid, relation).get("SalePayments"), "SalePayment")
            if payment.get("creditAccountID") == str(rid)
        ]
        rec["WithdrawalPayments"] = wrap(payments, "SalePayment")


#: The reference tables, as their official pages describe them.
REFERENCE_ENTITIES: tuple[ReferenceEntity, ...] = (
    ReferenceEntity(
        "Shop",
        "shopID",
        ("shopID",),
        lambda gen: g.shop_rows(gen.shops),
    ),
    ReferenceEntity(
        "Register",
        "registerID",
        ("registerID",),
        lambda gen: g.register_rows(gen.shops),
        times=("openTime",),
    ),
    ReferenceEntity(
        "Employee", "employeeID", ("employeeID", "timeStamp"), _constant(g.EMPLOYEE_ROWS)
    ),
    ReferenceEntity(
        "Category",
        "categoryID",
        ("categoryID", "timeStamp", "leftNode", "rightNode"),
        _constant(g.CATEGORY_ROWS),
        archives=False,
        times=("createTime", "timeStamp"),
    ),
    ReferenceEntity(
        "Manufacturer",
        "manufacturerID",
        ("manufacturerID", "timeStamp", "name"),
        _constant(g.MANUFACTURER_ROWS),
        archives=False,
        times=("createTime", "timeStamp"),
    ),
    ReferenceEntity(
        "Vendor", "vendorID", ("vendorID", "timeStamp", "name"), _constant(g.VENDOR_ROWS)
    ),
    ReferenceEntity(
        "PaymentType", "paymentTypeID", ("paymentTypeID",), _constant(g.PAYMENT_TYPE_ROWS), times=()
    ),
    ReferenceEntity(
        "TaxClass",
        "taxClassID",
        ("taxClassID", "timeStamp"),
        _constant(g.TAX_CLASS_ROWS),
        archives=False,
    ),
    ReferenceEntity(
        "TaxCategory",
        "taxCategoryID",
        ("taxCategoryID", "timeStamp"),
        lambda gen: g.tax_category_rows(gen.taxes, gen.end),
        archives=False,
    ),
    ReferenceEntity(
        "CustomerType",
        "customerTypeID",
        ("customerTypeID",),
        _constant(g.CUSTOMER_TYPE_ROWS),
        archives=False,
        times=(),
    ),
    ReferenceEntity(
        "ItemAttributeSet",
        "itemAttributeSetID",
        ("itemAttributeSetID",),
        _constant(g.ITEM_ATTRIBUTE_SET_ROWS),
        times=(),
    ),
    ReferenceEntity(
        "Discount", "discountID", ("discountID", "timeStamp"), _constant(g.DISCOUNT_ROWS)
    ),
    ReferenceEntity(
        "Season", "seasonID", ("seasonID",), _constant(g.SEASON_ROWS), archives=False, times=()
    ),
    ReferenceEntity(
        "ItemMatrix",
        "itemMatrixID",
        ("itemMatrixID", "timeStamp", "description"),
        lambda gen: g.item_matrix_rows(gen.item_prices),
        computed={
            "Category": False,
            "TaxClass": False,
            "Department": False,
            "ItemAttributeSet": False,
            "Manufacturer": False,
            "Season": False,
            "Images": True,
            "Items": True,
            "ItemECommerce": False,
            "TagRelations": True,
        },
        nested={"TagRelations.Tag": False},
        add_relations=_matrix_relations,
    ),
    ReferenceEntity(
        "CreditAccount",
        "creditAccountID",
        ("creditAccountID", "timeStamp", "customerID"),
        lambda gen: g.credit_account_rows(gen.n_customers),
        list_scope=_no_gift_cards_unless_asked,
        computed={"Contact": False, "WithdrawalPayments": True},
        add_relations=_credit_account_relations,
    ),
)

#: The sandbox entities of the reference tables.
REFERENCE: tuple[Entity, ...] = tuple(table.entity() for table in REFERENCE_ENTITIES)
