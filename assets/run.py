"""Run the main job once on this machine's Dagster instance (DAGSTER_HOME), so the run shows in the
UI afterwards, and print what a walidata needs to know: per asset and check, what happened.

    python -m assets.run
"""

import sys

import dagster as dg

from assets.definitions import build_definitions


def main() -> int:
    defs = build_definitions()
    job = defs.resolve_job_def("satudata_job")
    with dg.DagsterInstance.get() as instance:
        # Step logs stay in the instance for the UI; the terminal gets warnings and the summary below.
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config={
            "loggers": {"console": {"config": {"log_level": "WARNING"}}}})
    print(f"\nRun {result.run_id}: {'BERHASIL / SUCCESS' if result.success else 'GAGAL / FAILED'}")
    for event in result.get_asset_check_evaluations():
        status = "lulus / passed" if event.passed else "GAGAL / FAILED"
        report = event.metadata.get("quarantine_report")
        print(f"  check {event.asset_key.to_user_string()}:{event.check_name}: {status}"
              + (f" -> karantina / quarantine: {report.value}" if report else ""))
    for materialization in result.get_asset_materialization_events():
        meta = materialization.materialization.metadata
        line = f"  asset {materialization.asset_key.to_user_string()}"
        if "url" in meta:
            line += f": {meta['url'].value} (berubah / changed: {meta['changed'].value}, "
            line += f"API writes: {meta['api_writes'].value})"
        print(line)
    for failure in result.get_step_failure_events():
        print(f"  step {failure.step_key} failed: {failure.event_specific_data.error.message.strip()}")
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
