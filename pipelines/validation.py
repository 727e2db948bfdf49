"""Checks of a parsed batch against its standard with Great Expectations 1.x: one place turns a schema
into an expectation suite, and every failing row comes back as an Issue naming file, row and column.

The suite is the rule language. It is evaluated one of two ways, with the same outcome:
- `engine="duckdb"` (default): the suite's expectations are translated into one DuckDB query over the
  DataFrame or the staged Parquet file (in process, no copy to a server; a Parquet file is scanned in
  bounded memory). About 20x faster than GX on pandas for 1,000,000 rows (see
  `bench/validation_bench.py`). An expectation it cannot translate exactly is run by GX on pandas instead.
- `engine="gx"`: plain GX on pandas, the reference the fast path is tested against."""

import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
import great_expectations as gx  # noqa: E402  (must follow the analytics switch)
import great_expectations.expectations as gxe  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

from pipelines.issues import Issue  # noqa: E402
from pipelines.standard import Standard  # noqa: E402

ROW_ID = ["_source_file", "_source_row"]
MAX_ISSUES_PER_RULE = 1000  # the counts stay complete; the report lists this many rows per rule
# The dtype name GX's pandas type check accepts for each standard type (pandas 3: strings are `str`;
# the nullable Int64 / Float64 / boolean columns the parser makes match their numpy names).
DTYPES = {"string": "str", "integer": "int64", "number": "float64", "date": "datetime64",
          "datetime": "datetime64", "boolean": "bool"}
# rule id -> (Bahasa Indonesia, English)
MESSAGES = {
    "expect_column_values_to_not_be_null": ("nilai wajib diisi tetapi kosong", "required value is missing"),
    "expect_column_values_to_be_in_set": ("nilai tidak ada dalam daftar kode yang berlaku",
                                          "value is not in the standard's code list"),
    "expect_column_values_to_match_regex": ("format nilai tidak sesuai standar", "value does not match the format"),
    "expect_column_values_to_be_between": ("nilai di luar rentang yang diizinkan", "value is outside the allowed range"),
    "expect_compound_columns_to_be_unique": ("kunci baris ganda (data dobel)", "duplicate row key"),
    "expect_column_values_to_be_unique": ("kunci baris ganda (data dobel)", "duplicate row key"),
    "expect_column_values_to_be_of_type": ("tipe data kolom tidak sesuai standar",
                                                "column type does not match the standard"),
}


@dataclass
class ValidationOutcome:
    success: bool
    issues: list[Issue] = field(default_factory=list)
    rules: list[dict] = field(default_factory=list)   # one summary per expectation, for check metadata
    engine: str = "gx"                                 # which evaluator produced it ("duckdb" or "gx")


def build_suite(standard: Standard, code_lists: dict[str, list[str]], today: date | None = None
                ) -> gx.ExpectationSuite:
    """The expectation suite of a standard. `code_lists` resolves each field's code list to the codes
    allowed here (e.g. the districts of the regency being checked). GX needs a context before a suite."""
    today = today or date.today()
    suite = gx.ExpectationSuite(name=standard.ref)
    for f in standard.fields:
        suite.add_expectation(gxe.ExpectColumnValuesToBeOfType(column=f.name, type_=DTYPES[f.type]))
        if f.required:
            suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=f.name))
        if f.enum:
            suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column=f.name, value_set=list(f.enum)))
        if f.code_list:
            suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column=f.name, value_set=code_lists[f.code_list],
                                                                  meta={"code_list": f.code_list}))
        if f.pattern:
            suite.add_expectation(gxe.ExpectColumnValuesToMatchRegex(column=f.name, regex=f.pattern))
        if f.minimum is not None or f.maximum is not None:
            suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column=f.name, min_value=f.minimum,
                                                                    max_value=f.maximum))
        if f.type in ("date", "datetime"):  # nothing reported can lie in the future
            suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(
                column=f.name, max_value=pd.Timestamp(today) + pd.Timedelta(days=1), strict_max=True,
                meta={"rule": "no_future"}))
    key = list(standard.primary_key)
    if len(key) > 1:
        suite.add_expectation(gxe.ExpectCompoundColumnsToBeUnique(column_list=key))
    elif key:
        suite.add_expectation(gxe.ExpectColumnValuesToBeUnique(column=key[0]))
    return suite


def _context():
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@dataclass
class _RuleResult:
    """What one expectation found, whichever evaluator ran it (the shape of a GX COMPLETE result)."""
    expectation: gxe.Expectation
    success: bool
    unexpected_count: int = 0
    rows: list[dict] = field(default_factory=list)   # like GX's unexpected_index_list, at most MAX_ISSUES_PER_RULE
    observed: object = None
    error: str | None = None


def _columns(config) -> list[str]:
    return [config.kwargs["column"]] if "column" in config.kwargs else list(config.kwargs.get("column_list", []))


def _issues(result: _RuleResult) -> list[Issue]:
    config = result.expectation.configuration
    kind = config.type
    pesan, message = MESSAGES.get(kind, ("aturan tidak terpenuhi", "rule not met"))
    if config.meta.get("rule") == "no_future":
        pesan, message = "tanggal berada di masa depan", "date lies in the future"
    source_columns = _columns(config)
    column = ",".join(source_columns)
    if not result.rows:  # table-level results (e.g. a column's type) name the column only
        observed = result.observed
        return [Issue("", None, column, None if observed is None else str(observed), kind, pesan, message)]
    found = []
    for row in result.rows[:MAX_ISSUES_PER_RULE]:
        value = "|".join(str(row.get(c)) for c in source_columns if c in row) or None
        found.append(Issue(str(row["_source_file"]), int(row["_source_row"]), column, value, kind, pesan, message))
    return found


def _outcome(results: list[_RuleResult], engine: str) -> ValidationOutcome:
    outcome = ValidationOutcome(success=all(r.success for r in results), engine=engine)
    for item in results:
        config = item.expectation.configuration
        summary = {"expectation": config.type, "column": ",".join(_columns(config)), "success": item.success,
                   "unexpected_count": item.unexpected_count}
        if item.error:
            summary["error"] = item.error
        outcome.rules.append(summary)
        if not item.success:
            issues = _issues(item)
            summary["examples"] = [str(i) for i in issues[:5]]
            outcome.issues.extend(issues)
    return outcome


def _run_gx(frame: pd.DataFrame, expectations: list) -> list[_RuleResult]:
    """Plain GX on pandas: the reference evaluator, and the fallback for what the fast path cannot translate."""
    if not expectations:
        return []
    suite = gx.ExpectationSuite(name="gx")
    for expectation in expectations:
        suite.add_expectation(expectation.copy())
    batch = _context().data_sources.add_pandas("agency").add_dataframe_asset("batch") \
        .add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format={"result_format": "COMPLETE",
                                                   "unexpected_index_column_names": ROW_ID})
    # GX keeps the suite's order; pair each result with the caller's own expectation object
    found = []
    for expectation, item in zip(expectations, result.results, strict=True):
        error = None
        if item.exception_info and item.exception_info.get("raised_exception"):
            error = item.exception_info.get("exception_message")
        found.append(_RuleResult(expectation, bool(item.success), int(item.result.get("unexpected_count") or 0),
                                 (item.result.get("unexpected_index_list") or [])[:MAX_ISSUES_PER_RULE],
                                 item.result.get("observed_value"), error))
    return found


# --- the fast path: the suite as one DuckDB query ---------------------------------------------------------

def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series.dtype) and series.dtype != object


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def _is_naive_datetime(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_dtype(series.dtype)  # tz-aware columns are left to GX


def _numeric_bound(value) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _time_bound(value) -> bool:
    return value is None or (isinstance(value, datetime) and value.tzinfo is None)  # pd.Timestamp is a datetime


def _re2_accepts(connection: duckdb.DuckDBPyConnection, pattern: str) -> bool:
    """DuckDB matches with RE2, GX with Python's `re` (both search, not full match). Patterns RE2 rejects
    (look-around, back-references) or Python rejects go to GX. (One difference remains: Python's `\\d` and
    `\\w` also match non-ASCII digits and letters, RE2's only ASCII ones.)"""
    try:
        re.compile(pattern)
        connection.execute("SELECT regexp_matches('', $p)", {"p": pattern}).fetchall()
    except (re.error, duckdb.Error):
        return False
    return True


def _duplicates(columns: list[str], keep: str, ctes: list[str]) -> str:
    """Rows whose key occurs more than once among the rows kept. A GROUP BY on the key's hash finds the
    few candidate rows cheaply; a window over only those confirms exact duplicates (PARTITION BY groups
    NULLs together, as pandas' duplicated() does), so a hash collision cannot report a row."""
    name = f"dup{len(ctes)}"
    quoted = ", ".join(_quote(c) for c in columns)
    ctes.append(f"{name}_hash AS (SELECT hash({quoted}) AS h FROM scan WHERE {keep} GROUP BY h HAVING count(*) > 1)")
    ctes.append(f"{name} AS (SELECT _pos FROM scan WHERE {keep} AND hash({quoted}) IN (SELECT h FROM {name}_hash) "
                f"QUALIFY count(*) OVER (PARTITION BY {quoted}) > 1)")
    return f"_pos IN (SELECT _pos FROM {name})"


def _failing_rows_sql(expectation, frame: pd.DataFrame, connection: duckdb.DuckDBPyConnection, params: dict,
                      ctes: list[str]) -> str | None:
    """A boolean SQL expression true on exactly the rows GX counts as unexpected (helper queries go to
    `ctes`), or None when this expectation (or its arguments) is not one the fast path reproduces exactly."""
    config = expectation.configuration
    kw = config.kwargs
    if kw.get("mostly", 1) != 1 or kw.get("row_condition"):
        return None
    columns = _columns(config)
    if not columns or any(c not in frame.columns for c in columns):
        return None  # GX reports the missing column itself
    kind = config.type
    column = frame[columns[0]]
    col = _quote(columns[0])
    p = f"p{len(params)}"
    if kind == "expect_column_values_to_not_be_null":
        return f"{col} IS NULL"
    if kind == "expect_column_values_to_be_in_set":
        values = kw.get("value_set")
        if values is None or not len(values):
            return None
        if _is_text(column) and all(isinstance(v, str) for v in values):
            params[p] = [str(v) for v in values]
        elif _is_number(column) and all(_numeric_bound(v) for v in values):
            params[p] = [float(v) for v in values]
        else:
            return None
        return f"{col} IS NOT NULL AND NOT list_contains(${p}, {col})" if len(values) <= 64 else \
            f"{col} IS NOT NULL AND {col} NOT IN (SELECT unnest(${p}))"
    if kind == "expect_column_values_to_match_regex":
        if not _is_text(column) or not _re2_accepts(connection, kw["regex"]):
            return None
        params[p] = kw["regex"]
        return f"{col} IS NOT NULL AND NOT regexp_matches({col}, ${p})"
    if kind == "expect_column_values_to_be_between":
        low, high = kw.get("min_value"), kw.get("max_value")
        if low is None and high is None:
            return None
        if _is_number(column) and _numeric_bound(low) and _numeric_bound(high):
            pass
        elif _is_naive_datetime(column) and _time_bound(low) and _time_bound(high):
            low = None if low is None else pd.Timestamp(low).to_pydatetime()
            high = None if high is None else pd.Timestamp(high).to_pydatetime()
        else:
            return None
        if low is not None and high is not None and low > high:
            return None  # GX raises; let it say so
        inside = []
        if low is not None:
            params[f"{p}_min"] = low
            inside.append(f"{col} {'>' if kw.get('strict_min') else '>='} ${p}_min")
        if high is not None:
            params[f"{p}_max"] = high
            inside.append(f"{col} {'<' if kw.get('strict_max') else '<='} ${p}_max")
        return f"{col} IS NOT NULL AND NOT ({' AND '.join(inside)})"
    if kind == "expect_column_values_to_be_unique":
        return _duplicates(columns[:1], f"{col} IS NOT NULL", ctes)
    if kind == "expect_compound_columns_to_be_unique":
        quoted = [_quote(c) for c in columns]
        ignore = getattr(expectation, "ignore_row_if", "all_values_are_missing")
        if ignore == "all_values_are_missing":
            keep = "NOT (" + " AND ".join(f"{q} IS NULL" for q in quoted) + ")"
        elif ignore == "any_value_is_missing":
            keep = " AND ".join(f"{q} IS NOT NULL" for q in quoted)
        elif ignore == "never":
            keep = "TRUE"
        else:
            return None
        return _duplicates(columns, keep, ctes)
    return None


def _of_type(expectation, frame: pd.DataFrame) -> _RuleResult | None:
    """GX decides a pandas column's type from its dtype alone unless the dtype is `object` (then it checks
    every value): the dtype case is answered by GX's own comparison, the other goes to GX."""
    column = expectation.configuration.kwargs.get("column")
    if column not in frame.columns or frame[column].dtype.type.__name__ == "object_":
        return None
    if expectation.configuration.kwargs.get("type_") in ("object", "object_", "O", None):
        return None
    answer = expectation._validate_pandas(actual_column_type=frame[column].dtype,  # noqa: SLF001 (GX's rule)
                                          expected_type=expectation.configuration.kwargs.get("type_"))
    return _RuleResult(expectation, bool(answer["success"]), observed=answer["result"]["observed_value"])


def _types(rows: pd.DataFrame | Path) -> pd.DataFrame:
    """The columns and their pandas types: the frame itself, or an empty frame typed like the Parquet file."""
    return rows if isinstance(rows, pd.DataFrame) else pq.read_schema(rows).empty_table().to_pandas()


def _all(rows: pd.DataFrame | Path) -> pd.DataFrame:
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
    return pa.concat_tables(parts).to_pandas() if parts else _types(rows)[columns]


def _run_duckdb(source: pd.DataFrame | Path, expectations: list) -> list[_RuleResult]:
    frame = _types(source)  # what the translation decides by: columns and dtypes
    results: dict[int, _RuleResult] = {}
    predicates: dict[int, str] = {}
    params: dict = {}
    ctes: list[str] = []
    connection = duckdb.connect()
    try:
        for n, expectation in enumerate(expectations):
            if expectation.configuration.type == "expect_column_values_to_be_of_type":
                answer = _of_type(expectation, frame)
                if answer is not None:
                    results[n] = answer
                continue
            predicate = _failing_rows_sql(expectation, frame, connection, params, ctes)
            if predicate is not None:
                predicates[n] = predicate
        found = _query(connection, source, expectations, predicates, params, ctes) if predicates else []
    finally:
        connection.close()
    if predicates:
        counts: dict[int, int] = {}
        positions: dict[int, list[int]] = {n: [] for n in predicates}
        for rule, failing, position in found:
            counts[rule] = failing
            positions[rule].append(position)
        for n in predicates:
            columns = _columns(expectations[n].configuration)
            picked = _rows_at(source, positions[n], list(dict.fromkeys(columns + ROW_ID)))
            values = {c: picked[c].tolist() for c in dict.fromkeys(columns + ROW_ID)}  # pandas' own scalars, as GX
            rows = [dict(zip(values, row)) for row in zip(*values.values())]
            results[n] = _RuleResult(expectations[n], not counts.get(n), counts.get(n, 0), rows)
    rest = [n for n in range(len(expectations)) if n not in results]
    for n, answer in zip(rest, _run_gx(_all(source) if rest else frame, [expectations[n] for n in rest]),
                         strict=True):
        results[n] = answer
    return [results[n] for n in range(len(expectations))]


def _query(connection: duckdb.DuckDBPyConnection, rows: pd.DataFrame | Path, expectations: list,
           predicates: dict[int, str], params: dict, ctes: list[str]) -> list[tuple[int, int, int]]:
    """One query over the DataFrame or Parquet file (scanned in place): (rule, failing rows of that rule,
    row position) for at most MAX_ISSUES_PER_RULE failing rows per rule, first rows first."""
    used = list(dict.fromkeys(c for n in predicates for c in _columns(expectations[n].configuration)))
    if isinstance(rows, pd.DataFrame):
        connection.register("scan", rows[used].assign(_pos=np.arange(len(rows), dtype="int64")))
    else:
        path = str(rows).replace("'", "''")
        connection.execute(f"CREATE VIEW scan AS SELECT {', '.join(_quote(c) for c in used)}, file_row_number AS _pos "
                           f"FROM read_parquet('{path}', file_row_number = true)")
    flags = ", ".join(f"coalesce({sql}, FALSE) AS r{n}" for n, sql in predicates.items())
    tagged = ", ".join(f"CASE WHEN r{n} THEN {n} END" for n in predicates)
    any_failed = " OR ".join(f"r{n}" for n in predicates)
    query = f"""
        WITH {"".join(c + ", " for c in ctes)}
        flags AS (SELECT _pos, {flags} FROM scan),
        failed AS (SELECT _pos, unnest([{tagged}]) AS rule FROM flags WHERE {any_failed})
        SELECT rule, count(*) OVER (PARTITION BY rule) AS failing, _pos FROM failed WHERE rule IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY rule ORDER BY _pos) <= {MAX_ISSUES_PER_RULE}
        ORDER BY rule, _pos"""
    return connection.execute(query, params).fetchall()


ENGINES = ("duckdb", "gx")


def validate(rows: pd.DataFrame | Path, standard: Standard, code_lists: dict[str, list[str]],
             today: date | None = None, *, engine: str = "duckdb") -> ValidationOutcome:
    """Run the standard's suite on the batch (a DataFrame, or a staged Parquet file); every failing row
    becomes an Issue (at most MAX_ISSUES_PER_RULE per rule; the counts stay complete). `engine` picks the
    evaluator (see the module); "gx" reads a Parquet file whole."""
    if engine not in ENGINES:
        raise ValueError(f"unknown validation engine {engine!r} (known: {sorted(ENGINES)})")
    _context()  # GX wants a context before a suite is built
    suite = build_suite(standard, code_lists, today)
    expectations = list(suite.expectations)
    results = _run_gx(_all(rows), expectations) if engine == "gx" else _run_duckdb(rows, expectations)
    return _outcome(results, engine)
