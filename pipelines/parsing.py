"""Turning what agencies send (CSV in any common encoding and delimiter, XLSX / XLS with title rows,
merged headers, total rows and several sheets, JSON records) into a typed table in the standard's fields.
Every cell that cannot be read is reported as an Issue naming its file, row and column; nothing is silently
dropped or guessed."""

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook

from pipelines.issues import Issue
from pipelines.raw import RawFile
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


@dataclass
class ParsedBatch:
    """The typed rows of one or more files of a dataset, with what could not be read."""
    frame: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    files: list[RawFile] = field(default_factory=list)


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
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1")


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


def read_tables(raw: RawFile, known: set[str] = frozenset(), sheet: str | int | None = None) -> list[Table]:
    """All cells as text, no header assumed: one table per CSV or JSON file, one per candidate sheet."""
    data = Path(raw.path).read_bytes()
    name = raw.name.lower()
    if name.endswith(_EXCEL):
        return _excel_tables(data, sheet)
    if name.endswith(".json"):
        return [_json_table(data)]
    text = decode(data)
    cells = pd.read_csv(io.StringIO(text), sep=_delimiter(text, known), header=None, dtype=str,
                        keep_default_na=False, skip_blank_lines=False, engine="python")
    return [Table(cells)]


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


def _without_total_rows(body: pd.DataFrame) -> pd.DataFrame:
    end = len(body)
    while end and _TOTAL_ROW.match(_first_text(body.iloc[end - 1])):
        end -= 1
    return body.iloc[:end]


def _empty(standard: Standard) -> pd.DataFrame:
    return pd.DataFrame(columns=standard.field_names + LINEAGE_COLUMNS)


def parse_file(raw: RawFile, standard: Standard, columns: dict[str, str], options: dict | None = None) -> ParsedBatch:
    """`options` is the catalogue's `source` block; `sheet` (a name, or a position from 1) picks a sheet,
    otherwise the sheet whose header matches the standard best is read."""
    issues: list[Issue] = []
    # Headers are recognised by the catalogue's mapping, the standard's field names and its titles.
    mapping = ({_normal(f.title): f.name for f in standard.fields} | {_normal(k): v for k, v in columns.items()}
               | {_normal(f): f for f in standard.field_names})
    known = set(mapping)
    try:
        tables = read_tables(raw, known, (options or {}).get("sheet"))
    except (ValueError, CalamineError, csv.Error) as error:  # JSON, CSV and Excel errors all land here
        issue = Issue(raw.name, None, None, None, "struktur", f"berkas tidak dapat dibaca ({error})",
                      f"file cannot be read ({error})")
        return ParsedBatch(_empty(standard), [issue], [raw])
    scored = [(_find_header(t.cells, known), t) for t in tables]
    (header, _), table = max(scored, key=lambda s: s[0][1])  # the first of the best-matching sheets
    if header < 0:
        issue = Issue(raw.name, 1, None, None, "struktur",
                      "baris judul kolom tidak ditemukan", "no header row with the standard's columns found")
        return ParsedBatch(_empty(standard), [issue], [raw])
    names, last = _column_names(table, header, mapping)
    cells = table.cells
    header_row = int(cells.index[header]) + 1 or None  # JSON has no header row
    body = cells.iloc[last + 1:]
    body = body[~(body.apply(lambda col: col.str.strip() == "")).all(axis=1)]  # blank lines are not rows
    body = _without_total_rows(body)
    frame = pd.DataFrame(index=body.index)
    for position, name in enumerate(names):
        if name and name not in frame:
            frame[name] = body.iloc[:, position].astype("str")
    row_numbers = body.index.to_series() + 1
    for fld in standard.fields:
        if fld.name not in frame:
            issues.append(Issue(raw.name, header_row, fld.name, None, "struktur",
                                "kolom wajib tidak ada", "required column is missing"))
            frame[fld.name] = pd.Series(pd.NA, index=frame.index, dtype="str")
            continue
        text = frame[fld.name].str.strip()
        missing = text.isin(standard.missing_values)
        converted = _convert(text.where(~missing, ""), fld.type).where(~missing)
        if fld.type != "string":
            bad = converted.isna() & ~missing
            word_id, word_en = _TYPE_WORDS[fld.type]
            for idx in bad[bad].index:
                issues.append(Issue(raw.name, int(row_numbers[idx]), fld.name, text[idx], _RULE_TYPE[0],
                                    _RULE_TYPE[1].format(t=word_id), _RULE_TYPE[2].format(t=word_en)))
        frame[fld.name] = converted
    frame = frame[standard.field_names].reset_index(drop=True)
    frame["_source_file"] = raw.name
    frame["_source_sha256"] = raw.sha256
    frame["_source_row"] = row_numbers.to_numpy()
    return ParsedBatch(frame, issues, [raw])


def parse_files(raws: list[RawFile], standard: Standard, columns: dict[str, str],
                options: dict | None = None) -> ParsedBatch:
    parts = [parse_file(raw, standard, columns, options) for raw in raws]
    frames = [p.frame for p in parts if len(p.frame)]
    frame = pd.concat(frames, ignore_index=True) if frames else parts[0].frame if parts else _empty(standard)
    return ParsedBatch(frame, [i for p in parts for i in p.issues], list(raws))
