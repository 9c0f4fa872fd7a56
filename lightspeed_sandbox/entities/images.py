"""Images of items: generated table, the Item relation, uploads."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from .. import generate as g
from ..store import EntitySpec, Table
from ..wire import fmt_ts, wire_scalar
from .base import Entity, not_found, parent_item

if TYPE_CHECKING:
    from ..accounts import Account

FIELDS = frozenset(
    [
        "imageID",
        "description",
        "filename",
        "ordering",
        "publicID",
        "baseImageURL",
        "size",
        "createTime",
        "timeStamp",
        "itemID",
        "itemMatrixID",
    ]
)

SPEC = EntitySpec(
    "Image",
    "imageID",
    g.K_IMAGE,
    {"Item": False, "ItemMatrix": False},
    frozenset(),
    ("imageID",),
    FIELDS,
    False,
    frozenset({"imageID", "timeStamp", "itemID"}),
    {"Item.Prices": True},
)
#: Sort fields of an item's images (``Item/{id}/Image``), wider than the top-level list's.
ITEM_IMAGE_SORTS = ("imageID", "timeStamp", "itemID")


def image_ids(account: Account, iid: int) -> list[int]:
    """Return the ids of an item's images."""
    ids = list(account.gen.image_ids(iid)) if iid <= account.gen.n_items else []
    return ids + account.extra_images.get(iid, [])


def add_image(
    account: Account,
    iid: int,
    data: dict[str, Any],
    filename: str,
    size: int,
    now: int | None = None,
) -> dict[str, Any]:
    """Store an uploaded image for an item and return it.

    Raises:
        ApiError: 404 when the item does not exist.
    """
    if not account.tables["Item"].exists(iid):
        raise not_found("Item", iid)
    now = now or int(time.time())
    images = account.tables["Image"]
    mid = images.n + 1
    existing = len(image_ids(account, iid))
    ordering = wire_scalar(data.get("ordering", existing)) or str(existing)
    rec = {
        "imageID": str(mid),
        "description": wire_scalar(data.get("description", "")),
        "filename": filename,
        "ordering": ordering,
        "publicID": f"ls/{account.gen.account_tag}/{secrets.token_hex(10)}",
        "baseImageURL": g.IMAGE_BASE_URL,
        "size": str(size),
        "createTime": fmt_ts(now),
        "timeStamp": fmt_ts(now),
        "itemID": str(iid),
        "itemMatrixID": "0",
    }
    images.put(mid, rec)
    account.extra_images.setdefault(iid, []).append(mid)
    account.writes += 1
    return dict(rec)


def make_table(account: Account) -> Table:
    """The account's generated images, spread over its items."""
    gen = account.gen
    n_items = account.volumes["items"]
    return Table(
        SPEC,
        account.volumes["images"] if n_items else 0,
        lambda i, _r: gen.image(i),
        {"itemID": lambda i: str((i - 1) % n_items + 1)},
        lambda i: gen.timestamp(g.K_IMAGE, i),
        lambda i: False,
    )


IMAGE = Entity(SPEC, make_table, parent_item)
