"""REST stream base class for the Lightspeed Retail (R-Series) V3 API."""

from __future__ import annotations

import datetime
import functools
import json
import re
import sys
import typing as t
from functools import cached_property
from urllib.parse import urlsplit, urlunsplit

from singer_sdk import RESTStream, SchemaDirectory, Stream, StreamSchema
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.streams.rest import HTTPRequest, PageContext

from lightspeed_client.client import LightspeedClient
from lightspeed_client.errors import LightspeedAPIError, MissingScopeError, RetriesExhaustedError
from lightspeed_client.wire import (
    EXTRA_FIELDS,
    RecordReader,
    decode_json,
    filter_value,
    next_page_url,
    normalize_timestamp,
)
from tap_lightspeed import schemas

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import requests
    from singer_sdk.helpers.types import Auth, Context, RequestFunc
    from singer_sdk.singerlib import SelectionMask

#: Field of every record of every stream: the Lightspeed account the record comes from,
#: first in each schema and each stream's key, so several accounts' rows can share a table.
#: A string, like the ``account_id`` setting and the account in every API path: an id to
#: match on, never to compute with (and no warehouse column to widen should ids grow).
ACCOUNT_ID = "account_id"

#: The JSON schema of :data:`ACCOUNT_ID` (never null).
ACCOUNT_ID_SCHEMA: dict[str, t.Any] = {"type": ["string"]}


class AccountSchemaDirectory(SchemaDirectory):
    """The stream schema files, each read with :data:`ACCOUNT_ID` as its first property."""

    @override
    def fetch_schema(self, key: str) -> dict[str, t.Any]:
        schema = super().fetch_schema(key)
        return {**schema, "properties": {ACCOUNT_ID: ACCOUNT_ID_SCHEMA, **schema["properties"]}}


#: Where the stream JSON schemas live (one ``<stream name>.json`` file per stream).
SCHEMAS = AccountSchemaDirectory(schemas)

#: Statuses that a too-heavy page produces (section 9 of the API reference): the request is
#: retried with a smaller ``limit`` before giving up.
TOO_HEAVY_STATUSES = frozenset({400, 500, 502, 503, 504})

#: How far before the start of a sync an *unsorted* stream caps its bookmark, to allow for a
#: clock difference between this machine and Lightspeed.
UNSORTED_BOOKMARK_SAFETY = datetime.timedelta(minutes=5)

_LIMIT_RE = re.compile(r"(?:(?<=&)|^)limit=[^&]*")


class PageTooHeavyError(Exception):
    """Lightspeed kept refusing a page even at ``limit=1``."""


class NextLinkPaginator(BaseAPIPaginator[str | None]):
    """Follows ``@attributes.next`` of a V3 list response, exactly as given.

    The token is the full ``next`` URL; pagination ends when it is ``""`` or missing.
    """

    def __init__(self, payload_of: Callable[[requests.Response], t.Any]) -> None:
        """Create a paginator.

        Args:
            payload_of: Returns the decoded JSON body of a response (cached by the stream,
                so a page is decoded once).
        """
        super().__init__(None)
        self._payload_of = payload_of

    @override
    def get_next(self, response: requests.Response) -> str | None:
        return next_page_url(self._payload_of(response))


def _limit_of(url: str) -> int | None:
    """Return the ``limit`` query parameter of a URL, if any.

    Args:
        url: A full URL.

    Returns:
        The limit, or None when the URL has none (or it is not a number).
    """
    match = _LIMIT_RE.search(urlsplit(url).query)
    if not match:
        return None
    value = match.group(0).partition("=")[2]
    return int(value) if value.isdigit() else None


def _with_limit(url: str, limit: int) -> str:
    """Return the URL with its ``limit`` query parameter set, all else left untouched.

    Args:
        url: A full URL.
        limit: The new page size.

    Returns:
        The same URL with ``limit=<limit>``.
    """
    parts = urlsplit(url)
    query, count = _LIMIT_RE.subn(f"limit={limit}", parts.query)
    if not count:
        query = f"{query}&limit={limit}" if query else f"limit={limit}"
    return urlunsplit(parts._replace(query=query))


def _without_deselected_extra(
    schema: dict[str, t.Any], mask: SelectionMask, breadcrumb: tuple[str, ...] = ()
) -> dict[str, t.Any]:
    """The schema without the :data:`EXTRA_FIELDS` properties that the catalog deselects.

    Args:
        schema: An object schema.
        mask: The stream's selection mask (breadcrumbs through object properties).
        breadcrumb: Where ``schema`` sits in the stream's schema.

    Returns:
        The schema, copied where something was left out.
    """
    properties = schema.get("properties")
    if not properties:
        return schema
    kept = {}
    for name, sub in properties.items():
        crumb = (*breadcrumb, "properties", name)
        if name == EXTRA_FIELDS and not mask[crumb]:
            continue
        kept[name] = _without_deselected_extra(sub, mask, crumb)
    return {**schema, "properties": kept}


class AccountStream(Stream):
    """Base of every tap stream: each record carries the account it comes from.

    The schema has :data:`ACCOUNT_ID` first (:class:`AccountSchemaDirectory`); the key is
    ``account_id`` then the class's ``primary_keys`` (the entity's own id), so the rows of two
    accounts never overwrite each other in one table. A stream adds the field with
    :meth:`stamp_account`.
    """

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Initialize the stream (same arguments as :class:`~singer_sdk.Stream`).

        Args:
            *args: Positional arguments for the SDK stream.
            **kwargs: Keyword arguments for the SDK stream.
        """
        super().__init__(*args, **kwargs)
        self.primary_keys = (ACCOUNT_ID, *self.entity_keys)

    @property
    def entity_keys(self) -> tuple[str, ...]:
        """The entity's own key within one account (the class's ``primary_keys``)."""
        return tuple(type(self).primary_keys)

    @cached_property
    def lightspeed(self) -> LightspeedClient:
        """The shared client (one per process and credentials: pacing and tokens)."""
        return LightspeedClient.for_config(dict(self.config))

    @cached_property
    def account_stamp(self) -> str | None:
        """The value of :data:`ACCOUNT_ID` in this run's records, known once per run.

        It is the ``account_id`` setting, else the account of ``GET /API/V3/Account.json``
        (the shared client asks once). None when the effective schema has no ``account_id``
        (an input catalog saved by a version before it): records then keep that catalog's
        shape.
        """
        if ACCOUNT_ID not in self.effective_schema.get("properties", {}):
            return None
        return self.lightspeed.account_id

    def stamp_account(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """Set :data:`ACCOUNT_ID` on a record, in place (unless the catalog lacks the field).

        Args:
            record: A record of this stream.

        Returns:
            The same record.
        """
        account = self.account_stamp
        if account is not None:
            record[ACCOUNT_ID] = account
        return record


class LightspeedStream(AccountStream, RESTStream[str | None]):
    """A V3 list endpoint ``/API/V3/Account/{accountID}/{entity}.json``.

    Subclasses set :attr:`entity` (the wire resource key), ``path`` (``/<entity>.json``),
    ``replication_key`` (the entity's change marker, ``timeStamp`` by default),
    :attr:`sort_field` (the replication key where the endpoint can sort by it) and
    :attr:`load_relations`; the JSON schema file is ``schemas/<name>.json``.
    """

    #: Wire resource key and endpoint name, e.g. ``"Customer"``.
    entity: t.ClassVar[str]

    #: ``sort`` parameter sent on the first page, or None for the endpoint's default order.
    sort_field: t.ClassVar[str | None] = "timeStamp"

    #: Relations to load (``load_relations`` JSON list); empty for none.
    load_relations: t.ClassVar[tuple[str, ...]] = ()

    #: Ask for archived records too (``archived=true``), for entities that can be archived.
    include_archived: t.ClassVar[bool] = True

    #: Replication keys that earlier versions of the tap used for this stream. A saved
    #: bookmark on one of them is resumed on ``replication_key`` from the same value, which
    #: is only safe when the current key is never earlier than the old one on any record.
    legacy_replication_keys: t.ClassVar[tuple[str, ...]] = ()

    replication_key = "timeStamp"
    check_sorted = True
    #: The shared reader already yields exactly the (effective) schema's keys with the
    #: schema's types, so the SDK's per-field conformance pass would find nothing to change:
    #: it is skipped, which is most of the per-record CPU of a default SDK stream.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    schema = StreamSchema(SCHEMAS)

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Initialize the stream (same arguments as :class:`~singer_sdk.RESTStream`).

        Args:
            *args: Positional arguments for the SDK stream.
            **kwargs: Keyword arguments for the SDK stream.
        """
        super().__init__(*args, **kwargs)
        self._started_at = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        self._logged_unknown: set[str] = set()
        self._payload_cache: tuple[requests.Response | None, t.Any] = (None, None)
        self._not_before: str | None = None

    # -- Sorting and state ----------------------------------------------------------------

    @classmethod
    def migrate_bookmark(cls, bookmark: dict[str, t.Any]) -> str | None:
        """Move a bookmark saved on a legacy replication key onto the current one, in place.

        The value is kept, normalised to UTC (bookmarks compare as text).

        Args:
            bookmark: The stream's state (``bookmarks.<stream name>``).

        Returns:
            The legacy key the bookmark was on, or None when it needed no change.
        """
        old_key = bookmark.get("replication_key")
        if old_key not in cls.legacy_replication_keys:
            return None
        bookmark["replication_key"] = cls.replication_key
        value = bookmark.get("replication_key_value")
        if isinstance(value, str) and value:
            bookmark["replication_key_value"] = normalize_timestamp(value)
        return old_key

    @property
    @override
    def is_sorted(self) -> bool:
        """Whether records arrive in replication-key order (the endpoint sorts by it)."""
        return self.sort_field is not None and self.sort_field == self.replication_key

    @override
    def get_replication_key_signpost(self, context: Context | None = None) -> str | None:
        """Cap for the bookmark of an unsorted stream: the sync's start, minus a margin.

        Records changed while an unsorted sync runs may be passed over with a timestamp lower
        than the highest one seen, so the bookmark must not move past the time the sync began.
        The value is in the same normalised UTC form as the records, so bookmarks compare as
        strings.

        Args:
            context: Stream partition or context dictionary.

        Returns:
            The signpost, or None for streams without a replication key.
        """
        if not self.replication_key:
            return None
        return normalize_timestamp(self._started_at - UNSORTED_BOOKMARK_SAFETY)

    def starting_timestamp(self, context: Context | None) -> str | None:
        """The ``>=`` bound of this sync: the bookmark, else ``start_date``, normalised.

        Args:
            context: Stream partition or context dictionary.

        Returns:
            ``YYYY-MM-DDTHH:MM:SS+00:00`` or None for a full sync.
        """
        if not self.replication_key:
            return None
        value = self.get_starting_replication_key_value(context)
        return normalize_timestamp(value) if value else None

    # -- HTTP -----------------------------------------------------------------------------

    @property
    @override
    def url_base(self) -> str:
        return self.lightspeed.account_url

    @property
    @override
    def requests_session(self) -> requests.Session:
        return self.lightspeed.session

    @property
    @override
    def authenticator(self) -> Auth:
        return self.lightspeed.authenticator

    @property
    @override
    def timeout(self) -> float:  # type: ignore[override]
        """Seconds to wait for a response: the ``request_timeout`` setting."""
        return self.lightspeed.settings.request_timeout

    @override
    def backoff_max_tries(self) -> int:
        """One try: the shared client already paces and retries every request."""
        return 1

    @property
    def page_size(self) -> int:
        """Records per page (``page_size`` setting, 1..100)."""
        return int(self.config.get("page_size") or 100)

    @override
    def get_new_paginator(self) -> NextLinkPaginator:
        return NextLinkPaginator(self._payload)

    @override
    def get_url_params(self, context: Context | None, next_page_token: str | None) -> dict:
        """Query parameters of the first page (later pages follow ``next`` verbatim).

        Args:
            context: Stream partition or context dictionary.
            next_page_token: Unused (always None on the first page).

        Returns:
            The parameters, in order: limit, archived, sort, load_relations, timeStamp.
        """
        params: dict[str, t.Any] = {"limit": self.page_size}
        if self.include_archived:
            params["archived"] = "true"
        if self.sort_field:
            params["sort"] = self.sort_field
        if self.load_relations:
            params["load_relations"] = json.dumps(list(self.load_relations), separators=(",", ":"))
        if start := self.starting_timestamp(context):
            params[self.replication_key] = filter_value(">=", start)
        return params

    @override
    def get_http_request(self, *, page: PageContext[str | None]) -> HTTPRequest:
        if page.next_page_token:
            return HTTPRequest(
                url=page.next_page_token,
                method=self.http_method,
                headers=self.http_headers,
            )
        return HTTPRequest(
            url=self.get_url(page.stream_context),
            method=self.http_method,
            headers=self.http_headers,
            params=self.get_url_params(page.stream_context, None),
        )

    @override
    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        """Retry a page that Lightspeed finds too heavy with a smaller ``limit``.

        Heavy ``load_relations`` on big pages can fail with 400, or with 500/504 that the
        shared client's retries could not get past. The same request is sent again with
        ``limit`` halved, down to 1, before giving up. A 403 (a scope the token lacks) stops
        the stream with the stream's name in front of the client's message.

        Args:
            func: The SDK's request function.

        Returns:
            The decorated function.
        """
        decorated = super().request_decorator(func)

        @functools.wraps(func)
        def with_smaller_pages(
            prepared_request: requests.PreparedRequest,
            context: Context | None,
        ) -> requests.Response:
            request = prepared_request
            while True:
                try:
                    return decorated(request, context)
                except MissingScopeError as exc:
                    raise exc.about(f"Stream '{self.name}'") from None
                except (LightspeedAPIError, RetriesExhaustedError) as exc:
                    status = exc.status
                    if status not in TOO_HEAVY_STATUSES:
                        raise
                    url = request.url or ""
                    limit = _limit_of(url) or 100
                    if limit <= 1:
                        msg = (
                            f"Stream '{self.name}': Lightspeed refused {self.path} even with "
                            f"limit=1 (HTTP {status}): {exc}"
                        )
                        raise PageTooHeavyError(msg) from exc
                    smaller = max(1, limit // 2)
                    self.logger.warning(
                        "Stream '%s': %s failed with HTTP %s at limit=%d; "
                        "retrying the same page with limit=%d",
                        self.name,
                        self.path,
                        status,
                        limit,
                        smaller,
                    )
                    request = request.copy()
                    request.url = _with_limit(url, smaller)

        return with_smaller_pages

    # -- Records --------------------------------------------------------------------------

    @cached_property
    def reader(self) -> RecordReader:
        """The shared wire reader for this stream's entity and effective schema.

        The effective schema is the input catalog's, when one was given, so records hold
        exactly the keys and types announced in the SCHEMA message. Where the catalog
        deselects an ``_extra_fields`` property, unknown fields of that object are dropped
        (and reported as such) rather than collected for nothing.
        """
        return RecordReader(
            _without_deselected_extra(self.effective_schema, self.mask), self.entity
        )

    def _payload(self, response: requests.Response) -> t.Any:
        """Decode a response body once (the paginator and the parser share it).

        Args:
            response: A page.

        Returns:
            The decoded JSON body.
        """
        cached_response, payload = self._payload_cache
        if cached_response is not response:
            payload = decode_json(response.content)
            self._payload_cache = (response, payload)
        return payload

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        records = self.reader.read_page(self._payload(response))
        unknown = self.reader.unknown
        if len(unknown.kept) + len(unknown.dropped) > len(self._logged_unknown):
            self._warn_unknown(unknown.kept, f"kept in {EXTRA_FIELDS}")
            self._warn_unknown(
                unknown.dropped, f"left out of records ({EXTRA_FIELDS} is not selected)"
            )
        return records

    def _warn_unknown(self, paths: set[str], fate: str) -> None:
        """Warn once per run about each field the schema does not describe.

        Args:
            paths: Dotted paths of such fields seen so far.
            fate: What happens to them, for the message.
        """
        new = sorted(paths - self._logged_unknown)
        if new:
            self._logged_unknown.update(new)
            self.logger.warning(
                "Stream '%s': fields not in the schema are %s: %s",
                self.name,
                fate,
                ", ".join(new),
            )

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        self._not_before = self.starting_timestamp(context)
        return super().get_records(context)

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """Drop a record older than the bookmark (should the API ignore the filter).

        Args:
            row: A record from the reader.
            context: Stream partition or context dictionary.

        Returns:
            The record with its ``account_id``, or None to skip it.
        """
        not_before = self._not_before
        if not_before is not None:
            value = row.get(self.replication_key)
            if value is not None and value < not_before:
                return None
        return self.stamp_account(row)
