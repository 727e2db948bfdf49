"""Agency database: rows read with SQLAlchemy by a query from the catalogue and delivered as CSV.

Options: `url_env` names the environment variable holding the database URL (it has a password, so it never
lives in the catalogue); `query`; `name` (default `query`); `cursor_column` for incremental reads: only rows
past the last value seen are read, and that value is remembered only after the rows were delivered; `max_bytes`
caps the CSV."""

import csv
import io
import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from pipelines.parsing import number_text
from pipelines.sources import http
from pipelines.sources.delivery import Delivery, SourceError, max_bytes, too_large

ROWS_PER_FETCH = 10_000

_TYPES = {
    "int": int,
    "float": float,
    "decimal": Decimal,
    "str": str,
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
}


def _dump_cursor(value: object) -> dict:
    kind = {bool: "int", int: "int", float: "float", Decimal: "decimal", datetime: "datetime", date: "date"}.get(
        type(value), "str"
    )
    return {"value": value.isoformat() if kind in ("datetime", "date") else str(value), "type": kind}


def _load_cursor(saved: dict) -> object:
    return _TYPES[saved["type"]](saved["value"])


def pull(options: dict, memo: Path) -> Iterator[Delivery]:
    variable = options["url_env"]
    url = os.environ.get(variable)
    if not url:
        raise SourceError(
            f"variabel lingkungan {variable} (alamat basis data) kosong",
            f"environment variable {variable} (database URL) is not set",
        )
    name = options.get("name", "query")
    name = name if name.endswith(".csv") else f"{name}.csv"
    query = options["query"].strip().rstrip(";")
    column = options.get("cursor_column")
    memo_file = memo / "cursor.json"
    saved = http.load_memo(memo_file).get("cursor") if column else None
    engine = sa.create_engine(url)
    origin = engine.url.render_as_string(hide_password=True)
    params = {}
    if column:
        quoted = engine.dialect.identifier_preparer.quote(column)
        query = f"SELECT * FROM ({query}) AS source"
        if saved is not None:
            query += f" WHERE source.{quoted} > :cursor"
            params["cursor"] = _load_cursor(saved)
        query += f" ORDER BY source.{quoted}"
    limit, last, count = max_bytes(options), None, 0
    # The CSV is spooled to an unnamed file beside the source's memo (the state disk, not memory or /tmp), from
    # a server-side cursor: rows of any number pass through in batches of ROWS_PER_FETCH.
    with tempfile.TemporaryFile(dir=memo) as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=True)
        try:
            with engine.connect() as connection:
                result = connection.execution_options(stream_results=True, yield_per=ROWS_PER_FETCH).execute(
                    sa.text(query), params
                )
                writer = csv.writer(text)
                writer.writerow(result.keys())
                for row in result:
                    writer.writerow([number_text(v) for v in row])
                    count += 1
                    if column and row._mapping[column] is not None:  # NULLs sort first or last by engine
                        last = row._mapping[column]
                    if spool.tell() > limit:
                        raise too_large(origin, limit)
        except sa.exc.SQLAlchemyError as error:
            raise SourceError(
                f"kueri basis data gagal ({origin})",
                f"database query failed ({origin}): {getattr(error, 'orig', None) or error}".split("\n")[0],
            ) from None
        finally:
            engine.dispose()
        if not count:
            return  # nothing new since the last run
        text.detach()  # the spool stays open for the archive
        spool.seek(0)
        yield Delivery(name, spool, origin)
    if last is not None:  # only now: rows that were not archived are read again next time
        http.save_memo(memo_file, {"cursor": _dump_cursor(last)})
