"""Running on its own, in proportion to frequencies and source kinds, not to regencies x datasets: one
schedule per (cron, time zone) that requests the regency partitions due, one sensor over the file-drop
folders, one for file drops that fall late, and alerts on failed runs, failed checks and late agencies."""

import hashlib
import json
from collections import defaultdict
from datetime import timedelta

import dagster as dg

from assets.datasets import CHECK_FOR_LATE, CHECK_FOR_QUARANTINE, STEPS, Delivery, asset_key
from assets.reference import DATA_INDUK_KEY, DIMENSIONS_KEY, EDITION_CHANGES_KEY, FROM_FILES, REGIONS_KEY, made_from
from pipelines import settings
from pipelines.raw import RawArchive
from pipelines.sources.file_drop import deliverable_files
from pipelines.stewardship.alerts import Alert, load_config, send
from pipelines.stewardship.daftar_data import release_deadlines
from pipelines.stewardship.freshness import dataset_lateness

# Deliveries are expected in the morning, so runs start at 07:00 local time.
CRON_BY_FREQUENCY = {
    "Harian": "0 7 * * *",
    "Mingguan": "0 7 * * 1",
    "Bulanan": "0 7 1 * *",
    "Triwulanan": "0 7 1 1,4,7,10 *",
    "Semesteran": "0 7 1 1,7 *",
    "Tahunan": "0 7 1 1 *",
}
ZONE_NAMES = {"Asia/Jakarta": "wib", "Asia/Makassar": "wita", "Asia/Jayapura": "wit"}
# What a regency's run reads besides its datasets' chains (the standard check's reference inputs).
REFERENCE_KEYS = (REGIONS_KEY, EDITION_CHANGES_KEY, DATA_INDUK_KEY, DIMENSIONS_KEY)


def regency_run(
    slug: str, deliveries: list[Delivery], reference: list[dg.AssetKey], run_key: str | None = None
) -> dg.RunRequest:
    """One run of the main job for one regency's partition, over the chains of the datasets given and the
    `reference` steps (`reference_steps`, asked once for all the runs a tick requests)."""
    keys = [asset_key(d.standard.name, step) for d in deliveries for step in STEPS]
    return dg.RunRequest(
        run_key=run_key,
        partition_key=slug,
        asset_selection=[*keys, *reference],
        tags={"regency": slug, "datasets": ",".join(sorted(d.dataset.name for d in deliveries))},
    )


def reference_steps(instance: dg.DagsterInstance) -> list[dg.AssetKey]:
    """The reference steps a regency's run includes: the conformed dimensions always (they compare with the
    warehouse itself: 0.2-0.6 s as a step when nothing changed), the others only when the files they are made
    from changed since their stored output was made; otherwise the run reads that output and pays nothing."""
    signature = made_from()
    for reference_key in FROM_FILES:
        event = instance.get_latest_materialization_event(reference_key)
        made = event.asset_materialization.metadata.get("made_from") if event and event.asset_materialization else None
        if made is None or made.value != signature:
            return [*FROM_FILES, DIMENSIONS_KEY]
    return [DIMENSIONS_KEY]


def cron_of(delivery: Delivery) -> str | None:
    """A dataset's own `schedule:`, else its standard's frequency; None for datasets nobody schedules."""
    return delivery.dataset.schedule or CRON_BY_FREQUENCY.get(delivery.standard.metadata["frekuensi"])


def _last_new_delivery(delivery: Delivery) -> tuple[str, bool]:
    """When the dataset last brought something new (or `never`), and whether it is late now."""
    manifest = RawArchive(settings.state_dir() / "raw").manifest(delivery.regency.slug, delivery.dataset.name)
    last, late = dataset_lateness(
        manifest,
        delivery.standard.metadata["frekuensi"],
        delivery.dataset.grace_hours,
        release_deadlines(delivery.regency, delivery.dataset.name),
    )
    return (last.isoformat() if last else "never"), late is not None and late > timedelta(0)


def _scheduled(delivery: Delivery) -> bool:
    """Sources that must be asked (URLs, APIs, databases, registers) run on their frequency's schedule, and
    so does a dataset with its own `schedule:`. A file drop runs when files arrive (`berkas_masuk`) or when
    it falls late (`opd_terlambat`), so a day without deliveries starts no dataset run."""
    return delivery.source_kind != "file_drop" or bool(delivery.dataset.schedule)


def schedules(deliveries: list[Delivery], job: dg.JobDefinition) -> list[dg.ScheduleDefinition]:
    groups: dict[tuple[str, str], list[Delivery]] = defaultdict(list)
    for delivery in filter(_scheduled, deliveries):
        if cron := cron_of(delivery):
            groups[(cron, delivery.regency.timezone)].append(delivery)
    return [_schedule(cron, zone, members, job) for (cron, zone), members in sorted(groups.items())]


def _schedule_name(cron: str, zone: str) -> str:
    frequency = next((f for f, c in CRON_BY_FREQUENCY.items() if c == cron), None)
    label = frequency.lower() if frequency else f"jadwal_{hashlib.sha256(cron.encode()).hexdigest()[:6]}"
    return f"{label}_{ZONE_NAMES.get(zone, zone.split('/')[-1].lower())}"


def _schedule(cron: str, zone: str, members: list[Delivery], job: dg.JobDefinition) -> dg.ScheduleDefinition:
    by_regency: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in members:
        by_regency[delivery.regency.slug].append(delivery)

    def requests(context: dg.ScheduleEvaluationContext):
        reference = reference_steps(context.instance)
        for slug, found in sorted(by_regency.items()):
            yield regency_run(slug, found, reference, run_key=slug)

    return dg.ScheduleDefinition(
        name=_schedule_name(cron, zone),
        job=job,
        cron_schedule=cron,
        execution_timezone=zone,
        execution_fn=requests,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"{cron} ({zone}): {len(by_regency)} kabupaten/kota, {len(members)} dataset",
    )


def _drop_signature(options: dict) -> str:
    """Changes whenever a file in the drop folder appears, disappears, grows or is rewritten; empty for an
    empty or missing folder (the raw step names a missing folder when it runs)."""
    try:
        files = deliverable_files(options)
    except FileNotFoundError:
        return ""
    listing = [(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    return hashlib.sha256(json.dumps(listing).encode()).hexdigest()[:16] if listing else ""


def file_drop_sensor(deliveries: list[Delivery], job: dg.JobDefinition) -> dg.SensorDefinition:
    """One sensor over every file-drop folder of the code location: a run per regency whose folders hold new
    files that looked the same on two ticks in a row (so a file still being uploaded is not read half-written)."""
    drops = [d for d in deliveries if d.source_kind == "file_drop"]

    @dg.sensor(
        name="berkas_masuk",
        job=job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Folder unggahan OPD ({len(drops)} dataset): berkas baru atau berubah / new or "
        f"changed files in the agencies' drop folders.",
    )
    def berkas_masuk(context: dg.SensorEvaluationContext):
        cursor = json.loads(context.cursor or "{}")
        ready: dict[str, list[Delivery]] = defaultdict(list)
        for delivery in drops:
            key = f"{delivery.regency.slug}/{delivery.dataset.name}"
            seen, ran = cursor.get(key, ["", ""])
            now = _drop_signature(delivery.dataset.source.options)
            stable = now == seen
            if stable and now and now != ran:
                ready[delivery.regency.slug].append(delivery)
                ran = now
            if now or ran:
                cursor[key] = [now, ran]
            else:
                cursor.pop(key, None)
        context.update_cursor(json.dumps(cursor, sort_keys=True))
        if not ready:
            return dg.SkipReason("tidak ada berkas baru yang sudah lengkap / no new settled files")
        reference = reference_steps(context.instance)
        return [
            regency_run(
                slug,
                found,
                reference,
                run_key=f"{slug}:"
                + hashlib.sha256(json.dumps([cursor[f"{slug}/{d.dataset.name}"] for d in found]).encode()).hexdigest()[
                    :16
                ],
            )
            for slug, found in sorted(ready.items())
        ]

    return berkas_masuk


def late_agency_sensor(deliveries: list[Delivery], job: dg.JobDefinition) -> dg.SensorDefinition:
    """A file drop that falls late gets one run per lateness (its `tepat_waktu` check fails and the walidata
    is alerted, as for any run), not one a day: the cursor remembers which lateness was already reported."""
    drops = [d for d in deliveries if d.source_kind == "file_drop" and not d.dataset.schedule]

    @dg.sensor(
        name="opd_terlambat",
        job=job,
        minimum_interval_seconds=3600,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"OPD yang terlambat mengirim ({len(drops)} dataset unggahan) / agencies whose file "
        f"drops are late.",
    )
    def opd_terlambat(context: dg.SensorEvaluationContext):
        reported = json.loads(context.cursor or "{}")
        late: dict[str, list[Delivery]] = defaultdict(list)
        for delivery in drops:
            key = f"{delivery.regency.slug}/{delivery.dataset.name}"
            last, is_late = _last_new_delivery(delivery)
            if is_late and reported.get(key) != last:
                late[delivery.regency.slug].append(delivery)
                reported[key] = last
            elif not is_late:
                reported.pop(key, None)
        context.update_cursor(json.dumps(reported, sort_keys=True))
        if not late:
            return dg.SkipReason("tidak ada OPD yang baru terlambat / no agency newly late")
        reference = reference_steps(context.instance)
        return [
            regency_run(
                slug,
                found,
                reference,
                run_key=f"{slug}:terlambat:"
                + ",".join(f"{d.dataset.name}@{reported[f'{slug}/{d.dataset.name}']}" for d in found),
            )
            for slug, found in sorted(late.items())
        ]

    return opd_terlambat


def alerts_for_run(instance: dg.DagsterInstance, run: dg.DagsterRun, failure: str | None) -> list[Alert]:
    """What a walidata must hear about one finished run: its failure, quarantined batches, late agencies."""
    alerts = []
    if failure is not None:
        alerts.append(
            Alert(
                "run_failed",
                f"Run gagal / run failed: {run.job_name}",
                f"Run {run.run_id} dari job {run.job_name} gagal.\n\n{failure}",
                {"run_id": run.run_id, "job": run.job_name},
            )
        )
    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.dagster_event.event_specific_data
        if evaluation.passed:
            continue
        meta = {k: v.value for k, v in evaluation.metadata.items()}
        target = evaluation.asset_key.to_user_string()
        if evaluation.check_name == CHECK_FOR_LATE:
            alerts.append(
                Alert(
                    "late",
                    f"{meta['agency']} terlambat / is late: {meta['dataset']} ({meta['late_by']})",
                    f"{meta['agency']} ({meta['regency']}) belum mengirim {meta['dataset']} "
                    f"({meta['frequency']}); kiriman baru terakhir: {meta['last_new_delivery']}. "
                    f"{meta['late_by']}.",
                    {"run_id": run.run_id, "asset": target, **meta},
                )
            )
        elif evaluation.check_name == CHECK_FOR_QUARANTINE:
            alerts.append(
                Alert(
                    "quarantined",
                    f"Data dikarantina / batch quarantined: {target}",
                    f"{meta.get('issues')} temuan / findings. Laporan / report: "
                    f"{meta.get('quarantine_report')}\n\n{meta.get('examples', '')}",
                    {
                        "run_id": run.run_id,
                        "asset": target,
                        "batch": meta.get("batch"),
                        "issues": meta.get("issues"),
                        "report": str(meta.get("quarantine_report")),
                    },
                )
            )
        else:
            alerts.append(
                Alert(
                    "check_failed",
                    f"Pemeriksaan gagal / check failed: {target}:{evaluation.check_name}",
                    json.dumps(meta, default=str, indent=2),
                    {"run_id": run.run_id, "asset": target},
                )
            )
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


@dg.run_status_sensor(
    name="alert_on_finished_run", run_status=dg.DagsterRunStatus.SUCCESS, default_status=dg.DefaultSensorStatus.RUNNING
)
def alert_on_finished_run(context: dg.RunStatusSensorContext):
    _deliver(context, None)


ALERT_SENSORS = [alert_on_failed_run, alert_on_finished_run]
