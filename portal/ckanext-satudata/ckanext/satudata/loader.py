"""``satudata_datastore_load``: CSV rows into a DataStore table, in one transaction.

A first load: the pipeline creates the table with ``datastore_create`` (typed from the Satu Data standard),
then posts the whole CSV here as ``upload`` with the table's ``primary_key``. Either every row is in, with the
full-text column filled, the table's indexes and the key, or nothing is (the table stays empty).
A change set (``method=upsert``): the changed and new rows, and a CSV of the keys that are gone, applied
together, so the public sees the old table or the new one, never a mix. A whole table in place of a filled
one (``method=replace``): every row deleted and the new ones written, in the same way. With ``version`` (the
warehouse versions the rows bring the table to), the version is recorded in the same transaction
(``_satudata_versions``), so it always names what the table holds: the XLSX download is cached by it.

Why not xloader's job: xloader rewrites the file, COPYs it, then fills ``_full_text`` with UPDATEs, which
writes every row twice. Here the rows are COPYed into an unlogged staging table, the full-text value is
computed in a parallel ``CREATE TABLE AS`` (PostgreSQL runs it on every core; an ``INSERT ... SELECT`` runs on
one), and the rows are written into the DataStore table once; indexes are built after the rows are in.
``_full_text`` is exactly what CKAN's own ``populate_full_text_trigger`` computes for a row, so rows loaded
here and rows upserted later through ``datastore_upsert`` are found by the same ``q`` searches.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re

import ckan.plugins.toolkit as tk
import psycopg2
import sqlalchemy as sa
from ckanext.datastore.backend.postgres import create_indexes, get_write_engine, identifier
from ckanext.datastore.helpers import get_list

log = logging.getLogger(__name__)

FULLTEXT_TRIGGER = "zfulltext"  # the trigger datastore_create puts on every table


def _names(columns: list[tuple[str, str]]) -> str:
    return ", ".join(identifier(name) for name, _ in columns)


def _scratch(table: str, purpose: str) -> str:
    """A working table's quoted name, one per DataStore table and purpose; the ``_`` keeps it out of CKAN's
    table list (``_table_metadata``)."""
    return identifier(f"_satudata_{purpose}_" + hashlib.sha1(table.encode()).hexdigest()[:16])


def table_columns(conn, table: str) -> list[tuple[str, str]]:
    """The table's own columns (not ``_id``, ``_full_text``), in table order, with their types."""
    rows = conn.execute(
        sa.text(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
        ),
        {"t": table},
    ).all()
    return [(name, kind) for name, kind in rows if not name.startswith("_")]


def _full_text(columns: list[tuple[str, str]]) -> str:
    """CKAN's trigger: ``to_tsvector(string_agg(value, ' '))`` over ``json_each_text(row_to_json(row))``
    without the ``_`` columns. ``to_json(x) #>> '{}'`` is that JSON text for any type; NULLs are skipped."""
    parts = [
        identifier(name) if kind == "text" else f"to_json({identifier(name)}) #>> '{{}}'" for name, kind in columns
    ]
    return f"to_tsvector(concat_ws(' ', {', '.join(parts)}))"


def _secondary_indexes(conn, table: str) -> list[tuple[str, str]]:
    """(name, definition) of the table's indexes other than the ``_id`` primary key."""
    return conn.execute(
        sa.text(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = CAST(:t AS regclass) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
        ),
        {"t": table},
    ).all()


def _copy_error(error: psycopg2.Error) -> str:
    """PostgreSQL's reason, with COPY's line number turned into the file's (we read the header ourselves)."""
    context = re.sub(r"line (\d+)", lambda m: f"line {int(m.group(1)) + 1}", error.diag.context or "")
    context = re.sub(r"COPY \S+", "CSV", context)
    return f"{error.diag.message_primary} ({context})" if context else str(error.diag.message_primary)


def _stage(conn, table: str, columns: list[tuple[str, str]], upload, purpose: str) -> str:
    """COPY a CSV whose header names exactly ``columns`` (in any order) into a new unlogged table typed like
    the DataStore table's columns; returns its quoted name. Dropped by the caller, or by the rollback."""
    header = next(csv.reader(io.StringIO(upload.stream.readline().decode("utf-8-sig"))), [])
    if sorted(header) != sorted(name for name, _ in columns):
        raise tk.ValidationError(
            {purpose: [f"the CSV header {header} does not name the columns {[n for n, _ in columns]}"]}
        )
    stage = _scratch(table, purpose)
    conn.execute(sa.text(f"CREATE UNLOGGED TABLE {stage} AS SELECT {_names(columns)} FROM {table} WITH NO DATA"))
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.copy_expert(
            f"COPY {stage} ({', '.join(identifier(h) for h in header)}) FROM STDIN WITH (FORMAT csv, ENCODING 'UTF8')",
            upload.stream,
        )
    except psycopg2.Error as error:
        raise tk.ValidationError({purpose: [_copy_error(error)]}) from error
    finally:
        cursor.close()
    return stage


def _with_full_text(conn, table: str, stage: str, columns: list[tuple[str, str]]) -> str:
    """The staged rows with their ``_full_text``, computed by a ``CREATE TABLE AS``, which PostgreSQL runs on
    every core (inside an ``INSERT ... SELECT`` it would run on one)."""
    full = _scratch(table, "full")
    conn.execute(
        sa.text(
            f"CREATE UNLOGGED TABLE {full} AS SELECT {_names(columns)}, {_full_text(columns)} "
            f"AS _full_text FROM {stage}"
        )
    )
    return full


def _fill_empty(
    conn, resource_id: str, table: str, columns: list[tuple[str, str]], upload, primary_key: list[str]
) -> int:
    conn.execute(sa.text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
    if conn.execute(sa.text(f"SELECT EXISTS (SELECT 1 FROM {table})")).scalar():
        raise tk.ValidationError({"resource_id": ["the DataStore table is not empty (method upsert changes rows)"]})
    indexes = _secondary_indexes(conn, table)
    for name, _ in indexes:  # built again below, once, after the rows are in
        conn.execute(sa.text(f"DROP INDEX {identifier(name)}"))
    stage = _stage(conn, table, columns, upload, "upload")
    full = _with_full_text(conn, table, stage, columns)
    has_trigger = conn.execute(
        sa.text("SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) AND tgname = :n)"),
        {"t": table, "n": FULLTEXT_TRIGGER},
    ).scalar()
    if has_trigger:  # it would only return early for each row: _full_text is already filled
        conn.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER {FULLTEXT_TRIGGER}"))
    names = _names(columns)
    rows = conn.execute(
        sa.text(f"INSERT INTO {table} ({names}, _full_text) SELECT {names}, _full_text FROM {full}")
    ).rowcount
    if has_trigger:
        conn.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER {FULLTEXT_TRIGGER}"))
    conn.execute(sa.text(f"DROP TABLE {stage}, {full}"))
    try:
        for _, definition in indexes:
            conn.execute(sa.text(definition))
        if primary_key:
            # CKAN's own code names and builds the key, so datastore_upsert and datastore_info know it.
            create_indexes({"connection": conn}, {"resource_id": resource_id, "primary_key": primary_key})
    except sa.exc.IntegrityError as error:
        raise tk.ValidationError(
            {"primary_key": [f"duplicate key: {error.orig.diag.message_detail or error.orig}"]}
        ) from error
    conn.execute(sa.text(f"ANALYZE {table}"))
    return rows


def _upsert(
    conn, table: str, columns: list[tuple[str, str]], upload, delete, primary_key: list[str]
) -> tuple[int, int]:
    """Rows of ``upload`` written by the key (new keys inserted, known ones updated), keys of ``delete``
    removed. Readers keep reading the previous rows until the transaction commits; a second writer waits."""
    if not primary_key or not set(primary_key) <= {name for name, _ in columns}:
        raise tk.ValidationError({"primary_key": ["method upsert needs the table's key columns"]})
    conn.execute(sa.text(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
    stage = _stage(conn, table, columns, upload, "upload")
    full = _with_full_text(conn, table, stage, columns)
    names = _names(columns)
    key = ", ".join(identifier(name) for name in primary_key)
    updates = ", ".join(
        f"{identifier(name)} = EXCLUDED.{identifier(name)}"
        for name in [n for n, _ in columns if n not in primary_key] + ["_full_text"]
    )
    try:
        upserted = conn.execute(
            sa.text(
                f"INSERT INTO {table} ({names}, _full_text) SELECT {names}, _full_text FROM {full} "
                f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
            )
        ).rowcount
    except sa.exc.DBAPIError as error:  # a key twice in the upload, or no unique index on the key
        raise tk.ValidationError({"upload": [str(error.orig.diag.message_primary)]}) from error
    conn.execute(sa.text(f"DROP TABLE {stage}, {full}"))
    deleted = 0
    if hasattr(delete, "stream"):
        keys = _stage(conn, table, [c for c in columns if c[0] in primary_key], delete, "delete")
        match = " AND ".join(f"t.{identifier(name)} = d.{identifier(name)}" for name in primary_key)
        deleted = conn.execute(sa.text(f"DELETE FROM {table} t USING {keys} d WHERE {match}")).rowcount
        conn.execute(sa.text(f"DROP TABLE {keys}"))
    return upserted, deleted


VERSIONS = identifier("_satudata_versions")  # resource id -> the version its table holds


def table_version(conn, resource_id: str) -> str | None:
    """The version recorded with the table's last load, read in the caller's transaction."""
    if not conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": VERSIONS}).scalar():
        return None
    return conn.execute(
        sa.text(f"SELECT version FROM {VERSIONS} WHERE resource_id = :id"), {"id": resource_id}
    ).scalar()


def _record_version(conn, resource_id: str, version: str) -> None:
    conn.execute(
        sa.text(
            f"CREATE TABLE IF NOT EXISTS {VERSIONS} (resource_id text PRIMARY KEY, version text, "
            "recorded_at timestamptz)"
        )
    )
    conn.execute(
        sa.text(
            f"INSERT INTO {VERSIONS} VALUES (:id, :version, now()) ON CONFLICT (resource_id) "
            "DO UPDATE SET version = EXCLUDED.version, recorded_at = EXCLUDED.recorded_at"
        ),
        {"id": resource_id, "version": version},
    )


def datastore_load(context, data_dict):
    """Rows of ``upload`` (a UTF-8 CSV whose header names every column of the table) into the DataStore
    table of ``resource_id``, in one transaction. ``method``:

    - ``insert`` (default): the table must be empty; it is filled, indexed and ``primary_key`` (a list, or
      comma-separated) becomes its unique key.
    - ``upsert``: rows are written by ``primary_key`` (the table's key) and the keys listed in ``delete`` (a
      CSV of the key columns, optional) are removed.
    - ``replace``: the rows take the place of every row of the table (an empty table is filled as by
      ``insert``).

    ``version`` (optional text) is recorded as what the table now holds, in the same transaction.

    Returns the numbers of rows written and deleted."""
    resource_id = tk.get_or_bust(data_dict, "resource_id")
    tk.check_access("datastore_create", context, {"resource_id": resource_id})
    method = data_dict.get("method", "insert")
    if method not in ("insert", "upsert", "replace"):
        raise tk.ValidationError({"method": ["insert, upsert or replace"]})
    upload = data_dict.get("upload")
    if not hasattr(upload, "stream"):
        raise tk.ValidationError({"upload": ["a CSV file is required"]})
    primary_key = get_list(data_dict.get("primary_key")) or []
    table = identifier(resource_id)
    with get_write_engine().begin() as conn:
        if not conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": table}).scalar():
            raise tk.ObjectNotFound(f"no DataStore table for {resource_id}: create it with datastore_create")
        columns = table_columns(conn, table)
        unknown = [name for name in primary_key if name not in {c for c, _ in columns}]
        if unknown:  # named here, not a database error (HTTP 500) from building the index
            raise tk.ValidationError({"primary_key": [f"not columns of the table: {', '.join(unknown)}"]})
        if data_dict.get("version"):
            _record_version(conn, resource_id, str(data_dict["version"]))
        empty = not conn.execute(sa.text(f"SELECT EXISTS (SELECT 1 FROM {table})")).scalar()
        if method == "upsert":
            rows, deleted = _upsert(conn, table, columns, upload, data_dict.get("delete"), primary_key)
            return {"resource_id": resource_id, "rows": rows, "deleted": deleted}
        if method == "insert" or empty:
            rows, deleted = _fill_empty(conn, resource_id, table, columns, upload, primary_key), 0
        else:  # replace: readers keep the old rows until the new ones are committed
            deleted = conn.execute(sa.text(f"DELETE FROM {table}")).rowcount
            rows = _upsert(conn, table, columns, upload, None, primary_key)[0]
    _vacuum(table)
    return {"resource_id": resource_id, "rows": rows, "deleted": deleted}


def _vacuum(table: str) -> None:
    """A whole table just written is vacuumed at once: otherwise autovacuum takes it up a minute later (a
    million new rows pass its threshold) and competes with the next change set for the server. VACUUM runs
    outside a transaction, after the rows are committed: if it fails, autovacuum does the same later, and the
    load stands."""
    try:
        with get_write_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f"VACUUM {table}"))
    except sa.exc.DBAPIError as error:
        log.warning("VACUUM %s after a whole load failed, left to autovacuum: %s", table, error)
