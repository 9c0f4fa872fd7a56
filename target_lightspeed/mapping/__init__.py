"""From input records to Lightspeed write payloads.

Two input shapes are accepted, per record and even mixed:

- the tap's own shape (``tap-lightspeed`` output: ``Contact.Emails[]``, ``Prices[]``,
  ``SaleLines[]``, ids of the *source* account);
- flat warehouse rows with documented snake_case columns (``email``, ``phone``, ``address1``,
  ``price``, ``msrp``, ``lines``, ``payments``...) that fold into the nested collections.

Read-only fields are never sent. Foreign keys are handled by kind:

- entity references (a sale's ``customerID``, a line's ``itemID``) are ids of the source
  account: they are mapped to the target account through the ledger (records synced earlier,
  in this run or a previous one) or a lookup by match key, else the sale is rejected;
- reference data ids (``categoryID``, ``employeeID``, ``paymentTypeID``...) are mapped with
  the ``id_map`` setting, kept as they are when listed in ``keep_foreign_keys``, else
  dropped (sales then use the ``default_*_id`` settings).

The package, in layers:

- :mod:`~target_lightspeed.mapping.fields`: what every entity shares (the types of a mapped
  record, value conversion, :class:`~target_lightspeed.mapping.fields.EntityRules`);
- one module per entity (:mod:`~target_lightspeed.mapping.customers`,
  :mod:`~target_lightspeed.mapping.items`, :mod:`~target_lightspeed.mapping.sales`), each
  defining its field tables, its ``normalize`` and ``build`` functions and its ``RULES``;
- :mod:`~target_lightspeed.mapping.entities`: the table picking an entity's rules;
- :mod:`~target_lightspeed.mapping.mapper`: :class:`RecordMapper`, which maps one stream's
  records by its entity's rules.

Adding an entity (purchase orders, transfers...) is one new module and one table entry:
``mapping/purchase_orders.py`` defines its field tables, ``normalize(mapper, record)``
(flat columns into the tap's shape, :meth:`RecordMapper.warn_unknown` for the others),
``build(mapper, rec, context)`` (the write payload, a :class:`MappingError` naming the field
for bad input) and ``RULES = EntityRules(entity="purchase_orders", wire="Order",
source_id_field="orderID", key_fields=..., default_match_keys=..., normalize=normalize,
build=build)``; then ``purchase_orders.RULES`` joins the tuple in
:data:`~target_lightspeed.mapping.entities.ENTITY_RULES`. Settings (``stream_entities``,
``match_keys``), the API requests and the writer read the entity from that table.
"""

from __future__ import annotations

from target_lightspeed.mapping.entities import (
    DEFAULT_MATCH_KEYS,
    ENTITIES,
    ENTITY_RULES,
    KEY_FIELDS,
    SOURCE_ID_FIELD,
    WIRE_ENTITY,
    is_writable,
    key_value,
    record_id,
    stored_key_values,
)
from target_lightspeed.mapping.fields import (
    BuildContext,
    EntityRules,
    Mapped,
    MappingError,
    MatchKey,
    SaleRefs,
    source_id_text,
)
from target_lightspeed.mapping.mapper import MapperSettings, RecordMapper

__all__ = [
    "DEFAULT_MATCH_KEYS",
    "ENTITIES",
    "ENTITY_RULES",
    "KEY_FIELDS",
    "SOURCE_ID_FIELD",
    "WIRE_ENTITY",
    "BuildContext",
    "EntityRules",
    "Mapped",
    "MapperSettings",
    "MappingError",
    "MatchKey",
    "RecordMapper",
    "SaleRefs",
    "is_writable",
    "key_value",
    "record_id",
    "source_id_text",
    "stored_key_values",
]
