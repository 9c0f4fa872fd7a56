"""Price levels: each account's own (``GET /PriceLevel.json`` and single), read-only here.

Items' ``Prices.ItemPrice`` elements refer to them: ``useTypeID`` is a ``priceLevelID`` and
``useType`` the level's name (:data:`lightspeed_sandbox.generate.PRICE_LEVELS`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import generate as g
from ..store import EntitySpec, Table
from .base import Entity

if TYPE_CHECKING:
    from ..accounts import Account

FIELDS = frozenset({"priceLevelID", "name", "archived", "canBeArchived", "type"})

SPEC = EntitySpec(
    "PriceLevel",
    "priceLevelID",
    g.K_ITEM,
    {},
    frozenset(),
    ("priceLevelID", "name"),
    FIELDS,
    True,
    frozenset({"priceLevelID"}),
)


def levels(account: Account) -> list[dict[str, Any]]:
    """Return the account's price levels in wire form (archived ones included)."""
    table = account.tables["PriceLevel"]
    return [table.get(rid) for rid in range(1, table.n + 1)]


def make_table(account: Account) -> Table:
    """The account's price levels: the built-ins (Default, MSRP, Online), its own, one archived."""
    by_id = {level.level_id: level for level in account.gen.price_levels}

    def generate(rid: int, _relations: frozenset[str]) -> dict[str, Any]:
        level = by_id[rid]
        return {
            "priceLevelID": str(level.level_id),
            "name": level.name,
            "archived": "true" if level.archived else "false",
            "canBeArchived": "true" if level.can_be_archived else "false",
            "type": level.type,
            "Calculation": "",
        }

    return Table(
        SPEC,
        len(by_id),
        generate,
        {"name": lambda rid: by_id[rid].name},
        lambda _rid: account.gen.end,
        lambda rid: by_id[rid].archived,
    )


PRICE_LEVEL = Entity(SPEC, make_table)
