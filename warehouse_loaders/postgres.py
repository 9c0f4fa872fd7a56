"""MeltanoLabs target-postgres with time-zone-aware times and nested lists as one ``jsonb``.

meltanolabs-target-postgres 0.8.1 maps every ``date-time`` to ``timestamp without time zone``
and an array of objects to ``jsonb[]``. Lightspeed's times are instants (the tap emits them in
UTC) and its nested lists (``SaleLines``, ``Prices``, ...) are queried with ``jsonb`` functions
(``jsonb_array_elements``, ``@>``), so this loader changes those two mappings through the SDK's
documented extension point, ``SQLConnector.jsonschema_to_sql``. Everything else (settings,
loading, merging, ``--about``) is target-postgres's own.

Tables that an unchanged target-postgres created keep their column types; the statements that
convert them are in docs/warehouses.md ("Column types in PostgreSQL"). A table whose primary key
is not the stream's key (tap-lightspeed added ``account_id`` to every key) is refused before
anything is written, with the statements that move it to the new key: target-postgres would add
the column but keep the old primary key, and every merge would then fail on it.
"""

from __future__ import annotations

import functools
import typing as t

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


class PrimaryKeyChangedError(Exception):
    """An existing table's primary key is not the stream's key properties."""


def _quoted(names: t.Iterable[str]) -> str:
    """Return column names as a quoted SQL list: ``"a", "b"``."""
    return ", ".join(f'"{name}"' for name in names)


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

    @override
    def prepare_table(  # type: ignore[override]
        self,
        full_table_name: str,
        schema: dict,
        primary_keys: t.Sequence[str],
        connection: sqlalchemy.engine.Connection,
        partition_keys: list[str] | None = None,
        as_temp_table: bool = False,
    ) -> sqlalchemy.Table:
        """Refuse a table whose primary key differs from the stream's key, else as target-postgres.

        Raises:
            PrimaryKeyChangedError: the table has another primary key; the message holds the
                statements that move it (and its rows) to the stream's key.
        """
        if not as_temp_table and primary_keys and self.table_exists(full_table_name):
            _, schema_name, table_name = self.parse_full_table_name(full_table_name)
            inspector = sqlalchemy.inspect(connection)
            current = inspector.get_pk_constraint(table_name, schema=schema_name)
            current_keys = list(current.get("constrained_columns") or [])
            if current_keys and set(current_keys) != set(primary_keys):
                raise PrimaryKeyChangedError(
                    self._key_change_message(
                        schema_name, table_name, current, primary_keys, schema, connection
                    )
                )
        return super().prepare_table(
            full_table_name,
            schema,
            primary_keys,
            connection,
            partition_keys=partition_keys,
            as_temp_table=as_temp_table,
        )

    def _key_change_message(
        self,
        schema_name: str | None,
        table_name: str,
        current: dict[str, t.Any],
        primary_keys: t.Sequence[str],
        schema: dict,
        connection: sqlalchemy.engine.Connection,
    ) -> str:
        """The error of a changed key, with the statements that keep the table's rows.

        A key column the table lacks is added and filled; the only such column tap-lightspeed
        adds is ``account_id``, whose value for the existing rows is the account they came
        from (one account per table before ``account_id`` existed).
        """
        table = f'"{schema_name}"."{table_name}"'
        columns = {
            c["name"] for c in sqlalchemy.inspect(connection).get_columns(table_name, schema_name)
        }
        statements = []
        for key in primary_keys:
            if key not in columns:
                sql_type = self.to_sql_type(schema["properties"].get(key, {}))
                type_name = sql_type.compile(dialect=self._engine.dialect)
                statements.append(f'ALTER TABLE {table} ADD COLUMN "{key}" {type_name};')
            if key not in current["constrained_columns"]:
                value = "<your Lightspeed account id>" if key == "account_id" else f"<{key}>"
                statements.append(
                    f'UPDATE {table} SET "{key}" = \'{value}\' WHERE "{key}" IS NULL;'
                )
        statements.append(
            f'ALTER TABLE {table} DROP CONSTRAINT "{current["name"]}", '
            f"ADD PRIMARY KEY ({_quoted(primary_keys)});"
        )
        return (
            f"Table {table} has the primary key ({_quoted(current['constrained_columns'])}) but "
            f"the stream's key is ({_quoted(primary_keys)}): its rows would collide with the "
            "new ones. Nothing was written. Keep the rows (and the bookmarks) with: "
            + " ".join(statements)
            + " Or drop the table and load it again from the start (--full-refresh)."
        )

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
