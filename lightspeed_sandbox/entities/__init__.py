"""The sandbox's entities, one module each, and the table that registers them.

Each entity module holds everything the sandbox knows about its entity:

- ``SPEC``: the :class:`~lightspeed_sandbox.store.EntitySpec` (fields, sorts, relations,
  nested relations) that list queries and ``load_relations`` use;
- ``make_table(account)``: the account's table of generated records;
- ``relations(account, record, id, names)``: the relations computed at read time;
- ``write(account, table, id, payload, verb, now)``: POST (id ``None``) and PUT, with the
  entity's validation (DELETE, which archives, is the same for every entity:
  :meth:`lightspeed_sandbox.accounts.Account.write`);
- an :class:`~lightspeed_sandbox.entities.base.Entity` bundling them.

Adding an entity is one new module plus one entry in :data:`ENTITIES` below. The API routes
(``lightspeed_sandbox.app``) serve every registered entity (list, single, and POST/PUT/DELETE
when it has a writer); helpers shared by writers (foreign keys, 404s, the TaxCategory
relation) live in :mod:`~lightspeed_sandbox.entities.base`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Entity
from .customers import CUSTOMER
from .images import IMAGE
from .items import ITEM, ITEM_SHOP
from .price_levels import PRICE_LEVEL
from .reference import REFERENCE
from .sales import SALE
from .stock_movements import STOCK_MOVEMENT_ENTITIES

if TYPE_CHECKING:
    from ..store import EntitySpec

#: Every entity of an account, by name (the API's path segment and envelope key).
ENTITIES: dict[str, Entity] = {
    entity.name: entity
    for entity in (
        CUSTOMER,
        ITEM,
        SALE,
        IMAGE,
        ITEM_SHOP,
        PRICE_LEVEL,
        *REFERENCE,
        *STOCK_MOVEMENT_ENTITIES,
    )
}
#: Entities that accept POST, PUT and DELETE.
WRITABLE = frozenset(name for name, entity in ENTITIES.items() if entity.write is not None)
#: Each entity's static description.
SPECS: dict[str, EntitySpec] = {name: entity.spec for name, entity in ENTITIES.items()}

__all__ = ["ENTITIES", "SPECS", "WRITABLE", "Entity"]
