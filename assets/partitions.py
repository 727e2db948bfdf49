"""Partitions: every standard's steps are partitioned by regency, so one asset per step serves every regency
of the catalogue (the graph grows with the standards, not with regencies x datasets) and a walidata sees and
re-runs their own regency's partition. Province publications are partitioned by province.

Months are not partitions: a run merges every month its delivery holds. A walidata re-runs one regency's
months with the warehouse step's `bulan` config (README: operations), which filters the stored batch."""

from datetime import datetime
from pathlib import Path

import dagster as dg
import pandas as pd

from pipelines.catalogue import Province, Regency


def regency_partitions(regencies: list[Regency]) -> dg.StaticPartitionsDefinition:
    return dg.StaticPartitionsDefinition(sorted(r.slug for r in regencies))


def province_partitions(provinces: list[Province]) -> dg.StaticPartitionsDefinition:
    return dg.StaticPartitionsDefinition(sorted(p.slug for p in provinces))


class MonthsConfig(dg.Config):
    """Which months of the stored batch a run merges: empty for all of them (a regular run), `2026-10` for
    one month, `2026-09..2026-10` for a range (a backfill)."""

    bulan: str = ""

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The months as [start, end) on local dates; (None, None) for every month."""
        if not self.bulan.strip():
            return None, None
        first, _, last = self.bulan.strip().partition("..")
        try:
            start = datetime.strptime(first.strip(), "%Y-%m")
            end = datetime.strptime((last or first).strip(), "%Y-%m")
        except ValueError:
            raise dg.Failure(
                f"bulan {self.bulan!r} bukan bulan seperti 2026-10 atau 2026-09..2026-10 / is not a "
                f"month such as 2026-10 or a range such as 2026-09..2026-10",
                allow_retries=False,
            )
        return start, end.replace(year=end.year + end.month // 12, month=end.month % 12 + 1)


def within(staged: Path, field: str, start: datetime | None, end: datetime | None) -> Path | pd.DataFrame:
    """The staged rows whose period lies in [start, end): the Parquet file itself for every month, else only
    that window's rows, read with a filter so the other months never reach memory."""
    if start is None and end is None:
        return staged
    return pd.read_parquet(staged, filters=[(field, ">=", pd.Timestamp(start)), (field, "<", pd.Timestamp(end))])
