"""Where the table sits among what surrounds it: the header row (over one or two rows), which columns are the
standard's, and every row that is not data (titles, repeated headers, notes, totals, signature blocks,
page numbers), skipped with its reason."""

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.findings import Skipped, finding, merge_skipped
from pipelines.issues import Issue
from pipelines.parsing.tables import HEADER_SCAN_ROWS, Table, column_letter, normal_text
from pipelines.raw import RawFile
from pipelines.standard import Standard


def find_header(cells: pd.DataFrame, known: set[str]) -> tuple[int, int]:
    """(position, score) of the row with the most known column names among the first rows."""
    scores = [sum(normal_text(v) in known for v in cells.iloc[i]) for i in range(min(len(cells), HEADER_SCAN_ROWS))]
    if not scores or max(scores) == 0:
        return -1, 0
    return scores.index(max(scores)), max(scores)


def block_names(block: pd.DataFrame, mapping: dict[str, str]) -> list[str | None]:
    """Standard names of the columns of a header block (one or more rows). A label over several columns
    (`Lokasi` above `Kode Kecamatan` and `Nama Pasar`) is carried right over the columns below it; each
    column is read as its joined label first, then each part, lowest first."""
    rows = [list(block.iloc[r]) for r in range(len(block))]
    for upper, lower in zip(rows, rows[1:]):
        for c in range(1, len(upper)):
            if not normal_text(upper[c]) and normal_text(lower[c]):
                upper[c] = upper[c - 1]
    names = []
    for c in range(block.shape[1]):
        parts = list(dict.fromkeys(row[c] for row in rows if normal_text(row[c])))
        candidates = [" ".join(parts)] + parts[::-1]
        names.append(next((mapping[normal_text(p)] for p in candidates if normal_text(p) in mapping), None))
    return names


def header_block(table: Table, header: int, mapping: dict[str, str]) -> tuple[int, int]:
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
        return len({n for n in block_names(table.cells.iloc[a : b + 1], mapping) if n})

    if header + 1 < len(table.cells) and named(header, header + 1) > named(header, header):
        return header, header + 1
    if header > 0 and named(header - 1, header) > named(header, header):
        return header - 1, header
    return header, header


def merged_across(table: Table, first: int, last: int) -> pd.DataFrame:
    """The header block with each cell merged across columns carrying its label to every column."""
    block = table.cells.iloc[first : last + 1].copy()
    labels = list(block.index)
    for (r0, c0), (r1, c1) in table.merged:
        for r in range(r0, r1 + 1):
            if r in labels and c0 < c1:
                block.iloc[labels.index(r), c0 : min(c1, block.shape[1] - 1) + 1] = table.cells.at[r0, c0]
    return block


@dataclass
class Layout:
    """What the header says about the body: the standard name of each column (None: not kept), their labels
    as the file writes them, and what the row classifier needs."""

    names: list[str | None]
    labels: list[str]
    width: int  # columns up to the last labelled one; a value further right has no header
    header_texts: set[str]  # normalised labels of every header row, to spot the header repeated
    identifying: list[int]  # positions of text and date fields: what a data row fills and a total leaves empty
    first: int  # position of the first labelled column, where a row begins
    in_signature: bool = False  # a signature block has begun: its lone lines (name, rank) are part of it


def layout_of(block: pd.DataFrame, names: list[str | None], standard: Standard) -> Layout:
    labels = [" ".join(dict.fromkeys(v for v in block.iloc[:, c] if normal_text(v))) for c in range(block.shape[1])]
    labelled = [c for c, label in enumerate(labels) if label]
    width = labelled[-1] + 1 if labelled else 0
    kinds = {f.name: f.type for f in standard.fields}
    identifying = [c for c, n in enumerate(names) if n and kinds[n] in ("string", "date", "datetime")]
    texts = {normal_text(v) for v in block.to_numpy().ravel() if normal_text(v)}
    return Layout(
        names,
        [label or f"kolom {column_letter(c)}" for c, label in enumerate(labels)],
        width,
        texts,
        identifying,
        labelled[0] if labelled else 0,
    )


def duplicate_headers(raw: RawFile, layout: Layout, header_row: int | None) -> list[Issue]:
    found = []
    for name in dict.fromkeys(n for n in layout.names if n):
        columns = [column_letter(c) for c, n in enumerate(layout.names) if n == name]
        if len(columns) > 1:
            found.append(
                finding("duplicate-header", raw.name, header_row, name, field=name, columns=", ".join(columns))
            )
    return found


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


def _skip_reason(cells: list[str], layout: Layout) -> str | None:
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


def split_body(body: pd.DataFrame, layout: Layout, raw: RawFile) -> tuple[pd.DataFrame, list[Skipped]]:
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


def above_header(table: Table, first: int, raw: RawFile) -> list[Skipped]:
    """The rows above the header: title, subtitle, blank."""
    above = table.cells.iloc[:first]
    return merge_skipped(
        [],
        [
            Skipped(raw.name, int(i) + 1, int(i) + 1, "title-row" if any(normal_text(v) for v in row) else "blank-row")
            for i, row in zip(above.index, above.to_numpy())
        ],
    )


def header_mapping(standard: Standard, columns: dict[str, str]) -> dict[str, str]:
    """Headers are recognised by the catalogue's mapping, the standard's field names and its titles."""
    return (
        {normal_text(f.title): f.name for f in standard.fields}
        | {normal_text(k): v for k, v in columns.items()}
        | {normal_text(f): f for f in standard.field_names}
    )


def missing_columns(names: list[str | None], raw: RawFile, standard: Standard, header_row: int | None) -> list[Issue]:
    return [finding("missing-column", raw.name, header_row, f.name) for f in standard.fields if f.name not in names]
