"""MeltanoLabs target-postgres with time-zone-aware times and nested lists as one ``jsonb``.

meltanolabs-target-postgres 0.8.1 maps every ``date-time`` to ``timestamp without time zone``
and an array of objects to ``jsonb[]``. Lightspeed's times are instants (the tap emits them in
UTC) and its nested lists (``SaleLines``, ``Prices``, ...) are queried with ``jsonb`` functions
(``jsonb_array_elements``, ``@>``), so this loader changes those two mappings through the SDK's
documented extension point, ``SQLConnector.jsonschema_to_sql``. Everything else (settings,
loading, merging, ``--about``) is target-postgres's own.

Tables that an unchanged target-postgres created keep their column types; the statements that
convert them are in docs/warehouses.md ("Column types in PostgreSQL").
"""

from __future__ import annotations

import functools

import sqlalchemy
from singer_sdk.sql.connector import JSONSchemaToSQL
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP
from typing_extensions import override

try:
    from target_postgres.connector import PostgresConnector
    from target_postgres.sinks import PostgresSink
    from target_postgres.target import TargetPostgres
except ModuleNotFoundError as missing:  # pragma: no cover - depends on the install
    msg = (
        "target-postgres-typed extends meltanolabs-target-postgres, which is not installed: "
        "pip install -e '.[target-postgres]' (meltano.yml's target-postgres does this)"
    )
    raise ModuleNotFoundError(msg) from missing


class ColumnTypeError(Exception):
    """An existing column holds a type this loader cannot write (an array, e.g. ``jsonb[]``)."""


def _timestamp_with_time_zone(_schema: dict) -> TIMESTAMP:
    """Return the column type of a ``date-time``: ``timestamp with time zone``."""
    return TIMESTAMP(timezone=True)


class TypedPostgresConnector(PostgresConnector):
    """target-postgres's connector, with ``timestamptz`` times and ``jsonb`` lists."""

    @override
    @functools.cached_property
    def jsonschema_to_sql(self) -> JSONSchemaToSQL:
        """Map ``date-time`` to ``timestamp with time zone`` and arrays to ``jsonb``.

        Returns:
            target-postgres's mapping with those two handlers replaced.
        """
        to_sql = super().jsonschema_to_sql
        to_sql.register_format_handler("date-time", _timestamp_with_time_zone)
        to_sql.register_type_handler("array", JSONB)
        return to_sql

    @functools.cached_property
    def _naive_time_columns(self) -> set[str]:
        """Columns already reported as ``timestamp without time zone`` (once each)."""
        return set()

    @override
    def _adapt_column_type(
        self,
        schema_name: str,
        table_name: str,
        column_name: str,
        sql_type: sqlalchemy.types.TypeEngine,
        connection: sqlalchemy.engine.Connection,
        column_object: sqlalchemy.Column | None,
    ) -> None:
        """Name the conversion an older column needs, then adapt it as target-postgres does.

        Raises:
            ColumnTypeError: the column is an array (``jsonb[]``) and the stream sends ``jsonb``.
        """
        current = (
            column_object.type
            if column_object is not None
            else self._get_column_type(schema_name, table_name, column_name, connection)
        )
        column = f'"{schema_name}"."{table_name}"."{column_name}"'
        alter = f'ALTER TABLE "{schema_name}"."{table_name}" ALTER COLUMN "{column_name}"'
        if isinstance(sql_type, JSONB) and isinstance(current, ARRAY):
            current_name = current.compile(dialect=self._engine.dialect).lower()
            msg = (
                f"Column {column} is {current_name}, as an unchanged target-postgres makes "
                "nested lists; this loader writes one jsonb document. Convert it once with: "
                f'{alter} TYPE jsonb USING to_jsonb("{column_name}");'
            )
            raise ColumnTypeError(msg)
        if (
            isinstance(sql_type, TIMESTAMP)
            and sql_type.timezone
            and isinstance(current, TIMESTAMP)
            and not current.timezone
            and column not in self._naive_time_columns
        ):
            self._naive_time_columns.add(column)
            self.logger.warning(
                "Column %s is a timestamp without time zone (it holds UTC times). To make it "
                "timestamptz: %s TYPE timestamptz USING \"%s\" AT TIME ZONE 'UTC';",
                column,
                alter,
                column_name,
            )
        super()._adapt_column_type(
            schema_name, table_name, column_name, sql_type, connection, column_object
        )


class TypedPostgresSink(PostgresSink):
    """target-postgres's sink, on the typed connector."""

    connector_class = TypedPostgresConnector


class TypedTargetPostgres(TargetPostgres):
    """target-postgres, writing timestamptz times and jsonb nested lists."""

    default_sink_class = TypedPostgresSink
