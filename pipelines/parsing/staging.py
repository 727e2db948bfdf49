"""Parsing a batch's files into one staged Parquet file in the standard's fields, with lineage per row,
chunk by chunk (memory follows the chunk, not the file)."""

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.findings import Skipped, finding, merge_skipped
from pipelines.issues import Issue
from pipelines.parsing.kinds import file_kind
from pipelines.parsing.layout import (
    Layout,
    above_header,
    block_names,
    duplicate_headers,
    find_header,
    header_block,
    header_mapping,
    layout_of,
    merged_across,
    missing_columns,
    split_body,
)
from pipelines.parsing.refused import Refused
from pipelines.parsing.tables import CsvHead, Table, column_letter, csv_body, csv_refusal, read_tables
from pipelines.parsing.unpivot import Shape, shape_of
from pipelines.parsing.values import convert_distinct
from pipelines.raw import RawFile, batch_id
from pipelines.settings import private_folder, state_dir
from pipelines.standard import Field, Standard
from pipelines.standard.types import FIELD_TYPES
from pipelines.validation.privacy import CANDIDATE, dropped_path

# CSV bodies are read this many rows at a time: memory follows the chunk, not the file (~150 MB of text
# cells and typed columns for 200,000 rows of 8 columns).
CHUNK_ROWS = 200_000
KEEP_STAGED = 20  # staged batches kept per folder: a later step re-run from an earlier run finds its file


@dataclass
class Batch:
    """One delivery of a dataset as every step after the raw archive passes it along: its raw files (whose
    content names it, `id`), its typed rows, what could not be read and the rows that are not data. The rows
    are staged in a Parquet file (written chunk by chunk), so what Dagster stores between steps is this small
    record; the check, the personal-data scan and the warehouse read the file in bounded memory."""

    path: Path
    rows: int
    issues: list[Issue] = field(default_factory=list)
    files: list[RawFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The name the quarantine, the warehouse's lineage and the portal's provenance know it by."""
        return batch_id(self.files)

    @property
    def frame(self) -> pd.DataFrame:
        """All rows in memory, for small consumers (tests, previews, small files)."""
        return pd.read_parquet(self.path)

    def head(self, rows: int) -> pd.DataFrame:
        first = next(pq.ParquetFile(self.path).iter_batches(batch_size=rows), None)
        return self.frame.iloc[:0] if first is None else pa.Table.from_batches([first]).to_pandas()


def _typed(body: pd.DataFrame, layout: Layout, raw: RawFile, standard: Standard) -> tuple[pd.DataFrame, list[Issue]]:
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
        typed, problem = convert_distinct(text.where(~missing, ""), fld)
        frame[fld.name] = pd.Series(typed.where(~missing).array.take(codes), index=frame.index)
        problem = problem.where(~missing, "").to_numpy(dtype="object")
        if fld.type != "string":
            kind = FIELD_TYPES[fld.type]
            word_id, word_en, example = kind.word_id, kind.word_en, kind.example
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


def _unheaded_values(body: pd.DataFrame, layout: Layout, raw: RawFile) -> list[Issue]:
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


def _dropped_candidates(body: pd.DataFrame, layout: Layout, raw: RawFile) -> pd.DataFrame | None:
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


@dataclass
class _Piece:
    """What a step of parsing one file yields: typed rows, findings, skipped rows, candidate personal data
    of columns not kept."""

    frame: pd.DataFrame | None = None
    issues: list[Issue] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    dropped: pd.DataFrame | None = None


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
    mapping = header_mapping(standard, columns)
    try:
        kind = file_kind(raw)
        tables, head = read_tables(raw, kind, set(mapping), options)
    except Refused as refused:
        yield _Piece(issues=[refused.issue])
        return
    if not any((t.cells != "").to_numpy().any() for t in tables):
        # an empty workbook or sheet; a JSON list of no records has rows owed but no header to look for
        yield _Piece(issues=[] if kind == "json" else [finding("empty-file", raw.name)])
        return
    scored = [(*find_header(t.cells, set(mapping)), t) for t in tables]
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
    head: CsvHead | None,
    mapping: dict[str, str],
    standard: Standard,
    chunk_rows: int,
    shape: Shape | None = None,
) -> Iterator[_Piece]:
    """One table (a CSV, a sheet, a JSON document) whose header is at position `header`; `shape`: an
    indicator's sheet, wide or long (pipelines/parsing/unpivot.py)."""
    first, last = header_block(table, header, mapping)
    block = merged_across(table, first, last)
    layout = layout_of(block, block_names(block, mapping), standard)
    header_row = int(table.cells.index[header]) + 1 or None  # JSON has no header row
    filled = shape.provided(layout.names, raw) if shape else []
    yield _Piece(
        issues=missing_columns(layout.names + filled, raw, standard, header_row)
        + duplicate_headers(raw, layout, header_row)
        + (shape.header_issues(layout.names, layout.labels, raw, header_row) if shape else []),
        skipped=above_header(table, first, raw),
    )
    body = csv_body(raw, head, last + 1, chunk_rows) if head else [table.cells.iloc[last + 1 :]]
    try:
        for chunk in body:
            rows, skipped = split_body(chunk, layout, raw)
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
        yield _Piece(issues=[csv_refusal(raw, error, head.head.cells.shape[1]).issue])


def _parquet_schema(standard: Standard) -> pa.Schema:
    return _schema_of(tuple((f.name, f.type) for f in standard.fields))


@lru_cache(maxsize=64)
def _schema_of(fields: tuple[tuple[str, str], ...]) -> pa.Schema:
    """The staged file's columns, with pandas' own types recorded so the rows read back exactly as parsed
    (nullable Int64, Float64, boolean). The type depends on the field's type only, and finding it costs a
    parse of each: once per process, not once per file."""
    empty = pd.Series([], dtype="str")
    typed = {name: convert_distinct(empty, Field(name, kind, name))[0] for name, kind in fields}
    lineage = {"_source_file": empty, "_source_sha256": empty, "_source_row": pd.Series([], dtype="int64")}
    return pa.Schema.from_pandas(pd.DataFrame(typed | lineage), preserve_index=False)


_DROPPED_SCHEMA = pa.schema(
    [("_source_file", pa.string()), ("_source_row", pa.int64()), ("column", pa.string()), ("value", pa.string())]
)


def _staged_path(folder: Path, raws: list[RawFile], standard: Standard, columns: dict, options: dict | None) -> Path:
    """Named by what decides its content (the rows carry their file's name, and the name states the period), so a
    re-run replaces its own file and no other."""
    key = json.dumps([[(r.name, r.sha256) for r in raws], standard.ref, columns, options], sort_keys=True, default=str)
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
) -> Batch:
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
    return Batch(path, rows, issues, list(raws), skipped)


def parse_file(
    raw: RawFile,
    standard: Standard,
    columns: dict[str, str],
    options: dict | None = None,
    *,
    folder: Path | None = None,
    chunk_rows: int = CHUNK_ROWS,
    districts: pd.DataFrame | None = None,
) -> Batch:
    return parse_files([raw], standard, columns, options, folder=folder, chunk_rows=chunk_rows, districts=districts)
