"""Great Expectations on pandas: the reference engine the DuckDB query is tested against, and the fallback
for an expectation the query cannot translate exactly. GX is imported only when it evaluates: importing it
takes seconds, and the query answers every rule the standards write."""

import os

import pandas as pd

from pipelines.validation import outcome
from pipelines.validation.outcome import RuleResult
from pipelines.validation.rows import ROW_ID
from pipelines.validation.rules import Rule

POSITION = "_satudata_position"  # meta key pairing GX's results with the suite's expectations


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


def run(frame: pd.DataFrame, expectations: list[Rule]) -> list[RuleResult]:
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
            RuleResult(
                rule,
                bool(item.success),
                int(item.result.get("unexpected_count") or 0),
                (item.result.get("unexpected_index_list") or [])[: outcome.MAX_ISSUES_PER_RULE],
                item.result.get("observed_value"),
                error,
            )
        )
    return found
