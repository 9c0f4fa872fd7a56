"""The small reference tables (Shop, Register, Employee, Category, ...), read-only here.

Each is a handful of rows (:class:`lightspeed_sandbox.generate.ReferenceRow`, whose home is
:mod:`lightspeed_sandbox.generate`) that sales, items and customers point at. One
:class:`ReferenceEntity` per table says what the official page says: the primary key, the
sortable fields, whether the entity archives, and which time fields its records carry. The
sandbox serves them like every entity (paging, filters, the wire quirks, the request cost).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import generate as g
from ..store import EntitySpec, Table
from ..wire import fmt_ts
from .base import Entity

if TYPE_CHECKING:
    from ..accounts import Account

#: Seconds between a row's ``createTime`` and its last change.
CREATED_BEFORE_CHANGE = 30 * g.SECONDS_PER_DAY


@dataclass(frozen=True)
class ReferenceEntity:
    """How one reference table looks on the wire.

    Attributes:
        name: The entity (envelope key and path segment), e.g. ``"Shop"``.
        pk: Its primary key field.
        sorts: The sortable fields of its page ("Sortable Fields").
        rows: The rows of an account with a given number of shops, by id (ids 1..n).
        archives: Whether records carry ``archived`` and the endpoint knows ``archived=``.
        times: The time fields of a record, among ``createTime``, ``timeStamp`` and
            ``openTime`` (the last change, or for ``createTime`` 30 days before it).
    """

    name: str
    pk: str
    sorts: tuple[str, ...]
    rows: Callable[[int], dict[int, g.ReferenceRow]]
    archives: bool = True
    times: tuple[str, ...] = ("timeStamp",)

    def changed(self, account: Account, row: g.ReferenceRow, rid: int) -> int:
        """A row's last change (epoch seconds): days before the data end, a few minutes apart."""
        return account.gen.end - row.changed_days_ago * g.SECONDS_PER_DAY + rid * 157

    def record(self, account: Account, rows: dict[int, g.ReferenceRow], rid: int) -> dict:
        """The wire record of row ``rid``."""
        row = rows[rid]
        changed = self.changed(account, row, rid)
        rec: dict[str, Any] = {self.pk: str(rid), **row.fields}
        if self.archives:
            rec["archived"] = "true" if row.archived else "false"
        for time_field in self.times:
            offset = CREATED_BEFORE_CHANGE if time_field == "createTime" else 0
            rec[time_field] = fmt_ts(changed - offset)
        return rec

    def entity(self) -> Entity:
        """The sandbox entity serving this table."""
        shape = next(iter(self.rows(1).values())).fields
        scalars = {name for name, value in shape.items() if isinstance(value, str)}
        numeric = {name for name in scalars if shape[name].isdigit()}
        spec = EntitySpec(
            self.name,
            self.pk,
            g.K_ITEM,
            {},
            frozenset(),
            self.sorts,
            frozenset({self.pk, *self.times, *scalars, *(["archived"] if self.archives else [])}),
            self.archives,
            frozenset(s for s in self.sorts if s == self.pk or s in self.times or s in numeric),
        )

        def make_table(account: Account) -> Table:
            rows = self.rows(account.gen.shops)
            return Table(
                spec,
                len(rows),
                lambda rid, _relations: self.record(account, rows, rid),
                {},
                lambda rid: self.changed(account, rows[rid], rid),
                lambda rid: rows[rid].archived,
            )

        return Entity(spec, make_table)


def _constant(rows: dict[int, g.ReferenceRow]) -> Callable[[int], dict[int, g.ReferenceRow]]:
    """Rows that are the same in every account, whatever its shop count."""
    return lambda _shops: rows


#: The reference tables, as their official pages describe them.
REFERENCE_ENTITIES: tuple[ReferenceEntity, ...] = (
    ReferenceEntity(
        "Shop",
        "shopID",
        ("shopID",),
        g.shop_rows,
    ),
    ReferenceEntity(
        "Register",
        "registerID",
        ("registerID",),
        g.register_rows,
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
)

#: The sandbox entities of the reference tables.
REFERENCE: tuple[Entity, ...] = tuple(table.entity() for table in REFERENCE_ENTITIES)
