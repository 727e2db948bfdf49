"""The integrated warehouse, reached through SQLAlchemy: an embedded DuckDB file by default, PostgreSQL by
URL in production. Layers show in the schema names:

- `core.<standard>`: the current facts, one row per regency and natural key, with lineage on every row
  (source file and row, batch, run, load time, and `_version`, the warehouse version that wrote it);
  `core.<standard>_history`: every earlier version of a corrected or deleted row, with valid_from / valid_to;
  `core.<standard>_deleted`: the keys each version deleted; `core.load_log`: every merge;
  `core.dim_region`, `core.dim_time`, `core.dim_agency`: the conformed dimensions;
- `marts.<standard>`: the facts of all regencies with region names rolled up village -> province.
A batch as the agency sent it lives in the raw archive (bytes) and the staged Parquet file (typed rows), so
the warehouse keeps no copy of it: a merge writes what changed, not the batch again.

One place turns a standard into DDL; loads are bulk (DuckDB scans the DataFrame or the staged Parquet file;
for PostgreSQL an in-memory DuckDB writes it as CSV for COPY) into a temporary table, then set-based
statements pick what is new, changed or gone and merge it by the natural key, all in one transaction, so a
failed or killed load leaves the warehouse as it was. A standard that gains a field gets the column by an
Alembic operation; tables that hold history are never dropped."""

import hashlib
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from alembic.ddl.impl import DefaultImpl
from alembic.migration import MigrationContext
from alembic.operations import Operations

from pipelines import settings
from pipelines.sql import ident, literal
from pipelines.standard import Standard


class DuckDBImpl(DefaultImpl):
    """Alembic has no DuckDB dialect of its own; its generic DDL (ADD COLUMN) is what DuckDB speaks."""

    __dialect__ = "duckdb"


REGION_KEY = "kode_kabupaten"  # every fact carries its regency so regencies merge into one table
AGENCY_KEY = "agency"  # and the agency (OPD) that produced it
LAYERS = ("core", "marts")
# `_version`: the warehouse version (per table and regency, see `merge`) that last wrote the row; the portal
# asks for the rows above the version it holds.
LINEAGE = {
    "_source_file": sa.Text,
    "_source_sha256": sa.Text,
    "_source_row": sa.BigInteger,
    "_batch_id": sa.Text,
    "_run_id": sa.Text,
    "_loaded_at": sa.DateTime,
    "_version": sa.BigInteger,
}
SQL_TYPES = {
    "string": sa.Text,
    "integer": sa.BigInteger,
    "number": sa.Float,
    "date": sa.Date,
    "datetime": sa.DateTime,
    "boolean": sa.Boolean,
}
SQL_CASTS = {
    "string": "TEXT",
    "integer": "BIGINT",
    "number": "DOUBLE PRECISION",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "boolean": "BOOLEAN",
}


@dataclass(frozen=True)
class MergeResult:
    inserted: int
    updated: int
    unchanged: int
    deleted: int = 0
    version: int = 0  # the warehouse version this merge produced (0: it changed nothing)


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


def table_name(standard: Standard) -> str:
    return standard.name.replace("-", "_")


def _fact_columns(standard: Standard, keyed: bool) -> list[sa.Column]:
    columns = [sa.Column(REGION_KEY, sa.Text, primary_key=keyed), sa.Column(AGENCY_KEY, sa.Text)]
    columns += [
        sa.Column(
            f.name,
            SQL_TYPES[f.type],
            primary_key=keyed and f.name in standard.primary_key,
            nullable=not keyed or not (f.required or f.name in standard.primary_key),
        )
        for f in standard.fields
    ]
    return columns + [sa.Column(name, kind) for name, kind in LINEAGE.items()]


def fact_table(standard: Standard, metadata: sa.MetaData) -> sa.Table:
    """The current facts of a standard: its fields, the regency and agency, and lineage on every row."""
    return sa.Table(
        table_name(standard),
        metadata,
        *_fact_columns(standard, keyed=True),
        schema="core",
        comment=f"Satu Data standard {standard.ref}",
    )


def history_table(standard: Standard, metadata: sa.MetaData) -> sa.Table:
    """Earlier versions of corrected facts: the row as it was between valid_from and valid_to."""
    return sa.Table(
        f"{table_name(standard)}_history",
        metadata,
        *_fact_columns(standard, keyed=False),
        sa.Column("valid_from", sa.DateTime),
        sa.Column("valid_to", sa.DateTime),
        schema="core",
    )


def load_log_table(metadata: sa.MetaData) -> sa.Table:
    """One row per merge: which batch, which content, which run, what it changed."""
    return sa.Table(
        "load_log",
        metadata,
        sa.Column("table_name", sa.Text),
        sa.Column(REGION_KEY, sa.Text),
        sa.Column("batch", sa.Text),
        sa.Column("content_sha256", sa.Text),
        sa.Column("run_id", sa.Text),
        sa.Column("loaded_at", sa.DateTime),
        sa.Column("inserted", sa.BigInteger),
        sa.Column("updated", sa.BigInteger),
        sa.Column("rows", sa.BigInteger),
        sa.Column("deleted", sa.BigInteger),
        sa.Column("version", sa.BigInteger),
        schema="core",
    )


def deleted_table(standard: Standard, metadata: sa.MetaData) -> sa.Table:
    """Keys a merge deleted, with the version that deleted them: the deletes of a change set."""
    keys = [sa.Column(f.name, SQL_TYPES[f.type]) for f in standard.fields if f.name in standard.primary_key]
    return sa.Table(
        f"{table_name(standard)}_deleted",
        metadata,
        sa.Column(REGION_KEY, sa.Text),
        *keys,
        sa.Column("_version", sa.BigInteger),
        sa.Column("_deleted_at", sa.DateTime),
        schema="core",
    )


def row_count(rows: pd.DataFrame | Path) -> int:
    return len(rows) if isinstance(rows, pd.DataFrame) else pq.ParquetFile(rows).metadata.num_rows


def column_types(standard: Standard) -> dict[str, str]:
    """Every warehouse column of a standard's facts with its SQL type, in table order."""
    return (
        {REGION_KEY: "TEXT", AGENCY_KEY: "TEXT"}
        | {f.name: SQL_CASTS[f.type] for f in standard.fields}
        | {
            "_source_file": "TEXT",
            "_source_sha256": "TEXT",
            "_source_row": "BIGINT",
            "_batch_id": "TEXT",
            "_run_id": "TEXT",
            "_loaded_at": "TIMESTAMP",
            "_version": "BIGINT",
        }
    )


def content_digest(rows: pd.DataFrame | Path, standard: Standard) -> str:
    """A fingerprint of a batch's rows (values and where they came from): one DuckDB pass over the rows typed
    as the load types them (about 0.1 s per million rows). A sum of row hashes: the same for a DataFrame and
    its Parquet file, whatever the row order."""
    delivered = {"_source_file", "_source_sha256", "_source_row"} | set(standard.field_names)
    types = {c: t for c, t in column_types(standard).items() if c in delivered}
    with duckdb.connect(config=settings.duckdb_config()) as local:
        names = ", ".join(ident(c) for c in types)
        total, count = local.execute(
            f"SELECT sum(hash({names})::HUGEINT), count(*) FROM ({_typed_select(local, rows, types, {})})"
        ).fetchone()
    return hashlib.sha256(f"{','.join(types)}|{count}|{total}".encode()).hexdigest()


def dimension_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    return {
        "dim_region": sa.Table(
            "dim_region",
            metadata,
            sa.Column("code", sa.Text, primary_key=True),
            sa.Column("level", sa.Text),
            sa.Column("name", sa.Text),
            sa.Column("parent_code", sa.Text),
            sa.Column("province_code", sa.Text),
            sa.Column("regency_code", sa.Text),
            sa.Column("district_code", sa.Text),
            sa.Column("edition", sa.Text),
            schema="core",
        ),
        "dim_time": sa.Table(
            "dim_time",
            metadata,
            sa.Column("date", sa.Date, primary_key=True),
            sa.Column("year", sa.Integer),
            sa.Column("quarter", sa.Integer),
            sa.Column("month", sa.Integer),
            sa.Column("day", sa.Integer),
            sa.Column("month_name", sa.Text),
            schema="core",
        ),
        "dim_agency": sa.Table(
            "dim_agency",
            metadata,
            sa.Column("agency", sa.Text, primary_key=True),
            sa.Column("name", sa.Text),
            sa.Column("regency_code", sa.Text),
            schema="core",
        ),
    }


def create_engine(url: str) -> sa.Engine:
    """A DuckDB warehouse keeps to `settings.duckdb_config()`. The cap is not set by default: the key index
    of a large merge must fit in memory, and a merge that does not fit fails."""
    if sa.make_url(url).get_backend_name() != "duckdb":
        # A restarted server leaves dead connections in the pool: test each before use instead of failing a step.
        return sa.create_engine(url, pool_pre_ping=True)
    # No pool: DuckDB locks its file per process while a connection is open, and a pooled connection would
    # keep it locked after the step (a Celery worker or `dagster asset materialize` beside a run needs it).
    config = settings.duckdb_config()
    return sa.create_engine(url, poolclass=sa.pool.NullPool, **({"connect_args": {"config": config}} if config else {}))


def _ensure_layers(connection: sa.Connection) -> None:
    for layer in LAYERS:
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {layer}")


def _migrate(connection: sa.Connection, table: sa.Table) -> bool:
    """Create the table, or add the columns a newer standard version brought (never drop: history).
    True when the table changed."""
    # information_schema, not SQLAlchemy reflection: duckdb-engine cannot reflect columns (pg_collation).
    present = set(
        connection.execute(
            sa.text(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = :schema AND table_name = :name"
            ),
            {"schema": table.schema, "name": table.name},
        ).scalars()
    )
    if not present:
        table.create(connection)
        return True
    operations = Operations(MigrationContext.configure(connection))
    missing = [column for column in table.columns if column.name not in present]
    for column in missing:
        operations.add_column(table.name, sa.Column(column.name, column.type, nullable=True), schema=table.schema)
    return bool(missing)


def ensure_table(engine: sa.Engine, standard: Standard) -> sa.Table:
    metadata = sa.MetaData()
    tables = [
        fact_table(standard, metadata),
        history_table(standard, metadata),
        load_log_table(metadata),
        deleted_table(standard, metadata),
    ]
    with engine.begin() as connection:
        _ensure_layers(connection)
        changed = [_migrate(connection, table) for table in tables]
        mart = connection.execute(
            sa.text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts' AND table_name = :name"
            ),
            {"name": table_name(standard)},
        ).scalar()
        if any(changed) or not mart:
            _create_mart(connection, standard)
        if connection.dialect.name == "postgresql":  # DuckDB's zone maps serve `_version >` scans without one
            connection.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {tables[0].name}_version ON core.{tables[0].name} ({REGION_KEY}, _version)"
            )
    return tables[0]


def _typed_select(raw, rows: pd.DataFrame | Path, types: dict[str, str], constants: dict) -> str:
    """On a DuckDB connection, register the batch (a frame or the staged Parquet file, scanned, never loaded
    whole) as `incoming_rows` and return the SELECT that casts it to `types`, constants bound as `$c<n>`."""
    columns = list(types)
    if isinstance(rows, pd.DataFrame):
        raw.register("incoming_rows", rows[[c for c in columns if c not in constants]])
    else:
        raw.register("incoming_rows", raw.read_parquet(str(rows)))
    sources = [f"$c{n}" if c in constants else ident(c) for n, c in enumerate(columns)]
    casts = ", ".join(f"CAST({s} AS {t}) AS {ident(c)}" for s, (c, t) in zip(sources, types.items()))
    return f"SELECT {casts} FROM incoming_rows"


def _stage(
    connection: sa.Connection,
    rows: pd.DataFrame | Path,
    types: dict[str, str],
    constants: dict | None = None,
    into: str | None = None,
) -> None:
    """Bulk-load a DataFrame or a staged Parquet file into the typed temporary table `incoming` (column ->
    SQL type; `constants` are columns with one value for every row), or straight into the table `into`, with
    the engine's own fast path: DuckDB scans the frame or the file; for PostgreSQL an in-memory DuckDB writes
    it as CSV (several times quicker than pandas) into a private temporary file that COPY parses straight
    into the types."""
    constants = constants or {}
    values = {f"c{n}": constants[c] for n, c in enumerate(types) if c in constants}
    names = ", ".join(ident(c) for c in types)
    if connection.dialect.name == "duckdb":
        raw = connection.connection.driver_connection
        select = _typed_select(raw, rows, types, constants)
        raw.execute(
            f"INSERT INTO {into} ({names}) {select}" if into else f"CREATE OR REPLACE TEMP TABLE incoming AS {select}",
            values,
        )
        raw.unregister("incoming_rows")
        return
    if connection.dialect.name != "postgresql":
        raise NotImplementedError(f"warehouse engine {connection.dialect.name!r} is not supported")
    if not into:
        typed = ", ".join(f"{ident(c)} {t}" for c, t in types.items())
        connection.exec_driver_sql(f"CREATE TEMP TABLE incoming ({typed}) ON COMMIT DROP")
    with (
        tempfile.TemporaryDirectory(prefix="satudata-stage-") as folder,
        duckdb.connect(config=settings.duckdb_config()) as local,
    ):
        csv = Path(folder) / "incoming.csv"
        local.execute(
            f"COPY ({_typed_select(local, rows, types, constants)}) TO {literal(str(csv))} "
            "(FORMAT csv, HEADER false, DATEFORMAT '%Y-%m-%d', TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S.%f')",
            values,
        )
        with connection.connection.driver_connection.cursor() as cursor, csv.open("rb") as source:
            with cursor.copy(f"COPY {into or 'incoming'} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
                while block := source.read(1 << 20):
                    copy.write(block)
    if not into:  # the planner's row count for the joins: a small batch is looked up by key, not hashed
        connection.exec_driver_sql("ANALYZE incoming")


def _region_field(standard: Standard) -> str | None:
    return next((f.name for f in standard.fields if f.code_list and f.code_list.startswith("kemendagri-")), None)


def _create_mart(connection: sa.Connection, standard: Standard) -> None:
    """The province's view: every regency's facts with region names up the Kemendagri hierarchy."""
    dimensions = dimension_tables(sa.MetaData())
    for table in dimensions.values():
        table.create(connection, checkfirst=True)
    name = table_name(standard)
    region = _region_field(standard) or REGION_KEY
    connection.exec_driver_sql(f"DROP VIEW IF EXISTS marts.{name}")  # a view holds no data; its columns grew
    connection.exec_driver_sql(
        f"CREATE VIEW marts.{name} AS SELECT f.*, r.name AS region_name, "
        f"p.name AS province_name, k.name AS regency_name, a.name AS agency_name "
        f"FROM core.{name} f LEFT JOIN core.dim_region r ON r.code = f.{ident(region)} "
        f"LEFT JOIN core.dim_region k ON k.code = f.{REGION_KEY} "
        f"LEFT JOIN core.dim_region p ON p.code = split_part(f.{REGION_KEY}, '.', 1) "
        f"LEFT JOIN core.dim_agency a ON a.agency = f.{AGENCY_KEY}"
    )


def load_dimensions(
    engine: sa.Engine,
    regions: pd.DataFrame,
    agencies: list[tuple[str, str, str]],
    first: date = date(2000, 1, 1),
    last: date = date(2035, 12, 31),
) -> dict[str, int]:
    """Replace the conformed dimensions: regions (with the codes of their province, regency and district,
    so any fact rolls up), a calendar, and the agencies (slug, name, regency code) of every catalogue."""
    code = regions["code"]
    region_rows = regions.assign(
        province_code=code.str.slice(0, 2),
        regency_code=code.str.slice(0, 5).where(code.str.len() >= 5),
        district_code=code.str.slice(0, 8).where(code.str.len() >= 8),
        edition=regions.attrs.get("edition", ""),
    )
    days = pd.Series(pd.date_range(first, last, freq="D"))
    time_rows = pd.DataFrame(
        {
            "date": days.dt.date,
            "year": days.dt.year,
            "quarter": days.dt.quarter,
            "month": days.dt.month,
            "day": days.dt.day,
            "month_name": days.dt.month.map(
                dict(
                    enumerate(
                        [
                            "Januari",
                            "Februari",
                            "Maret",
                            "April",
                            "Mei",
                            "Juni",
                            "Juli",
                            "Agustus",
                            "September",
                            "Oktober",
                            "November",
                            "Desember",
                        ],
                        start=1,
                    )
                )
            ),
        }
    )
    agency_rows = pd.DataFrame(agencies, columns=["agency", "name", "regency_code"])
    tables = dimension_tables(sa.MetaData())
    frames = {"dim_region": region_rows, "dim_time": time_rows, "dim_agency": agency_rows}
    digest = hashlib.sha256(
        b"".join(
            pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes() for frame in frames.values()
        )
    ).hexdigest()
    # Several code locations (one per province) may share the warehouse: each keeps the agencies of its own
    # regencies and its own digest, so they do not undo each other's loads.
    scope = ",".join(sorted(set(agency_rows["regency_code"])))
    with engine.begin() as connection:
        _ensure_layers(connection)
        # The same regions, calendar and agencies as last time: nothing to write (every run passes here).
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS core.dimensions_loaded (digest TEXT)")
        connection.exec_driver_sql("ALTER TABLE core.dimensions_loaded ADD COLUMN IF NOT EXISTS scope TEXT")
        loaded = sa.text("SELECT digest FROM core.dimensions_loaded WHERE scope = :scope")
        if connection.execute(loaded, {"scope": scope}).all() == [(digest,)]:
            return {name: len(frame) for name, frame in frames.items()}
        connection.execute(
            sa.text("DELETE FROM core.dimensions_loaded WHERE scope = :scope OR scope IS NULL"), {"scope": scope}
        )
        connection.execute(
            sa.text("INSERT INTO core.dimensions_loaded (scope, digest) VALUES (:scope, :digest)"),
            {"scope": scope, "digest": digest},
        )
        for name, table in tables.items():
            table.create(connection, checkfirst=True)
            if name == "dim_agency":
                connection.execute(
                    sa.text("DELETE FROM core.dim_agency WHERE regency_code IN :codes").bindparams(
                        sa.bindparam("codes", expanding=True)
                    ),
                    {"codes": sorted(set(agency_rows["regency_code"])) or [""]},
                )
            else:
                connection.exec_driver_sql(f"DELETE FROM core.{name}")
            _stage(
                connection, frames[name], {c.name: c.type.compile(dialect=connection.dialect) for c in table.columns}
            )
            connection.exec_driver_sql(f"INSERT INTO core.{name} SELECT * FROM incoming")
            connection.exec_driver_sql("DROP TABLE IF EXISTS incoming")
    return {name: len(frame) for name, frame in frames.items()}


def _next_version(connection: sa.Connection, table: str, regency_code: str) -> int:
    """The version a merge writes: one more than the regency's last. On PostgreSQL merges of a table take
    turns (a transaction lock), so versions commit in order and a reader never skips one still in flight;
    DuckDB allows one writer at a time anyway."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": f"core.{table}"})
    log = load_log_table(sa.MetaData())
    # Fetched to the end (`all`): DuckDB refuses the bulk staging that follows while a result is open.
    return (
        int(
            connection.execute(
                sa.select(sa.func.coalesce(sa.func.max(log.c.version), 0)).where(
                    log.c.table_name == table, log.c[REGION_KEY] == regency_code
                )
            ).all()[0][0]
        )
        + 1
    )


def _merge_into(
    connection: sa.Connection,
    standard: Standard,
    table: sa.Table,
    rows: pd.DataFrame | Path,
    types: dict[str, str],
    constants: dict,
    complete: bool,
    now: datetime,
) -> tuple[int, int, int]:
    """A batch into a regency's rows already held: (inserted, updated, deleted). Every comparison is limited
    to the regency's own rows (the key index's first column), so its cost does not grow with other regencies."""
    columns = [c.name for c in table.columns]
    regency_code, version = constants[REGION_KEY], constants["_version"]
    key = [REGION_KEY, *standard.primary_key]
    values = [f.name for f in standard.fields if f.name not in standard.primary_key]
    name = f"core.{table.name}"
    pk = ", ".join(ident(k) for k in key)
    # These statements are CREATE TABLE AS or join into one: PostgreSQL binds no parameter there.
    mine = f"t.{REGION_KEY} = {literal(regency_code)}"
    join = " AND ".join(f"t.{ident(k)} = s.{ident(k)}" for k in key) + f" AND {mine}"
    differs = " OR ".join(f"t.{ident(v)} IS DISTINCT FROM s.{ident(v)}" for v in values) or "FALSE"
    updates = ", ".join(f"{ident(c)} = excluded.{ident(c)}" for c in columns if c not in key)
    changed = " OR ".join(f"{table.name}.{ident(v)} IS DISTINCT FROM excluded.{ident(v)}" for v in values) or "FALSE"
    listed = ", ".join(ident(c) for c in columns)
    from_t = ", ".join(f"t.{ident(c)}" for c in columns)
    stamp = literal(now)
    _stage(connection, rows, {c: types[c] for c in columns}, constants)
    # Only the rows that are new or differ go further: one join instead of pushing every row of the
    # batch through the key index (a daily re-send changes a few rows of a large table).
    connection.exec_driver_sql(
        f"CREATE TEMP TABLE changed_incoming AS SELECT s.*, t.{ident(key[0])} IS NULL AS _is_new "
        f"FROM incoming s LEFT JOIN {name} t ON {join} WHERE t.{ident(key[0])} IS NULL OR {differs}"
    )
    inserted, updated = connection.exec_driver_sql(
        "SELECT count(*) FILTER (WHERE _is_new), count(*) FILTER (WHERE NOT _is_new) FROM changed_incoming"
    ).one()
    deleted = 0
    if complete and standard.period_field:
        period = ident(standard.period_field)
        # An outer join keeping the unmatched rows: DuckDB runs it as a hash anti-join, 3x quicker than its
        # NOT EXISTS over the same million keys; PostgreSQL plans both alike.
        connection.exec_driver_sql(
            f"CREATE TEMP TABLE gone AS SELECT {from_t} FROM {name} t LEFT JOIN incoming s ON {join} "
            f"WHERE s.{ident(key[0])} IS NULL AND {mine} AND t.{period} IN (SELECT DISTINCT {period} FROM incoming)"
        )
        deleted = int(connection.exec_driver_sql("SELECT count(*) FROM gone").scalar())
    if updated:
        connection.exec_driver_sql(
            f"INSERT INTO {name}_history ({listed}, valid_from, valid_to) SELECT {from_t}, t._loaded_at, {stamp} "
            f"FROM {name} t JOIN changed_incoming s ON {join} WHERE NOT s._is_new"
        )
    if deleted:
        connection.exec_driver_sql(
            f"INSERT INTO {name}_history ({listed}, valid_from, valid_to) "
            f"SELECT {listed}, _loaded_at, {stamp} FROM gone"
        )
        connection.exec_driver_sql(
            f"INSERT INTO {name}_deleted ({pk}, _version, _deleted_at) SELECT {pk}, {version}, {stamp} FROM gone"
        )
        connection.exec_driver_sql(f"DELETE FROM {name} t USING gone s WHERE {join}")
    if inserted or updated:
        # The WHERE keeps a concurrent load of the same rows from rewriting what is already equal.
        connection.exec_driver_sql(
            f"INSERT INTO {name} ({listed}) SELECT {listed} FROM changed_incoming ON CONFLICT ({pk}) "
            f"DO UPDATE SET {updates} WHERE {changed}"
        )
    for temporary in ("changed_incoming", "incoming", *(("gone",) if complete and standard.period_field else ())):
        connection.exec_driver_sql(f"DROP TABLE {temporary}")
    return int(inserted), int(updated), deleted


def merge(
    engine: sa.Engine,
    standard: Standard,
    rows: pd.DataFrame | Path,
    regency_code: str,
    batch: str,
    run_id: str,
    agency: str = "",
    complete: bool = False,
) -> MergeResult:
    """Upsert the batch by (regency, primary key) as one new version of the regency's table. Rows equal to
    what is stored are not touched, so their lineage keeps pointing at the batch that first delivered them; a
    changed or deleted row's earlier version moves to the history table. A `complete` batch (a file or a full
    read: see `catalogue.Source.complete`) speaks for the periods it holds: a key of a period value (e.g. a
    day) the batch delivers, absent from it, is deleted; periods the batch does not deliver stay as they are,
    and a standard without a period field never deletes. Every written row carries the new `_version` and every
    deleted key is kept in `<table>_deleted` with it: together the change set `changes` hands the portal.
    A batch whose content equals the regency's last merged one is recognised by its digest and costs no
    load at all. `rows` is a DataFrame or a staged Parquet file (read in bounded memory)."""
    table = ensure_table(engine, standard)
    digest = content_digest(rows, standard)
    count = row_count(rows)
    log = load_log_table(sa.MetaData())
    with engine.connect() as connection:
        last = connection.execute(
            sa.select(log.c.content_sha256)
            .where(log.c.table_name == table.name, log.c[REGION_KEY] == regency_code)
            .order_by(log.c.loaded_at.desc())
            .limit(1)
        ).scalar()
    if last == digest:
        return MergeResult(0, 0, count)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    columns = [c.name for c in table.columns]
    types = column_types(standard)
    name = f"core.{table.name}"
    with engine.begin() as connection:
        version = _next_version(connection, table.name, regency_code)
        constants = {
            REGION_KEY: regency_code,
            AGENCY_KEY: agency,
            "_batch_id": batch,
            "_run_id": run_id,
            "_loaded_at": now,
            "_version": version,
        }
        held = connection.execute(
            sa.text(f"SELECT EXISTS (SELECT 1 FROM {name} WHERE {REGION_KEY} = :regency)"), {"regency": regency_code}
        ).all()[0][0]
        if not held:
            # The regency's first load: every row is new, nothing to compare, keep or delete; the rows go
            # straight into the table, as a plain bulk load would.
            _stage(connection, rows, {c: types[c] for c in columns}, constants, into=name)
            inserted, updated, deleted = count, 0, 0
        else:
            inserted, updated, deleted = _merge_into(connection, standard, table, rows, types, constants, complete, now)
        wrote = bool(inserted or updated or deleted)
        connection.execute(
            log.insert().values(
                table_name=table.name,
                **{REGION_KEY: regency_code},
                batch=batch,
                content_sha256=digest,
                run_id=run_id,
                loaded_at=now,
                inserted=inserted,
                updated=updated,
                rows=count,
                deleted=deleted,
                version=version if wrote else None,
            )
        )
    return MergeResult(inserted, updated, count - inserted - updated, deleted, version if wrote else 0)


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


def merged_batches(engine: sa.Engine, standard: Standard, regency_code: str) -> frozenset[str]:
    """The batches of a standard and regency that reached the warehouse, from the load log."""
    log = load_log_table(sa.MetaData())
    query = sa.select(log.c.batch).where(log.c.table_name == table_name(standard), log.c[REGION_KEY] == regency_code)
    try:
        with engine.connect() as connection:
            return frozenset(connection.execute(query).scalars())
    except sa.exc.DBAPIError:  # nothing merged yet: the log does not exist
        return frozenset()
