"""The integrated warehouse, reached through SQLAlchemy: an embedded DuckDB file by default, PostgreSQL by
URL in production. One place turns a standard into DDL; loads are bulk (a DataFrame scan in DuckDB, COPY
in PostgreSQL) into a staging table, then one `INSERT ... ON CONFLICT` merges by the natural key inside
a single transaction, so a failed load leaves the warehouse as it was."""

import io
from dataclasses import dataclass
from datetime import datetime, timezone

import pandas as pd
import sqlalchemy as sa

from pipelines.standard import Standard

REGION_KEY = "kode_kabupaten"  # every fact carries its regency so regencies merge into one table
LINEAGE = {"_source_file": sa.Text, "_source_sha256": sa.Text, "_source_row": sa.BigInteger,
           "_batch_id": sa.Text, "_run_id": sa.Text, "_loaded_at": sa.DateTime}
SQL_TYPES = {"string": sa.Text, "integer": sa.BigInteger, "number": sa.Float, "date": sa.Date,
             "datetime": sa.DateTime, "boolean": sa.Boolean}
SQL_CASTS = {"string": "TEXT", "integer": "BIGINT", "number": "DOUBLE PRECISION", "date": "DATE",
             "datetime": "TIMESTAMP", "boolean": "BOOLEAN"}


@dataclass(frozen=True)
class MergeResult:
    inserted: int
    updated: int
    unchanged: int


def table_name(standard: Standard) -> str:
    return standard.name.replace("-", "_")


def fact_table(standard: Standard, metadata: sa.MetaData) -> sa.Table:
    """The warehouse table of a standard: its fields, the regency, and lineage on every row."""
    columns = [sa.Column(REGION_KEY, sa.Text, primary_key=True)]
    columns += [sa.Column(f.name, SQL_TYPES[f.type], primary_key=f.name in standard.primary_key,
                          nullable=not (f.required or f.name in standard.primary_key)) for f in standard.fields]
    columns += [sa.Column(name, kind) for name, kind in LINEAGE.items()]
    return sa.Table(table_name(standard), metadata, *columns, comment=f"Satu Data standard {standard.ref}")


def create_engine(url: str) -> sa.Engine:
    return sa.create_engine(url)


def ensure_table(engine: sa.Engine, standard: Standard) -> sa.Table:
    table = fact_table(standard, sa.MetaData())
    table.create(engine, checkfirst=True)
    return table


def _stage(connection: sa.Connection, frame: pd.DataFrame, columns: list[str]) -> None:
    """Bulk-load the batch into a temporary table `incoming` with the engine's own fast path."""
    if connection.dialect.name == "duckdb":
        raw = connection.connection.driver_connection
        raw.register("incoming_frame", frame[columns])
        raw.execute("CREATE OR REPLACE TEMP TABLE incoming AS SELECT * FROM incoming_frame")
        raw.unregister("incoming_frame")
        return
    if connection.dialect.name != "postgresql":
        raise NotImplementedError(f"warehouse engine {connection.dialect.name!r} is not supported")
    quoted = ", ".join(f'"{c}" TEXT' for c in columns)
    connection.exec_driver_sql(f"CREATE TEMP TABLE incoming ({quoted}) ON COMMIT DROP")
    buffer = io.StringIO()
    frame[columns].to_csv(buffer, index=False, header=False, date_format="%Y-%m-%dT%H:%M:%S")
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY incoming ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())


def merge(engine: sa.Engine, standard: Standard, frame: pd.DataFrame, regency_code: str, batch: str,
          run_id: str) -> MergeResult:
    """Upsert the batch by (regency, primary key). Rows equal to what is stored are not touched, so their
    lineage keeps pointing at the batch that first delivered them."""
    table = ensure_table(engine, standard)
    data = frame.assign(**{REGION_KEY: regency_code, "_batch_id": batch, "_run_id": run_id,
                           "_loaded_at": datetime.now(timezone.utc).replace(tzinfo=None)})
    columns = [c.name for c in table.columns]
    types = {f.name: SQL_CASTS[f.type] for f in standard.fields} | {
        REGION_KEY: "TEXT", "_source_file": "TEXT", "_source_sha256": "TEXT", "_source_row": "BIGINT",
        "_batch_id": "TEXT", "_run_id": "TEXT", "_loaded_at": "TIMESTAMP"}
    key = [REGION_KEY, *standard.primary_key]
    values = [f.name for f in standard.fields if f.name not in standard.primary_key]
    name = table.name
    selected = ", ".join(f'CAST(i."{c}" AS {types[c]}) AS "{c}"' for c in columns)
    join = " AND ".join(f't."{k}" = s."{k}"' for k in key)
    differs = " OR ".join(f't."{v}" IS DISTINCT FROM s."{v}"' for v in values) or "FALSE"
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in key)
    changed = " OR ".join(f'"{name}"."{v}" IS DISTINCT FROM excluded."{v}"' for v in values) or "FALSE"
    with engine.begin() as connection:
        _stage(connection, data, columns)
        connection.exec_driver_sql(f"CREATE TEMP TABLE typed_incoming AS SELECT {selected} FROM incoming i")
        counts = connection.exec_driver_sql(
            f'SELECT count(*) FILTER (WHERE t."{key[0]}" IS NULL), '
            f'count(*) FILTER (WHERE t."{key[0]}" IS NOT NULL AND ({differs})) '
            f'FROM typed_incoming s LEFT JOIN "{name}" t ON {join}').one()
        keys = ", ".join(f'"{k}"' for k in key)
        connection.exec_driver_sql(
            f'INSERT INTO "{name}" SELECT * FROM typed_incoming ON CONFLICT ({keys}) '
            f'DO UPDATE SET {updates} WHERE {changed}')
        connection.exec_driver_sql("DROP TABLE typed_incoming")
        connection.exec_driver_sql("DROP TABLE IF EXISTS incoming")
    inserted, updated = int(counts[0]), int(counts[1])
    return MergeResult(inserted, updated, len(frame) - inserted - updated)


def read_published(engine: sa.Engine, standard: Standard, regency_code: str) -> pd.DataFrame:
    """The standard's public fields of one regency, in key order: personal fields never leave the warehouse."""
    table = ensure_table(engine, standard)
    names = [f.name for f in standard.public_fields]
    columns = [table.c[f] for f in names]
    query = sa.select(*columns).where(table.c[REGION_KEY] == regency_code) \
        .order_by(*[table.c[k] for k in standard.primary_key])
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).mappings().all(), columns=names)
