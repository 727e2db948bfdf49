"""The standard check of one staged batch, as the pipeline's blocking asset check (`memenuhi_standar`) and the
agency's self-check (`satudata validate`) both run it: the standard's rules, what the parser already found,
personal data the standard does not publish, and the days or months the batch's period lacks (notes, not
findings)."""

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from pipelines.issues import Issue, drop_consequences
from pipelines.parsing import Batch
from pipelines.standard import Standard
from pipelines.standard.period import Period
from pipelines.validation import ValidationOutcome, validate
from pipelines.validation.coverage import gaps
from pipelines.validation.privacy import scan


@dataclass(frozen=True)
class CheckedBatch:
    outcome: ValidationOutcome  # every rule with its result (the check's metadata)
    issues: list[Issue]  # the parser's findings, the rules' (not those the parser's explain) and personal data
    personal: list[Issue]  # the personal-data findings among them
    missing_periods: list[str]  # e.g. "periode 2026-10 belum lengkap, ..." per file


def check_batch(
    batch: Batch,
    standard: Standard,
    code_lists: dict[str, list[str]],
    district_codes: set[str],
    *,
    references: dict[str, pd.DataFrame] | None = None,
    period: Period | None = None,
    explain: Callable[[list[Issue]], list[Issue]],
) -> CheckedBatch:
    """`explain` names the region codes a newer Kemendagri edition retired (it reads the editions only when a
    code was refused, which differs between the pipeline and the self-check)."""
    outcome = validate(batch.path, standard, code_lists, references=references, period=period)
    personal = scan(batch.path, standard, district_codes)
    issues = batch.issues + drop_consequences(batch.issues, explain(outcome.issues)) + personal
    return CheckedBatch(outcome, issues, personal, [str(gap) for gap in gaps(batch.path, standard, period)])
