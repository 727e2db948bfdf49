"""What the rules found, whichever engine evaluated them: each rule's result, its failing rows as Issues
naming file, row and column (in both languages, with the finding's code), and the summary the check's
metadata and the validation report show."""

from dataclasses import dataclass, field

from pipelines.issues import Issue
from pipelines.validation.rules import MESSAGES, RULE_CODES, RULE_MESSAGES, Rule

MAX_ISSUES_PER_RULE = 1000  # the counts stay complete; the report lists this many rows per rule


@dataclass
class ValidationOutcome:
    success: bool
    issues: list[Issue] = field(default_factory=list)
    rules: list[dict] = field(default_factory=list)  # one summary per expectation, for check metadata
    engine: str = "gx"  # which evaluator produced it ("duckdb" or "gx")


@dataclass
class RuleResult:
    """What one rule found, whichever evaluator ran it (the shape of a GX COMPLETE result)."""

    rule: Rule
    success: bool
    unexpected_count: int = 0
    rows: list[dict] = field(default_factory=list)  # like GX's unexpected_index_list, at most MAX_ISSUES_PER_RULE
    observed: object = None
    error: str | None = None


def rule_columns(rule: Rule) -> list[str]:
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
        "fields": ", ".join(rule_columns(rule)),
    }
    return tuple(text.format(**details) for text in RULE_MESSAGES[meta["rule"]])


def _issues(result: RuleResult) -> list[Issue]:
    kind = result.rule.type
    pesan, message = _message(result.rule)
    code = RULE_CODES.get(result.rule.meta.get("rule"), RULE_CODES.get(kind, "rule-not-met"))
    source_columns = rule_columns(result.rule)
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


def summarise(results: list[RuleResult], engine: str) -> ValidationOutcome:
    outcome = ValidationOutcome(success=all(r.success for r in results), engine=engine)
    for item in results:
        rule = item.rule
        summary = {
            "expectation": rule.type,
            "column": ",".join(rule_columns(rule)),
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
