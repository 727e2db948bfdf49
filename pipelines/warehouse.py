"""The integrated warehouse, reached through SQLAlchemy: an embedded DuckDB file by default, PostgreSQL by
URL in production. Layers show in the schema names:

- `staging.<standard>`: the typed rows of each batch as the agency sent them (replaced per batch);
- `core.<standard>`: the current facts, one row per regency and natural key, with lineage on every row;
  `core.<standard>_history`: every earlier version of a corrected row, with valid_from / valid_to;
  `core.dim_region`, `core.dim_time`, `core.dim_agency`: the conformed dimensions;
- `marts.<standard>`: the facts of all regencies with region names rolled up village -> province.

One place turns a standard into DDL; loads are bulk (DuckDB scans the DataFrame or the staged Parquet file,
PostgreSQL takes COPY in slices, so a large batch is loaded in bounded memory) into
a temporary table, then one `INSERT ... ON CONFLICT` merges by the natural key, all in one transaction, so
a failed or killed load leaves the warehouse as it was. A standard that gains a field gets the column by
an Alembic operation; tables that hold history are never dropped."""

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import sqlalchemy as sa
from alembic.ddl.impl import DefaultImpl
from alembic.migration import MigrationContext
from alembic.operations import Operations

from pipelines import settings
from pipelines.standard import Standard


class DuckDBImpl(DefaultImpl):
    """Alembic has no DuckDB dialect of its own; its generic DDL (ADD COLUMN) is what DuckDB speaks."""
    __dialect__ = "duckdb"

REGION_KEY = "kode_kabupaten"  # every fact carries its regency so regencies merge into one table
AGENCY_KEY = "agency"          # and the agency (OPD) that produced it
LAYERS = ("staging", "core", "marts")
LINEAGE = {"_source_file": sa.Text, "_source_sha256": sa.Text, "_source_row": sa.BigInteger,
           "_batch_id": sa.Text, "_run_id": sa.Text, "_loaded_at": sa.DateTime}
SQL_TYPES = {"string": sa.Text, "integer": sa.BigInteger, "number": sa.Float, "date": sa.Date,
             "datetime": sa.DateTime, "boolean": sa.Boolean}
SQL_CASTS = {"string": "TEXT", "integer": "BIGINT", "number": "DOUBLE PRECISION", "date": "DATE",
             "datetime": "TIMESTAMP", "boolean": "BOOLEAN"}
SLICE_ROWS = 100_000  # rows of a staged Parquet file held in memory at a time (digest, COPY)


@dataclass(frozen=True)
class MergeResult:
    inserted: int
    updated: int
    unchanged: int


def table_name(standard: Standard) -> str:
    return standard.name.replace("-", "_")


def _fact_columns(standard: Standard, keyed: bool) -> list[sa.Column]:
    columns = [sa.Column(REGION_KEY, sa.Text, primary_key=keyed), sa.Column(AGENCY_KEY, sa.Text)]
    columns += [sa.Column(f.name, SQL_TYPES[f.type], primary_key=keyed and f.name in standard.primary_key,
                          nullable=not keyed or not (f.required or f.name in standard.primary_key))
                for f in standard.fields]
    return columns + [sa.Column(name, kind) for name, kind in LINEAGE.items()]


def fact_table(standard: Standard, metadata: sa.MetaData) -> sa.Table:
    """The current facts of a standard: its fields, the regency and agency, and lineage on every row."""
    return sa.Table(table_name(standard), metadata, *_fact_columns(standard, keyed=True), schema="core",
                    comment=f"Satu Data standard {standard.ref}")


def history_table(standard: Standard, metadata: sa.MetaData) -> sa.Table:
    """Earlier versions of corrected facts: the row as it was between valid_from and valid_to."""
    return sa.Table(f"{table_name(standard)}_history", metadata, *_fact_columns(standard, keyed=False),
                    sa.Column("valid_from", sa.DateTime), sa.Column("valid_to", sa.DateTime), schema="core")


def staging_table(standard: Standard, metadata: sa.MetaData) -> sa.Table:
    return sa.Table(table_name(standard), metadata, *_fact_columns(standard, keyed=False), schema="staging")


def load_log_table(metadata: sa.MetaData) -> sa.Table:
    """One row per merge: which batch, which content, which run, what it changed."""
    return sa.Table("load_log", metadata, sa.Column("table_name", sa.Text), sa.Column(REGION_KEY, sa.Text),
                    sa.Column("batch", sa.Text), sa.Column("content_sha256", sa.Text), sa.Column("run_id", sa.Text),
                    sa.Column("loaded_at", sa.DateTime), sa.Column("inserted", sa.BigInteger),
                    sa.Column("updated", sa.BigInteger), sa.Column("rows", sa.BigInteger), schema="core")


def _slices(rows: pd.DataFrame | Path) -> Iterator[pd.DataFrame]:
    """A batch a slice at a time: a DataFrame as it is, a staged Parquet file SLICE_ROWS rows at a time."""
    if isinstance(rows, pd.DataFrame):
        yield rows
        return
    for piece in pq.ParquetFile(rows).iter_batches(batch_size=SLICE_ROWS):
        yield piece.to_pandas()


def row_count(rows: pd.DataFrame | Path) -> int:
    return len(rows) if isinstance(rows, pd.DataFrame) else pq.ParquetFile(rows).metadata.num_rows


def content_digest(rows: pd.DataFrame | Path) -> str:
    """A fingerprint of a batch's rows (values and where they came from), ~0.3 s per million rows. Row
    hashes do not depend on the slicing, so a DataFrame and its Parquet file have the same digest."""
    digest, columns = hashlib.sha256(), None
    for piece in _slices(rows):
        digest.update(pd.util.hash_pandas_object(piece, index=False).to_numpy().tobytes())
        columns = list(piece.columns)
    digest.update(",".join(columns or []).encode())
    return digest.hexdigest()


def dimension_tables(metadata: sa.MetaData) -> dict[str, sa.Table]:
    return {
        "dim_region": sa.Table(
            "dim_region", metadata, sa.Column("code", sa.Text, primary_key=True), sa.Column("level", sa.Text),
            sa.Column("name", sa.Text), sa.Column("parent_code", sa.Text), sa.Column("province_code", sa.Text),
            sa.Column("regency_code", sa.Text), sa.Column("district_code", sa.Text), sa.Column("edition", sa.Text),
            schema="core"),
        "dim_time": sa.Table(
            "dim_time", metadata, sa.Column("date", sa.Date, primary_key=True), sa.Column("year", sa.Integer),
            sa.Column("quarter", sa.Integer), sa.Column("month", sa.Integer), sa.Column("day", sa.Integer),
            sa.Column("month_name", sa.Text), schema="core"),
        "dim_agency": sa.Table(
            "dim_agency", metadata, sa.Column("agency", sa.Text, primary_key=True),
            sa.Column("name", sa.Text), sa.Column("regency_code", sa.Text), schema="core"),
    }


def create_engine(url: str) -> sa.Engine:
    """A DuckDB warehouse keeps to `settings.duckdb_config()`. The cap is not set by default: the key index
    of a large merge must fit in memory, and a merge that does not fit fails."""
    config = settings.duckdb_config()
    if config and sa.make_url(url).get_backend_name() == "duckdb":
        return sa.create_engine(url, connect_args={"config": config})
    return sa.create_engine(url)


def _ensure_layers(connection: sa.Connection) -> None:
    for layer in LAYERS:
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {layer}")


def _migrate(connection: sa.Connection, table: sa.Table) -> bool:
    """Create the table, or add the columns a newer standard version brought (never drop: history).
    True when the table changed."""
    # information_schema, not SQLAlchemy reflection: duckdb-engine cannot reflect columns (pg_collation).
    present = set(connection.execute(sa.text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = :schema AND table_name = :name"),
        {"schema": table.schema, "name": table.name}).scalars())
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
    tables = [fact_table(standard, metadata), history_table(standard, metadata), staging_table(standard, metadata),
              load_log_table(metadata)]
    with engine.begin() as connection:
        _ensure_layers(connection)
        changed = [_migrate(connection, table) for table in tables]
        mart = connection.execute(sa.text("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                                          "'marts' AND table_name = :name"), {"name": table_name(standard)}).scalar()
        if any(changed) or not mart:
            _create_mart(connection, standard)
    return tables[0]


def _stage(connection: sa.Connection, rows: pd.DataFrame | Path, types: dict[str, str],
           constants: dict | None = None) -> None:
    """Bulk-load a DataFrame or a staged Parquet file into the typed temporary table `incoming` (column ->
    SQL type; `constants` are columns with one value for every row) with the engine's own fast path: DuckDB
    scans the frame or the file, PostgreSQL parses CSV in COPY straight into the types, a slice at a time."""
    constants = constants or {}
    columns = list(types)
    if connection.dialect.name == "duckdb":
        raw = connection.connection.driver_connection
        if isinstance(rows, pd.DataFrame):
            raw.register("incoming_rows", rows[[c for c in columns if c not in constants]])
        else:
            raw.register("incoming_rows", raw.read_parquet(str(rows)))
        sources = [f"$c{n}" if c in constants else f'"{c}"' for n, c in enumerate(columns)]
        casts = ", ".join(f'CAST({s} AS {t}) AS "{c}"' for s, (c, t) in zip(sources, types.items()))
        values = {f"c{n}": constants[c] for n, c in enumerate(columns) if c in constants}
        raw.execute(f"CREATE OR REPLACE TEMP TABLE incoming AS SELECT {casts} FROM incoming_rows", values)
        raw.unregister("incoming_rows")
        return
    if connection.dialect.name != "postgresql":
        raise NotImplementedError(f"warehouse engine {connection.dialect.name!r} is not supported")
    typed = ", ".join(f'"{c}" {t}' for c, t in types.items())
    connection.exec_driver_sql(f"CREATE TEMP TABLE incoming ({typed}) ON COMMIT DROP")
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY incoming ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
            for piece in _slices(rows):
                out = piece[[c for c in columns if c not in constants]].assign(**constants)[columns]
                for column, kind in types.items():   # DATE columns take the day only; timestamps keep microseconds
                    if kind == "DATE" and pd.api.types.is_datetime64_any_dtype(out[column]):
                        out[column] = out[column].dt.strftime("%Y-%m-%d")
                buffer = io.StringIO()
                out.to_csv(buffer, index=False, header=False, date_format="%Y-%m-%d %H:%M:%S.%f")
                copy.write(buffer.getvalue())


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
        f"FROM core.{name} f LEFT JOIN core.dim_region r ON r.code = f.\"{region}\" "
        f"LEFT JOIN core.dim_region k ON k.code = f.{REGION_KEY} "
        f"LEFT JOIN core.dim_region p ON p.code = split_part(f.{REGION_KEY}, '.', 1) "
        f"LEFT JOIN core.dim_agency a ON a.agency = f.{AGENCY_KEY}")


def load_dimensions(engine: sa.Engine, regions: pd.DataFrame, agencies: list[tuple[str, str, str]],
                    first: date = date(2000, 1, 1), last: date = date(2035, 12, 31)) -> dict[str, int]:
    """Replace the conformed dimensions: regions (with the codes of their province, regency and district,
    so any fact rolls up), a calendar, and the agencies (slug, name, regency code) of every catalogue."""
    code = regions["code"]
    region_rows = regions.assign(
        province_code=code.str.slice(0, 2), regency_code=code.str.slice(0, 5).where(code.str.len() >= 5),
        district_code=code.str.slice(0, 8).where(code.str.len() >= 8),
        edition=regions.attrs.get("edition", ""))
    days = pd.Series(pd.date_range(first, last, freq="D"))
    time_rows = pd.DataFrame({"date": days.dt.date, "year": days.dt.year, "quarter": days.dt.quarter,
                              "month": days.dt.month, "day": days.dt.day, "month_name": days.dt.month.map(
                                  dict(enumerate(["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli",
                                                  "Agustus", "September", "Oktober", "November", "Desember"],
                                                 start=1)))})
    agency_rows = pd.DataFrame(agencies, columns=["agency", "name", "regency_code"])
    tables = dimension_tables(sa.MetaData())
    frames = {"dim_region": region_rows, "dim_time": time_rows, "dim_agency": agency_rows}
    with engine.begin() as connection:
        _ensure_layers(connection)
        for name, table in tables.items():
            table.create(connection, checkfirst=True)
            connection.exec_driver_sql(f"DELETE FROM core.{name}")
            _stage(connection, frames[name], {c.name: c.type.compile(dialect=connection.dialect)
                                              for c in table.columns})
            connection.exec_driver_sql(f"INSERT INTO core.{name} SELECT * FROM incoming")
            connection.exec_driver_sql("DROP TABLE IF EXISTS incoming")
    return {name: len(frame) for name, frame in frames.items()}


def merge(engine: sa.Engine, standard: Standard, rows: pd.DataFrame | Path, regency_code: str, batch: str,
          run_id: str, agency: str = "") -> MergeResult:
    """Upsert the batch by (regency, primary key). Rows equal to what is stored are not touched, so their
    lineage keeps pointing at the batch that first delivered them; a changed row's earlier version moves
    to the history table. The batch itself is kept in staging, once per batch.
    A batch whose content equals the regency's last merged one is recognised by its digest and costs no
    load at all. `rows` is a DataFrame or a staged Parquet file (read in bounded memory)."""
    table = ensure_table(engine, standard)
    digest = content_digest(rows)
    count = row_count(rows)
    log = load_log_table(sa.MetaData())
    with engine.connect() as connection:
        last = connection.execute(
            sa.select(log.c.content_sha256).where(log.c.table_name == table.name, log.c[REGION_KEY] == regency_code)
            .order_by(log.c.loaded_at.desc()).limit(1)).scalar()
    if last == digest:
        return MergeResult(0, 0, count)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    constants = {REGION_KEY: regency_code, AGENCY_KEY: agency, "_batch_id": batch, "_run_id": run_id,
                 "_loaded_at": now}
    columns = [c.name for c in table.columns]
    types = {f.name: SQL_CASTS[f.type] for f in standard.fields} | {
        REGION_KEY: "TEXT", AGENCY_KEY: "TEXT", "_source_file": "TEXT", "_source_sha256": "TEXT",
        "_source_row": "BIGINT", "_batch_id": "TEXT", "_run_id": "TEXT", "_loaded_at": "TIMESTAMP"}
    key = [REGION_KEY, *standard.primary_key]
    values = [f.name for f in standard.fields if f.name not in standard.primary_key]
    name = f"core.{table.name}"
    join = " AND ".join(f't."{k}" = s."{k}"' for k in key)
    differs = " OR ".join(f't."{v}" IS DISTINCT FROM s."{v}"' for v in values) or "FALSE"
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in key)
    changed = " OR ".join(f'{table.name}."{v}" IS DISTINCT FROM excluded."{v}"' for v in values) or "FALSE"
    with engine.begin() as connection:
        _stage(connection, rows, {c: types[c] for c in columns}, constants)
        listed = ", ".join(f'"{c}"' for c in columns)
        # Only the rows that are new or differ go further: one join instead of pushing every row of the
        # batch through the key index (a daily re-send changes a few rows of a large table).
        connection.exec_driver_sql(
            f'CREATE TEMP TABLE changed_incoming AS SELECT s.*, t."{key[0]}" IS NULL AS _is_new '
            f"FROM incoming s LEFT JOIN {name} t ON {join} WHERE t.\"{key[0]}\" IS NULL OR {differs}")
        counts = connection.exec_driver_sql(
            "SELECT count(*) FILTER (WHERE _is_new), count(*) FILTER (WHERE NOT _is_new) FROM changed_incoming").one()
        stamp = f"TIMESTAMP '{now.isoformat(sep=' ')}'"
        connection.exec_driver_sql(
            f"INSERT INTO {name}_history ({listed}, valid_from, valid_to) "
            f"SELECT {', '.join(f't.{chr(34)}{c}{chr(34)}' for c in columns)}, t._loaded_at, {stamp} "
            f"FROM {name} t JOIN changed_incoming s ON {join} WHERE NOT s._is_new")
        keys = ", ".join(f'"{k}"' for k in key)
        # The WHERE keeps a concurrent load of the same rows from rewriting what is already equal.
        connection.exec_driver_sql(
            f'INSERT INTO {name} ({listed}) SELECT {listed} FROM changed_incoming ON CONFLICT ({keys}) '
            f'DO UPDATE SET {updates} WHERE {changed}')
        # A batch id names its files' content, so a batch already in staging is there exactly as sent.
        staged = connection.exec_driver_sql(
            f"SELECT EXISTS (SELECT 1 FROM staging.{table.name} WHERE _batch_id = '{batch}')").scalar()
        if not staged:
            connection.exec_driver_sql(
                f"INSERT INTO staging.{table.name} ({listed}) SELECT {listed} FROM incoming")
        connection.execute(log.insert().values(
            table_name=table.name, **{REGION_KEY: regency_code}, batch=batch, content_sha256=digest, run_id=run_id,
            loaded_at=now, inserted=int(counts[0]), updated=int(counts[1]), rows=count))
        connection.exec_driver_sql("DROP TABLE changed_incoming")
        connection.exec_driver_sql("DROP TABLE incoming")
    inserted, updated = int(counts[0]), int(counts[1])
    return MergeResult(inserted, updated, count - inserted - updated)


def read_published(engine: sa.Engine, standard: Standard, regency_code: str) -> pd.DataFrame:
    """The standard's public fields of one regency, in key order: personal fields never leave the warehouse."""
    table = ensure_table(engine, standard)
    names = [f.name for f in standard.public_fields]
    columns = [table.c[f] for f in names]
    query = sa.select(*columns).where(table.c[REGION_KEY] == regency_code) \
        .order_by(*[table.c[k] for k in standard.primary_key])
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).mappings().all(), columns=names)


def read_province(engine: sa.Engine, standard: Standard, province_code: str) -> pd.DataFrame:
    """The marts view of a standard for one province: every regency's public fields, led by the regency's
    code and name (`kode_kabupaten`, `nama_kabupaten`), in regency and key order."""
    ensure_table(engine, standard)
    names = ", ".join(f'"{f.name}"' for f in standard.public_fields)
    order = ", ".join(f'"{k}"' for k in (REGION_KEY, *standard.primary_key))
    query = sa.text(f"SELECT {REGION_KEY}, regency_name AS nama_kabupaten, {names} FROM marts.{table_name(standard)} "
                    f"WHERE {REGION_KEY} LIKE :prefix ORDER BY {order}")
    with engine.connect() as connection:
        rows = connection.execute(query, {"prefix": f"{province_code}.%"})
        return pd.DataFrame(rows.mappings().all(),
                            columns=[REGION_KEY, "nama_kabupaten", *(f.name for f in standard.public_fields)])


def as_of(engine: sa.Engine, standard: Standard, regency_code: str, moment: datetime) -> pd.DataFrame:
    """The facts of a regency as the warehouse held them at `moment` (UTC): "what did we publish on
    1 March" is the current rows loaded by then plus the earlier versions valid at that time."""
    name = f"core.{table_name(standard)}"
    fields = ", ".join(f'"{f}"' for f in standard.field_names)
    order = ", ".join(f'"{k}"' for k in standard.primary_key)
    query = sa.text(
        f"SELECT {fields} FROM {name} WHERE {REGION_KEY} = :regency AND _loaded_at <= :moment "
        f"UNION ALL SELECT {fields} FROM {name}_history WHERE {REGION_KEY} = :regency "
        f"AND valid_from <= :moment AND valid_to > :moment ORDER BY {order}")
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
    except sa.exc.DBAPIError:   # nothing merged yet: the log does not exist
        return frozenset()
