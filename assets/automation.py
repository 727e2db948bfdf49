"""Running on its own: per dataset a job, a schedule from the standard's frequency (on the regency's
clock), a sensor on file-drop folders, and alerts on failed runs, failed checks and late agencies.
Scheduled and sensor runs cover every month (assets/periods.py)."""

import hashlib
import json

import dagster as dg

from assets.periods import all_periods
from assets.reference import DATA_INDUK_KEY, EDITION_CHANGES_KEY
from pipelines.alerts import Alert, load_config, send
from pipelines.catalogue import Dataset, Regency
from pipelines.sources.file_drop import deliverable_files
from pipelines.standard import load_standard

# Deliveries are expected in the morning, so runs start at 07:00 local time.
CRON_BY_FREQUENCY = {"Harian": "0 7 * * *", "Mingguan": "0 7 * * 1", "Bulanan": "0 7 1 * *",
                     "Triwulanan": "0 7 1 1,4,7,10 *", "Semesteran": "0 7 1 1,7 *", "Tahunan": "0 7 1 1 *"}
CHECK_FOR_LATE = "tepat_waktu"
CHECK_FOR_QUARANTINE = "memenuhi_standar"


def dataset_job_name(regency: Regency, dataset: Dataset) -> str:
    return f"{regency.slug}_{dataset.name.replace('-', '_')}"


def _drop_signature(options: dict) -> str:
    """Changes whenever a file in the drop folder appears, disappears, grows or is rewritten."""
    files = deliverable_files(options)
    listing = [(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    return hashlib.sha256(json.dumps(listing).encode()).hexdigest()[:16] if listing else ""


def dataset_automation(regency: Regency, dataset: Dataset, months: dg.PartitionsDefinition) -> dg.Definitions:
    standard = load_standard(dataset.schema)
    prefix = [regency.slug, dataset.name.replace("-", "_")]
    chain = dg.AssetSelection.assets(*[dg.AssetKey([*prefix, step]) for step in
                                       ("raw", "staged", "warehouse", "portal")])
    # The standard check also reads the edition changes and Data Induk, which no asset of the chain depends on.
    job = dg.define_asset_job(dataset_job_name(regency, dataset),
                              selection=chain.upstream()
                              | dg.AssetSelection.assets(EDITION_CHANGES_KEY, DATA_INDUK_KEY),
                              tags={"regency": regency.slug, "agency": dataset.agency.slug,
                                    "dataset": f"{regency.slug}/{dataset.name}"},
                              description=f"{standard.title} - {regency.name}")
    cron = dataset.schedule or CRON_BY_FREQUENCY.get(standard.metadata["frekuensi"])
    schedules = [dg.ScheduleDefinition(name=f"{job.name}_schedule", job=job, cron_schedule=cron,
                                       execution_timezone=regency.timezone,
                                       execution_fn=lambda _: dg.RunRequest(tags=all_periods(months)),
                                       default_status=dg.DefaultScheduleStatus.RUNNING)] if cron else []
    sensors = []
    if dataset.source.kind == "file_drop":
        @dg.sensor(name=f"{job.name}_file_drop", job=job, minimum_interval_seconds=60,
                   default_status=dg.DefaultSensorStatus.RUNNING,
                   description=f"Folder unggahan {dataset.agency.name}: berkas baru atau berubah.")
        def file_drop(context: dg.SensorEvaluationContext):
            # A run starts only when the folder looked the same on two ticks in a row, so a file the
            # agency is still uploading is not read half-written.
            cursor = json.loads(context.cursor or "{}")
            now = _drop_signature(dataset.source.options)
            stable = now == cursor.get("seen")
            context.update_cursor(json.dumps({"seen": now, "ran": now if stable and now else cursor.get("ran")}))
            if not now or not stable or now == cursor.get("ran"):
                return dg.SkipReason("tidak ada berkas baru yang sudah lengkap / no new settled files")
            return dg.RunRequest(run_key=now, tags=all_periods(months))
        sensors.append(file_drop)
    return dg.Definitions(jobs=[job], schedules=schedules, sensors=sensors)


def alerts_for_run(instance: dg.DagsterInstance, run: dg.DagsterRun, failure: str | None) -> list[Alert]:
    """What a walidata must hear about one finished run: its failure, quarantined batches, late agencies."""
    alerts = []
    if failure is not None:
        alerts.append(Alert("run_failed", f"Run gagal / run failed: {run.job_name}",
                            f"Run {run.run_id} dari job {run.job_name} gagal.\n\n{failure}",
                            {"run_id": run.run_id, "job": run.job_name}))
    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.dagster_event.event_specific_data
        if evaluation.passed:
            continue
        meta = {k: v.value for k, v in evaluation.metadata.items()}
        target = evaluation.asset_key.to_user_string()
        if evaluation.check_name == CHECK_FOR_LATE:
            alerts.append(Alert("late", f"{meta['agency']} terlambat / is late: {meta['dataset']} ({meta['late_by']})",
                                f"{meta['agency']} ({meta['regency']}) belum mengirim {meta['dataset']} "
                                f"({meta['frequency']}); kiriman baru terakhir: {meta['last_new_delivery']}. "
                                f"{meta['late_by']}.", {"run_id": run.run_id, "asset": target, **meta}))
        elif evaluation.check_name == CHECK_FOR_QUARANTINE:
            alerts.append(Alert("quarantined", f"Data dikarantina / batch quarantined: {target}",
                                f"{meta.get('issues')} temuan / findings. Laporan / report: "
                                f"{meta.get('quarantine_report')}\n\n{meta.get('examples', '')}",
                                {"run_id": run.run_id, "asset": target, "batch": meta.get("batch"),
                                 "issues": meta.get("issues"), "report": str(meta.get("quarantine_report"))}))
        else:
            alerts.append(Alert("check_failed", f"Pemeriksaan gagal / check failed: {target}:{evaluation.check_name}",
                                json.dumps(meta, default=str, indent=2), {"run_id": run.run_id, "asset": target}))
    return alerts


def _deliver(context, failure: str | None) -> None:
    alerts = alerts_for_run(context.instance, context.dagster_run, failure)
    config = load_config()
    for alert in alerts:
        channels = send(alert, config)
        context.log.info(f"{alert.kind}: {alert.subject} -> {channels or 'no channel configured'}")


@dg.run_failure_sensor(name="alert_on_failed_run", default_status=dg.DefaultSensorStatus.RUNNING)
def alert_on_failed_run(context: dg.RunFailureSensorContext):
    _deliver(context, context.failure_event.message or "")


@dg.run_status_sensor(name="alert_on_finished_run", run_status=dg.DagsterRunStatus.SUCCESS,
                      default_status=dg.DefaultSensorStatus.RUNNING)
def alert_on_finished_run(context: dg.RunStatusSensorContext):
    _deliver(context, None)


ALERT_SENSORS = [alert_on_failed_run, alert_on_finished_run]

