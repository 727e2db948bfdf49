"""Checks of a parsed batch against its standard with Great Expectations 1.x: one place turns a schema
into an expectation suite, and every failing row comes back as an Issue naming file, row and column."""

import os
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

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


def _issues(result, source_columns: list[str]) -> list[Issue]:
    config = result.expectation_config
    kind = config.type
    pesan, message = MESSAGES.get(kind, ("aturan tidak terpenuhi", "rule not met"))
    if config.meta.get("rule") == "no_future":
        pesan, message = "tanggal berada di masa depan", "date lies in the future"
    column = config.kwargs.get("column") or ",".join(config.kwargs.get("column_list", []))
    rows = result.result.get("unexpected_index_list") or []
    if not rows:  # table-level results (e.g. a column's type) name the column only
        observed = result.result.get("observed_value")
        return [Issue("", None, column, None if observed is None else str(observed), kind, pesan, message)]
    found = []
    for row in rows[:MAX_ISSUES_PER_RULE]:
        value = "|".join(str(row.get(c)) for c in source_columns if c in row) or None
        found.append(Issue(str(row["_source_file"]), int(row["_source_row"]), column, value, kind, pesan, message))
    return found


def validate(frame: pd.DataFrame, standard: Standard, code_lists: dict[str, list[str]],
             today: date | None = None) -> ValidationOutcome:
    """Run the standard's suite on the batch; every failing row becomes an Issue."""
    context = _context()
    suite = build_suite(standard, code_lists, today)
    batch = context.data_sources.add_pandas("agency").add_dataframe_asset("batch") \
        .add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format={"result_format": "COMPLETE",
                                                   "unexpected_index_column_names": ROW_ID})
    outcome = ValidationOutcome(success=bool(result.success))
    for item in result.results:
        config = item.expectation_config
        columns = [config.kwargs["column"]] if "column" in config.kwargs else list(config.kwargs.get("column_list", []))
        summary = {"expectation": config.type, "column": ",".join(columns), "success": bool(item.success),
                   "unexpected_count": int(item.result.get("unexpected_count") or 0)}
        if item.exception_info and item.exception_info.get("raised_exception"):
            summary["error"] = item.exception_info.get("exception_message")
        outcome.rules.append(summary)
        if not item.success:
            issues = _issues(item, columns)
            summary["examples"] = [str(i) for i in issues[:5]]
            outcome.issues.extend(issues)
    return outcome
