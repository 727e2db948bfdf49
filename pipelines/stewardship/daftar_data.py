"""The yearly Daftar Data: the list of data a regency's Forum Satu Data agreed to produce, each entry with its
producer (OPD), standard, frequency, release schedule (jadwal rilis), priority and the Forum decision it came
from; and each entry's status at a given moment, from what the pipeline recorded.

The walidata keeps one file per regency and year, `catalogue/daftar-data/<regency>-<year>.yaml`, checked as
strictly as the catalogue (an unknown key, a dataset the regency's catalogue lacks, a period outside the year is
refused naming file and key). This module reads no pipeline state itself: `Events` carries what happened to an
entry's dataset (read by `assets/daftar_data.py`), and `entry_status` turns it into the Forum's status."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import pandas as pd
from pydantic import BeforeValidator, Field

from pipelines.catalogue import Regency, _period, _read_yaml, _refuse, _Strict, _validated
from pipelines.settings import catalogue_dir, schemas_dir
from pipelines.standard import Frequency
from pipelines.standard.period import Period

FOLDER = "daftar-data"
FILE_NAME = re.compile(r"^(?P<regency>[a-z0-9_]+)-(?P<year>\d{4})\.yaml$")

# The stages of an entry through the year, in Bahasa Indonesia with their English labels.
STATUSES = {
    "direncanakan": "planned",
    "terkumpul": "collected",
    "diperiksa": "checked",
    "dikembalikan": "returned to the agency",
    "terbit": "published",
    "terlambat": "late",
}
REASONS_SHOWN = 5  # findings of a quarantine report named in the published list; the report has them all


# --- the file -----------------------------------------------------------------------------------------------


class _Release(_Strict):
    period: Annotated[Period, BeforeValidator(_period)]  # e.g. 2026-10, TW1 2026, 2026
    due: date  # the last day its data may reach the portal


class _Entry(_Strict):
    dataset: str  # a dataset of the regency's catalogue
    agency: str  # its producer (OPD), as the catalogue names it
    standard: str  # name/version: the catalogue's standard, in the version the Forum agreed
    frequency: Frequency
    priority: bool = False  # a priority dataset of the Forum
    decision: str = Field(min_length=1)  # the Forum decision (berita acara, item) the entry came from
    release_schedule: list[_Release] = []


class _DaftarDataFile(_Strict):
    regency: str
    year: int = Field(ge=2000, le=2100)
    agreed_on: date  # the Forum's meeting
    entries: list[_Entry] = Field(min_length=1)


@dataclass(frozen=True)
class Release:
    period: Period
    due: date


@dataclass(frozen=True)
class Entry:
    dataset: str
    agency: str
    standard: str
    frequency: str
    priority: bool
    decision: str
    release_schedule: tuple[Release, ...]


@dataclass(frozen=True)
class DaftarData:
    regency: Regency
    year: int
    agreed_on: date
    entries: tuple[Entry, ...]

    @property
    def name(self) -> str:
        """Its dataset on the portal is `<regency>-daftar-data-<year>`."""
        return f"daftar-data-{self.year}"


def load_daftar_data(path: Path, regency: Regency) -> DaftarData:
    """One Daftar Data file, checked against the regency's catalogue; `CatalogueError` names file and key."""
    doc = _validated(_DaftarDataFile.model_validate, _read_yaml(path), path.name)
    named = FILE_NAME.match(path.name)
    problems = []
    if doc.regency != regency.slug or not named or named["regency"] != regency.slug:
        problems.append(
            (
                ("regency",),
                f"berkas ini untuk {regency.slug!r}, bernama <kabupaten>-<tahun>.yaml / this "
                f"file must be {regency.slug}-<year>.yaml and name regency {regency.slug!r}",
            )
        )
    if named and int(named["year"]) != doc.year:
        problems.append((("year",), f"nama berkas menyebut tahun {named['year']} / the file name says {named['year']}"))
    datasets = {d.name: d for d in regency.datasets}
    seen = set()
    for i, entry in enumerate(doc.entries):
        where = ("entries", i)
        if entry.dataset in seen:
            problems.append(((*where, "dataset"), f"dataset ganda / duplicate dataset {entry.dataset!r}"))
        seen.add(entry.dataset)
        found = datasets.get(entry.dataset)
        if found is None:
            problems.append(
                (
                    (*where, "dataset"),
                    f"dataset {entry.dataset!r} tidak ada di katalog {regency.slug} / "
                    f"is not in {regency.slug}'s catalogue",
                )
            )
            continue
        # The Forum's list and the catalogue describe the same delivery: a difference is drift to settle.
        if entry.agency != found.agency.slug:
            problems.append(
                (
                    (*where, "agency"),
                    f"katalog menyebut produsen / the catalogue names the producer {found.agency.slug!r}",
                )
            )
        # The version may differ: the Forum agreed one early in the year, the catalogue may have moved on since.
        if entry.standard.split("/")[0] != found.schema.split("/")[0]:
            problems.append(
                (
                    (*where, "standard"),
                    f"katalog mengirim standar lain / the catalogue delivers another standard: {found.schema!r}",
                )
            )
        elif not (schemas_dir() / f"{entry.standard}.yaml").is_file():
            problems.append(
                (
                    (*where, "standard"),
                    f"standar {entry.standard!r} tidak ada di schemas/ / is not a standard in schemas/",
                )
            )
        periods = set()
        for j, release in enumerate(entry.release_schedule):
            at = (*where, "release_schedule", j)
            if release.period.start.year != doc.year or release.period.end.year != doc.year:
                problems.append(
                    (
                        (*at, "period"),
                        f"periode {release.period} di luar tahun {doc.year} / is outside the year {doc.year}",
                    )
                )
            if release.due < release.period.end:
                problems.append(
                    ((*at, "due"), f"tenggat sebelum periode {release.period} berakhir / due before the period ends")
                )
            if release.period.label in periods:
                problems.append(((*at, "period"), f"periode ganda / duplicate period {release.period}"))
            periods.add(release.period.label)
    if problems:
        raise _refuse(path.name, problems)
    entries = tuple(
        Entry(
            e.dataset,
            e.agency,
            e.standard,
            e.frequency,
            e.priority,
            e.decision,
            tuple(Release(r.period, r.due) for r in sorted(e.release_schedule, key=lambda r: r.due)),
        )
        for e in doc.entries
    )
    return DaftarData(regency, doc.year, doc.agreed_on, entries)


def daftar_data_of(regency: Regency, directory: Path | None = None) -> list[DaftarData]:
    """Every year's Daftar Data of the regency, oldest first (none: an empty list). A file of its slug that is
    not named `<slug>-<year>.yaml` is refused, not ignored."""
    folder = (directory or catalogue_dir()) / FOLDER
    return [_loaded(path, regency) for path in sorted(folder.glob(f"{regency.slug}-*.yaml"))]


_LOADED: dict[tuple, DaftarData] = {}


def _loaded(path: Path, regency: Regency) -> DaftarData:
    """Read once per version of the file and of the regency's catalogue entry: the late-agency sensor and the
    scorecard ask for every dataset of every regency."""
    key = (path, path.stat().st_mtime_ns, repr(regency))
    if key not in _LOADED:
        _LOADED[key] = load_daftar_data(path, regency)
    return _LOADED[key]


def files_without_regency(regencies: list[Regency], directory: Path | None = None) -> list[str]:
    """Daftar Data files that no loaded regency claims (a slug the catalogue lacks, or a regency file that does
    not load): named, not silently left out."""
    slugs = {r.slug for r in regencies}
    return sorted(
        path.name
        for path in ((directory or catalogue_dir()) / FOLDER).glob("*.yaml")
        if path.name.rsplit("-", 1)[0] not in slugs
    )


def release_deadlines(
    regency: Regency, dataset: str, directory: Path | None = None
) -> list[tuple[datetime, datetime]] | None:
    """The dataset's release schedule over every year's Daftar Data, as (when its period's last day begins,
    when its due date is over) on the regency's clock, for `freshness.schedule_lateness`; None when no Daftar Data
    gives it one."""
    zone = ZoneInfo(regency.timezone)
    found = [
        (_day_start(r.period.end, zone), _day_start(r.due + timedelta(days=1), zone))
        for daftar in daftar_data_of(regency, directory)
        for e in daftar.entries
        if e.dataset == dataset
        for r in e.release_schedule
    ]
    return sorted(found) or None


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone)


# --- the status of an entry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Events:
    """What the pipeline recorded for an entry's dataset up to the moment asked about."""

    delivered_at: datetime | None = None  # the last delivery with new content (its raw step)
    checked: bool = False  # that delivery passed the standard check and was merged
    returned: tuple[str, ...] = ()  # else its quarantine report's findings, unless a walidata released it
    published_at: datetime | None = None  # the last publication on the portal


@dataclass(frozen=True)
class Status:
    status: str  # a key of STATUSES
    release: Release | None  # the release the status is about: the first one overdue, else the next due
    reasons: tuple[str, ...] = ()


def entry_status(entry: Entry, events: Events, moment: datetime, zone: ZoneInfo) -> Status:
    """Where the entry stands at `moment`. A release counts as published by a publication made on or after its
    period's last day; once its due date is over without one, the entry is `terlambat`, whatever stage its
    latest delivery reached (the reasons still say when that delivery was returned)."""
    published_on = events.published_at.astimezone(zone).date() if events.published_at else None
    today = moment.astimezone(zone).date()
    open_releases = [r for r in entry.release_schedule if published_on is None or published_on < r.period.end]
    overdue = [r for r in open_releases if r.due < today]

    if events.delivered_at and not (events.published_at and events.published_at >= events.delivered_at):
        stage = "diperiksa" if events.checked else "dikembalikan" if events.returned else "terkumpul"
    else:
        stage = "terbit" if events.published_at else "direncanakan"
    reasons = events.returned if stage == "dikembalikan" else ()
    if overdue:
        late = tuple(
            f"periode {r.period} lewat tenggat {r.due.isoformat()} tanpa terbit / period {r.period} "
            f"passed its due date {r.due.isoformat()} without publication"
            for r in overdue
        )
        return Status("terlambat", overdue[0], late + reasons)
    return Status(stage, open_releases[0] if open_releases else None, reasons)


def returned_reasons(issues: list[dict]) -> tuple[str, ...]:
    """A quarantine report's findings as the published list names them: file, row, column and the message,
    never the cell's value (it may be personal data the standard does not publish)."""
    shown = []
    for issue in issues[:REASONS_SHOWN]:
        where = ", ".join(
            part
            for part in (
                issue["file"],
                issue["row"] and f"baris/row {issue['row']}",
                issue["column"] and f"kolom/column {issue['column']}",
            )
            if part
        )
        shown.append(f"{where}: {issue['pesan']} / {issue['message']}")
    if len(issues) > REASONS_SHOWN:
        more = len(issues) - REASONS_SHOWN
        shown.append(f"dan {more} temuan lain di laporan karantina / and {more} more findings in the quarantine report")
    return tuple(shown)


def status_table(
    daftar: DaftarData, statuses: dict[str, Status], events: dict[str, Events], titles: dict[str, str]
) -> pd.DataFrame:
    """The Daftar Data with each entry's status, as published (standard `daftar-data/1.0.0`); `statuses`,
    `events` and `titles` (the standard's title) by dataset."""
    regency = daftar.regency
    agencies = {a.slug: a.name for a in regency.agencies}
    zone = ZoneInfo(regency.timezone)
    rows = []
    for entry in daftar.entries:
        found, happened = statuses[entry.dataset], events[entry.dataset]
        rows.append(
            {
                "tahun": daftar.year,
                "tanggal_kesepakatan": pd.Timestamp(daftar.agreed_on),
                "kode_wilayah": regency.code,
                "kode_dataset": entry.dataset,
                "judul_dataset": titles[entry.dataset],
                "kode_opd": entry.agency,
                "nama_opd": agencies[entry.agency],
                "standar_data": entry.standard,
                "frekuensi": entry.frequency,
                "prioritas": entry.priority,
                "keputusan_forum": entry.decision,
                "jadwal_rilis": "; ".join(f"{r.period}: {r.due.isoformat()}" for r in entry.release_schedule),
                "status": found.status,
                "status_en": STATUSES[found.status],
                "periode": str(found.release.period) if found.release else None,
                "tenggat": pd.Timestamp(found.release.due) if found.release else pd.NaT,
                "alasan": "\n".join(found.reasons) or None,
                "terakhir_dikirim": _day(happened.delivered_at, zone),
                "terakhir_terbit": _day(happened.published_at, zone),
            }
        )
    days = ("tanggal_kesepakatan", "tenggat", "terakhir_dikirim", "terakhir_terbit")
    return pd.DataFrame(rows).astype({"tahun": "Int64", "prioritas": "boolean"} | dict.fromkeys(days, "datetime64[us]"))


def _day(moment: datetime | None, zone: ZoneInfo):
    """The day on the regency's clock (what the Forum's due dates are written in)."""
    return pd.Timestamp(moment.astimezone(zone).date()) if moment else pd.NaT
