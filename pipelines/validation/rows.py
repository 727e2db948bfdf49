"""A batch as the engines read it: a DataFrame, or a staged Parquet file read in bounded memory (its schema,
the rows at given positions, the names of its files: a row group at a time)."""

from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import settings

ROW_ID = ["_source_file", "_source_row"]


def check_connection() -> duckdb.DuckDBPyConnection:
    """A connection for a check's queries (close it when done): a cursor of one in-memory database per process
    and setting. Opening a database costs 25 ms and a check makes three passes (rules, personal data,
    coverage); a cursor costs 0.3 ms and keeps its registered batch and temporary views to itself."""
    return _database(tuple(sorted(settings.duckdb_config(settings.CHECK_MEMORY).items()))).cursor()


@lru_cache(maxsize=4)
def _database(config: tuple) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(config=dict(config))


def schema_frame(rows: pd.DataFrame | Path) -> pd.DataFrame:
    """The columns and their pandas types: the frame itself, or an empty frame typed like the Parquet file."""
    return rows if isinstance(rows, pd.DataFrame) else pq.read_schema(rows).empty_table().to_pandas()


def whole(rows: pd.DataFrame | Path) -> pd.DataFrame:
    """Every row in memory, for GX on pandas (the reference, and the fallback: meant for small batches)."""
    return rows if isinstance(rows, pd.DataFrame) else pd.read_parquet(rows)


def _rows_at(rows: pd.DataFrame | Path, positions: list[int], columns: list[str]) -> pd.DataFrame:
    """The rows at these positions (ascending, as the query lists them); from a Parquet file only the row
    groups that hold them are read."""
    if isinstance(rows, pd.DataFrame):
        return rows.iloc[positions][columns]
    parquet = pq.ParquetFile(rows)
    wanted, start, parts = np.asarray(positions, dtype="int64"), 0, []
    for group in range(parquet.num_row_groups):
        size = parquet.metadata.row_group(group).num_rows
        inside = wanted[(wanted >= start) & (wanted < start + size)] - start
        if len(inside):
            parts.append(parquet.read_row_group(group, columns=columns).take(pa.array(inside)))
        start += size
    return pa.concat_tables(parts).to_pandas() if parts else schema_frame(rows)[columns]


def failing_rows(source: pd.DataFrame | Path, positions: list[int], columns: list[str]) -> list[dict]:
    """The rows at these positions as GX lists unexpected rows: the rule's columns and the row id, each value
    a pandas scalar as GX gives it."""
    wanted = list(dict.fromkeys(columns + ROW_ID))
    picked = _rows_at(source, positions, wanted)
    values = {c: picked[c].tolist() for c in wanted}
    return [dict(zip(values, row)) for row in zip(*values.values())]


def source_files(rows: pd.DataFrame | Path) -> list[str]:
    if isinstance(rows, pd.DataFrame):
        return rows["_source_file"].unique().tolist() if "_source_file" in rows.columns else []
    if "_source_file" not in pq.read_schema(rows).names:
        return []
    # A row group at a time: the whole column of a 29 M-row batch would take a gigabyte to list a few names.
    found: dict[str, None] = {}
    for piece in pq.ParquetFile(rows).iter_batches(columns=["_source_file"]):
        found.update(dict.fromkeys(piece.column(0).unique().to_pylist()))
    return list(found)
