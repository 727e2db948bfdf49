"""``/satudata/unduh/<resource_id>.csv`` and ``.xlsx``: a DataStore table's downloads, each one version whole.

CKAN's own dump (``/datastore/dump/<id>``) reads a table in pages of 32,000 rows, each page its own query: a
download taken while the pipeline loads a change mixes two versions, and it holds a database connection while
it streams (measured: 16 people downloading a 1M-row table during a change got mixed and truncated files,
bench/README.md). Here each file is rendered once per version recorded by ``satudata_datastore_load`` (rows
and version read in one snapshot) into the portal's storage; every download of a version is that same file,
sent without a database connection, and a new version renders anew on its first download, off the pipeline's
path. The CSV keeps CKAN's dump format (timestamps ``YYYY-MM-DDTHH:MM:SS``) without ``_id``. In the XLSX, text
stays text (no cell becomes a formula, a number or a link: the table already holds formula-neutralised values),
dates are dates and numbers numbers; a table beyond Excel's row limit gets a plain note, not a broken file.
"""

from __future__ import annotations

import datetime as dt
import decimal
import fcntl
import hashlib
import os
import tempfile
from typing import Callable

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
import xlsxwriter
from ckanext.datastore.backend.postgres import get_write_engine, identifier
from ckanext.satudata.loader import table_columns, table_version
from flask import Blueprint, Response, send_file

XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
FETCH_ROWS = 10_000
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"

unduh = Blueprint("satudata_unduh", __name__)

Render = Callable[[sa.Connection, str, list[tuple[str, str]], str], None]


def _cache_folder() -> str:
    folder = os.path.join(tk.config.get("ckan.storage_path") or tempfile.gettempdir(), "satudata-unduh")
    os.makedirs(folder, exist_ok=True)
    return folder


def _csv_column(name: str, kind: str) -> str:
    """As CKAN's dump writes it, so a harvester sees the same values from either address."""
    if kind.startswith("timestamp"):
        return f"to_char({identifier(name)}, 'YYYY-MM-DD\"T\"HH24:MI:SS') AS {identifier(name)}"
    return identifier(name)


def _render_csv(conn: sa.Connection, table: str, columns: list[tuple[str, str]], path: str) -> None:
    """The table in ``_id`` order, by PostgreSQL's own COPY, in the caller's snapshot."""
    select = ", ".join(_csv_column(name, kind) for name, kind in columns)
    with open(path, "wb") as out:
        cursor = conn.connection.cursor()
        cursor.copy_expert(f"COPY (SELECT {select} FROM {table} ORDER BY _id) TO STDOUT WITH (FORMAT csv, HEADER)", out)
        cursor.close()


def _render_xlsx(conn: sa.Connection, table: str, columns: list[tuple[str, str]], path: str) -> None:
    """The table in ``_id`` order (the order of the CSV) into a new workbook at ``path``."""
    book = xlsxwriter.Workbook(
        path,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
    )
    sheet = book.add_worksheet("data")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    time_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for n, (name, _) in enumerate(columns):
        sheet.write_string(0, n, name)
    names = ", ".join(identifier(name) for name, _ in columns)
    result = conn.execution_options(stream_results=True, max_row_buffer=FETCH_ROWS).execute(
        sa.text(f"SELECT {names} FROM {table} ORDER BY _id")
    )
    for r, row in enumerate(result, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, (int, float, decimal.Decimal)):
                sheet.write_number(r, c, float(value))
            elif isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value.replace(tzinfo=None), time_format)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            else:
                sheet.write_string(r, c, str(value))
    book.close()


def _too_big_for_excel(conn: sa.Connection, table: str) -> Response | None:
    rows = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
    if rows <= XLSX_MAX_ROWS:
        return None
    return Response(
        f"Tabel ini {rows:,} baris, melebihi batas Excel ({XLSX_MAX_ROWS + 1:,} baris): unduh "
        f"CSV-nya. / This table has {rows:,} rows, more than an Excel sheet holds: download the "
        "CSV.\n",
        status=413,
        mimetype="text/plain",
    )


def _rendered(conn: sa.Connection, resource_id: str, table: str, suffix: str, render: Render):
    """The open file of the table's current version, rendered by the first request that asks for it. Opened
    before the lock is let go, so a newer version's rendering, which removes this file, cannot take it away
    from a download already answered."""
    version = table_version(conn, resource_id)
    if version is None:  # loaded by other means: no version to keep it by, rendered for this request only
        with tempfile.NamedTemporaryFile(suffix=suffix, dir=_cache_folder()) as scratch:
            render(conn, table, table_columns(conn, table), scratch.name)
            return open(scratch.name, "rb")
    key = hashlib.sha1(f"{resource_id}\n{version}".encode()).hexdigest()[:20]
    path = os.path.join(_cache_folder(), f"{resource_id}-{key}{suffix}")
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one rendering per version, however many ask at once
        if not os.path.exists(path):
            partial = path + ".partial"
            render(conn, table, table_columns(conn, table), partial)
            os.replace(partial, path)
            for stale in os.listdir(_cache_folder()):  # earlier versions of the same table and format
                if (
                    stale.startswith(resource_id)
                    and stale.endswith((suffix, suffix + ".lock"))
                    and not path.endswith(stale.removesuffix(".lock"))
                ):
                    os.remove(os.path.join(_cache_folder(), stale))
        return open(path, "rb")


def _download(
    resource_id: str,
    suffix: str,
    mimetype: str,
    render: Render,
    refuse: Callable[[sa.Connection, str], Response | None] | None = None,
):
    try:
        tk.check_access("datastore_search", {"user": tk.g.user}, {"resource_id": resource_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return tk.abort(404, tk._("DataStore resource not found"))
    table = identifier(resource_id)
    with get_write_engine().connect() as conn:
        conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        if not conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": table}).scalar():
            return tk.abort(404, tk._("DataStore resource not found"))
        refused = refuse(conn, table) if refuse else None
        if refused is not None:
            return refused
        file = _rendered(conn, resource_id, table, suffix, render)
    response = send_file(file, mimetype=mimetype, as_attachment=True, download_name=f"{resource_id}{suffix}")
    response.content_length = os.fstat(file.fileno()).st_size  # a client can tell a whole file from a cut one
    return response


@unduh.route("/satudata/unduh/<resource_id>.csv")
def csv(resource_id: str):
    return _download(resource_id, ".csv", CSV_MIME, _render_csv)


@unduh.route("/satudata/unduh/<resource_id>.xlsx")
def xlsx(resource_id: str):
    return _download(resource_id, ".xlsx", XLSX_MIME, _render_xlsx, _too_big_for_excel)
