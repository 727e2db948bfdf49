"""What the warehouse holds, read: the change set from given versions (what the portal lacks), a regency's
published rows, and the facts as they were at a moment ("what did we publish on 1 March")."""

import re
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from pipelines.sql import ident
from pipelines.standard import Standard
from pipelines.warehouse.tables import REGION_KEY, ensure_table, table_name


@dataclass(frozen=True)
class ChangeSet:
    """What a portal copy lacks of the warehouse: the public rows written and the keys deleted after the
    versions it holds (`since`, per regency), up to `versions`. `since` empty: the whole table. Also what the
    whole table covers then (for its metadata): first and last day of its coverage field, number of rows."""

    since: dict[str, int]
    versions: dict[str, int]
    upserts: pd.DataFrame
    deletes: pd.DataFrame
    period: tuple[str, str] = ("", "")
    rows: int = 0

    @property
    def whole(self) -> bool:
        return not self.since


def _scope(regencies: str) -> str:
    """A regency code (`64.09`) selects that regency's rows, a province code (`64`) all its regencies'."""
    return f"({REGION_KEY} = :scope OR {REGION_KEY} LIKE :scope_prefix)"


_NULLABLE = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int32Dtype(), pa.bool_(): pd.BooleanDtype()}


def _frame(connection: sa.Connection, sql: str, params: dict, columns: list[str]) -> pd.DataFrame:
    """A query's rows as a DataFrame through the driver's bulk path (DuckDB's Arrow; psycopg's rows), several
    times quicker than SQLAlchemy's row objects for a whole table. `sql` uses `:name` parameters. From DuckDB
    through Arrow, not its `.df()`, which makes a Python string of every text cell first (1 s per million
    rows, against 0.1 s), with `.df()`'s types: nullable integers and booleans where a value is missing,
    dates as datetime64[us]."""
    raw = connection.connection.driver_connection
    if connection.dialect.name == "duckdb":
        table = raw.sql(re.sub(r":(\w+)", r"$\1", sql), params=params).to_arrow_table()
        frame = table.to_pandas(date_as_object=False)
        for field, column in zip(table.schema, table.columns):
            if field.type in _NULLABLE and column.null_count:
                frame[field.name] = column.to_pandas(types_mapper=_NULLABLE.get)
            elif pa.types.is_date(field.type):
                frame[field.name] = frame[field.name].astype("datetime64[us]")
        return frame
    with raw.cursor() as cursor:
        cursor.execute(re.sub(r":(\w+)", r"%(\1)s", sql), params)
        return pd.DataFrame(cursor.fetchall(), columns=columns)


def versions(engine: sa.Engine, standard: Standard, regencies: str) -> dict[str, int]:
    """The warehouse version of each regency's table in the scope (see `_scope`): what a portal copy that
    is up to date holds."""
    ensure_table(engine, standard)
    with engine.connect() as connection:
        return _versions(connection, standard, regencies)


def _versions(connection: sa.Connection, standard: Standard, regencies: str) -> dict[str, int]:
    # A regency merged only before versions existed holds version 0: its rows (no `_version`) count as sent
    # once a copy has been loaded whole.
    found = connection.execute(
        sa.text(
            f"SELECT {REGION_KEY}, coalesce(max(version), 0) FROM core.load_log WHERE table_name = :table "
            f"AND {_scope(regencies)} GROUP BY {REGION_KEY}"
        ),
        {"table": table_name(standard), "scope": regencies, "scope_prefix": f"{regencies}.%"},
    ).all()
    return {code: int(version) for code, version in found}


def changes(
    engine: sa.Engine, standard: Standard, regencies: str, since: dict[str, int], with_regency: bool = False
) -> ChangeSet:
    """The change set from the versions `since` (per regency; empty: the whole table) to the current ones,
    read in one snapshot: the public fields of rows written after `since` and the keys deleted after it and
    not written again, and what the whole table covers. `with_regency` leads each row with the regency's code
    and name (a province's integrated table, keyed by regency). Only the changed rows are read, through an
    index on (regency, `_version`) on PostgreSQL."""
    ensure_table(engine, standard)
    name = table_name(standard)
    public = [f.name for f in standard.public_fields]
    lead = [REGION_KEY, "nama_kabupaten"] if with_regency else []
    key = ([REGION_KEY] if with_regency else []) + list(standard.primary_key)
    params: dict = {"scope": regencies, "scope_prefix": f"{regencies}.%"}
    newer = []
    for n, (code, version) in enumerate(sorted(since.items())):
        newer.append(f"({REGION_KEY} = :r{n} AND coalesce(_version, 0) > :v{n})")
        params |= {f"r{n}": code, f"v{n}": version}
    if since:
        listed = ", ".join(f":r{n}" for n in range(len(since)))
        newer.append(f"{REGION_KEY} NOT IN ({listed})")  # a regency the copy has never held: all its rows
    where = f"{_scope(regencies)}" + (f" AND ({' OR '.join(newer)})" if newer else "")
    selected = ", ".join(
        [*(f"{REGION_KEY}, regency_name AS nama_kabupaten",) * bool(with_regency), *(ident(c) for c in public)]
    )
    source = f"marts.{name}" if with_regency else f"core.{name}"
    order = ", ".join(ident(k) for k in key)
    quoted_key = ", ".join(f"d.{ident(k)}" for k in key)
    match = " AND ".join(f"c.{ident(k)} = d.{ident(k)}" for k in [REGION_KEY, *standard.primary_key])
    field = standard.coverage_field
    span = f"min({ident(field)}), max({ident(field)})" if field else "NULL, NULL"
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        current = _versions(connection, standard, regencies)
        if any(not isinstance(v, int) or v > current.get(r, 0) for r, v in since.items()):
            return changes(engine, standard, regencies, {}, with_regency)  # a copy of another warehouse
        upserts = _frame(
            connection, f"SELECT {selected} FROM {source} WHERE {where} ORDER BY {order}", params, [*lead, *public]
        )
        deletes = (
            _frame(
                connection,
                f"SELECT DISTINCT {quoted_key} FROM core.{name}_deleted d WHERE "
                f"{where.replace(REGION_KEY, 'd.' + REGION_KEY).replace('_version', 'd._version')} "
                f"AND NOT EXISTS (SELECT 1 FROM core.{name} c WHERE {match})",
                params,
                key,
            )
            if since
            else pd.DataFrame(columns=key)
        )
        first, last, rows = connection.execute(
            sa.text(f"SELECT {span}, count(*) FROM core.{name} WHERE {_scope(regencies)}"), params
        ).one()
        connection.rollback()
    day = lambda value: "" if value is None else pd.Timestamp(value).date().isoformat()  # noqa: E731
    return ChangeSet(dict(since), current, upserts, deletes, (day(first), day(last)), int(rows))


@dataclass(frozen=True)
class PublishedTable:
    """A standard's table as a portal dataset carries it: one regency's rows (`scope` its code), or a
    province's integrated rows (`scope` the province code, `with_regency`). What `publish.publish` reads."""

    engine: sa.Engine
    standard: Standard
    scope: str
    with_regency: bool = False

    def changes(self, since: dict) -> ChangeSet:
        return changes(self.engine, self.standard, self.scope, since, self.with_regency)


def read_published(engine: sa.Engine, standard: Standard, regency_code: str) -> pd.DataFrame:
    """The standard's public fields of one regency, in key order: personal fields never leave the warehouse."""
    return changes(engine, standard, regency_code, {}).upserts


def as_of(engine: sa.Engine, standard: Standard, regency_code: str, moment: datetime) -> pd.DataFrame:
    """The facts of a regency as the warehouse held them at `moment` (UTC): "what did we publish on
    1 March" is the current rows loaded by then plus the earlier versions valid at that time."""
    name = f"core.{table_name(standard)}"
    fields = ", ".join(ident(f) for f in standard.field_names)
    order = ", ".join(ident(k) for k in standard.primary_key)
    query = sa.text(
        f"SELECT {fields} FROM {name} WHERE {REGION_KEY} = :regency AND _loaded_at <= :moment "
        f"UNION ALL SELECT {fields} FROM {name}_history WHERE {REGION_KEY} = :regency "
        f"AND valid_from <= :moment AND valid_to > :moment ORDER BY {order}"
    )
    with engine.connect() as connection:
        rows = connection.execute(query, {"regency": regency_code, "moment": moment.replace(tzinfo=None)})
        return pd.DataFrame(rows.mappings().all(), columns=standard.field_names)
