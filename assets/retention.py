"""Retention of raw deliveries that carried personal data: each night the files whose retention
(`catalogue/pipeline.yaml`, `personal_data.raw_retention_days`) has ended are deleted from the raw archive, and
the materialization lists what went, so the walidata sees it in the Dagster UI."""

import dagster as dg

from assets.daily import daily
from assets.keys import key
from assets.resources import StateResource

JOB = "retensi_data_pribadi_job"


@dg.asset(
    key=key("raw_archive", "retensi_data_pribadi"),
    group_name="arsip",
    description="Menghapus berkas mentah berdata pribadi yang masa simpannya habis / deletes raw deliveries "
    "with personal data whose retention has ended.",
)
def personal_data_retention(state: StateResource) -> dg.MaterializeResult:
    expired = state.archive().expire_personal()
    return dg.MaterializeResult(
        metadata={
            "deleted": len(expired),
            "files": dg.MetadataValue.json(
                [{k: e[k] for k in ("regency", "dataset", "name", "sha256", "found", "delete_after")} for e in expired]
            ),
        }
    )


def retention_definitions() -> dg.Definitions:
    return daily(
        personal_data_retention,
        JOB,
        "Retensi arsip mentah berdata pribadi / retention of raw personal data",
        "retensi_data_pribadi_harian",
        "30 1 * * *",
    )
