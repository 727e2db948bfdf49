"""Reading a file's cells as text: CSV (its delimiter and header found in its head, its body in chunks),
every sheet of a workbook (merged cells spread), JSON records."""

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from itertools import chain
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from python_calamine import CalamineError, CalamineWorkbook

from pipelines.findings import finding
from pipelines.parsing.encodings import decode, file_encoding
from pipelines.parsing.kinds import not_a_table
from pipelines.parsing.refused import Refused
from pipelines.parsing.values import DOTTED_THOUSANDS
from pipelines.raw import RawFile

HEADER_SCAN_ROWS = 20

DELIMITERS = ",;\t|"

JSON_RECORD_KEYS = ("data", "results", "records")

_HEAD_CHARS = 1 << 16  # enough text to find the delimiter and the header row among the first rows
_ARROW_BLOCK = 4 << 20  # bytes Arrow parses at a time


@dataclass
class Table:
    """All cells of one CSV, JSON or sheet as text; frame index + 1 is the row number the agency sees."""

    cells: pd.DataFrame
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)  # ((r0, c0), (r1, c1))
    sheet: str | None = None


def number_text(value: object) -> str:
    """A typed value (Excel cell, JSON, database) as the text the Indonesian number reader reads back exactly:
    a float such as 1.5 stays `1.5`, but 1.234 would read as 1234, so it becomes `1.2340`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (float, Decimal)):
        text = str(value)
        return text + "0" if DOTTED_THOUSANDS.fullmatch(text) else text
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def json_records(document: object) -> list | None:
    """The records of a JSON delivery: the document itself or its `data` / `results` / `records` list."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in JSON_RECORD_KEYS:
            if isinstance(document.get(key), list):
                return document[key]
    return None


def _json_table(raw: RawFile, data: bytes) -> Table:
    try:
        document = json.loads(decode(data))
    except (ValueError, RecursionError) as error:  # RecursionError: arrays nested beyond Python's stack
        raise Refused(finding("unreadable-file", raw.name, value=str(error)[:120])) from None
    records = json_records(document)
    if records is None or not all(isinstance(r, dict) for r in records):
        raise not_a_table(
            raw,
            "dokumen JSON tanpa daftar baris (list, atau data / results / records)",
            "a JSON document without a list of records (a list, or data / results / records)",
        )
    keys = list(dict.fromkeys(k for record in records for k in record))
    rows = [keys] + [[number_text(r.get(k)) for k in keys] for r in records]
    # The header row gets index -1 so that record n (from 1) is reported as row n.
    return Table(pd.DataFrame(rows, index=range(-1, len(records)), dtype="str"))


def _excel_tables(raw: RawFile, data: bytes, sheet: str | int | None) -> list[Table]:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError) as error:
        raise Refused(finding("unreadable-file", raw.name, value=str(error)[:120])) from None
    names = book.sheet_names
    if isinstance(sheet, int):  # counted from 1, as agency staff count sheets
        names = names[sheet - 1 : sheet] if sheet >= 1 else []
    elif sheet is not None:
        names = [n for n in names if normal_text(n) == normal_text(sheet)]
    if not names:
        raise Refused(finding("sheet-not-found", raw.name, sheet=repr(sheet), sheets=", ".join(book.sheet_names)))
    tables = []
    for name in names:
        ws = book.get_sheet_by_name(name)
        rows = [[number_text(v) for v in row] for row in ws.to_python(skip_empty_area=False)]
        merged = list(ws.merged_cell_ranges or [])
        for (r0, c0), (r1, c1) in merged:
            # A cell merged down a column (a date or a market over its rows) carries its value to every row;
            # one merged across columns (a note, a total's label) stays in its first cell.
            if c0 == c1:
                for r in range(r0, min(r1, len(rows) - 1) + 1):
                    rows[r][c0] = rows[r0][c0]
        tables.append(Table(pd.DataFrame(rows, dtype="str").fillna(""), merged, name))
    return tables


def _delimiter(text: str, known: set[str]) -> str:
    """The delimiter that splits the header into the most known column names; the sniffer otherwise
    (a `;` file with decimal commas has as steady a comma count as a `,` file)."""
    head = text.splitlines()[:HEADER_SCAN_ROWS]
    scores = {
        d: max((sum(normal_text(v) in known for v in row) for row in csv.reader(head, delimiter=d)), default=0)
        for d in DELIMITERS
    }
    best = max(scores, key=scores.get)
    if scores[best]:
        return best
    try:
        return csv.Sniffer().sniff(text[:20000], delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


@dataclass
class CsvHead:
    """A CSV file's head (title rows and header, as cells) and how to read the rest."""

    head: Table
    encoding: str
    delimiter: str


def _csv_head(raw: RawFile, known: set[str]) -> CsvHead:
    encoding = file_encoding(raw)
    with open(raw.path, encoding=encoding, newline="") as f:
        text = f.read(_HEAD_CHARS)
    if not text.strip():
        raise Refused(finding("empty-file", raw.name))
    delimiter = _delimiter(text, known)
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(row)
            if len(rows) == HEADER_SCAN_ROWS:
                break
    except csv.Error:
        raise Refused(finding("malformed-row", raw.name, len(rows) + 1)) from None
    return CsvHead(Table(pd.DataFrame(rows, dtype="str").fillna("")), encoding, delimiter)


def csv_body(raw: RawFile, head: CsvHead, start: int, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The records from position `start` on, `chunk_rows` at a time, as text; a chunk's index is each record's
    position in the file (blank lines count, a quoted line break does not: one record is one spreadsheet row),
    so index + 1 is the row number the agency sees. Arrow reads a regular UTF-8 file (3x quicker than pandas,
    into the same text columns); at the first record it cannot take as it is (a short row, a long one),
    pandas reads the rest, as it reads any file, and names what is wrong."""
    done = 0
    if _arrow_reads(raw, head, start):
        try:
            for chunk in _arrow_body(raw, head, start, chunk_rows):
                yield chunk
                done += len(chunk)
            return
        except pa.ArrowInvalid:
            pass
    width = head.head.cells.shape[1]
    reader = pd.read_csv(
        raw.path,
        sep=head.delimiter,
        header=None,
        names=range(width),
        skiprows=start + done,  # records, as Arrow counts them
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        encoding=head.encoding,
        engine="c",
        chunksize=chunk_rows,
    )
    with reader:
        for chunk in reader:
            chunk.index += start + done
            yield chunk.fillna("")  # short rows and blank lines


def _arrow_reads(raw: RawFile, head: CsvHead, start: int) -> bool:
    """Arrow skips the rows above the body as lines, not records: it may when no quote can join two lines
    there, and it reads UTF-8 only."""
    if head.encoding not in ("utf-8", "utf-8-sig"):
        return False
    with open(raw.path, encoding=head.encoding, newline="") as f:
        return not any('"' in f.readline() for _ in range(start))


def _arrow_body(raw: RawFile, head: CsvHead, start: int, chunk_rows: int) -> Iterator[pd.DataFrame]:
    width = head.head.cells.shape[1]
    names = [str(n) for n in range(width)]
    reader = pacsv.open_csv(
        raw.path,
        read_options=pacsv.ReadOptions(skip_rows=start, column_names=names, block_size=_ARROW_BLOCK),
        parse_options=pacsv.ParseOptions(delimiter=head.delimiter, newlines_in_values=True, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    position, pending = start, []
    for batch in chain(reader, [None]):  # None: the end, whatever is pending goes out
        if batch is not None:
            pending.append(batch)
        table = pa.Table.from_batches(pending, schema=reader.schema)
        while table.num_rows >= chunk_rows or (batch is None and table.num_rows):
            chunk = table.slice(0, chunk_rows).to_pandas()
            chunk.columns = range(width)
            chunk.index = pd.RangeIndex(position, position + len(chunk))
            position += len(chunk)
            yield chunk
            table = table.slice(chunk_rows)
        pending = table.to_batches()


def csv_refusal(raw: RawFile, error: pd.errors.ParserError, width: int) -> Refused:
    """pandas' words for a broken line, as a finding on that line."""
    wider = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
    if wider:
        return Refused(
            finding("too-many-columns", raw.name, int(wider[2]), column_letter(width), letter=column_letter(width))
        )
    line = re.search(r"line (\d+)", str(error))  # pandas counts lines from 1, rows from 0
    row = re.search(r"row (\d+)", str(error))
    number = int(line[1]) if line else int(row[1]) + 1 if row else None
    return Refused(finding("malformed-row", raw.name, number))


def read_tables(raw: RawFile, kind: str, known: set[str], options: dict | None) -> tuple[list[Table], CsvHead | None]:
    if kind == "csv":
        head = _csv_head(raw, known)
        return [head.head], head
    data = Path(raw.path).read_bytes()  # a workbook or a JSON document is small by nature (Excel stops at
    if kind == "excel":  # 1,048,576 rows; APIs page)
        return _excel_tables(raw, data, (options or {}).get("sheet")), None
    return [_json_table(raw, data)], None


def normal_text(text: object) -> str:
    """A cell's text as headers and labels are compared: lower case, spaces collapsed."""
    return re.sub(r"\s+", " ", str(text)).strip().lower()


def column_letter(position: int) -> str:
    """Excel's name of a column (0 -> A, 26 -> AA): the name a clerk finds it by, in Excel or a CSV."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
