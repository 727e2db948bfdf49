"""Checks of a parsed batch against its standard with Great Expectations 1.x: one place turns a schema
into the expectations of a suite, and every failing row comes back as an Issue naming file, row and column.

- `rules.py`: the rule language. `rules()` writes each expectation as its GX type and arguments (the GX
  class of each is made from them when GX evaluates), with the words and code of each finding.
- `duckdb_query.py` (`engine="duckdb"`, the default): the expectations translated into one DuckDB query over
  the DataFrame or the staged Parquet file (in process, no copy to a server; a Parquet file is scanned in
  bounded memory), about 20x faster than GX on pandas for 1,000,000 rows (`bench/validation_bench.py`). An
  expectation it cannot translate exactly is run by GX on pandas instead.
- `gx.py` (`engine="gx"`): plain GX on pandas, the reference the fast path is tested against. GX itself is
  imported only when it evaluates: importing it takes seconds, and the query answers every rule the
  standards write, so neither a run's check nor the agency self-check pays for it.
- `outcome.py`: each rule's result and its failing rows as Issues; `rows.py`: the batch as the engines read
  it."""

from datetime import date
from pathlib import Path

import pandas as pd

from pipelines.standard import Standard
from pipelines.standard.period import Period
from pipelines.validation import duckdb_query, gx
from pipelines.validation.outcome import ValidationOutcome, summarise
from pipelines.validation.rows import source_files, whole
from pipelines.validation.rules import MESSAGES, RULE_CODES, RULE_MESSAGES, file_periods, rules

__all__ = [
    "ENGINES",
    "MESSAGES",
    "RULE_CODES",
    "RULE_MESSAGES",
    "ValidationOutcome",
    "file_periods",
    "rules",
    "validate",
]

ENGINES = ("duckdb", "gx")


def validate(
    rows: pd.DataFrame | Path,
    standard: Standard,
    code_lists: dict[str, list[str]],
    today: date | None = None,
    *,
    engine: str = "duckdb",
    references: dict[str, pd.DataFrame] | None = None,
    period: Period | None = None,
) -> ValidationOutcome:
    """Run the standard's rules on the batch (a DataFrame, or a staged Parquet file); every failing row
    becomes an Issue (at most MAX_ISSUES_PER_RULE per rule; the counts stay complete). `engine` picks the
    evaluator (see the module; "gx" reads a Parquet file whole); `references` are the master lists of the
    standard's foreign keys; `period` is the catalogue's reported period for files whose names state none."""
    if engine not in ENGINES:
        raise ValueError(f"unknown validation engine {engine!r} (known: {sorted(ENGINES)})")
    expectations = rules(
        standard, code_lists, today, periods=file_periods(source_files(rows), standard, period), references=references
    )
    results = gx.run(whole(rows), expectations) if engine == "gx" else duckdb_query.run(rows, expectations)
    return summarise(results, engine)
