"""Is an agency late? Each dataset's frequency (from its standard) says how often something new should
arrive; the raw archive's manifest says when new content last did."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

EXPECTED_EVERY = {"Harian": timedelta(days=1), "Mingguan": timedelta(days=7), "Bulanan": timedelta(days=31),
                  "Triwulanan": timedelta(days=92), "Semesteran": timedelta(days=183),
                  "Tahunan": timedelta(days=366)}   # Ad-hoc datasets have no expected delivery


def last_new_delivery(manifest: Path) -> datetime | None:
    """When content not seen before last arrived: the first pull of each distinct sha256, newest of those."""
    if not manifest.exists():
        return None
    first_seen: dict[str, str] = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        first_seen.setdefault(record["sha256"], record["pulled_at"])
    return max(datetime.fromisoformat(t) for t in first_seen.values()) if first_seen else None


def lateness(last: datetime | None, frequency: str, grace: timedelta, now: datetime | None = None
             ) -> timedelta | None:
    """How late the next delivery is (zero or less: on time); None when nothing is expected."""
    if frequency not in EXPECTED_EVERY:
        return None
    now = now or datetime.now(timezone.utc)
    if last is None:
        return timedelta.max  # never delivered
    return now - (last + EXPECTED_EVERY[frequency] + grace)


def describe(late: timedelta) -> str:
    if late == timedelta.max:
        return "belum pernah mengirim / never delivered"
    hours = late.total_seconds() / 3600
    return f"terlambat {hours:.0f} jam / {hours:.0f} hours late" if hours < 48 else \
        f"terlambat {hours / 24:.0f} hari / {hours / 24:.0f} days late"


def dataset_lateness(manifest: Path, frequency: str, grace_hours: float) -> tuple[datetime | None, timedelta | None]:
    """When a dataset's last new content arrived, and how late the next delivery is (see `lateness`)."""
    last = last_new_delivery(manifest)
    return last, lateness(last, frequency, timedelta(hours=grace_hours))
