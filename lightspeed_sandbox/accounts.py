"""Accounts: the store of one Lightspeed account, dispatching to its entities' modules."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from .entities import ENTITIES
from .entities.base import not_found
from .generate import Generator
from .wire import ApiError, as_bool, fmt_ts

if TYPE_CHECKING:
    from .config import SandboxConfig
    from .store import Table

ACCOUNT_NAMES = (
    "Kit Kraft",
    "Harbor Bikes",
    "Maple Leaf Outfitters",
    "Blue Door Books",
    "Sunrise Café",
    "Northside Hardware",
)


COLLECTION_KEYS = frozenset(
    {
        "Emails",
        "Phones",
        "Addresses",
        "Websites",
        "Prices",
        "ItemShops",
        "SaleLines",
        "SalePayments",
        "Images",
        "CustomFieldValues",
        "Tags",
        "TaxClassTotals",
    }
)


def _nested_count(payload: Any) -> int:
    """Count nested entities in a write payload (Contact, each ContactEmail, SaleLine, ...).

    Wrappers such as ``SaleLines`` or ``Emails`` are not entities themselves; their elements are.
    """
    if not isinstance(payload, dict):
        return 0
    count = 0
    for key, value in payload.items():
        if not key[:1].isupper():
            continue
        if key in COLLECTION_KEYS:
            count += _nested_count(value)
            continue
        for element in value if isinstance(value, list) else [value]:
            if isinstance(element, dict):
                count += 1 + _nested_count(element)
    return count


def write_cost(entity: str, payload: Any, method: str) -> float:
    """Return the bucket cost of a write (section 3 of the reference)."""
    if method == "DELETE" or not isinstance(payload, dict):
        return 2.0 if entity == "Sale" else 1.0
    cost = 1.0
    if entity == "Sale":
        cost = 2.0
        if as_bool(payload.get("completed", False)):
            cost += 3.0
    return cost + 0.5 * _nested_count(payload)


class Account:
    """One Lightspeed account (store): a table per entity, reads and writes through them.

    What an entity's records are, which relations they have and how writes change them is in
    the entity's module (:mod:`lightspeed_sandbox.entities`); the account holds the tables and
    the counters those modules share.

    Args:
        cfg: Sandbox configuration.
        index: Position of the account.
        account_id: The account id (string of digits).
    """

    def __init__(self, cfg: SandboxConfig, index: int, account_id: str) -> None:
        self.account_id = account_id
        self.index = index
        self.name = ACCOUNT_NAMES[index % len(ACCOUNT_NAMES)] + (
            f" {index // len(ACCOUNT_NAMES) + 1}" if index >= len(ACCOUNT_NAMES) else ""
        )
        self.volumes = cfg.volumes(index)
        self.shops = max(1, cfg.shops)
        self.gen = Generator(
            cfg.seed, index, self.volumes, self.shops, cfg.data_end, cfg.data_span_days
        )
        self.tables: dict[str, Table] = {
            name: entity.make_table(self) for name, entity in ENTITIES.items()
        }
        #: Images and ItemShops of items created through the API, by item id.
        self.extra_images: dict[int, list[int]] = {}
        self.extra_itemshops: dict[int, list[int]] = {}
        self.next_line_id = self.volumes["sales"] * 4 + 1
        self.next_payment_id = self.volumes["sales"] * 2 + 1
        self.writes = 0

    # -- reads -------------------------------------------------------------------------------
    def account_record(self) -> dict[str, Any]:
        """Return the Account resource."""
        return {
            "accountID": self.account_id,
            "name": self.name,
            "link": {"@attributes": {"href": f"/API/V3/Account/{self.account_id}"}},
        }

    def materialize(self, entity: str, rid: int, rels: frozenset[str]) -> dict[str, Any]:
        """Return the wire record of an entity with the requested relations."""
        rec = self.tables[entity].get(rid, rels)
        add_relations = ENTITIES[entity].relations
        if rels and add_relations is not None:
            add_relations(self, rec, rid, rels)
        return rec

    def records(self, entity: str) -> list[dict[str, Any]]:
        """Return every stored record of an entity in wire form (with its stored relations)."""
        rels = ENTITIES[entity].record_relations
        return [self.materialize(entity, rid, rels) for rid in range(1, self.tables[entity].n + 1)]

    # -- writes ------------------------------------------------------------------------------
    def write(
        self, entity: str, method: str, rid: int | None, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply a POST/PUT/DELETE and return the stored record in wire form.

        DELETE archives the record (the same for every entity, plus the entity's
        ``on_archive``); POST and PUT go to the entity's writer.

        Raises:
            ApiError: 400 on validation errors, 404 for an unknown record, 405 otherwise.
        """
        table = self.tables[entity]
        kind = ENTITIES[entity]
        verb = {"POST": "created", "PUT": "updated", "DELETE": "deleted"}[method]
        if method != "POST":
            assert rid is not None
            if not table.exists(rid):
                raise not_found(entity, rid)
        now = int(time.time())
        if method == "DELETE":
            assert rid is not None
            rec = table.full(rid)
            rec["archived"] = "true"
            for name in kind.change_times:
                rec[name] = fmt_ts(now)
            table.put(rid, rec)
            if kind.on_archive is not None:
                kind.on_archive(self, rid, now)
        elif kind.write is None:
            raise ApiError(405, f"{method} is not supported on {entity}.")
        else:
            rid = kind.write(self, table, rid, payload, verb, now)
        self.writes += 1
        return self.materialize(entity, rid, kind.write_relations)


def parse_json_body(body: bytes, entity: str, verb: str) -> dict[str, Any]:
    """Parse a JSON write body.

    Raises:
        ApiError: 400 when the body is not a JSON object.
    """
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ApiError(400, f"{entity} not {verb}. The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise ApiError(400, f"{entity} not {verb}. The request body must be a JSON object.")
    return data
