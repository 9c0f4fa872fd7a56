"""The table of entities: each entity's rules, and what the rest of the target reads from them.

Adding an entity is one mapping module (its :class:`~target_lightspeed.mapping.fields.EntityRules`)
and one entry in :data:`ENTITY_RULES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lightspeed_client.writes import is_read_only
from target_lightspeed.mapping import customers, items, sales

if TYPE_CHECKING:
    from target_lightspeed.mapping.fields import EntityRules

#: Entity -> its mapping rules.
ENTITY_RULES: dict[str, EntityRules] = {
    rules.entity: rules for rules in (customers.RULES, items.RULES, sales.RULES)
}

ENTITIES = tuple(ENTITY_RULES)
WIRE_ENTITY = {entity: rules.wire for entity, rules in ENTITY_RULES.items()}
SOURCE_ID_FIELD = {entity: rules.source_id_field for entity, rules in ENTITY_RULES.items()}
#: Match key fields per entity: name -> (filter parameter, relations the filter needs).
KEY_FIELDS = {entity: rules.key_fields for entity, rules in ENTITY_RULES.items()}
DEFAULT_MATCH_KEYS = {
    entity: list(rules.default_match_keys) for entity, rules in ENTITY_RULES.items()
}


def key_value(entity: str, name: str, normalized: Mapping[str, Any]) -> str:
    """Read one match key field of a record in tap shape (normalised for comparison).

    Args:
        entity: ``customers``, ``items`` or ``sales``.
        name: The key field.
        normalized: The record in tap shape.

    Returns:
        The value (emails in lower case), ``""`` when absent.
    """
    return ENTITY_RULES[entity].key_value(name, normalized)


def stored_key_values(entity: str, name: str, stored: Mapping[str, Any]) -> list[str]:
    """Read one match key field of a stored record (wire form) for matching lookups.

    Args:
        entity: ``customers``, ``items`` or ``sales``.
        name: The key field.
        stored: A record as the API returned it.

    Returns:
        Every value the record can be found by (all its emails), normalised.
    """
    return ENTITY_RULES[entity].stored_key_values(name, stored)


def is_writable(entity: str, name: str) -> bool:
    """Tell whether a top-level field is ever sent for an entity (docs and tests).

    Args:
        entity: ``customers``, ``items`` or ``sales``.
        name: The field.

    Returns:
        False for read-only fields.
    """
    return not is_read_only(WIRE_ENTITY[entity], name)


def record_id(entity: str, stored: Mapping[str, Any]) -> str:
    """Return the id of a stored record.

    Args:
        entity: ``customers``, ``items`` or ``sales``.
        stored: The record in wire form.

    Returns:
        Its id as text (``""`` when missing).
    """
    wire = WIRE_ENTITY[entity]
    return str(stored.get(f"{wire[0].lower()}{wire[1:]}ID") or "")
