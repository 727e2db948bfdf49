"""Runs whose process died without reporting (killed, out of memory, a full disk) would stay STARTED in the
instance for ever, shown as running in the UI. On one machine (Dagster's default run launcher, `make demo`)
the process of a run is the one that logged its start; when it is gone, the run is marked failed, which the
failure alert then reports. Deployments that run steps on other machines (celery, Kubernetes) use Dagster's
own run monitoring instead (`deploy/dagster.yaml`)."""

import os

import dagster as dg

MESSAGE = (
    "Proses run berhenti tanpa melapor (dimatikan, kehabisan memori atau disk penuh); tidak ada yang "
    "setengah terbit: jalankan ulang / the run's process ended without reporting (killed, out of memory or "
    "a full disk); nothing is half-published: run it again"
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user
        return True
    return True


def mark_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed every STARTED run whose process is gone; returns their run ids."""
    if not isinstance(instance.run_launcher, dg.DefaultRunLauncher):
        return []
    dead = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        started = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_START)
        pid = started[0].dagster_event.pid if started else None
        if pid is not None and not _alive(pid):
            instance.report_run_failed(run, MESSAGE)
            dead.append(run.run_id)
    return dead


@dg.sensor(
    name="runs_without_a_process",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Run yang prosesnya mati ditandai gagal / runs whose process died are marked failed.",
)
def runs_without_a_process(context: dg.SensorEvaluationContext):
    dead = mark_dead_runs(context.instance)
    return dg.SkipReason(
        f"{len(dead)} run ditandai gagal / marked failed: {', '.join(dead)}"
        if dead
        else "semua run yang berjalan masih hidup / every started run is alive"
    )
