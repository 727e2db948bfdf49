"""Is an agency late? The release schedule of the regency's Daftar Data (pipelines/stewardship/daftar_data.py) says when
each period is due, else the dataset's frequency (from its standard) says how often something new should
arrive; the raw archive's manifest says when new content last did."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

EXPECTED_EVERY = {
    "Harian": timedelta(days=1),
    "Mingguan": timedelta(days=7),
    "Bulanan": timedelta(days=31),
    "Triwulanan": timedelta(days=92),
    "Semesteran": timedelta(days=183),
    "Tahunan": timedelta(days=366),
}  # Ad-hoc datasets have no expected delivery


def last_new_delivery(manifest: Path) -> datetime | None:
    """When content not seen before last arrived: the first pull of each distinct sha256, newest of those."""
    if not manifest.exists():
        return None
    first_seen: dict[str, str] = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        first_seen.setdefault(record["sha256"], record["pulled_at"])
    return max(datetime.fromisoformat(t) for t in first_seen.values()) if first_seen else None


def lateness(last: datetime | None, frequency: str, grace: timedelta, now: datetime | None = None) -> timedelta | None:
    """How late the next delivery is (zero or less: on time); None when nothing is expected."""
    if frequency not in EXPECTED_EVERY:
        return None
    now = now or datetime.now(timezone.utc)
    if last is None:
        return timedelta.max  # never delivered
    return now - (last + EXPECTED_EVERY[frequency] + grace)


def schedule_lateness(
    last: datetime | None, schedule: list[tuple[datetime, datetime]], now: datetime | None = None
) -> timedelta | None:
    """How late the first release of a schedule not yet met is (zero or less: on time); None when every release
    is met. Each release is (when its period's last day begins, when its due date is over): new content
    arriving from its period's last day on meets it."""
    now = now or datetime.now(timezone.utc)
    unmet = [due for closes, due in schedule if last is None or last < closes]
    if not unmet:
        return None
    if last is None and min(unmet) <= now:
        return timedelta.max  # never delivered, and already due
    return now - min(unmet)


def describe(late: timedelta) -> str:
    if late == timedelta.max:
        return "belum pernah mengirim / never delivered"
    hours = late.total_seconds() / 3600
    return (
        f"terlambat {hours:.0f} jam / {hours:.0f} hours late"
        if hours < 48
        else f"terlambat {hours / 24:.0f} hari / {hours / 24:.0f} days late"
    )


def dataset_lateness(
    manifest: Path, frequency: str, grace_hours: float, schedule: list[tuple[datetime, datetime]] | None = None
) -> tuple[datetime | None, timedelta | None]:
    """When a dataset's last new content arrived, and how late the next delivery is: against its release
    schedule when the Daftar Data gives one (`schedule_lateness`), else its frequency (`lateness`)."""
    last = last_new_delivery(manifest)
    if schedule:
        return last, schedule_lateness(last, schedule)
    return last, lateness(last, frequency, timedelta(hours=grace_hours))
