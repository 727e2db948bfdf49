"""Turning what agencies send (CSV in any common encoding and delimiter, XLSX / XLS with title rows,
merged headers, notes, signature blocks, total rows and several sheets, JSON records) into a typed table in
the standard's fields. A file that is no table, and every cell that cannot be read, is an Issue with its
code (pipelines/findings.py) naming file, row and column; every row that is not data is reported as
skipped, with its reason. Nothing is silently dropped or guessed."""

import codecs
import csv
import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from python_calamine import CalamineError, CalamineWorkbook

from pipelines.findings import Skipped, finding, merge_skipped
from pipelines.indonesian import LEADING_DAY, MONTH_WORDS
from pipelines.issues import Issue
from pipelines.privacy import CANDIDATE, dropped_path
from pipelines.raw import RawFile
from pipelines.settings import private_folder, state_dir
from pipelines.standard import Standard
from pipelines.unpivot import Shape, shape_of

LINEAGE_COLUMNS = ["_source_file", "_source_sha256", "_source_row"]
_HEADER_SCAN_ROWS = 20
_DELIMITERS = ",;\t|"
_DOTTED_THOUSANDS = re.compile(r"-?\d{1,3}(\.\d{3})+")
JSON_RECORD_KEYS = ("data", "results", "records")
# CSV bodies are read this many rows at a time: memory follows the chunk, not the file (~150 MB of text
# cells and typed columns for 200,000 rows of 8 columns).
CHUNK_ROWS = 200_000
_HEAD_CHARS = 1 << 16  # enough text to find the delimiter and the header row among the first rows
KEEP_STAGED = 20  # staged batches kept per folder: a later step re-run from an earlier run finds its file
_TEXT_ENCODINGS = ("utf-8-sig", "cp1252")  # in this order; Latin-1 last because it accepts any byte


class Refused(Exception):
    """A file (or part of it) that cannot be read as a table: carries its finding."""

    def __init__(self, issue: Issue):
        super().__init__(str(issue))
        self.issue = issue


@dataclass
class ParsedBatch:
    """The typed rows of one or more files of a dataset, with what could not be read and the rows that are
    not data. The rows are staged in a Parquet file (written chunk by chunk), so what Dagster stores between
    steps is this small record; validation, the personal-data scan and the warehouse read the file in
    bounded memory."""

    path: Path
    rows: int
    issues: list[Issue] = field(default_factory=list)
    files: list[RawFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

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


def column_letter(position: int) -> str:
    """Excel's name of a column (0 -> A, 26 -> AA): the name a clerk finds it by, in Excel or a CSV."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- what kind of file it is: by its first bytes, not its name -------------------------------------------

_MAGIC = [  # (first bytes, kind in Bahasa Indonesia, in English)
    (b"%PDF", "dokumen PDF", "a PDF document"),
    (b"\x89PNG", "gambar (PNG)", "an image (PNG)"),
    (b"\xff\xd8\xff", "gambar (JPEG)", "an image (JPEG)"),
    (b"GIF8", "gambar (GIF)", "an image (GIF)"),
    (b"II*\x00", "gambar (TIFF)", "an image (TIFF)"),
    (b"Rar!", "arsip RAR", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "arsip 7z", "a 7z archive"),
    (b"\x1f\x8b", "arsip gzip", "a gzip archive"),
]
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls), also old Word files


def _not_a_table(raw: RawFile, kind_id: str, kind_en: str) -> Refused:
    return Refused(finding("not-a-table", raw.name, kind_id=kind_id, kind_en=kind_en))


def _zip_kind(raw: RawFile) -> str:
    """An XLSX or ODS workbook is a zip; its member names say which it is (the directory only is read)."""
    try:
        with zipfile.ZipFile(raw.path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        raise Refused(finding("unreadable-file", raw.name)) from None
    if any(n.startswith("xl/") for n in names) or "content.xml" in names:
        return "excel"
    if any(n.startswith("word/") for n in names):
        raise _not_a_table(raw, "dokumen Word", "a Word document")
    raise _not_a_table(raw, "arsip ZIP", "a ZIP archive")


def _text_kind(raw: RawFile, head: bytes) -> str:
    """A text file: a web page or XML saved under a table's name is refused; JSON by name or content."""
    text = head.decode("latin-1").lstrip("\ufeffï»¿\x00 \t\r\n").lower()
    if not text and Path(raw.path).stat().st_size <= len(head):
        raise Refused(finding("empty-file", raw.name))
    if "urn:schemas-microsoft-com:office:spreadsheet" in text[:4096]:
        raise _not_a_table(raw, "XML Spreadsheet 2003", "an XML Spreadsheet 2003")
    if text.startswith(("<!doctype html", "<html")) or (text.startswith("<") and "<html" in text[:4096]):
        raise _not_a_table(raw, "halaman web (HTML)", "a web page (HTML)")
    if text.startswith("<?xml"):
        raise _not_a_table(raw, "dokumen XML", "an XML document")
    return "json" if raw.name.lower().endswith(".json") or text.startswith(("{", "[")) else "csv"


def file_kind(raw: RawFile) -> str:
    """`excel`, `json` or `csv`, decided by the content (an Excel file renamed `.csv` is still read as
    Excel); raises Refused for an empty file and for what is no table (PDF, image, archive, web page)."""
    with open(raw.path, "rb") as f:
        head = f.read(4096)
    for magic, kind_id, kind_en in _MAGIC:
        if head.startswith(magic):
            raise _not_a_table(raw, kind_id, kind_en)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # a zip, or an empty one
        return _zip_kind(raw)
    if head.startswith(_OLE2):
        return "excel"
    return _text_kind(raw, head)


# --- text: encodings ---------------------------------------------------------------------------------------

# Control characters never sit in a table typed by hand; NUL bytes mean a binary file or UTF-16 without BOM.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if not _CONTROL.match(chr(b)))  # what translate() deletes
# UTF-8 read as Windows-1252 ("Ã©", "â€“"): a file saved partly in each, which no single decoding reads right.
_MOJIBAKE = re.compile("[ÂÃ][\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]|â€")


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


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without its BOM: every other byte of ASCII text is a NUL."""
    if len(head) < 8:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > 0.4 * len(head[1::2]) and even == 0:
        return "utf-16-le"
    if even > 0.4 * len(head[0::2]) and odd == 0:
        return "utf-16-be"
    return None


def _encoding_error(raw: RawFile, detail_id: str, detail_en: str) -> Refused:
    return Refused(finding("encoding-error", raw.name, detail_id=detail_id, detail_en=detail_en))


def _decodes(path: Path, encoding: str, raw: RawFile) -> bool:
    """Whether the whole file decodes (in blocks, constant memory); raises Refused for text that decodes
    but is no table text (control characters, two encodings mixed)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    wide = encoding.startswith("utf-16")
    try:
        with open(path, "rb") as f:
            for block in iter(lambda f=f: f.read(1 << 20), b""):
                text = decoder.decode(block)
                # One byte is one control character in UTF-8 and the Windows code pages: tested on the bytes
                # (0.06 s for 70 MB, where the pattern over the text takes 0.4 s).
                found = _CONTROL.search(text) if wide else block.translate(None, _NOT_CONTROL_BYTES)
                if found:
                    raise _encoding_error(
                        raw, "berisi karakter kendali atau biner", "it holds control characters or binary data"
                    )
                if not encoding.startswith("utf") and _MOJIBAKE.search(text):
                    raise _encoding_error(raw, "campuran UTF-8 dan Windows-1252", "UTF-8 and Windows-1252 mixed")
        decoder.decode(b"", final=True)
        return True
    except UnicodeDecodeError:
        return False


def file_encoding(raw: RawFile) -> str:
    """The encoding `decode` would pick, decided over the whole file in blocks (constant memory), so a
    byte that does not fit cannot turn up in the middle of parsing."""
    path = Path(raw.path)
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        candidates = ((_utf16_without_bom(head),) if _utf16_without_bom(head) else ()) + _TEXT_ENCODINGS
    for encoding in candidates:
        if _decodes(path, encoding, raw):
            return encoding
    _decodes(path, "latin-1", raw)  # accepts any byte; still refuses control characters
    return "latin-1"


# --- reading cells -----------------------------------------------------------------------------------------


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


def _json_table(raw: RawFile, data: bytes) -> Table:
    try:
        document = json.loads(decode(data))
    except (ValueError, RecursionError) as error:  # RecursionError: arrays nested beyond Python's stack
        raise Refused(finding("unreadable-file", raw.name, value=str(error)[:120])) from None
    records = json_records(document)
    if records is None or not all(isinstance(r, dict) for r in records):
        raise _not_a_table(
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
        names = [n for n in names if _normal(n) == _normal(sheet)]
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
    head = text.splitlines()[:_HEADER_SCAN_ROWS]
    scores = {
        d: max((sum(_normal(v) in known for v in row) for row in csv.reader(head, delimiter=d)), default=0)
        for d in _DELIMITERS
    }
    best = max(scores, key=scores.get)
    if scores[best]:
        return best
    try:
        return csv.Sniffer().sniff(text[:20000], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


@dataclass
class _Csv:
    """A CSV file's head (title rows and header, as cells) and how to read the rest."""

    head: Table
    encoding: str
    delimiter: str


def _csv_head(raw: RawFile, known: set[str]) -> _Csv:
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
            if len(rows) == _HEADER_SCAN_ROWS:
                break
    except csv.Error:
        raise Refused(finding("malformed-row", raw.name, len(rows) + 1)) from None
    return _Csv(Table(pd.DataFrame(rows, dtype="str").fillna("")), encoding, delimiter)


def _csv_body(raw: RawFile, head: _Csv, start: int, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The records from position `start` on, `chunk_rows` at a time, as text; a chunk's index is each record's
    position in the file (blank lines count, a quoted line break does not: one record is one spreadsheet row),
    so index + 1 is the row number the agency sees."""
    width = head.head.cells.shape[1]
    reader = pd.read_csv(
        raw.path,
        sep=head.delimiter,
        header=None,
        names=range(width),
        skiprows=start,
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        encoding=head.encoding,
        engine="c",
        chunksize=chunk_rows,
    )
    with reader:
        for chunk in reader:
            chunk.index += start
            yield chunk.fillna("")  # short rows and blank lines


def _csv_refusal(raw: RawFile, error: pd.errors.ParserError, width: int) -> Refused:
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


# --- the header ----------------------------------------------------------------------------------------------


def _find_header(cells: pd.DataFrame, known: set[str]) -> tuple[int, int]:
    """(position, score) of the row with the most known column names among the first rows."""
    scores = [sum(_normal(v) in known for v in cells.iloc[i]) for i in range(min(len(cells), _HEADER_SCAN_ROWS))]
    if not scores or max(scores) == 0:
        return -1, 0
    return scores.index(max(scores)), max(scores)


def _block_names(block: pd.DataFrame, mapping: dict[str, str]) -> list[str | None]:
    """Standard names of the columns of a header block (one or more rows). A label over several columns
    (`Lokasi` above `Kode Kecamatan` and `Nama Pasar`) is carried right over the columns below it; each
    column is read as its joined label first, then each part, lowest first."""
    rows = [list(block.iloc[r]) for r in range(len(block))]
    for upper, lower in zip(rows, rows[1:]):
        for c in range(1, len(upper)):
            if not _normal(upper[c]) and _normal(lower[c]):
                upper[c] = upper[c - 1]
    names = []
    for c in range(block.shape[1]):
        parts = list(dict.fromkeys(row[c] for row in rows if _normal(row[c])))
        candidates = [" ".join(parts)] + parts[::-1]
        names.append(next((mapping[_normal(p)] for p in candidates if _normal(p) in mapping), None))
    return names


def _header_block(table: Table, header: int, mapping: dict[str, str]) -> tuple[int, int]:
    """First and last row of the header: the rows its merged cells span, or else (a CSV has no merged
    cells) the row below or above when it names more of the standard's fields with it."""
    labels = table.cells.index
    first, last = header, header
    for (r0, c0), (r1, c1) in table.merged:
        if r0 <= labels[header] <= r1 and r0 < r1:
            first = min(first, labels.get_loc(r0))
            last = max(last, labels.get_loc(min(r1, labels[-1])))
    if first < last:
        return first, last

    def named(a: int, b: int) -> int:
        return len({n for n in _block_names(table.cells.iloc[a : b + 1], mapping) if n})

    if header + 1 < len(table.cells) and named(header, header + 1) > named(header, header):
        return header, header + 1
    if header > 0 and named(header - 1, header) > named(header, header):
        return header - 1, header
    return header, header


def _merged_across(table: Table, first: int, last: int) -> pd.DataFrame:
    """The header block with each cell merged across columns carrying its label to every column."""
    block = table.cells.iloc[first : last + 1].copy()
    labels = list(block.index)
    for (r0, c0), (r1, c1) in table.merged:
        for r in range(r0, r1 + 1):
            if r in labels and c0 < c1:
                block.iloc[labels.index(r), c0 : min(c1, block.shape[1] - 1) + 1] = table.cells.at[r0, c0]
    return block


@dataclass
class _Layout:
    """What the header says about the body: the standard name of each column (None: not kept), their labels
    as the file writes them, and what the row classifier needs."""

    names: list[str | None]
    labels: list[str]
    width: int  # columns up to the last labelled one; a value further right has no header
    header_texts: set[str]  # normalised labels of every header row, to spot the header repeated
    identifying: list[int]  # positions of text and date fields: what a data row fills and a total leaves empty
    first: int  # position of the first labelled column, where a row begins
    in_signature: bool = False  # a signature block has begun: its lone lines (name, rank) are part of it


def _layout(block: pd.DataFrame, names: list[str | None], standard: Standard) -> _Layout:
    labels = [" ".join(dict.fromkeys(v for v in block.iloc[:, c] if _normal(v))) for c in range(block.shape[1])]
    labelled = [c for c, label in enumerate(labels) if label]
    width = labelled[-1] + 1 if labelled else 0
    kinds = {f.name: f.type for f in standard.fields}
    identifying = [c for c, n in enumerate(names) if n and kinds[n] in ("string", "date", "datetime")]
    texts = {_normal(v) for v in block.to_numpy().ravel() if _normal(v)}
    return _Layout(
        names,
        [label or f"kolom {column_letter(c)}" for c, label in enumerate(labels)],
        width,
        texts,
        identifying,
        labelled[0] if labelled else 0,
    )


def _duplicates(raw: RawFile, layout: _Layout, header_row: int | None) -> list[Issue]:
    found = []
    for name in dict.fromkeys(n for n in layout.names if n):
        columns = [column_letter(c) for c, n in enumerate(layout.names) if n == name]
        if len(columns) > 1:
            found.append(
                finding("duplicate-header", raw.name, header_row, name, field=name, columns=", ".join(columns))
            )
    return found


# --- rows that are not data ---------------------------------------------------------------------------------

_SUMMARY = re.compile(r"^(jumlah|total|grand ?total|sub ?-?total|rata-?rata|rata2|rerata)\b")
_NOTE = re.compile(r"^(catatan|keterangan|ket\b|ket\.|sumber|nb\b|n\.b\.|note|\*|\d{1,2}\)\s)")
_SIGNATURE = re.compile(
    r"^(nip\.?\s*[:.]?\s*\d[\d ]{7,}|(mengetahui|menyetujui|disetujui|diketahui|dibuat|diperiksa|disusun|kepala|"
    r"plt|plh|a\.\s?n\.?|an\.|sekretaris|kasi|kabid|kasubag|petugas|pembina|penata|pengatur|bupati|camat)\b)"
    r"|^[a-z .'-]+,\s*(\d{1,2}\s+[a-z]+\.?\s+\d{4}|\d{1,2}[/-]\d{1,2}[/-]\d{4})$"
)
_PAGE = re.compile(r"^(hal(aman)?\.?|page)\s*\d+")
_COLUMN_NUMBER = re.compile(r"^\(?(\d{1,2})\)?$")
_NUMBER_LIKE = re.compile(r"^[\d.,\s()rp-]+$")


def _is_column_numbers(filled: list[str]) -> bool:
    """(1) (2) (3) ... under the header, as Indonesian government tables number their columns."""
    numbers = [_COLUMN_NUMBER.match(v) for v in filled]
    return (
        len(filled) >= 3
        and all(numbers)
        and [int(m[1]) for m in numbers] == list(range(int(numbers[0][1]), int(numbers[0][1]) + len(filled)))
    )


def _skip_reason(cells: list[str], layout: _Layout) -> str | None:
    """Why a row that may not be data is skipped (a code of findings.SKIPS), or None: it is data."""
    filled = [c for c in cells if c]
    if sum(c in layout.header_texts for c in filled) >= min(2, len(filled)):
        return "repeated-header"
    if _is_column_numbers(filled):
        return "column-numbers"
    if any(_SUMMARY.match(c) for c in filled):
        named = sum(bool(cells[c]) and not _SUMMARY.match(cells[c]) for c in layout.identifying)
        if named < max(1, len(layout.identifying) / 2):  # a total leaves what names a data row empty
            return "total-row"
    if len(filled) > 2:
        return None
    if any(_SIGNATURE.match(c) for c in filled):
        layout.in_signature = True
        return "signature-row"
    if _NOTE.match(filled[0]):
        return "note-row"
    if _PAGE.match(filled[0]) and len(filled) == 1:
        return "page-number"
    if layout.in_signature and len(filled) == 1:
        return "signature-row"
    # A lone text where a row begins is a section title or a note; elsewhere it is a broken data row.
    if len(filled) == 1 and cells.index(filled[0]) <= layout.first and not _NUMBER_LIKE.match(filled[0]):
        return "text-row"
    return None


def _split_body(body: pd.DataFrame, layout: _Layout, raw: RawFile) -> tuple[pd.DataFrame, list[Skipped]]:
    """The data rows of a piece of the body, and the rows skipped with their reasons. Only rows that could
    be something else (few cells, a known label, a total's word, short cells only) are looked at one by one;
    the tests over every cell are made once per distinct text of a column (agency columns repeat few), so a
    million rows cost well under a second."""
    rows = len(body)
    count = np.zeros(rows, dtype=np.int64)
    headers = np.zeros(rows, dtype=np.int64)
    summary = np.zeros(rows, dtype=bool)
    short = np.ones(rows, dtype=bool)  # (1) (2) (3) ...
    for position in range(body.shape[1]):
        codes, distinct = pd.factorize(body.iloc[:, position], use_na_sentinel=False)
        low = pd.Series(distinct, dtype="str").str.strip().str.lower()
        count += (low != "").to_numpy()[codes]
        headers += low.isin(layout.header_texts).to_numpy()[codes]
        summary |= low.str.match(_SUMMARY.pattern).to_numpy(dtype=bool)[codes]
        short &= (low.str.len() <= 4).to_numpy()[codes]
    maybe = (count <= 2) | (headers >= 2) | summary | short
    reasons = pd.Series(None, index=body.index, dtype="object")
    reasons[count == 0] = "blank-row"
    for position in np.flatnonzero(maybe & (count > 0)):
        cells = [cell.strip().lower() if isinstance(cell, str) else cell for cell in body.iloc[position]]
        reasons.iloc[position] = _skip_reason(cells, layout)
    skipped = [Skipped(raw.name, int(i) + 1, int(i) + 1, reason) for i, reason in reasons.dropna().items()]
    return body[reasons.isna().to_numpy()], merge_skipped([], skipped)


def _above_header(table: Table, first: int, raw: RawFile) -> list[Skipped]:
    """The rows above the header: title, subtitle, blank."""
    above = table.cells.iloc[:first]
    return merge_skipped(
        [],
        [
            Skipped(raw.name, int(i) + 1, int(i) + 1, "title-row" if any(_normal(v) for v in row) else "blank-row")
            for i, row in zip(above.index, above.to_numpy())
        ],
    )


# --- typing -------------------------------------------------------------------------------------------------

# type -> (Bahasa Indonesia, English, how to write it) for the messages of type findings
_TYPE_WORDS = {
    "integer": ("bilangan bulat", "a whole number", "15500 / 15.500"),
    "number": ("angka", "a number", "12,5 / 1.234,5"),
    "date": ("tanggal", "a date", "22/10/2026 / 22 Oktober 2026"),
    "datetime": ("tanggal dan waktu", "a date and time", "22/10/2026 08.30"),
    "boolean": ("ya/tidak", "yes/no", "Ya / Tidak"),
}
_MULTIPLIERS = {"rb": 1e3, "ribu": 1e3, "jt": 1e6, "juta": 1e6}
# Whole numbers are read through float64, exact below 2**53; no count or price comes near, so from there a
# typed figure is out of range rather than silently rounded.
_EXACT_INTEGERS = 2.0**53


def _read_numbers(values: pd.Series, integer: bool, money: bool) -> tuple[pd.Series, pd.Series]:
    """(numbers, finding code or "" per value). The rule, as Indonesian offices write numbers: a dot groups
    thousands and a comma marks decimals (`1.234.567`, `1.234,56`); `Rp`, `,-` and spaces are dropped.
    English notation is read only where it cannot be Indonesian: both marks with the dot last (`1,234.56`),
    or commas grouping thousands more than once (`1,234,567`). A lone dot not followed by exactly three
    digits is a decimal point (`12.5`, as JSON and Excel values come). A lone comma followed by three digits
    in a whole-number column (`15,500`) could be either, and is named as ambiguous, never guessed. Money
    columns (unit Rupiah) also take `rb`/`ribu` and `jt`/`juta`."""
    text = values.str.strip().str.replace(r"(?i)^(?:rp\.?|idr)\s*", "", regex=True)
    text = text.str.replace(r"[,.]-$", "", regex=True).str.replace(r"\s", "", regex=True)
    scale = pd.Series(1.0, index=values.index)
    if money:
        suffix = text.str.extract(r"(?i)(rb|ribu|jt|juta)$")[0].str.lower()
        scale = suffix.map(_MULTIPLIERS).astype("float64").fillna(1.0)
        text = text.str.replace(r"(?i)(rb|ribu|jt|juta)$", "", regex=True)
    dotted = text.str.fullmatch(r"-?[1-9]\d{0,2}(\.\d{3})+")  # 1.234.567
    indonesian = dotted | text.str.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d+")  # 1.234,56
    english = text.str.fullmatch(r"-?\d{1,3}(,\d{3})+\.\d+") | text.str.fullmatch(r"-?[1-9]\d{0,2}(,\d{3}){2,}")
    ambiguous = text.str.fullmatch(r"-?[1-9]\d{0,2},\d{3}") & integer  # 15,500
    lone_comma = text.str.fullmatch(r"-?\d+,\d+") & ~ambiguous  # 12,5
    plain = text.str.fullmatch(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?") & ~dotted  # 12.5, 15500, 1e3
    normal = pd.Series(np.nan, index=values.index, dtype="object")
    normal = normal.mask(plain, text)
    normal = normal.mask(indonesian, text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    normal = normal.mask(english, text.str.replace(",", "", regex=False))
    normal = normal.mask(lone_comma, text.str.replace(",", ".", regex=False))
    numbers = (pd.to_numeric(normal, errors="coerce").astype("float64") * scale).round(6)
    problem = pd.Series("", index=values.index, dtype="object")
    problem[numbers.isna()] = "type-error"
    huge = (~np.isfinite(numbers) & numbers.notna()) | ((numbers.abs() >= _EXACT_INTEGERS) & integer)
    problem[huge] = "out-of-range"
    if integer:
        problem[numbers.notna() & ~huge & (numbers % 1 != 0)] = "type-error"
    problem[ambiguous] = "ambiguous-number"
    if integer:
        return numbers.where(problem == "").astype("Int64"), problem
    return numbers.where(problem == "").astype("Float64"), problem


def parse_numbers(values: pd.Series, integer: bool, money: bool = False) -> pd.Series:
    """Numbers as Indonesian offices write them (see `_read_numbers` for the rule); NA where unreadable."""
    return _read_numbers(values, integer, money)[0]


def parse_dates(values: pd.Series) -> pd.Series:
    """Day-first dates: `22/09/2022`, `22-9-2022`, `22 September 2022`, `Senin, 22 Sept. 2022`,
    `20 Agustus 2021 07:15`, `22-Okt-2022`, ISO `2022-09-22 13:00`, and Excel serial day numbers; a time of
    day after the date is kept. Month spellings: pipelines/indonesian.py."""
    text = values.str.strip().str.lower().str.replace(LEADING_DAY, "", regex=True)
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    parts = text.str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?=$|[\st])")  # `20266` is no year
    day_first = pd.to_datetime(
        {
            "year": pd.to_numeric(parts[2], errors="coerce"),
            "month": pd.to_numeric(parts[1], errors="coerce"),
            "day": pd.to_numeric(parts[0], errors="coerce"),
        },
        errors="coerce",
    )
    result = result.fillna(day_first)
    named = text.str.extract(r"^(\d{1,2})[\s.-]*([a-z]+)\.?[\s.-]*(\d{4})\b")
    month = named[1].map(MONTH_WORDS)
    worded = pd.to_datetime(
        {
            "year": pd.to_numeric(named[2], errors="coerce"),
            "month": month,
            "day": pd.to_numeric(named[0], errors="coerce"),
        },
        errors="coerce",
    )
    result = result.fillna(worded)
    iso = pd.to_datetime(text.str.extract(r"^(\d{4}-\d{2}-\d{2})(?=$|[\st])")[0], format="%Y-%m-%d", errors="coerce")
    result = result.fillna(iso)
    clock = text.str.extract(r"[\st](\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*$").apply(pd.to_numeric)
    seconds = (clock[0] * 3600 + clock[1] * 60 + clock[2].fillna(0)).where(clock[0].le(23) & clock[1].le(59))
    result = result + pd.to_timedelta(seconds.fillna(0), unit="s")
    serial = pd.to_numeric(text.where(text.str.fullmatch(r"\d{5}(\.\d+)?")), errors="coerce")
    excel = pd.to_datetime(serial, unit="D", origin="1899-12-30", errors="coerce").dt.round("s")
    return result.fillna(excel).astype("datetime64[us]")


def _is_money(fld) -> bool:
    """A field the standard measures in Rupiah: the only one where `rb` and `jt` may stand for thousands."""
    return str(fld.metadata.get("satuan", "")).lower() == "rupiah"


def _convert_distinct(values: pd.Series, fld) -> tuple[pd.Series, pd.Series]:
    if fld.type in ("integer", "number"):
        return _read_numbers(values, fld.type == "integer", _is_money(fld))
    if fld.type in ("date", "datetime"):
        typed = parse_dates(values)
        typed = typed.dt.normalize() if fld.type == "date" else typed
    elif fld.type == "boolean":
        lowered = values.str.strip().str.lower()
        typed = lowered.map({"ya": True, "true": True, "1": True, "tidak": False, "false": False, "0": False}).astype(
            "boolean"
        )
    else:
        return values.str.strip().astype("str"), pd.Series("", index=values.index, dtype="object")
    return typed, pd.Series(np.where(typed.isna(), "type-error", ""), index=values.index, dtype="object")


def _typed(body: pd.DataFrame, layout: _Layout, raw: RawFile, standard: Standard) -> tuple[pd.DataFrame, list[Issue]]:
    """Text cells (index + 1 = the row the agency sees) -> the standard's typed fields with lineage, and an
    Issue for every cell that cannot be read. The one conversion for every format and every chunk."""
    issues: list[Issue] = []
    frame = pd.DataFrame(index=body.index)
    for position, name in enumerate(layout.names):
        if name and name not in frame:
            frame[name] = body.iloc[:, position].astype("str")
    row_numbers = body.index.to_numpy() + 1
    for fld in standard.fields:
        # Agency columns repeat few distinct texts (days, units, prices): each is read once, then spread.
        if fld.name in frame:
            codes, distinct = pd.factorize(frame[fld.name], use_na_sentinel=False)
            text = pd.Series(distinct, dtype="str").str.strip()
        else:  # a missing column (reported once per file) is empty, typed as its field
            codes, text = np.zeros(len(frame), dtype=np.intp), pd.Series([""], dtype="str")
        missing = text.isin(standard.missing_values) | (fld.name not in frame)
        typed, problem = _convert_distinct(text.where(~missing, ""), fld)
        frame[fld.name] = pd.Series(typed.where(~missing).array.take(codes), index=frame.index)
        problem = problem.where(~missing, "").to_numpy(dtype="object")
        if fld.type != "string":
            word_id, word_en, example = _TYPE_WORDS[fld.type]
            for position in np.flatnonzero(problem[codes] != ""):
                distinct_at = codes[position]
                issues.append(
                    finding(
                        problem[distinct_at],
                        raw.name,
                        int(row_numbers[position]),
                        fld.name,
                        text.iloc[distinct_at],
                        type_id=word_id,
                        type_en=word_en,
                        example=example,
                    )
                )
    issues += _unheaded_values(body, layout, raw)
    issues.sort(key=lambda i: i.row)  # row by row (stable: fields in order), so chunking cannot change the order
    frame = frame[standard.field_names].reset_index(drop=True)
    frame["_source_file"] = raw.name
    frame["_source_sha256"] = raw.sha256
    frame["_source_row"] = row_numbers.astype("int64")
    return frame, issues


def _unheaded_values(body: pd.DataFrame, layout: _Layout, raw: RawFile) -> list[Issue]:
    """A value right of the last labelled column: data without a header (one finding per row)."""
    if body.shape[1] <= layout.width:
        return []
    extra = body.iloc[:, layout.width :].apply(lambda column: column.str.strip() != "")
    found = []
    for idx in extra.index[extra.any(axis=1)]:
        position = layout.width + int(np.argmax(extra.loc[idx].to_numpy()))
        found.append(
            finding(
                "too-many-columns",
                raw.name,
                int(idx) + 1,
                column_letter(position),
                body.at[idx, body.columns[position]][:40],
                letter=column_letter(position),
            )
        )
    return found


def _dropped_candidates(body: pd.DataFrame, layout: _Layout, raw: RawFile) -> pd.DataFrame | None:
    """Values of the columns the standard does not keep that might be personal data (privacy.CANDIDATE),
    for the personal-data scan, which sees every column of the delivery, kept or not."""
    pieces = []
    for position in range(body.shape[1]):
        if position < len(layout.names) and layout.names[position]:
            continue
        values = body.iloc[:, position]
        hits = values[values.str.contains(CANDIDATE, regex=True)]
        if len(hits):
            label = layout.labels[position] if position < len(layout.labels) else f"kolom {column_letter(position)}"
            pieces.append(
                pd.DataFrame(
                    {
                        "_source_file": raw.name,
                        "_source_row": (hits.index + 1).astype("int64"),
                        "column": label,
                        "value": hits.astype("str"),
                    }
                )
            )
    return pd.concat(pieces, ignore_index=True) if pieces else None


# --- one file -----------------------------------------------------------------------------------------------


@dataclass
class _Piece:
    """What a step of parsing one file yields: typed rows, findings, skipped rows, candidate personal data
    of columns not kept."""

    frame: pd.DataFrame | None = None
    issues: list[Issue] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    dropped: pd.DataFrame | None = None


def _mapping(standard: Standard, columns: dict[str, str]) -> dict[str, str]:
    """Headers are recognised by the catalogue's mapping, the standard's field names and its titles."""
    return (
        {_normal(f.title): f.name for f in standard.fields}
        | {_normal(k): v for k, v in columns.items()}
        | {_normal(f): f for f in standard.field_names}
    )


def _tables(raw: RawFile, kind: str, known: set[str], options: dict | None) -> tuple[list[Table], _Csv | None]:
    if kind == "csv":
        head = _csv_head(raw, known)
        return [head.head], head
    data = Path(raw.path).read_bytes()  # a workbook or a JSON document is small by nature (Excel stops at
    if kind == "excel":  # 1,048,576 rows; APIs page)
        return _excel_tables(raw, data, (options or {}).get("sheet")), None
    return [_json_table(raw, data)], None


def _parse_chunks(
    raw: RawFile,
    standard: Standard,
    columns: dict[str, str],
    options: dict | None,
    chunk_rows: int,
    districts: pd.DataFrame | None = None,
) -> Iterator[_Piece]:
    """One file as typed chunks with their findings and skipped rows. A CSV's head decides the header; its
    body is read in chunks. `options` is the catalogue's `source` block; `sheet` (a name, or a position from
    1) picks a sheet, otherwise every sheet whose header matches the standard best is read (a workbook with
    a sheet per week or per market), and the other sheets are reported as skipped."""
    mapping = _mapping(standard, columns)
    try:
        kind = file_kind(raw)
        tables, head = _tables(raw, kind, set(mapping), options)
    except Refused as refused:
        yield _Piece(issues=[refused.issue])
        return
    if not any((t.cells != "").to_numpy().any() for t in tables):
        # an empty workbook or sheet; a JSON list of no records has rows owed but no header to look for
        yield _Piece(issues=[] if kind == "json" else [finding("empty-file", raw.name)])
        return
    scored = [(*_find_header(t.cells, set(mapping)), t) for t in tables]
    best = max(score for _, score, _ in scored)
    if best == 0:
        yield _Piece(issues=[finding("no-header", raw.name, 1)])
        return
    chosen = [(header, table) for header, score, table in scored if score == best]
    for _, score, table in scored:
        if score < best and (table.cells != "").to_numpy().any():
            yield _Piece(skipped=[Skipped(f"{raw.name} [{table.sheet}]", 1, len(table.cells), "other-sheet")])
    for header, table in chosen:
        # rows of several sheets are told apart by the sheet's name beside the file's
        source = raw if len(chosen) == 1 else replace(raw, name=f"{raw.name} [{table.sheet}]")
        yield from _parse_table(
            source, table, header, head, mapping, standard, chunk_rows, shape_of(standard, options, districts)
        )


def _parse_table(
    raw: RawFile,
    table: Table,
    header: int,
    head: _Csv | None,
    mapping: dict[str, str],
    standard: Standard,
    chunk_rows: int,
    shape: Shape | None = None,
) -> Iterator[_Piece]:
    """One table (a CSV, a sheet, a JSON document) whose header is at position `header`; `shape`: an
    indicator's sheet, wide or long (pipelines/unpivot.py)."""
    first, last = _header_block(table, header, mapping)
    block = _merged_across(table, first, last)
    layout = _layout(block, _block_names(block, mapping), standard)
    header_row = int(table.cells.index[header]) + 1 or None  # JSON has no header row
    filled = shape.provided(layout.names, raw) if shape else []
    yield _Piece(
        issues=_missing_columns(layout.names + filled, raw, standard, header_row)
        + _duplicates(raw, layout, header_row)
        + (shape.header_issues(layout.names, layout.labels, raw, header_row) if shape else []),
        skipped=_above_header(table, first, raw),
    )
    body = _csv_body(raw, head, last + 1, chunk_rows) if head else [table.cells.iloc[last + 1 :]]
    try:
        for chunk in body:
            rows, skipped = _split_body(chunk, layout, raw)
            if shape:  # each slice typed as rows of its own; values right of the table checked once
                frame, issues = shape.typed(
                    chunk,
                    rows,
                    layout.names,
                    layout.labels,
                    raw,
                    lambda part: _typed(
                        part, replace(layout, names=list(part.columns), width=part.shape[1]), raw, standard
                    ),
                )
                issues += _unheaded_values(rows, layout, raw)
            else:
                frame, issues = _typed(rows, layout, raw, standard)
            yield _Piece(frame, issues, skipped, _dropped_candidates(rows, layout, raw))
    except pd.errors.ParserError as error:  # a malformed line further down; the rows before it stay staged
        yield _Piece(issues=[_csv_refusal(raw, error, head.head.cells.shape[1]).issue])


def _missing_columns(names: list[str | None], raw: RawFile, standard: Standard, header_row: int | None) -> list[Issue]:
    return [finding("missing-column", raw.name, header_row, f.name) for f in standard.fields if f.name not in names]


def _parquet_schema(standard: Standard) -> pa.Schema:
    """The staged file's columns, with pandas' own types recorded so the rows read back exactly as parsed
    (nullable Int64, Float64, boolean)."""
    empty = pd.Series([], dtype="str")
    typed = {f.name: _convert_distinct(empty, f)[0] for f in standard.fields}
    lineage = {"_source_file": empty, "_source_sha256": empty, "_source_row": pd.Series([], dtype="int64")}
    return pa.Schema.from_pandas(pd.DataFrame(typed | lineage), preserve_index=False)


_DROPPED_SCHEMA = pa.schema(
    [("_source_file", pa.string()), ("_source_row", pa.int64()), ("column", pa.string()), ("value", pa.string())]
)


def _staged_path(folder: Path, raws: list[RawFile], standard: Standard, columns: dict, options: dict | None) -> Path:
    """Named by what decides its content, so a re-run replaces its own file and no other."""
    key = json.dumps([[r.sha256 for r in raws], standard.ref, columns, options], sort_keys=True, default=str)
    return folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.parquet"


def _prune(folder: Path, keep: Path) -> None:
    staged = sorted(
        (p for p in folder.glob("*.parquet") if not p.name.endswith(".dropped.parquet")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in staged[KEEP_STAGED:]:
        if old != keep:
            old.unlink(missing_ok=True)
            dropped_path(old).unlink(missing_ok=True)


_FREQUENCY_EN = {
    "harian": "daily",
    "mingguan": "weekly",
    "bulanan": "monthly",
    "triwulanan": "quarterly",
    "semesteran": "half-yearly",
    "tahunan": "yearly",
}


def _owes_rows(standard: Standard) -> bool:
    """A dataset with a frequency owes rows for every period; an ad-hoc one may deliver none."""
    return str(standard.metadata.get("frekuensi", "")).lower() not in ("", "ad-hoc", "adhoc")


class _Writer:
    """Typed rows to the staged file; candidate personal data of columns not kept to the file beside it,
    which exists only when there is some (`privacy.scan` reads it)."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.rows = pq.ParquetWriter(path, schema)
        self.dropped_path = dropped_path(path)
        self.dropped: pq.ParquetWriter | None = None

    def write(self, piece: _Piece) -> int:
        """Writes a piece; returns how many typed rows it held."""
        if piece.dropped is not None:
            self.dropped = self.dropped or pq.ParquetWriter(self.dropped_path, _DROPPED_SCHEMA)
            self.dropped.write_table(pa.Table.from_pandas(piece.dropped, schema=_DROPPED_SCHEMA, preserve_index=False))
        if piece.frame is None or not len(piece.frame):
            return 0
        self.rows.write_table(pa.Table.from_pandas(piece.frame, schema=self.rows.schema, preserve_index=False))
        return len(piece.frame)

    def __enter__(self) -> "_Writer":
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.rows.close()
        finally:
            if self.dropped:
                self.dropped.close()


def parse_files(
    raws: list[RawFile],
    standard: Standard,
    columns: dict[str, str],
    options: dict | None = None,
    *,
    folder: Path | None = None,
    chunk_rows: int = CHUNK_ROWS,
    districts: pd.DataFrame | None = None,
) -> ParsedBatch:
    """Parse the files of one batch into one staged Parquet file in `folder` (default: the state folder's
    `staged/`), chunk by chunk; the newest KEEP_STAGED batches of the folder are kept. `districts`: the
    regency's (unpivot.districts), for indicator sheets that name districts instead of their codes."""
    folder = private_folder(folder or state_dir() / "staged")
    path = _staged_path(folder, raws, standard, columns, options)
    partial = path.with_suffix(f".{os.getpid()}.partial")  # readers never see a half-written file
    issues: list[Issue] = []
    skipped: list[Skipped] = []
    rows = 0
    try:
        with _Writer(partial, _parquet_schema(standard)) as writer:
            for raw in raws:
                for piece in _parse_chunks(raw, standard, columns, options, chunk_rows, districts):
                    issues += piece.issues
                    skipped = merge_skipped(skipped, piece.skipped)
                    rows += writer.write(piece)
    except BaseException:
        partial.unlink(missing_ok=True)  # a full disk or a stopped run leaves no half-written file taking space
        dropped_path(partial).unlink(missing_ok=True)
        raise
    if not rows and not issues and _owes_rows(standard):
        frequency = str(standard.metadata.get("frekuensi", ""))
        issues += [
            finding(
                "no-data-rows",
                raw.name,
                frequency_id=frequency.lower(),
                frequency_en=_FREQUENCY_EN.get(frequency.lower(), frequency.lower()),
            )
            for raw in raws
        ]
    dropped_path(path).unlink(missing_ok=True)  # a re-run's own file replaces the earlier run's
    if dropped_path(partial).exists():
        dropped_path(partial).replace(dropped_path(path))
    partial.replace(path)
    _prune(folder, path)
    return ParsedBatch(path, rows, issues, list(raws), skipped)


def parse_file(
    raw: RawFile,
    standard: Standard,
    columns: dict[str, str],
    options: dict | None = None,
    *,
    folder: Path | None = None,
    chunk_rows: int = CHUNK_ROWS,
    districts: pd.DataFrame | None = None,
) -> ParsedBatch:
    return parse_files([raw], standard, columns, options, folder=folder, chunk_rows=chunk_rows, districts=districts)
