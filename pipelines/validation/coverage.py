"""Partial deliveries: which days (a daily dataset) or months (a monthly one) of a file's reported period
hold no row. A gap is said, not refused: a market closed on Sunday or a month without a flood is real, so
the clerk and the walidata read the gaps beside the verdict (self-check, the check's metadata in Dagster)
and decide whether a delivery is missing. Days after `today` are not owed yet."""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from pipelines.sql import ident
from pipelines.standard import Standard
from pipelines.standard.indonesian import MONTHS
from pipelines.standard.period import Period
from pipelines.validation import file_periods
from pipelines.validation.rows import check_connection

# The standard's frequency -> the unit a delivery must cover. Weekly and rarer datasets deliver one row per
# period (nothing finer to miss).
UNITS = {"Harian": "day", "Bulanan": "month"}


@dataclass(frozen=True)
class Gap:
    file: str
    period: Period
    missing: list[date]  # the first day of each missing unit
    unit: str  # day / month

    def __str__(self) -> str:
        unit_id, unit_en = ("tanggal", "days") if self.unit == "day" else ("bulan", "months")
        return (
            f"{self.file}: periode {self.period} belum lengkap, tidak ada data untuk {unit_id} "
            f"{_spans(self.missing, self.unit, _label_id, 's.d.')} / period {self.period} incomplete, no data "
            f"for the {unit_en} {_spans(self.missing, self.unit, _label_en, 'to')}"
        )


def _label_id(day: date, unit: str) -> str:
    month = MONTHS[day.month][0].capitalize()
    return f"{day.day} {month} {day.year}" if unit == "day" else f"{month} {day.year}"


def _label_en(day: date, unit: str) -> str:
    return day.isoformat() if unit == "day" else day.strftime("%Y-%m")


def _next(day: date, unit: str) -> date:
    return day + timedelta(days=1) if unit == "day" else (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _spans(units: list[date], unit: str, label, joiner: str) -> str:
    """`1 Oktober 2026 s.d. 3 Oktober 2026, 9 Oktober 2026`: consecutive units joined, as a clerk writes them."""
    spans: list[list[date]] = []
    for day in units:
        if spans and _next(spans[-1][-1], unit) == day:
            spans[-1].append(day)
        else:
            spans.append([day])
    return ", ".join(
        label(s[0], unit) if len(s) == 1 else f"{label(s[0], unit)} {joiner} {label(s[-1], unit)}" for s in spans
    )


def _expected(period: Period, unit: str, today: date) -> list[date]:
    first = period.start if unit == "day" else period.start.replace(day=1)
    found = []
    while first <= min(period.end, today):
        found.append(first)
        first = _next(first, unit)
    return found


def gaps(
    rows: pd.DataFrame | Path, standard: Standard, fallback: Period | None = None, today: date | None = None
) -> list[Gap]:
    """The missing days or months of each file of the batch in its reported period (its name's, else the
    catalogue's `fallback`); a file without rows is the parser's `no-data-rows` finding, not a gap."""
    unit = UNITS.get(str(standard.metadata.get("frekuensi")))
    if unit is None or standard.period_field is None:
        return []
    today = today or date.today()
    column = ident(standard.period_field)
    connection = check_connection()
    try:
        connection.register("batch", rows if isinstance(rows, pd.DataFrame) else connection.read_parquet(str(rows)))
        present: dict[str, set[date]] = {}
        for file, first in connection.sql(
            f"SELECT DISTINCT _source_file, CAST(date_trunc('{unit}', {column}) AS DATE) "
            f"FROM batch WHERE {column} IS NOT NULL"
        ).fetchall():
            present.setdefault(file, set()).add(first)
    finally:
        connection.close()
    found = []
    for file, (period, _) in sorted(file_periods(present, standard, fallback).items()):
        missing = [u for u in _expected(period, unit, today) if u not in present[file]]
        if missing:
            found.append(Gap(file, period, missing, unit))
    return found
