"""``satudata_datastore_load``: a whole CSV into an empty DataStore table, in one transaction.

The pipeline creates the table first with ``datastore_create`` (typed from the Satu Data standard), then
posts the CSV here as ``upload`` with the table's ``primary_key``. Either every row is in, with the
full-text column filled, the table's indexes and the key, or nothing is (the table stays empty).

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
import re

import psycopg2
import sqlalchemy as sa

import ckan.plugins.toolkit as tk
from ckanext.datastore.backend.postgres import create_indexes, get_write_engine, identifier
from ckanext.datastore.helpers import get_list

FULLTEXT_TRIGGER = "zfulltext"   # the trigger datastore_create puts on every table


def _columns(conn, table: str) -> list[tuple[str, str]]:
    """The table's own columns (not ``_id``, ``_full_text``), in table order, with their types."""
    rows = conn.execute(sa.text(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped ORDER BY attnum"),
        {"t": table}).all()
    return [(name, kind) for name, kind in rows if not name.startswith("_")]


def _full_text(columns: list[tuple[str, str]]) -> str:
    """CKAN's trigger: ``to_tsvector(string_agg(value, ' '))`` over ``json_each_text(row_to_json(row))``
    without the ``_`` columns. ``to_json(x) #>> '{}'`` is that JSON text for any type; NULLs are skipped."""
    parts = [identifier(name) if kind == "text" else f"to_json({identifier(name)}) #>> '{{}}'"
             for name, kind in columns]
    return f"to_tsvector(concat_ws(' ', {', '.join(parts)}))"


def _secondary_indexes(conn, table: str) -> list[tuple[str, str]]:
    """(name, definition) of the table's indexes other than the ``_id`` primary key."""
    return conn.execute(sa.text(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = CAST(:t AS regclass) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"),
        {"t": table}).all()


def _copy_error(error: psycopg2.Error) -> str:
    """PostgreSQL's reason, with COPY's line number turned into the file's (we read the header ourselves)."""
    context = re.sub(r"line (\d+)", lambda m: f"line {int(m.group(1)) + 1}", error.diag.context or "")
    context = re.sub(r"COPY \S+", "CSV", context)
    return f"{error.diag.message_primary} ({context})" if context else str(error.diag.message_primary)


def datastore_load(context, data_dict):
    """Load ``upload`` (a UTF-8 CSV whose header names every column of the table) into the empty DataStore
    table of ``resource_id`` and make ``primary_key`` (a list, or comma-separated) its unique key.
    Returns the number of rows loaded."""
    resource_id = tk.get_or_bust(data_dict, "resource_id")
    tk.check_access("datastore_create", context, {"resource_id": resource_id})
    upload = data_dict.get("upload")
    if not hasattr(upload, "stream"):
        raise tk.ValidationError({"upload": ["a CSV file is required"]})
    primary_key = get_list(data_dict.get("primary_key")) or []
    table = identifier(resource_id)
    stage = identifier("_satudata_load_" + hashlib.sha1(resource_id.encode()).hexdigest()[:16])

    with get_write_engine().begin() as conn:
        if not conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": table}).scalar():
            raise tk.ObjectNotFound(f"no DataStore table for {resource_id}: create it with datastore_create")
        conn.execute(sa.text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        if conn.execute(sa.text(f"SELECT EXISTS (SELECT 1 FROM {table})")).scalar():
            raise tk.ValidationError({"resource_id": ["the DataStore table is not empty"]})
        columns = _columns(conn, table)
        header = next(csv.reader(io.StringIO(upload.stream.readline().decode("utf-8-sig"))), [])
        if sorted(header) != sorted(name for name, _ in columns):
            raise tk.ValidationError({"upload": [
                f"the CSV header {header} does not name the table's columns {[n for n, _ in columns]}"]})

        indexes = _secondary_indexes(conn, table)
        for name, _ in indexes:   # built again below, once, after the rows are in
            conn.execute(sa.text(f"DROP INDEX {identifier(name)}"))
        names = ", ".join(identifier(name) for name, _ in columns)
        conn.execute(sa.text(f"CREATE UNLOGGED TABLE {stage} AS SELECT {names} FROM {table} WITH NO DATA"))
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.copy_expert(f"COPY {stage} ({', '.join(identifier(h) for h in header)}) FROM STDIN "
                               "WITH (FORMAT csv, ENCODING 'UTF8')", upload.stream)
        except psycopg2.Error as error:
            raise tk.ValidationError({"upload": [_copy_error(error)]}) from error
        finally:
            cursor.close()
        full = identifier("_satudata_full_" + hashlib.sha1(resource_id.encode()).hexdigest()[:16])
        conn.execute(sa.text(f"CREATE UNLOGGED TABLE {full} AS SELECT {names}, {_full_text(columns)} AS "
                             f"_full_text FROM {stage}"))
        has_trigger = conn.execute(sa.text(
            "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) AND tgname = :n)"),
            {"t": table, "n": FULLTEXT_TRIGGER}).scalar()
        if has_trigger:   # it would only return early for each row: _full_text is already filled
            conn.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER {FULLTEXT_TRIGGER}"))
        rows = conn.execute(sa.text(f"INSERT INTO {table} ({names}, _full_text) "
                                    f"SELECT {names}, _full_text FROM {full}")).rowcount
        if has_trigger:
            conn.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER {FULLTEXT_TRIGGER}"))
        conn.execute(sa.text(f"DROP TABLE {stage}, {full}"))
        for _, definition in indexes:
            conn.execute(sa.text(definition))
        if primary_key:
            # CKAN's own code names and builds the key, so datastore_upsert and datastore_info know it.
            try:
                create_indexes({"connection": conn}, {"resource_id": resource_id, "primary_key": primary_key})
            except sa.exc.IntegrityError as error:
                raise tk.ValidationError({"primary_key": [
                    f"duplicate key: {error.orig.diag.message_detail or error.orig}"]}) from error
        conn.execute(sa.text(f"ANALYZE {table}"))
    return {"resource_id": resource_id, "rows": rows}
