"""``/satudata/unduh/<resource_id>.xlsx``: a DataStore table as an Excel workbook.

CKAN's own dump (``/datastore/dump/<id>``) streams CSV, TSV, JSON and XML of a table but no XLSX. This
renders the table once per version recorded by ``satudata_datastore_load`` (rows and version are read in one
snapshot) and keeps the file in the portal's storage, so every download of a version is the same file and
equals the table; a new version renders anew on its first download, off the pipeline's path. Text stays text
(no cell becomes a formula, a number or a link: the table already holds formula-neutralised values), dates
are dates and numbers numbers. A table beyond Excel's row limit gets a plain note, not a broken file.
"""
from __future__ import annotations

import datetime as dt
import decimal
import fcntl
import hashlib
import os
import tempfile

import sqlalchemy as sa
import xlsxwriter
from flask import Blueprint, Response, send_file

import ckan.plugins.toolkit as tk
from ckanext.datastore.backend.postgres import get_write_engine, identifier

from ckanext.satudata.loader import table_columns, table_version

XLSX_MAX_ROWS = 1_048_575   # Excel's sheet limit, less the header row
FETCH_ROWS = 10_000
MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

unduh = Blueprint("satudata_unduh", __name__)


def _cache_folder() -> str:
    folder = os.path.join(tk.config.get("ckan.storage_path") or tempfile.gettempdir(), "satudata-xlsx")
    os.makedirs(folder, exist_ok=True)
    return folder


def _render(conn, table: str, columns: list[tuple[str, str]], path: str) -> None:
    """The table in ``_id`` order (the order of the CSV dump) into a new workbook at ``path``."""
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                      "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet("data")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    time_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for n, (name, _) in enumerate(columns):
        sheet.write_string(0, n, name)
    names = ", ".join(identifier(name) for name, _ in columns)
    result = conn.execution_options(stream_results=True, max_row_buffer=FETCH_ROWS).execute(
        sa.text(f"SELECT {names} FROM {table} ORDER BY _id"))
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


@unduh.route("/satudata/unduh/<resource_id>.xlsx")
def xlsx(resource_id: str):
    try:
        tk.check_access("datastore_search", {"user": tk.g.user}, {"resource_id": resource_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return tk.abort(404, tk._("DataStore resource not found"))
    table = identifier(resource_id)
    engine = get_write_engine()
    with engine.connect() as conn:
        conn.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        if not conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": table}).scalar():
            return tk.abort(404, tk._("DataStore resource not found"))
        rows = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
        if rows > XLSX_MAX_ROWS:
            return Response(f"Tabel ini {rows:,} baris, melebihi batas Excel ({XLSX_MAX_ROWS + 1:,} baris): unduh "
                            f"CSV-nya. / This table has {rows:,} rows, more than an Excel sheet holds: download "
                            "the CSV.\n", status=413, mimetype="text/plain")
        version = table_version(conn, resource_id)
        key = hashlib.sha1(f"{resource_id}\n{version}".encode()).hexdigest()[:20]
        path = os.path.join(_cache_folder(), f"{resource_id}-{key}.xlsx")
        if version is None:   # loaded by other means: no version to cache it by
            with tempfile.NamedTemporaryFile(suffix=".xlsx", dir=_cache_folder(), delete=False) as scratch:
                path = scratch.name
            os.remove(path)
        with open(path + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)   # one rendering per version, however many ask at once
            if not os.path.exists(path):
                partial = path + ".partial"
                _render(conn, table, table_columns(conn, table), partial)
                os.replace(partial, path)
                for stale in os.listdir(_cache_folder()):   # earlier versions of the same table
                    if stale.startswith(resource_id) and not path.endswith(stale.removesuffix(".lock")):
                        os.remove(os.path.join(_cache_folder(), stale))
    response = send_file(path, mimetype=MIME, as_attachment=True, download_name=f"{resource_id}.xlsx")
    if version is None:
        os.remove(path)   # the open file is still sent
        os.remove(path + ".lock")
    return response
