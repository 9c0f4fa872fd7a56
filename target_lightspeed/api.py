"""The target's requests: batched lookups, creates and updates, all through the shared client.

Every request goes through :class:`~lightspeed_client.client.LightspeedClient`'s session:
paced by the leaky bucket (writes with their expected cost, from
:func:`lightspeed_client.writes.write_cost`), authenticated, retried on 429/5xx/dropped
connections. A create that may have been stored raises
:class:`~lightspeed_client.errors.UncertainWriteError`, which the writer answers with a lookup.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import requests

from lightspeed_client.wire import (
    MAX_IN_VALUES,
    as_list,
    decode_json,
    filter_value,
    in_filter,
    next_page_url,
)
from lightspeed_client.writes import encode, write_cost
from target_lightspeed.mapping import KEY_FIELDS, WIRE_ENTITY

if TYPE_CHECKING:
    from lightspeed_client.client import LightspeedClient

#: Relations loaded with lookups, per entity (customers are found by their Contact's email).
LOOKUP_RELATIONS = {"customers": ("Contact",), "items": (), "sales": ()}


class LightspeedAPI:
    """Reads and writes one target account (every request of the target)."""

    def __init__(self, client: LightspeedClient, reference_number_source: str) -> None:
        """Create the API access.

        Args:
            client: The shared client of the target's credentials.
            reference_number_source: Sales are looked up with this ``referenceNumberSource``.
        """
        self.client = client
        self.reference_number_source = reference_number_source
        self._price_levels: list[dict[str, Any]] | None = None

    def _url(self, entity: str, record_id: str | None = None) -> str:
        wire = WIRE_ENTITY[entity]
        if record_id is None:
            return f"{self.client.account_url}/{wire}.json"
        return f"{self.client.account_url}/{wire}/{record_id}.json"

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        expected_cost: float | None = None,
    ) -> Any:
        session = self.client.session
        headers = {"Content-Type": "application/json"} if body is not None else None
        request = requests.Request(
            method,
            url,
            params=dict(params or {}),
            data=encode(body) if body is not None else None,
            headers=headers,
        )
        prepared = session.prepare_request(request)
        response = session.send(prepared, expected_cost=expected_cost)
        return decode_json(response.content) if response.content else {}

    def _pages(self, entity: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        wire = WIRE_ENTITY[entity]
        payload = self._send("GET", self._url(entity), params=params)
        while True:
            yield from (r for r in as_list(payload.get(wire)) if isinstance(r, dict))
            url = next_page_url(payload)
            if not url:
                return
            payload = self._send("GET", url)

    def _base_params(self, entity: str, relations: tuple[str, ...]) -> dict[str, str]:
        params = {"archived": "true", "limit": "100"}
        if relations:
            params["load_relations"] = json.dumps(list(relations), separators=(",", ":"))
        if entity == "sales":
            params["referenceNumberSource"] = filter_value("=", self.reference_number_source)
        return params

    def lookup(self, entity: str, field: str, values: list[str]) -> list[dict[str, Any]]:
        """Find the records whose ``field`` is one of ``values`` (``IN``, 100 per request).

        Args:
            entity: ``customers``, ``items`` or ``sales``.
            field: A match key field (``email``, ``customSku``, ``referenceNumber``...).
            values: The values wanted.

        Returns:
            The stored records, in wire form (customers with their Contact).
        """
        param, needs = KEY_FIELDS[entity][field]
        relations = tuple(dict.fromkeys((*LOOKUP_RELATIONS[entity], *needs)))
        unique = list(dict.fromkeys(v for v in values if v))
        found: list[dict[str, Any]] = []
        for start in range(0, len(unique), MAX_IN_VALUES):
            chunk = unique[start : start + MAX_IN_VALUES]
            params = self._base_params(entity, relations)
            params[param] = in_filter(chunk)
            found.extend(self._pages(entity, params))
        return found

    def created_since(self, entity: str, since: float) -> list[dict[str, Any]]:
        """Return the records created at or after a time (to find a create in doubt).

        Args:
            entity: ``customers``, ``items`` or ``sales``.
            since: Epoch seconds.

        Returns:
            The stored records, in wire form.
        """
        moment = datetime.fromtimestamp(since, tz=timezone.utc).replace(microsecond=0)
        params = self._base_params(entity, LOOKUP_RELATIONS[entity])
        params["createTime"] = filter_value(">=", moment)
        return list(self._pages(entity, params))

    def price_levels(self) -> list[dict[str, Any]]:
        """Return the account's active price levels (``GET /PriceLevel.json``), read once.

        Returns:
            The PriceLevel records, in wire form.
        """
        if self._price_levels is None:
            levels: list[dict[str, Any]] = []
            url: str | None = f"{self.client.account_url}/PriceLevel.json"
            params: dict[str, str] | None = {"limit": "100"}
            while url:
                payload = self._send("GET", url, params=params)
                levels += [r for r in as_list(payload.get("PriceLevel")) if isinstance(r, dict)]
                url, params = next_page_url(payload), None
            self._price_levels = levels
        return self._price_levels

    def archive(self, entity: str, record_id: str) -> dict[str, Any]:
        """DELETE a record, which archives it.

        An item's stock is zeroed, for good; a completed sale cannot be archived.

        Args:
            entity: ``customers``, ``items`` or ``sales``.
            record_id: Its id in the target account.

        Returns:
            The archived record.
        """
        wire = WIRE_ENTITY[entity]
        cost = write_cost(wire, "DELETE")
        payload = self._send("DELETE", self._url(entity, record_id), expected_cost=cost)
        return _single(payload, wire)

    def create(self, entity: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST a new record.

        Args:
            entity: ``customers``, ``items`` or ``sales``.
            body: The write body (wrapped form).

        Returns:
            The stored record.
        """
        wire = WIRE_ENTITY[entity]
        cost = write_cost(wire, "POST", body)
        payload = self._send("POST", self._url(entity), body=body, expected_cost=cost)
        return _single(payload, wire)

    def update(self, entity: str, record_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PUT changes to a record (partial: omitted fields keep their value).

        Args:
            entity: ``customers``, ``items`` or ``sales``.
            record_id: Its id in the target account.
            body: The write body (wrapped form).

        Returns:
            The stored record.
        """
        wire = WIRE_ENTITY[entity]
        cost = write_cost(wire, "PUT", body)
        payload = self._send("PUT", self._url(entity, record_id), body=body, expected_cost=cost)
        return _single(payload, wire)

    def get(self, entity: str, record_id: str, relations: tuple[str, ...] = ()) -> dict[str, Any]:
        """GET one record with relations.

        Args:
            entity: ``customers``, ``items`` or ``sales``.
            record_id: Its id in the target account.
            relations: ``load_relations`` (``SaleLines``...).

        Returns:
            The stored record.
        """
        params = {"load_relations": json.dumps(list(relations))} if relations else None
        payload = self._send("GET", self._url(entity, record_id), params=params)
        return _single(payload, WIRE_ENTITY[entity])

    def write_sale_line(
        self,
        method: str,
        sale_id: str,
        line_id: str | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """POST, PUT or DELETE one line of an open sale (``/Sale/{id}/SaleLine``, 2 drips).

        Args:
            method: ``POST`` (a new line), ``PUT`` or ``DELETE`` (``line_id``).
            sale_id: The sale's id in the target account.
            line_id: The line's id (PUT, DELETE).
            body: The line's fields (POST, PUT).

        Returns:
            The line as stored.
        """
        url = f"{self.client.account_url}/Sale/{sale_id}/SaleLine"
        url += f"/{line_id}.json" if line_id is not None else ".json"
        cost = write_cost("SaleLine", method, body)
        payload = self._send(method, url, body=body, expected_cost=cost)
        return _single(payload, "SaleLine")


def _single(payload: Any, wire: str) -> dict[str, Any]:
    records = as_list(payload.get(wire)) if isinstance(payload, dict) else []
    return records[0] if records and isinstance(records[0], dict) else {}
