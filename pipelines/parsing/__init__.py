"""Turning what agencies send (CSV in any common encoding and delimiter, XLSX / XLS with title rows,
merged headers, notes, signature blocks, total rows and several sheets, JSON records) into a typed table in
the standard's fields. A file that is no table, and every cell that cannot be read, is an Issue with its
code (pipelines/findings.py) naming file, row and column; every row that is not data is reported as
skipped, with its reason. Nothing is silently dropped or guessed.

- `kinds.py`: what a file really is (a table, or a page, PDF, archive or image refused by name);
- `encodings.py`: which encoding a text file is in;
- `tables.py`: a file's cells as text (CSV in chunks, every sheet of a workbook, JSON records);
- `layout.py`: the header, the standard's columns, and the rows that are not data;
- `values.py`: Indonesian numbers and dates;
- `staging.py`: a batch's files into one staged Parquet file, with lineage per row;
- `refused.py`: a file refused whole, with its finding."""

from pipelines.parsing.encodings import decode, file_encoding
from pipelines.parsing.kinds import file_kind
from pipelines.parsing.refused import Refused
from pipelines.parsing.staging import CHUNK_ROWS, Batch, parse_file, parse_files
from pipelines.parsing.tables import DELIMITERS, json_records, number_text, read_tables
from pipelines.parsing.values import parse_dates, parse_numbers

ParsedBatch = Batch  # the name in run storage written before December 2026: older runs' steps still load

__all__ = [
    "CHUNK_ROWS",
    "DELIMITERS",
    "Batch",
    "ParsedBatch",
    "Refused",
    "decode",
    "file_encoding",
    "file_kind",
    "json_records",
    "number_text",
    "parse_dates",
    "parse_file",
    "parse_files",
    "parse_numbers",
    "read_tables",
]
