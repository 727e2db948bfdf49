"""Run the main job once on this machine's Dagster instance (DAGSTER_HOME), so the run shows in the
UI afterwards, and print what a walidata needs to know: per asset and check, what happened.

    python -m assets.run
"""

import logging
import sys

import dagster as dg

from assets.dead_runs import mark_dead_runs
from assets.definitions import build_definitions
from assets.periods import all_periods, monthly_periods
from pipelines.catalogue import load_pipeline_config


def main() -> int:
    # A dataset with nothing new skips its steps, its blocking check included, and Dagster warns that the
    # (equally skipped) steps after it "will proceed without gating": true, and nothing a walidata must act on.
    logging.getLogger("dagster._core.execution.plan.active").setLevel(logging.ERROR)
    defs = build_definitions()
    job = defs.resolve_job_def("satudata_job")
    with dg.DagsterInstance.get() as instance:
        for run_id in mark_dead_runs(instance):   # an earlier run killed mid-way must not show as running
            print(f"Run {run_id}: prosesnya mati, ditandai gagal / its process died, marked failed")
        # Step logs stay in the instance for the UI; the terminal gets warnings and the summary below.
        # Every month in one run (one month alone is a backfill, see README: operations).
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, tags=all_periods(monthly_periods(load_pipeline_config())),
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
    print(f"\nRun {result.run_id}: {'BERHASIL / SUCCESS' if result.success else 'GAGAL / FAILED'}")
    for event in result.get_asset_check_evaluations():
        status = "lulus / passed" if event.passed else "GAGAL / FAILED"
        report = event.metadata.get("quarantine_report")
        print(f"  check {event.asset_key.to_user_string()}:{event.check_name}: {status}"
              + (f" -> karantina / quarantine: {report.value}" if report else ""))
    materialized = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    for key, meta in materialized.items():
        print(f"  asset {key.to_user_string()}{_summary(key.path[-1], meta)}")
    failed_steps = {f.step_key for f in result.get_step_failure_events()}
    for key in job.asset_layer.selected_asset_keys:
        if key.path[-1] == "raw" and key not in materialized and "__".join(key.path) not in failed_steps:
            print(f"  asset {key.to_user_string()}: tidak ada kiriman baru / nothing new")
    for failure in result.get_step_failure_events():
        print(f"  step {failure.step_key} gagal / failed: {_cause(failure.event_specific_data.error)}")
    return 0 if result.success else 1


def _cause(error) -> str:
    """The step's own reason: Dagster's wrappers ("Exceeded max_retries of 3", "Error occurred while
    executing op") hide it in the error's cause or context."""
    while (error.cause or error.context) and (
            "max_retries" in error.message or "Error occurred while executing" in error.message):
        error = error.cause or error.context
    return error.message.strip().splitlines()[0] if error.message.strip() else error.cls_name or "?"


def _summary(step: str, meta: dict) -> str:
    """One line per step a walidata reads: what was pulled, merged or published."""
    value = {k: v.value for k, v in meta.items()}
    if step == "raw":
        return f": {len(value['files'])} berkas / files, {value['bytes']:,} bytes"
    if step == "warehouse":
        return (f": baru / new {value['inserted']}, berubah / updated {value['updated']}, "
                f"dihapus / deleted {value.get('deleted', 0)}, sama / unchanged {value['unchanged']}")
    if step == "portal" and "url" in value:
        sent = f", baris dikirim / rows sent {value['rows_sent']}, dihapus / deleted {value['rows_deleted']}" \
            if value.get("changed") and "rows_sent" in value else ""
        return f": {value['url']} (berubah / changed: {value['changed']}{sent}, API writes: {value['api_writes']})"
    if step == "portal":
        return f": {value['publication_status']} (menunggu persetujuan / waiting for approval)"
    return ""


if __name__ == "__main__":
    sys.exit(main())
