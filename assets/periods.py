"""Periods: a dataset's warehouse step is partitioned by calendar month of each row's period, so a walidata
can re-run one regency's one month (a backfill) and leave every other month and regency as it is.
Regular runs (schedules, sensors, `assets.run`) cover every month in one run."""

from datetime import datetime
from pathlib import Path

import dagster as dg
import pandas as pd

# Dagster's run tags for a run over a range of partitions (what a single-run backfill launches).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def monthly_periods(config: dict) -> dg.MonthlyPartitionsDefinition:
    """One partition per calendar month from `periods.first_month` of pipeline.yaml; the month still
    running is a partition too (end_offset=1), as today's deliveries belong to it."""
    return dg.MonthlyPartitionsDefinition(start_date=config["periods"]["first_month"], fmt="%Y-%m", end_offset=1)


def all_periods(months: dg.PartitionsDefinition) -> dict[str, str]:
    """Run tags for a run over every month up to the current one."""
    keys = months.get_partition_keys()
    return {RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]}


def run_bounds(context: dg.AssetExecutionContext,
               months: dg.TimeWindowPartitionsDefinition) -> tuple[datetime | None, datetime | None]:
    """The run's months as [start, end) on the regency's local dates (None: open). A run without months
    (an ad-hoc run of a dataset's job) takes every row; the first month also takes rows dated before it and
    the current month rows dated after it, so a run over every month never leaves a row behind."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return None, None
    keys = months.get_partition_keys()
    selected, window = context.partition_key_range, context.partition_time_window
    # Partition windows are in UTC; row periods are local calendar dates, compared without a zone.
    start = None if selected.start == keys[0] else window.start.replace(tzinfo=None)
    end = None if selected.end == keys[-1] else window.end.replace(tzinfo=None)
    return start, end


def within(staged: Path, field: str, start: datetime | None, end: datetime | None) -> Path | pd.DataFrame:
    """The staged rows whose period lies in [start, end): the Parquet file itself when the run covers every
    month, else only that window's rows, read with a filter so the other months never reach memory."""
    if start is None and end is None:
        return staged
    bounds = ([(field, ">=", pd.Timestamp(start))] if start is not None else []) \
        + ([(field, "<", pd.Timestamp(end))] if end is not None else [])
    return pd.read_parquet(staged, filters=bounds)
