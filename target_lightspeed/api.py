"""The target's requests: batched lookups, creates and updates, all through the shared client.

Every request goes through :class:`~lightspeed_client.client.LightspeedClient`'s session:
paced by the leaky bucket (writes with their expected cost, from
:func:`lightspeed_client.writes.write_cost`), authenticated, retried on 429/5xx/dropped
connections. A create that may have been stored raises
:class:`~lightspeed_client.errors.UncertainWriteError`, which the writer answers with a lookup.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

import requests

from lightspeed_client.errors import LightspeedAPIError
from lightspeed_client.wire import (
    MAX_IN_VALUES,
    as_list,
    decode_json,
    filter_value,
    in_filter,
    next_page_url,
)
from lightspeed_client.writes import encode, write_cost
from target_lightspeed.mapping import KEY_FIELDS, WIRE_ENTITY, stored_key_values

if TYPE_CHECKING:
    from lightspeed_client.client import LightspeedClient

#: Relations loaded with lookups, per entity (customers are found by their Contact's email).
LOOKUP_RELATIONS = {"customers": ("Contact",), "items": (), "sales": ()}
#: Longest URL a lookup sends, in characters as on the wire (scheme, host, path and every
#: parameter, percent-encoded). The API sits behind Cloudflare and a web server; our API
#: page asks to keep a URL under about 4 KB, so IN lookups are split well under that.
MAX_LOOKUP_URL_LENGTH = 4096
#: Room kept in a lookup's URL for the ``after`` cursor its next-page links add.
CURSOR_ALLOWANCE = 256

LOGGER = logging.getLogger("target-lightspeed")


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
        #: ``(entity, key field)`` whose ``IN`` lookups the server refused or ignored in this
        #: run: they go straight to one ``=`` lookup per value.
        self.in_unusable: set[tuple[str, str]] = set()

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
        retry_conflicts: bool = True,
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
        response = session.send(
            prepared, expected_cost=expected_cost, retry_conflicts=retry_conflicts
        )
        return decode_json(response.content) if response.content else {}

    def _pages(self, entity: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
        for page in self._page_records(entity, params):
            yield from page

    def _page_records(self, entity: str, params: dict[str, str]) -> Iterator[list[dict[str, Any]]]:
        """Yield the records of each page in turn (the next page is read only when asked)."""
        wire = WIRE_ENTITY[entity]
        payload = self._send("GET", self._url(entity), params=params)
        while True:
            yield [r for r in as_list(payload.get(wire)) if isinstance(r, dict)]
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
        """Find the records whose ``field`` is one of ``values``.

        Values go in ``IN`` filters of at most 100 values and a URL of at most
        :data:`MAX_LOOKUP_URL_LENGTH` characters. ``IN`` on a relation's field
        (``Contact.email``) is not documented: when the server refuses it (400) or ignores it
        (it returns a record that matches none of the values), the values left are looked up
        one ``=`` filter at a time, and so are this field's later lookups in the run. A
        single value is looked up with ``=`` at once.

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
        params = self._base_params(entity, relations)
        found: list[dict[str, Any]] = []
        # One value needs no IN: '=' is documented for every filter.
        in_usable = len(unique) > 1 and (entity, field) not in self.in_unusable
        left = [] if in_usable else unique
        if in_usable:
            for start, chunk in self._in_chunks(entity, params, param, unique):
                records = self._in_lookup(entity, field, params, param, chunk)
                if records is None:
                    self.in_unusable.add((entity, field))
                    left = unique[start:]
                    break
                found.extend(records)
        for value in left:
            found.extend(self._pages(entity, {**params, param: filter_value("=", value)}))
        return found

    def _in_chunks(
        self, entity: str, params: dict[str, str], param: str, values: list[str]
    ) -> Iterator[tuple[int, list[str]]]:
        """Split values into IN filters of at most 100 values and a URL of bounded length.

        Yields:
            The position of each chunk's first value, and the chunk.
        """
        prepared = requests.Request("GET", self._url(entity), params={**params, param: "IN,[]"})
        room = MAX_LOOKUP_URL_LENGTH - CURSOR_ALLOWANCE - len(prepared.prepare().url or "")
        comma = len(quote_plus(","))
        start, used, chunk = 0, 0, []
        for index, value in enumerate(values):
            size = len(quote_plus(json.dumps(value, ensure_ascii=False))) + (comma if chunk else 0)
            if chunk and (len(chunk) == MAX_IN_VALUES or used + size > room):
                yield start, chunk
                start, used, chunk = index, 0, []
                size -= comma
            chunk.append(value)
            used += size
        if chunk:
            yield start, chunk

    def _in_lookup(
        self, entity: str, field: str, params: dict[str, str], param: str, chunk: list[str]
    ) -> list[dict[str, Any]] | None:
        """Run one IN lookup; None when the server refused or ignored IN on a relation field."""
        on_relation = "." in param
        wanted = {value.casefold() for value in chunk}
        found: list[dict[str, Any]] = []
        try:
            for page in self._page_records(entity, {**params, param: in_filter(chunk)}):
                if on_relation and any(not _matches(entity, field, wanted, r) for r in page):
                    LOGGER.warning(
                        "Lookup by %s=IN,[..] returned records matching none of the values: "
                        "the server ignores IN on %s; looking each value up with '=' for "
                        "the rest of the run",
                        param,
                        param,
                    )
                    return None
                found.extend(page)
        except LightspeedAPIError as exc:
            if not (on_relation and exc.status == 400):
                raise
            LOGGER.warning(
                "Lookup by %s=IN,[..] refused (HTTP 400: %s); looking each value up with '=' "
                "for the rest of the run",
                param,
                exc.message,
            )
            return None
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

    def read(self, entity: str, record_id: str) -> dict[str, Any]:
        """GET one record by id, with the relations lookups load (to compare it again).

        Args:
            entity: ``customers``, ``items`` or ``sales``.
            record_id: Its id in the target account.

        Returns:
            The stored record, in wire form.
        """
        params = {}
        if LOOKUP_RELATIONS[entity]:
            relations = list(LOOKUP_RELATIONS[entity])
            params["load_relations"] = json.dumps(relations, separators=(",", ":"))
        payload = self._send("GET", self._url(entity, record_id), params=params)
        return _single(payload, WIRE_ENTITY[entity])

    def update(
        self,
        entity: str,
        record_id: str,
        body: Mapping[str, Any],
        *,
        retry_conflicts: bool = True,
    ) -> dict[str, Any]:
        """PUT changes to a record (partial: omitted fields keep their value).

        Args:
            entity: ``customers``, ``items`` or ``sales``.
            record_id: Its id in the target account.
            body: The write body (wrapped form).
            retry_conflicts: False raises a 409 (edit conflict) at once, for a caller that
                reads the record again and decides anew before it retries.

        Returns:
            The stored record.
        """
        wire = WIRE_ENTITY[entity]
        cost = write_cost(wire, "PUT", body)
        payload = self._send(
            "PUT",
            self._url(entity, record_id),
            body=body,
            expected_cost=cost,
            retry_conflicts=retry_conflicts,
        )
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


def _matches(entity: str, field: str, wanted: set[str], stored: dict[str, Any]) -> bool:
    """Tell whether a stored record holds one of the wanted values (casefolded) of a field."""
    return any(v.casefold() in wanted for v in stored_key_values(entity, field, stored))


def _single(payload: Any, wire: str) -> dict[str, Any]:
    records = as_list(payload.get(wire)) if isinstance(payload, dict) else []
    return records[0] if records and isinstance(records[0], dict) else {}
