"""Checks of a parsed batch against its standard with Great Expectations 1.x: one place turns a schema
into the expectations of a suite, and every failing row comes back as an Issue naming file, row and column.

The suite is the rule language: `rules()` writes each expectation as its GX type and arguments (the GX
class of each is made from them when GX evaluates). They are evaluated one of two ways, with the same outcome:
- `engine="duckdb"` (default): the expectations are translated into one DuckDB query over the DataFrame or
  the staged Parquet file (in process, no copy to a server; a Parquet file is scanned in bounded memory).
  About 20x faster than GX on pandas for 1,000,000 rows (see `bench/validation_bench.py`). An expectation it
  cannot translate exactly is run by GX on pandas instead.
- `engine="gx"`: plain GX on pandas, the reference the fast path is tested against.
GX itself is imported only when it evaluates: importing it takes seconds, and the query answers every rule
the standards write, so neither a run's check nor the agency self-check pays for it."""

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

from pipelines import settings
from pipelines.issues import Issue
from pipelines.period import Period, period_of
from pipelines.sql import ident, literal
from pipelines.standard import Standard

ROW_ID = ["_source_file", "_source_row"]
POSITION = "_satudata_position"  # meta key pairing GX's results with the suite's expectations
MAX_ISSUES_PER_RULE = 1000  # the counts stay complete; the report lists this many rows per rule
# The dtype name GX's pandas type check accepts for each standard type (pandas 3: strings are `str`;
# the nullable Int64 / Float64 / boolean columns the parser makes match their numpy names).
DTYPES = {
    "string": "str",
    "integer": "int64",
    "number": "float64",
    "date": "datetime64",
    "datetime": "datetime64",
    "boolean": "bool",
}
# rule id -> (Bahasa Indonesia, English)
MESSAGES = {
    "expect_column_values_to_not_be_null": ("nilai wajib diisi tetapi kosong", "required value is missing"),
    "expect_column_values_to_be_in_set": (
        "nilai tidak ada dalam daftar kode yang berlaku",
        "value is not in the standard's code list",
    ),
    "expect_column_values_to_match_regex": ("format nilai tidak sesuai standar", "value does not match the format"),
    "expect_column_values_to_be_between": (
        "nilai di luar rentang yang diizinkan",
        "value is outside the allowed range",
    ),
    "expect_compound_columns_to_be_unique": ("kunci baris ganda (data dobel)", "duplicate row key"),
    "expect_column_values_to_be_unique": ("kunci baris ganda (data dobel)", "duplicate row key"),
    "expect_column_values_to_be_of_type": (
        "tipe data kolom tidak sesuai standar",
        "column type does not match the standard",
    ),
    "expect_column_pair_values_to_be_in_set": (
        "pasangan nilai tidak ada dalam Data Induk",
        "value pair is not in the master data",
    ),
}
# The finding's code (README: "Self-check findings: the codes"), by the rule's own name (meta "rule") or else its
# expectation type.
RULE_CODES = {
    "expect_column_values_to_not_be_null": "required-value-missing",
    "expect_column_values_to_be_in_set": "not-in-code-list",
    "expect_column_values_to_match_regex": "format-mismatch",
    "expect_column_values_to_be_between": "outside-range",
    "expect_compound_columns_to_be_unique": "duplicate-key",
    "expect_column_values_to_be_unique": "duplicate-key",
    "expect_column_values_to_be_of_type": "column-type",
    "expect_column_pair_values_to_be_in_set": "master-data-mismatch",
    "no_future": "future-date",
    "reported_period": "outside-reported-period",
    "catalogue_period": "outside-reported-period",
    "sum_of": "total-mismatch",
    "master_data": "not-in-master-data",
    "master_data_pair": "master-data-mismatch",
}
# Rules that GX expresses with a general expectation (meta "rule"): their own messages.
RULE_MESSAGES = {
    "no_future": ("tanggal berada di masa depan", "date lies in the future"),
    "reported_period": (
        "tanggal di luar periode laporan {period} (menurut nama berkas)",
        "date lies outside the reported period {period} (stated by the file name)",
    ),
    "catalogue_period": (
        "tanggal di luar periode laporan {period} (menurut katalog)",
        "date lies outside the reported period {period} (set in the catalogue)",
    ),
    "sum_of": ("jumlah tidak sama dengan {parts}", "total does not equal {parts}"),
    "master_data": ("kode tidak ada dalam Data Induk {resource}", "code is not in the master data {resource}"),
    "master_data_pair": (
        "{fields} tidak sesuai Data Induk {resource}",
        "{fields} do not match the master data {resource}",
    ),
}


@dataclass
class ValidationOutcome:
    success: bool
    issues: list[Issue] = field(default_factory=list)
    rules: list[dict] = field(default_factory=list)  # one summary per expectation, for check metadata
    engine: str = "gx"  # which evaluator produced it ("duckdb" or "gx")


def file_condition(name: str) -> str:
    """GX pandas row condition: the rows of one delivered file (a Python literal, as pandas' query reads it)."""
    return f"_source_file == {name!r}"


def sum_condition(total: str, parts: tuple[str, ...]) -> str:
    """GX pandas row condition: the rows whose total differs from the sum of its parts (a missing value
    matches nothing, as in SQL)."""
    return f"`{total}` != " + " + ".join(f"`{p}`" for p in parts)


@dataclass(frozen=True)
class Rule:
    """One expectation of the suite in GX's own terms: its type (`expect_column_values_to_be_in_set`), the
    arguments its GX class takes, and meta (which rule of the standard it is, for the messages)."""

    type: str
    kwargs: dict
    meta: dict = field(default_factory=dict)


def _master_rules(standard: Standard, references: dict[str, pd.DataFrame]) -> list[Rule]:
    """Foreign keys: the first field must be a code of the master list, and the key's fields together a row
    of it (a market's district must be the one the list gives)."""
    found = []
    for key in standard.foreign_keys:
        if key.resource not in references:
            raise ValueError(
                f"{standard.ref}: no master list {key.resource!r} given for the foreign key {list(key.fields)}"
            )
        table = references[key.resource]
        meta = {"rule": "master_data", "resource": key.resource}
        found.append(
            Rule(
                "expect_column_values_to_be_in_set",
                {"column": key.fields[0], "value_set": sorted(table[key.reference_fields[0]].astype(str).unique())},
                meta,
            )
        )
        if len(key.fields) == 2:
            pairs = sorted({(str(a), str(b)) for a, b in table[list(key.reference_fields)].itertuples(index=False)})
            found.append(
                Rule(
                    "expect_column_pair_values_to_be_in_set",
                    {"column_A": key.fields[0], "column_B": key.fields[1], "value_pairs_set": pairs},
                    meta | {"rule": "master_data_pair"},
                )
            )
    return found


def rules(
    standard: Standard,
    code_lists: dict[str, list[str]],
    today: date | None = None,
    *,
    periods: dict[str, tuple[Period, str]] | None = None,
    references: dict[str, pd.DataFrame] | None = None,
) -> list[Rule]:
    """The expectations of a standard. `code_lists` resolves each field's code list to the codes allowed here
    (e.g. the districts of the regency being checked); `periods` gives each delivered file its reported
    period and where it comes from (`reported_period`: the file name, `catalogue_period`); `references` the
    master lists the standard's foreign keys name."""
    today = today or date.today()
    found = []
    for f in standard.fields:
        column = {"column": f.name}
        found.append(Rule("expect_column_values_to_be_of_type", column | {"type_": DTYPES[f.type]}))
        if f.required:
            found.append(Rule("expect_column_values_to_not_be_null", column))
        if f.enum:
            found.append(Rule("expect_column_values_to_be_in_set", column | {"value_set": list(f.enum)}))
        if f.code_list:
            found.append(
                Rule(
                    "expect_column_values_to_be_in_set",
                    column | {"value_set": code_lists[f.code_list]},
                    {"code_list": f.code_list},
                )
            )
        if f.pattern:
            found.append(Rule("expect_column_values_to_match_regex", column | {"regex": f.pattern}))
        if f.minimum is not None or f.maximum is not None:
            found.append(
                Rule("expect_column_values_to_be_between", column | {"min_value": f.minimum, "max_value": f.maximum})
            )
        if f.type in ("date", "datetime"):  # nothing reported can lie in the future
            found.append(
                Rule(
                    "expect_column_values_to_be_between",
                    column | {"max_value": pd.Timestamp(today) + pd.Timedelta(days=1), "strict_max": True},
                    {"rule": "no_future"},
                )
            )
        if f.sum_of:  # the rows whose total differs from the sum are selected; none may exist
            found.append(
                Rule(
                    "expect_column_values_to_be_null",
                    column | {"row_condition": sum_condition(f.name, f.sum_of), "condition_parser": "pandas"},
                    {"rule": "sum_of", "parts": list(f.sum_of)},
                )
            )
    for name, (period, rule) in sorted((periods or {}).items()):
        found.append(
            Rule(
                "expect_column_values_to_be_between",
                {
                    "column": standard.period_field,
                    "min_value": pd.Timestamp(period.start),
                    "max_value": pd.Timestamp(period.end) + pd.Timedelta(days=1),
                    "strict_max": True,
                    "row_condition": file_condition(name),
                    "condition_parser": "pandas",
                },
                {"rule": rule, "source_file": name, "period": period.label},
            )
        )
    found += _master_rules(standard, references or {})
    key = list(standard.primary_key)
    if len(key) > 1:
        found.append(Rule("expect_compound_columns_to_be_unique", {"column_list": key}))
    elif key:
        found.append(Rule("expect_column_values_to_be_unique", {"column": key[0]}))
    return found


def _gx():
    """Great Expectations, imported on first use (see the module's note)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # before the import, which reads it
    import great_expectations
    import great_expectations.expectations  # noqa: F401  (the expectation classes)

    return great_expectations


def _expectation(rule: Rule, **meta):
    """The GX expectation of a rule: `expect_column_values_to_be_in_set` -> `ExpectColumnValuesToBeInSet`."""
    cls = getattr(_gx().expectations, "".join(word.title() for word in rule.type.split("_")))
    return cls(**rule.kwargs, meta={**rule.meta, **meta} or None)


def _context():
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = _gx().get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@dataclass
class _RuleResult:
    """What one rule found, whichever evaluator ran it (the shape of a GX COMPLETE result)."""

    rule: Rule
    success: bool
    unexpected_count: int = 0
    rows: list[dict] = field(default_factory=list)  # like GX's unexpected_index_list, at most MAX_ISSUES_PER_RULE
    observed: object = None
    error: str | None = None


def _columns(rule: Rule) -> list[str]:
    if "column_A" in rule.kwargs:
        return [rule.kwargs["column_A"], rule.kwargs["column_B"]]
    return [rule.kwargs["column"]] if "column" in rule.kwargs else list(rule.kwargs.get("column_list", []))


def _message(rule: Rule) -> tuple[str, str]:
    meta = rule.meta
    if meta.get("rule") not in RULE_MESSAGES:
        return MESSAGES.get(rule.type, ("aturan tidak terpenuhi", "rule not met"))
    details = {
        "period": meta.get("period"),
        "resource": meta.get("resource"),
        "parts": " + ".join(meta.get("parts", [])),
        "fields": ", ".join(_columns(rule)),
    }
    return tuple(text.format(**details) for text in RULE_MESSAGES[meta["rule"]])


def _issues(result: _RuleResult) -> list[Issue]:
    kind = result.rule.type
    pesan, message = _message(result.rule)
    code = RULE_CODES.get(result.rule.meta.get("rule"), RULE_CODES.get(kind, "rule-not-met"))
    source_columns = _columns(result.rule)
    column = ",".join(source_columns)
    if not result.rows:  # table-level results (e.g. a column's type) name the column only
        observed = result.observed
        return [Issue("", None, column, None if observed is None else str(observed), kind, pesan, message, code)]
    found = []
    for row in result.rows[:MAX_ISSUES_PER_RULE]:
        value = "|".join(str(row.get(c)) for c in source_columns if c in row) or None
        found.append(
            Issue(str(row["_source_file"]), int(row["_source_row"]), column, value, kind, pesan, message, code)
        )
    return found


def _outcome(results: list[_RuleResult], engine: str) -> ValidationOutcome:
    outcome = ValidationOutcome(success=all(r.success for r in results), engine=engine)
    for item in results:
        rule = item.rule
        summary = {
            "expectation": rule.type,
            "column": ",".join(_columns(rule)),
            "success": item.success,
            "unexpected_count": item.unexpected_count,
        }
        if rule.meta.get("rule"):
            summary["rule"] = rule.meta["rule"]
        if rule.meta.get("source_file"):
            summary["file"] = rule.meta["source_file"]
        if item.error:
            summary["error"] = item.error
        outcome.rules.append(summary)
        if not item.success:
            issues = _issues(item)
            summary["examples"] = [str(i) for i in issues[:5]]
            outcome.issues.extend(issues)
    return outcome


def _run_gx(frame: pd.DataFrame, expectations: list[Rule]) -> list[_RuleResult]:
    """Plain GX on pandas: the reference evaluator, and the fallback for what the fast path cannot translate."""
    if not expectations:
        return []
    context = _context()  # GX wants a context before a suite
    suite = _gx().ExpectationSuite(name="gx")
    for n, rule in enumerate(expectations):  # the position rides along in meta (unsaved: no ids)
        suite.add_expectation(_expectation(rule, **{POSITION: n}))
    batch = (
        context.data_sources.add_pandas("agency")
        .add_dataframe_asset("batch")
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    result = batch.validate(suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ROW_ID})
    # GX orders results its own way (row conditions, column pairs): pair each with the caller's expectation
    by_position = {item.expectation_config.meta[POSITION]: item for item in result.results}
    found = []
    for rule, item in zip(expectations, (by_position[n] for n in range(len(expectations))), strict=True):
        error = None
        if item.exception_info and item.exception_info.get("raised_exception"):
            error = item.exception_info.get("exception_message")
        found.append(
            _RuleResult(
                rule,
                bool(item.success),
                int(item.result.get("unexpected_count") or 0),
                (item.result.get("unexpected_index_list") or [])[:MAX_ISSUES_PER_RULE],
                item.result.get("observed_value"),
                error,
            )
        )
    return found


# --- the fast path: the suite as one DuckDB query ---------------------------------------------------------


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
    quoted = ", ".join(ident(c) for c in columns)
    ctes.append(f"{name}_hash AS (SELECT hash({quoted}) AS h FROM scan WHERE {keep} GROUP BY h HAVING count(*) > 1)")
    ctes.append(
        f"{name} AS (SELECT _pos FROM scan WHERE {keep} AND hash({quoted}) IN (SELECT h FROM {name}_hash) "
        f"QUALIFY count(*) OVER (PARTITION BY {quoted}) > 1)"
    )
    return f"_pos IN (SELECT _pos FROM {name})"


def _condition_columns(rule: Rule) -> list[str]:
    """The columns the row conditions `rules` writes read."""
    meta = rule.meta
    if "source_file" in meta:
        return ["_source_file"]
    return list(meta.get("parts", [])) if meta.get("rule") == "sum_of" else []


def _condition_sql(rule: Rule, frame: pd.DataFrame, params: dict) -> str | None:
    """SQL for the row conditions `rules` writes (the rows of one file; the rows whose total differs from
    the sum of its parts), recognised by their exact text; None for any other condition."""
    kw, meta = rule.kwargs, rule.meta
    condition = kw.get("row_condition")
    if not condition:
        return "TRUE"
    if kw.get("condition_parser") != "pandas" or any(c not in frame.columns for c in _condition_columns(rule)):
        return None
    if "source_file" in meta and condition == file_condition(meta["source_file"]) and _is_text(frame["_source_file"]):
        p = f"p{len(params)}"
        params[p] = meta["source_file"]
        return f"_source_file = ${p}"
    parts = tuple(meta.get("parts", []))
    if (
        meta.get("rule") == "sum_of"
        and condition == sum_condition(kw["column"], parts)
        and all(pd.api.types.is_integer_dtype(frame[c].dtype) for c in (kw["column"], *parts))
    ):
        return f"{ident(kw['column'])} <> (" + " + ".join(ident(c) for c in parts) + ")"
    return None  # e.g. a float total: NaN compares unlike NULL


def _failing_rows_sql(
    rule: Rule, frame: pd.DataFrame, connection: duckdb.DuckDBPyConnection, params: dict, ctes: list[str]
) -> str | None:
    """A boolean SQL expression true on exactly the rows GX counts as unexpected (helper queries go to
    `ctes`), or None when this expectation (or its arguments) is not one the fast path reproduces exactly."""
    if rule.kwargs.get("mostly", 1) != 1:
        return None
    columns = _columns(rule)
    if not columns or any(c not in frame.columns for c in columns):
        return None  # GX reports the missing column itself
    condition = _condition_sql(rule, frame, params)
    if condition is None:
        return None
    if condition != "TRUE" and rule.type in (
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
    ):
        return None  # a condition would change which rows count as duplicates
    failing = _rule_sql(rule, frame, connection, params, ctes, columns)
    return None if failing is None else failing if condition == "TRUE" else f"({condition}) AND ({failing})"


def _rule_sql(
    rule: Rule,
    frame: pd.DataFrame,
    connection: duckdb.DuckDBPyConnection,
    params: dict,
    ctes: list[str],
    columns: list[str],
) -> str | None:
    """The failing-row expression of the expectation itself, on every row (its row condition aside)."""
    kw = rule.kwargs
    kind = rule.type
    column = frame[columns[0]]
    col = ident(columns[0])
    p = f"p{len(params)}"
    if kind == "expect_column_values_to_not_be_null":
        return f"{col} IS NULL"
    if kind == "expect_column_values_to_be_null":
        return f"{col} IS NOT NULL"
    if kind == "expect_column_pair_values_to_be_in_set":
        other = frame[columns[1]]
        pairs = kw.get("value_pairs_set") or []
        ignore = kw.get("ignore_row_if", "both_values_are_missing")  # GX's defaults
        if not (
            _is_text(column) and _is_text(other) and pairs and all(isinstance(v, str) for pair in pairs for v in pair)
        ):
            return None
        params[p] = [list(pair) for pair in pairs]
        # A hash join on the pairs, not list_contains per row: that compares every row with every pair
        # (a 250-market master list made the check of 1,000,000 rows take 7 s instead of 0.5 s).
        ctes.append(f"{p}_pairs AS (SELECT DISTINCT unnest(${p}) AS pair)")
        b = ident(columns[1])
        outside = f"({col} IS NULL OR {b} IS NULL OR [{col}, {b}] NOT IN (SELECT pair FROM {p}_pairs))"
        if ignore == "both_values_are_missing":
            return f"NOT ({col} IS NULL AND {b} IS NULL) AND {outside}"
        if ignore == "either_value_is_missing":
            return f"{col} IS NOT NULL AND {b} IS NOT NULL AND {outside}"
        return outside if ignore == "neither" else None
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
        return (
            f"{col} IS NOT NULL AND NOT list_contains(${p}, {col})"
            if len(values) <= 64
            else f"{col} IS NOT NULL AND {col} NOT IN (SELECT unnest(${p}))"
        )
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
        quoted = [ident(c) for c in columns]
        ignore = kw.get("ignore_row_if", "all_values_are_missing")
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


# GX's pandas type check (ExpectColumnValuesToBeOfType._validate_pandas): a column passes when its dtype's
# scalar type is numpy's type of the name, or the Python type GX maps the name to.
_PYTHON_TYPES = {"str": (str,), "bool": (bool,)}


def _of_type(rule: Rule, frame: pd.DataFrame) -> _RuleResult | None:
    """GX decides a pandas column's type from its dtype alone unless the dtype is `object` (then it checks
    every value): the dtype case is GX's comparison, for the type names the standards use; the rest goes
    to GX."""
    column, expected = rule.kwargs.get("column"), rule.kwargs.get("type_")
    if column not in frame.columns or frame[column].dtype.type.__name__ == "object_" or expected not in DTYPES.values():
        return None
    actual = frame[column].dtype.type
    accepted = (np.dtype(expected).type, *_PYTHON_TYPES.get(expected, ()))
    return _RuleResult(rule, actual in accepted, observed=actual.__name__)


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


def _failing_rows(source: pd.DataFrame | Path, positions: list[int], columns: list[str]) -> list[dict]:
    """The rows at these positions as GX lists unexpected rows: the rule's columns and the row id, each value
    a pandas scalar as GX gives it."""
    wanted = list(dict.fromkeys(columns + ROW_ID))
    picked = _rows_at(source, positions, wanted)
    values = {c: picked[c].tolist() for c in wanted}
    return [dict(zip(values, row)) for row in zip(*values.values())]


def _run_duckdb(source: pd.DataFrame | Path, expectations: list[Rule]) -> list[_RuleResult]:
    frame = _types(source)  # what the translation decides by: columns and dtypes
    results: dict[int, _RuleResult] = {}
    predicates: dict[int, str] = {}
    params: dict = {}
    ctes: list[str] = []
    connection = duckdb.connect(config=settings.duckdb_config(settings.CHECK_MEMORY))
    try:
        for n, rule in enumerate(expectations):
            if rule.type == "expect_column_values_to_be_of_type":
                answer = _of_type(rule, frame)
                if answer is not None:
                    results[n] = answer
                continue
            predicate = _failing_rows_sql(rule, frame, connection, params, ctes)
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
            rows = _failing_rows(source, positions[n], _columns(expectations[n])) if positions[n] else []
            results[n] = _RuleResult(expectations[n], not counts.get(n), counts.get(n, 0), rows)
    rest = [n for n in range(len(expectations)) if n not in results]
    for n, answer in zip(rest, _run_gx(_all(source) if rest else frame, [expectations[n] for n in rest]), strict=True):
        results[n] = answer
    return [results[n] for n in range(len(expectations))]


def _query(
    connection: duckdb.DuckDBPyConnection,
    rows: pd.DataFrame | Path,
    expectations: list[Rule],
    predicates: dict[int, str],
    params: dict,
    ctes: list[str],
) -> list[tuple[int, int, int]]:
    """One query over the DataFrame or Parquet file (scanned in place): (rule, failing rows of that rule,
    row position) for at most MAX_ISSUES_PER_RULE failing rows per rule, first rows first."""
    used = list(
        dict.fromkeys(c for n in predicates for c in _columns(expectations[n]) + _condition_columns(expectations[n]))
    )
    if isinstance(rows, pd.DataFrame):
        connection.register("scan", rows[used].assign(_pos=np.arange(len(rows), dtype="int64")))
    else:
        connection.execute(
            f"CREATE VIEW scan AS SELECT {', '.join(ident(c) for c in used)}, file_row_number AS _pos "
            f"FROM read_parquet({literal(str(rows))}, file_row_number = true)"
        )
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


def file_periods(files, standard: Standard, fallback: Period | None = None) -> dict[str, tuple[Period, str]]:
    """Each file's reported period and its origin: what its name states, else the catalogue's `fallback`;
    files with neither are not period-checked."""
    if standard.period_field is None:
        return {}
    found = {}
    for name in files:
        stated = period_of(str(name))
        if stated or fallback:
            found[str(name)] = (stated, "reported_period") if stated else (fallback, "catalogue_period")
    return found


def _source_files(rows: pd.DataFrame | Path) -> list[str]:
    if isinstance(rows, pd.DataFrame):
        return rows["_source_file"].unique().tolist() if "_source_file" in rows.columns else []
    if "_source_file" not in pq.read_schema(rows).names:
        return []
    # A row group at a time: the whole column of a 29 M-row batch would take a gigabyte to list a few names.
    found: dict[str, None] = {}
    for piece in pq.ParquetFile(rows).iter_batches(columns=["_source_file"]):
        found.update(dict.fromkeys(piece.column(0).unique().to_pylist()))
    return list(found)


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
        standard, code_lists, today, periods=file_periods(_source_files(rows), standard, period), references=references
    )
    results = _run_gx(_all(rows), expectations) if engine == "gx" else _run_duckdb(rows, expectations)
    return _outcome(results, engine)
