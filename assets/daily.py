"""A step of its own that runs every day: its job and its schedule on Jakarta's clock (the Daftar Data's
statuses, the compliance scorecard, the raw archive's retention)."""

import dagster as dg


def daily(asset: dg.AssetsDefinition, job: str, description: str, schedule: str, at: str) -> dg.Definitions:
    """`at`: the cron time of day, e.g. `15 0 * * *` (00:15 WIB is 01:15 WITA and 02:15 WIT)."""
    asset_job = dg.define_asset_job(job, selection=[asset], description=description)
    return dg.Definitions(
        assets=[asset],
        jobs=[asset_job],
        schedules=[
            dg.ScheduleDefinition(
                name=schedule,
                job=asset_job,
                cron_schedule=at,
                execution_timezone="Asia/Jakarta",
                default_status=dg.DefaultScheduleStatus.RUNNING,
            )
        ],
    )
