"""Turning what agencies send (CSV in any common encoding and delimiter, XLSX with title rows) into a
typed table in the standard's fields. Every cell that cannot be read is reported as an Issue naming
its file, row and column; nothing is silently dropped or guessed."""

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipelines.issues import Issue
from pipelines.raw import RawFile
from pipelines.standard import Standard

LINEAGE_COLUMNS = ["_source_file", "_source_sha256", "_source_row"]
MONTHS = {"januari": 1, "februari": 2, "pebruari": 2, "maret": 3, "april": 4, "mei": 5, "juni": 6, "juli": 7,
          "agustus": 8, "september": 9, "oktober": 10, "november": 11, "desember": 12,
          "jan": 1, "feb": 2, "peb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "agu": 8, "agt": 8, "ags": 8,
          "sep": 9, "okt": 10, "nov": 11, "des": 12}
_HEADER_SCAN_ROWS = 20


@dataclass
class ParsedBatch:
    """The typed rows of one or more files of a dataset, with what could not be read."""
    frame: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    files: list[RawFile] = field(default_factory=list)


def _normal(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().lower()


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; Windows-1252 is what Excel on Indonesian Windows writes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict")


def read_cells(raw: RawFile) -> pd.DataFrame:
    """All cells as text, no header assumed, one frame row per file row."""
    data = Path(raw.path).read_bytes()
    if raw.name.lower().endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        return pd.read_excel(io.BytesIO(data), header=None, dtype=str, engine="calamine").fillna("")
    text = decode(data)
    sample = text[:20000]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    return pd.read_csv(io.StringIO(text), sep=delimiter, header=None, dtype=str, keep_default_na=False,
                       skip_blank_lines=False, engine="python")


def _find_header(cells: pd.DataFrame, known: set[str]) -> int:
    scores = [sum(_normal(v) in known for v in cells.iloc[i]) for i in range(min(len(cells), _HEADER_SCAN_ROWS))]
    if not scores or max(scores) == 0:
        return -1
    return scores.index(max(scores))


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
    ISO `2022-09-22`, and Excel serial day numbers."""
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
    serial = pd.to_numeric(text.where(text.str.fullmatch(r"\d{5}(\.0+)?")), errors="coerce")
    excel = pd.to_datetime(serial, unit="D", origin="1899-12-30", errors="coerce")
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
    if ftype in ("date", "datetime"):
        return parse_dates(values)
    if ftype == "boolean":
        lowered = values.str.strip().str.lower()
        return lowered.map({"ya": True, "true": True, "1": True, "tidak": False, "false": False, "0": False})\
            .astype("boolean")
    return values.str.strip().astype("str")


def parse_file(raw: RawFile, standard: Standard, columns: dict[str, str]) -> ParsedBatch:
    issues: list[Issue] = []
    cells = read_cells(raw)
    mapping = {_normal(k): v for k, v in columns.items()} | {_normal(f): f for f in standard.field_names}
    header = _find_header(cells, set(mapping))
    if header < 0:
        issue = Issue(raw.name, 1, None, None, "struktur",
                      "baris judul kolom tidak ditemukan", "no header row with the standard's columns found")
        return ParsedBatch(pd.DataFrame(columns=standard.field_names + LINEAGE_COLUMNS), [issue], [raw])
    names = [mapping.get(_normal(v)) for v in cells.iloc[header]]
    body = cells.iloc[header + 1:]
    body = body[~(body.apply(lambda col: col.str.strip() == "")).all(axis=1)]  # blank lines are not rows
    frame = pd.DataFrame(index=body.index)
    for position, name in enumerate(names):
        if name and name not in frame:
            frame[name] = body.iloc[:, position].astype("str")
    row_numbers = body.index.to_series() + 1
    for fld in standard.fields:
        if fld.name not in frame:
            issues.append(Issue(raw.name, header + 1, fld.name, None, "struktur",
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


def parse_files(raws: list[RawFile], standard: Standard, columns: dict[str, str]) -> ParsedBatch:
    parts = [parse_file(raw, standard, columns) for raw in raws]
    frames = [p.frame for p in parts if len(p.frame)]
    frame = pd.concat(frames, ignore_index=True) if frames else parts[0].frame if parts else \
        pd.DataFrame(columns=standard.field_names + LINEAGE_COLUMNS)
    return ParsedBatch(frame, [i for p in parts for i in p.issues], list(raws))
