"""The warehouse's tables, one place that turns a standard into DDL: the facts of each standard (`core`), their
history, deleted keys and the load log, the regions mart (`marts`); a standard that gains a field gets the
column by an Alembic operation, and tables that hold history are never dropped."""

import sqlalchemy as sa
from alembic.ddl.impl import DefaultImpl
from alembic.migration import MigrationContext
from alembic.operations import Operations

from pipelines import settings
from pipelines.sql import ident
from pipelines.standard import Standard
from pipelines.standard.types import FIELD_TYPES


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


def sql_type(field_type: str) -> type[sa.types.TypeEngine]:
    """The warehouse column of a standard's field type (pipelines/standard/types.py)."""
    return getattr(sa, FIELD_TYPES[field_type].sql)


def table_name(standard: Standard) -> str:
    return standard.name.replace("-", "_")


def fact_columns(standard: Standard, keyed: bool) -> list[sa.Column]:
    columns = [sa.Column(REGION_KEY, sa.Text, primary_key=keyed), sa.Column(AGENCY_KEY, sa.Text)]
    columns += [
        sa.Column(
            f.name,
            sql_type(f.type),
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
        *fact_columns(standard, keyed=True),
        schema="core",
        comment=f"Satu Data standard {standard.ref}",
    )


def history_table(standard: Standard, metadata: sa.MetaData) -> sa.Table:
    """Earlier versions of corrected facts: the row as it was between valid_from and valid_to."""
    return sa.Table(
        f"{table_name(standard)}_history",
        metadata,
        *fact_columns(standard, keyed=False),
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
    keys = [sa.Column(f.name, sql_type(f.type)) for f in standard.fields if f.name in standard.primary_key]
    return sa.Table(
        f"{table_name(standard)}_deleted",
        metadata,
        sa.Column(REGION_KEY, sa.Text),
        *keys,
        sa.Column("_version", sa.BigInteger),
        sa.Column("_deleted_at", sa.DateTime),
        schema="core",
    )


def column_types(standard: Standard) -> dict[str, str]:
    """Every warehouse column of a standard's facts with its SQL type, in table order."""
    return (
        {REGION_KEY: "TEXT", AGENCY_KEY: "TEXT"}
        | {f.name: FIELD_TYPES[f.type].sql_cast for f in standard.fields}
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


def ensure_layers(connection: sa.Connection) -> None:
    for layer in LAYERS:
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {layer}")


def migrate(connection: sa.Connection, table: sa.Table, present: set[str]) -> bool:
    """Create the table, or add the columns a newer standard version brought (never drop: history), given the
    columns it has (`present`). True when the table changed."""
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
        ensure_layers(connection)
        # One look at what exists (information_schema, not SQLAlchemy reflection: duckdb-engine cannot reflect
        # columns): every merge and every publication asks, and nearly always nothing is missing.
        present: dict[tuple[str, str], set[str]] = {}
        for schema, name, column in connection.execute(
            sa.text(
                "SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE "
                "(table_schema = 'core' AND table_name IN :tables) OR (table_schema = 'marts' AND table_name = :mart)"
            ).bindparams(sa.bindparam("tables", expanding=True)),
            {"tables": [t.name for t in tables], "mart": table_name(standard)},
        ):
            present.setdefault((schema, name), set()).add(column)
        changed = [migrate(connection, table, present.get((table.schema, table.name), set())) for table in tables]
        if any(changed) or ("marts", table_name(standard)) not in present:
            create_mart(connection, standard)
        if connection.dialect.name == "postgresql":  # DuckDB's zone maps serve `_version >` scans without one
            connection.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {tables[0].name}_version ON core.{tables[0].name} ({REGION_KEY}, _version)"
            )
    return tables[0]


def region_field(standard: Standard) -> str | None:
    return next((f.name for f in standard.fields if f.code_list and f.code_list.startswith("kemendagri-")), None)


def create_mart(connection: sa.Connection, standard: Standard) -> None:
    """The province's view: every regency's facts with region names up the Kemendagri hierarchy."""
    dimensions = dimension_tables(sa.MetaData())
    for table in dimensions.values():
        table.create(connection, checkfirst=True)
    name = table_name(standard)
    region = region_field(standard) or REGION_KEY
    connection.exec_driver_sql(f"DROP VIEW IF EXISTS marts.{name}")  # a view holds no data; its columns grew
    connection.exec_driver_sql(
        f"CREATE VIEW marts.{name} AS SELECT f.*, r.name AS region_name, "
        f"p.name AS province_name, k.name AS regency_name, a.name AS agency_name "
        f"FROM core.{name} f LEFT JOIN core.dim_region r ON r.code = f.{ident(region)} "
        f"LEFT JOIN core.dim_region k ON k.code = f.{REGION_KEY} "
        f"LEFT JOIN core.dim_region p ON p.code = split_part(f.{REGION_KEY}, '.', 1) "
        f"LEFT JOIN core.dim_agency a ON a.agency = f.{AGENCY_KEY}"
    )
