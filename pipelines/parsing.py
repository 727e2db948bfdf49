"""Turning what agencies send (CSV in any common encoding and delimiter, XLSX / XLS with title rows,
merged headers, total rows and several sheets, JSON records) into a typed table in the standard's fields.
Every cell that cannot be read is reported as an Issue naming its file, row and column; nothing is silently
dropped or guessed."""

import codecs
import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from python_calamine import CalamineError, CalamineWorkbook

from pipelines.issues import Issue
from pipelines.raw import RawFile
from pipelines.settings import private_folder, state_dir
from pipelines.standard import Standard

LINEAGE_COLUMNS = ["_source_file", "_source_sha256", "_source_row"]
MONTHS = {"januari": 1, "februari": 2, "pebruari": 2, "maret": 3, "april": 4, "mei": 5, "juni": 6, "juli": 7,
          "agustus": 8, "september": 9, "oktober": 10, "november": 11, "desember": 12,
          "jan": 1, "feb": 2, "peb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "agu": 8, "agt": 8, "ags": 8,
          "sep": 9, "okt": 10, "nov": 11, "des": 12}
_HEADER_SCAN_ROWS = 20
_EXCEL = (".xlsx", ".xls", ".xlsm", ".xlsb", ".ods")
_DELIMITERS = ",;\t|"
# A trailing row that sums the table up is not data (`Jumlah`, `Total`, `Grand Total`, `Sub Total`).
_TOTAL_ROW = re.compile(r"^(jumlah|total|grand ?total|sub ?total)\b")
_DOTTED_THOUSANDS = re.compile(r"-?\d{1,3}(\.\d{3})+")
JSON_RECORD_KEYS = ("data", "results", "records")
# CSV bodies are read this many rows at a time: memory follows the chunk, not the file (~150 MB of text
# cells and typed columns for 200,000 rows of 8 columns).
CHUNK_ROWS = 200_000
_HEAD_CHARS = 1 << 16   # enough text to find the delimiter and the header row among the first rows
KEEP_STAGED = 20        # staged batches kept per folder: a later step re-run from an earlier run finds its file
_TEXT_ENCODINGS = ("utf-8-sig", "cp1252")  # in this order; Latin-1 last because it accepts any byte


@dataclass
class ParsedBatch:
    """The typed rows of one or more files of a dataset, with what could not be read. The rows are staged in
    a Parquet file (written chunk by chunk), so what Dagster stores between steps is this small record;
    validation, the personal-data scan and the warehouse read the file in bounded memory."""
    path: Path
    rows: int
    issues: list[Issue] = field(default_factory=list)
    files: list[RawFile] = field(default_factory=list)

    @property
    def frame(self) -> pd.DataFrame:
        """All rows in memory, for small consumers (tests, previews, small files)."""
        return pd.read_parquet(self.path)

    def head(self, rows: int) -> pd.DataFrame:
        first = next(pq.ParquetFile(self.path).iter_batches(batch_size=rows), None)
        return self.frame.iloc[:0] if first is None else pa.Table.from_batches([first]).to_pandas()


@dataclass
class Table:
    """All cells of one CSV, JSON or sheet as text; frame index + 1 is the row number the agency sees."""
    cells: pd.DataFrame
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)  # ((r0, c0), (r1, c1))
    sheet: str | None = None


def _normal(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().lower()


def decode(data: bytes) -> str:
    """UTF-16 when it says so (Excel's "Unicode text"), UTF-8 with or without BOM, then Windows-1252, which
    Excel on Indonesian Windows writes; Latin-1 last because it accepts any byte."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    for encoding in _TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1")


def file_encoding(path: Path) -> str:
    """The encoding `decode` would pick, decided over the whole file in blocks (constant memory), so a
    byte that does not fit cannot turn up in the middle of parsing."""
    with open(path, "rb") as f:
        if f.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
    for encoding in _TEXT_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as f:
                for block in iter(lambda f=f: f.read(1 << 20), b""):
                    decoder.decode(block)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            pass
    return "latin-1"


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
        return text + "0" if _DOTTED_THOUSANDS.fullmatch(text) else text
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


def _json_table(data: bytes) -> Table:
    records = json_records(json.loads(decode(data)))
    if records is None or not all(isinstance(r, dict) for r in records):
        raise ValueError("no list of records (a list, or `data` / `results` / `records`)")
    keys = list(dict.fromkeys(k for record in records for k in record))
    rows = [keys] + [[number_text(r.get(k)) for k in keys] for r in records]
    # The header row gets index -1 so that record n (from 1) is reported as row n.
    return Table(pd.DataFrame(rows, index=range(-1, len(records)), dtype="str"))


def _excel_tables(data: bytes, sheet: str | int | None) -> list[Table]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    names = book.sheet_names
    if isinstance(sheet, int):  # counted from 1, as agency staff count sheets
        names = names[sheet - 1:sheet] if sheet >= 1 else []
    elif sheet is not None:
        names = [n for n in names if _normal(n) == _normal(sheet)]
    if not names:
        raise ValueError(f"sheet {sheet!r} not found in {book.sheet_names}")
    tables = []
    for name in names:
        ws = book.get_sheet_by_name(name)
        rows = [[number_text(v) for v in row] for row in ws.to_python(skip_empty_area=False)]
        merged = list(ws.merged_cell_ranges or [])
        for (r0, c0), (r1, c1) in merged:  # every cell of a merged area carries its value
            for r in range(r0, min(r1, len(rows) - 1) + 1):
                for c in range(c0, min(c1, len(rows[r]) - 1) + 1):
                    rows[r][c] = rows[r0][c0]
        tables.append(Table(pd.DataFrame(rows, dtype="str").fillna(""), merged, name))
    return tables


def _delimiter(text: str, known: set[str]) -> str:
    """The delimiter that splits the header into the most known column names; the sniffer otherwise
    (a `;` file with decimal commas has as steady a comma count as a `,` file)."""
    head = text.splitlines()[:_HEADER_SCAN_ROWS]
    scores = {d: max((sum(_normal(v) in known for v in row) for row in csv.reader(head, delimiter=d)), default=0)
              for d in _DELIMITERS}
    best = max(scores, key=scores.get)
    if scores[best]:
        return best
    try:
        return csv.Sniffer().sniff(text[:20000], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


def read_tables(raw: RawFile, sheet: str | int | None = None) -> list[Table]:
    """All cells of an Excel or JSON file as text, no header assumed: one table per candidate sheet. These are
    read whole: a workbook or a JSON document is small by nature (Excel stops at 1,048,576 rows; APIs page)."""
    data = Path(raw.path).read_bytes()
    if raw.name.lower().endswith(_EXCEL):
        return _excel_tables(data, sheet)
    return [_json_table(data)]


@dataclass
class _Csv:
    """A CSV file's head (title rows and header, as cells) and how to read the rest."""
    head: Table
    encoding: str
    delimiter: str


def _csv_head(raw: RawFile, known: set[str]) -> _Csv:
    encoding = file_encoding(Path(raw.path))
    with open(raw.path, encoding=encoding, newline="") as f:
        text = f.read(_HEAD_CHARS)
    delimiter = _delimiter(text, known)
    rows = []
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        rows.append(row)
        if len(rows) == _HEADER_SCAN_ROWS:
            break
    return _Csv(Table(pd.DataFrame(rows, dtype="str").fillna("")), encoding, delimiter)


def _csv_body(raw: RawFile, head: _Csv, start: int, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The records from position `start` on, `chunk_rows` at a time, as text; a chunk's index is each record's
    position in the file (blank lines count, a quoted line break does not: one record is one spreadsheet row),
    so index + 1 is the row number the agency sees."""
    width = head.head.cells.shape[1]
    reader = pd.read_csv(raw.path, sep=head.delimiter, header=None, names=range(width), skiprows=start,
                         dtype=str, keep_default_na=False, skip_blank_lines=False, encoding=head.encoding,
                         engine="c", chunksize=chunk_rows)
    with reader:
        for chunk in reader:
            chunk.index += start
            yield chunk.fillna("")  # short rows and blank lines


def _find_header(cells: pd.DataFrame, known: set[str]) -> tuple[int, int]:
    """(position, score) of the row with the most known column names among the first rows."""
    scores = [sum(_normal(v) in known for v in cells.iloc[i]) for i in range(min(len(cells), _HEADER_SCAN_ROWS))]
    if not scores or max(scores) == 0:
        return -1, 0
    return scores.index(max(scores)), max(scores)


def _column_names(table: Table, header: int, mapping: dict[str, str]) -> tuple[list[str | None], int]:
    """Standard names of the columns and the last header row. A header merged over several rows (`Lokasi`
    above `Kode Kecamatan` and `Nama Pasar`) is read as one block: the joined label first, then each part."""
    row_labels = table.cells.index
    first, last = header, header
    for (r0, _), (r1, _) in table.merged:
        if r0 <= row_labels[header] <= r1 and r0 < r1:
            first = min(first, row_labels.get_loc(r0))
            last = max(last, row_labels.get_loc(min(r1, row_labels[-1])))
    block = table.cells.iloc[first:last + 1]
    names = []
    for position in range(block.shape[1]):
        parts = list(dict.fromkeys(v for v in block.iloc[:, position] if _normal(v)))
        candidates = [" ".join(parts)] + parts[::-1]
        names.append(next((mapping[_normal(c)] for c in candidates if _normal(c) in mapping), None))
    return names, last


def parse_numbers(values: pd.Series, integer: bool) -> pd.Series:
    """Indonesian notation: `1.234.567`, `1.234,56`, `Rp 12.500`; a plain `12.5` stays a decimal point."""
    text = values.str.replace(r"(?i)^\s*rp\.?\s*", "", regex=True).str.replace(r"\s", "", regex=True)
    both = text.str.contains(",", regex=False) & text.str.contains(".", regex=False)
    comma_only = text.str.contains(",", regex=False) & ~both
    dotted_thousands = text.str.fullmatch(r"-?\d{1,3}(\.\d{3})+")
    text = text.mask(both | dotted_thousands, text.str.replace(".", "", regex=False))
    text = text.mask(both | comma_only, text.str.replace(",", ".", regex=False))
    numbers = pd.to_numeric(text, errors="coerce")
    if integer:
        whole = numbers.notna() & (numbers % 1 == 0)
        return numbers.where(whole).astype("Int64")
    return numbers.astype("Float64")


def parse_dates(values: pd.Series) -> pd.Series:
    """Day-first dates: `22/09/2022`, `22-9-2022`, `22 September 2022`, `20 Agustus 2021 07:15`,
    ISO `2022-09-22 13:00`, and Excel serial day numbers; a time of day after the date is kept."""
    text = values.str.strip().str.lower()
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    numeric = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
    parts = text.str.extract(numeric)
    day_first = pd.to_datetime(
        {"year": pd.to_numeric(parts[2], errors="coerce"), "month": pd.to_numeric(parts[1], errors="coerce"),
         "day": pd.to_numeric(parts[0], errors="coerce")}, errors="coerce")
    result = result.fillna(day_first)
    named = text.str.extract(r"^(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})")
    month = named[1].map(MONTHS)
    worded = pd.to_datetime({"year": pd.to_numeric(named[2], errors="coerce"), "month": month,
                             "day": pd.to_numeric(named[0], errors="coerce")}, errors="coerce")
    result = result.fillna(worded)
    iso = pd.to_datetime(text.str.extract(r"^(\d{4}-\d{2}-\d{2})")[0], format="%Y-%m-%d", errors="coerce")
    result = result.fillna(iso)
    clock = text.str.extract(r"[\st](\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*$").apply(pd.to_numeric)
    seconds = (clock[0] * 3600 + clock[1] * 60 + clock[2].fillna(0)).where(clock[0].le(23) & clock[1].le(59))
    result = result + pd.to_timedelta(seconds.fillna(0), unit="s")
    serial = pd.to_numeric(text.where(text.str.fullmatch(r"\d{5}(\.\d+)?")), errors="coerce")
    excel = pd.to_datetime(serial, unit="D", origin="1899-12-30", errors="coerce").dt.round("s")
    return result.fillna(excel).astype("datetime64[us]")


_RULE_TYPE = ("tipe data", "nilai tidak dapat dibaca sebagai {t}", "value cannot be read as {t}")
_TYPE_WORDS = {"integer": ("bilangan bulat", "a whole number"), "number": ("angka", "a number"),
               "date": ("tanggal", "a date"), "datetime": ("tanggal dan waktu", "a date and time"),
               "boolean": ("ya/tidak", "yes/no")}


def _convert(values: pd.Series, ftype: str) -> pd.Series:
    """Agency columns repeat few distinct texts (days, units, prices): each is converted once."""
    codes, distinct = pd.factorize(values)
    typed = _convert_distinct(pd.Series(distinct, dtype="str"), ftype)
    return pd.Series(typed.array.take(codes, allow_fill=True), index=values.index)


def _convert_distinct(values: pd.Series, ftype: str) -> pd.Series:
    if ftype == "integer":
        return parse_numbers(values, integer=True)
    if ftype == "number":
        return parse_numbers(values, integer=False)
    if ftype == "date":
        return parse_dates(values).dt.normalize()
    if ftype == "datetime":
        return parse_dates(values)
    if ftype == "boolean":
        lowered = values.str.strip().str.lower()
        return lowered.map({"ya": True, "true": True, "1": True, "tidak": False, "false": False, "0": False})\
            .astype("boolean")
    return values.str.strip().astype("str")


def _first_text(row: pd.Series) -> str:
    return next((_normal(v) for v in row if _normal(v)), "")


def _data_rows(chunks: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The body without blank lines and without the total rows (`Jumlah`) that end it. Rows at the end of a
    chunk that could end the table (blank or total) wait for the next chunk: a total row only counts as one
    when nothing but blank and total rows follows it."""
    pending = None
    for chunk in chunks:
        if pending is not None:
            chunk = pd.concat([pending, chunk])
        blank = chunk.apply(lambda col: col.str.strip() == "").all(axis=1).to_numpy()
        end = len(chunk)
        while end and (blank[end - 1] or _TOTAL_ROW.match(_first_text(chunk.iloc[end - 1]))):
            end -= 1
        pending = chunk.iloc[end:]
        rows = chunk.iloc[:end][~blank[:end]]
        if len(rows):
            yield rows


def _typed(body: pd.DataFrame, names: list[str | None], raw: RawFile, standard: Standard
           ) -> tuple[pd.DataFrame, list[Issue]]:
    """Text cells (index + 1 = the row the agency sees) -> the standard's typed fields with lineage, and an
    Issue for every cell that cannot be read. The one conversion for every format and every chunk."""
    issues: list[Issue] = []
    frame = pd.DataFrame(index=body.index)
    for position, name in enumerate(names):
        if name and name not in frame:
            frame[name] = body.iloc[:, position].astype("str")
    row_numbers = body.index.to_series() + 1
    for fld in standard.fields:
        present = fld.name in frame  # a missing column (reported once per file) is empty, typed as its field
        text = frame[fld.name].str.strip() if present else pd.Series("", index=frame.index, dtype="str")
        missing = text.isin(standard.missing_values) | (not present)
        converted = _convert(text.where(~missing, ""), fld.type).where(~missing)
        if fld.type != "string":
            bad = converted.isna() & ~missing
            word_id, word_en = _TYPE_WORDS[fld.type]
            for idx in bad[bad].index:
                issues.append(Issue(raw.name, int(row_numbers[idx]), fld.name, text[idx], _RULE_TYPE[0],
                                    _RULE_TYPE[1].format(t=word_id), _RULE_TYPE[2].format(t=word_en)))
        frame[fld.name] = converted
    issues.sort(key=lambda i: i.row)  # row by row (stable: fields in order), so chunking cannot change the order
    frame = frame[standard.field_names].reset_index(drop=True)
    frame["_source_file"] = raw.name
    frame["_source_sha256"] = raw.sha256
    frame["_source_row"] = row_numbers.to_numpy(dtype="int64")
    return frame, issues


def _missing_columns(names: list[str | None], raw: RawFile, standard: Standard, header_row: int | None
                     ) -> list[Issue]:
    return [Issue(raw.name, header_row, f.name, None, "struktur", "kolom wajib tidak ada",
                  "required column is missing") for f in standard.fields if f.name not in names]


def _unreadable(raw: RawFile, error: Exception) -> Issue:
    return Issue(raw.name, None, None, None, "struktur", f"berkas tidak dapat dibaca ({error})",
                 f"file cannot be read ({error})")


def _parse_chunks(raw: RawFile, standard: Standard, columns: dict[str, str], options: dict | None,
                  chunk_rows: int) -> Iterator[tuple[pd.DataFrame | None, list[Issue]]]:
    """One file as typed chunks with their issues. A CSV's head decides the header; its body is read in
    chunks. `options` is the catalogue's `source` block; `sheet` (a name, or a position from 1) picks a
    sheet, otherwise the sheet whose header matches the standard best is read."""
    # Headers are recognised by the catalogue's mapping, the standard's field names and its titles.
    mapping = ({_normal(f.title): f.name for f in standard.fields} | {_normal(k): v for k, v in columns.items()}
               | {_normal(f): f for f in standard.field_names})
    known = set(mapping)
    is_csv = not raw.name.lower().endswith((*_EXCEL, ".json"))
    try:
        head = _csv_head(raw, known) if is_csv else None
        tables = [head.head] if is_csv else read_tables(raw, (options or {}).get("sheet"))
    except (ValueError, CalamineError, csv.Error) as error:  # JSON, CSV and Excel errors all land here
        yield None, [_unreadable(raw, error)]
        return
    scored = [(_find_header(t.cells, known), t) for t in tables]
    (header, _), table = max(scored, key=lambda s: s[0][1])  # the first of the best-matching sheets
    if header < 0:
        yield None, [Issue(raw.name, 1, None, None, "struktur",
                           "baris judul kolom tidak ditemukan", "no header row with the standard's columns found")]
        return
    names, last = _column_names(table, header, mapping)
    header_row = int(table.cells.index[header]) + 1 or None  # JSON has no header row
    yield None, _missing_columns(names, raw, standard, header_row)
    body = _csv_body(raw, head, last + 1, chunk_rows) if is_csv else [table.cells.iloc[last + 1:]]
    try:
        for rows in _data_rows(body):
            yield _typed(rows, names, raw, standard)
    except (ValueError, csv.Error) as error:  # a malformed line further down; the rows before it stay staged
        yield None, [_unreadable(raw, error)]


def _parquet_schema(standard: Standard) -> pa.Schema:
    """The staged file's columns, with pandas' own types recorded so the rows read back exactly as parsed
    (nullable Int64, Float64, boolean)."""
    empty = pd.Series([], dtype="str")
    typed = {f.name: _convert(empty, f.type) for f in standard.fields}
    lineage = {"_source_file": empty, "_source_sha256": empty, "_source_row": pd.Series([], dtype="int64")}
    return pa.Schema.from_pandas(pd.DataFrame(typed | lineage), preserve_index=False)


def _staged_path(folder: Path, raws: list[RawFile], standard: Standard, columns: dict, options: dict | None) -> Path:
    """Named by what decides its content, so a re-run replaces its own file and no other."""
    key = json.dumps([[r.sha256 for r in raws], standard.ref, columns, options], sort_keys=True, default=str)
    return folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.parquet"


def _prune(folder: Path, keep: Path) -> None:
    staged = sorted(folder.glob("*.parquet"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in staged[KEEP_STAGED:]:
        if old != keep:
            old.unlink(missing_ok=True)


def parse_files(raws: list[RawFile], standard: Standard, columns: dict[str, str], options: dict | None = None,
                *, folder: Path | None = None, chunk_rows: int = CHUNK_ROWS) -> ParsedBatch:
    """Parse the files of one batch into one staged Parquet file in `folder` (default: the state folder's
    `staged/`), chunk by chunk; the newest KEEP_STAGED batches of the folder are kept."""
    folder = private_folder(folder or state_dir() / "staged")
    path = _staged_path(folder, raws, standard, columns, options)
    partial = path.with_suffix(f".{os.getpid()}.partial")  # readers never see a half-written file
    schema = _parquet_schema(standard)
    issues: list[Issue] = []
    rows = 0
    try:
        with pq.ParquetWriter(partial, schema) as writer:
            for raw in raws:
                for frame, found in _parse_chunks(raw, standard, columns, options, chunk_rows):
                    issues += found
                    if frame is not None and len(frame):
                        writer.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False))
                        rows += len(frame)
    except BaseException:
        partial.unlink(missing_ok=True)   # a full disk or a stopped run leaves no half-written file taking space
        raise
    partial.replace(path)
    _prune(folder, path)
    return ParsedBatch(path, rows, issues, list(raws))


def parse_file(raw: RawFile, standard: Standard, columns: dict[str, str], options: dict | None = None,
               *, folder: Path | None = None, chunk_rows: int = CHUNK_ROWS) -> ParsedBatch:
    return parse_files([raw], standard, columns, options, folder=folder, chunk_rows=chunk_rows)
