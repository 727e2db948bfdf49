"""Run the pipeline once on this machine's Dagster instance (DAGSTER_HOME), so the runs show in the UI
afterwards, and print what a walidata needs to know: per regency, asset and check, what happened.

    python -m assets.run

One run of the main job per regency partition (its datasets, every month their deliveries hold), then one
run per province whose regencies merged something, as the schedules and sensors would, and, when the
catalogue holds a Daftar Data, one run of its statuses and one of the compliance scorecard. A dataset whose
drop folder holds the files last published, or none, is left out, and a regency with nothing else starts no
run."""

import gc

# The modules below make a few hundred thousand objects that live as long as the process; the cyclic garbage
# collector would scan them over and over while they load (a third of the start-up). It waits until they
# are loaded, and then leaves them out of its scans (`gc.freeze`).
gc.disable()

import logging
import sys
from dataclasses import dataclass, field

import dagster as dg

from assets.automation import reference_steps, regency_run
from assets.daftar_data import JOB as DAFTAR_DATA_JOB
from assets.datasets import asset_key
from assets.dead_runs import mark_dead_runs
from assets.definitions import MAIN_JOB, PROVINCE_JOB, build_definitions, deliveries_of
from assets.scorecard import JOB as SCORECARD_JOB
from pipelines import settings, sources
from pipelines.catalogue import load_catalogue, load_portals
from pipelines.disk import disk_full
from pipelines.publish.province import members
from pipelines.stewardship import daftar_data

gc.freeze()
gc.enable()

# The terminal gets the report below, step by step in a walidata's words; Dagster's own lines (a failed step's
# traceback among them) stay in the run's log in the UI.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class CatalogueRun:
    """The runs of one pass over the catalogue, read as one, and the datasets (by regency) whose drop folder
    held nothing new, for which no run started."""

    results: list[dg.ExecuteInProcessResult] = field(default_factory=list)
    unchanged: dict[str, list[str]] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    @property
    def run_id(self) -> str:
        """The run's id, for a pass that made exactly one run (a catalogue of one regency)."""
        [result] = self.results
        return result.run_id

    @property
    def all_events(self) -> list[dg.DagsterEvent]:
        return [e for r in self.results for e in r.all_events]

    def get_asset_materialization_events(self) -> list[dg.DagsterEvent]:
        return [e for r in self.results for e in r.get_asset_materialization_events()]

    def get_asset_check_evaluations(self) -> list:
        return [e for r in self.results for e in r.get_asset_check_evaluations()]

    def get_step_failure_events(self) -> list[dg.DagsterEvent]:
        return [e for r in self.results for e in r.get_step_failure_events()]

    @property
    def only_quarantined(self) -> bool:
        """Whether every failed step is a standard check that held its batch back: the pipeline did its job
        (the batch waits for its agency or a walidata, with its report), nothing broke."""
        return all(r.success or _only_quarantined(r) for r in self.results)


def _quarantined(failure: dg.DagsterEvent) -> bool:
    """A step failure that is a blocking standard check holding its batch back."""
    return failure.event_specific_data.error.cls_name == "DagsterAssetCheckFailedError"


def _only_quarantined(result: dg.ExecuteInProcessResult) -> bool:
    """A failed run whose every failed step held a batch back (a run that failed otherwise has other failures,
    or none at all when it failed before its steps)."""
    failures = result.get_step_failure_events()
    return bool(failures) and all(map(_quarantined, failures))


def run_catalogue(
    instance: dg.DagsterInstance, defs: dg.Definitions | None = None, run_config: dict | None = None
) -> CatalogueRun:
    defs = defs or build_definitions()
    regencies = load_catalogue().regencies
    deliveries = deliveries_of(regencies)
    job = defs.resolve_job_def(MAIN_JOB)
    done = CatalogueRun()
    memos = settings.state_dir() / "sources"
    for regency in regencies:
        mine = [d for d in deliveries if d.regency.slug == regency.slug]
        # A drop folder with the files last published is nothing new, known without a run (as the file-drop
        # sensor knows it): only process start is paid for it, not a run's planning, events and steps.
        unchanged = [
            d for d in mine if sources.delivered_already(d.dataset.source, memos / regency.slug / d.dataset.name)
        ]
        if unchanged:
            done.unchanged[regency.slug] = [d.dataset.name for d in unchanged]
        mine = [d for d in mine if d not in unchanged]
        if not mine:
            continue
        request = regency_run(regency.slug, mine, reference_steps(instance))  # the run before may have made them
        done.results.append(
            job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                partition_key=regency.slug,
                tags=request.tags,
                asset_selection=list(request.asset_selection),
                run_config=run_config,
            )
        )
    merged = {
        (e.asset_key.path[-2], e.partition)
        for e in done.get_asset_materialization_events()
        if e.asset_key.path[-1] == "warehouse"
    }
    for province in [p.province for p in load_portals().values() if p.province]:
        slugs = {r.slug for r in members(province, regencies)}
        standards = sorted({name for name, slug in merged if slug in slugs})
        if standards:
            done.results.append(
                defs.resolve_job_def(PROVINCE_JOB).execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    partition_key=province.slug,
                    run_config=run_config,
                    tags={"province": province.slug},
                    asset_selection=[asset_key(s, "provinsi") for s in standards],
                )
            )
    # The Daftar Data's statuses and the scorecard the Forum reads follow what the runs above did; when nothing
    # ran, nothing moved (a due date passing is the nightly schedules': daftar_data_harian, kepatuhan_opd_harian).
    if done.results and any((settings.catalogue_dir() / daftar_data.FOLDER).glob("*.yaml")):
        for forum_job in (DAFTAR_DATA_JOB, SCORECARD_JOB):
            done.results.append(
                defs.resolve_job_def(forum_job).execute_in_process(
                    instance=instance, raise_on_error=False, run_config=run_config
                )
            )
    return done


def main() -> int:
    try:
        return _run_and_report()
    except Exception as error:
        # The local Dagster instance lives in the state folder: a full disk stops the run's own bookkeeping.
        if full := disk_full(error):
            print(f"\nGAGAL / FAILED: {full}", file=sys.stderr)
            return 1
        raise


def _run_and_report() -> int:
    # A dataset with nothing new skips its steps, its blocking check included, and Dagster warns that the
    # (equally skipped) steps after it "will proceed without gating": true, and nothing a walidata must act on.
    logging.getLogger("dagster._core.execution.plan.active").setLevel(logging.ERROR)
    with dg.DagsterInstance.get() as instance:
        for run_id in mark_dead_runs(instance):  # an earlier run killed mid-way must not show as running
            print(f"Run {run_id}: prosesnya mati, ditandai gagal / its process died, marked failed")
        # Step logs stay in the instance for the UI; the terminal gets the summary below.
        done = run_catalogue(instance, run_config=QUIET)
    for slug, names in done.unchanged.items():
        print(f"\n{slug}: tidak ada kiriman baru, tanpa run / nothing new, no run: {', '.join(names)}")
    for result in done.results:
        print(_report(result))
    if done.success:
        print(f"\nBERHASIL / SUCCESS: {len(done.results)} run")
    elif done.only_quarantined:
        print(
            f"\nBERHASIL, DENGAN KARANTINA / SUCCESS, WITH QUARANTINE: {len(done.results)} run; kiriman yang "
            f"tidak memenuhi standar ditahan dan dikembalikan ke OPD dengan laporannya (di atas) / deliveries that "
            f"fail their standard are held and returned to their agency with the report named above"
        )
    else:
        print(f"\nGAGAL / FAILED: {len(done.results)} run")
    return 0 if done.success or done.only_quarantined else 1


def _report(result: dg.ExecuteInProcessResult) -> str:
    run = result.dagster_run
    where = run.tags.get("regency") or run.tags.get("province") or run.job_name
    failures = result.get_step_failure_events()
    verdict = (
        "BERHASIL / SUCCESS"
        if result.success
        else "BERHASIL, DENGAN KARANTINA / SUCCESS, WITH QUARANTINE"
        if _only_quarantined(result)
        else "GAGAL / FAILED"
    )
    lines = [f"\n{where}: run {result.run_id}: {verdict}"]
    for event in result.get_asset_check_evaluations():
        late = event.metadata.get("late_by")
        status = (
            "lulus / passed"
            if event.passed
            else f"PERINGATAN / WARNING{f': {late.value}' if late else ''}"
            if event.severity == dg.AssetCheckSeverity.WARN
            else "GAGAL / FAILED"
        )
        report = event.metadata.get("quarantine_report")
        lines.append(
            f"  check {event.asset_key.to_user_string()}:{event.check_name}: {status}"
            + (f" -> karantina / quarantine: {report.value}" if report else "")
        )
    materialized = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
    for key, meta in materialized.items():
        if key.path[-1] in ("raw", "staged", "warehouse", "portal", "provinsi"):  # not the shared reference steps
            lines.append(f"  asset {key.to_user_string()}{_summary(key.path[-1], meta)}")
    failed_steps = {f.step_key for f in failures}
    for key in run.asset_selection or ():
        if key.path[-1] == "raw" and key not in materialized and "__".join(key.path) not in failed_steps:
            lines.append(f"  asset {key.to_user_string()}: tidak ada kiriman baru / nothing new")
    # A quarantine is named with its report among the checks above; only what broke is listed as failed.
    for failure in (f for f in failures if not _quarantined(f)):
        lines.append(f"  step {failure.step_key} gagal / failed: {_cause(failure.event_specific_data.error)}")
    return "\n".join(lines)


def _cause(error) -> str:
    """The step's own reason: Dagster's wrappers ("Exceeded max_retries of 3", "Error occurred while
    executing op") hide it in the error's cause or context."""
    while (error.cause or error.context) and (
        "max_retries" in error.message or "Error occurred while executing" in error.message
    ):
        error = error.cause or error.context
    first = error.message.strip().splitlines()[0] if error.message.strip() else error.cls_name or "?"
    qualified, _, message = first.partition(": ")  # "pipelines.sources.delivery.SourceError: ..." -> "..."
    return message if error.cls_name and qualified.endswith(error.cls_name) and message else first


def _summary(step: str, meta: dict) -> str:
    """One line per step a walidata reads: what was pulled, merged or published."""
    value = {k: v.value for k, v in meta.items()}
    if step == "raw":
        return f": {len(value['files'])} berkas / files, {value['bytes']:,} bytes"
    if step == "staged":
        return f": {value['dagster/row_count']:,} baris / rows"
    if step == "warehouse":
        return (
            f": baru / new {value['inserted']}, berubah / updated {value['updated']}, "
            f"dihapus / deleted {value.get('deleted', 0)}, sama / unchanged {value['unchanged']}"
        )
    if "published" in value:  # the Daftar Data: one dataset per regency and year
        return ": " + ", ".join(value["published"].values())
    if step in ("portal", "provinsi") and "url" in value:
        sent = (
            f", baris dikirim / rows sent {value['rows_sent']}, dihapus / deleted {value['rows_deleted']}"
            if value.get("changed") and "rows_sent" in value
            else ""
        )
        return f": {value['url']} (berubah / changed: {value['changed']}{sent}, API writes: {value['api_writes']})"
    if step == "portal":
        return f": {value['publication_status']} (menunggu persetujuan / waiting for approval)"
    return ""


if __name__ == "__main__":
    sys.exit(main())
