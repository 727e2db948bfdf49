"""The compliance scorecard of agencies (OPD) for the Forum Satu Data: per agency, how many datasets it
owes, how many are published, on time, valid on first delivery, and quarantines still open; and, where the
regency keeps a Daftar Data for the year, its entries by status and by release schedule (standard
`kepatuhan-opd/1.1.0`)."""

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from pipelines.catalogue import Agency, Regency
from pipelines.stewardship.daftar_data import DaftarData, Entry

# The columns 1.1.0 adds, from the Daftar Data.
DAFTAR_COLUMNS = (
    "tahun_daftar_data",
    "entri_daftar_data",
    "entri_terbit",
    "entri_tepat_jadwal",
    "entri_dikembalikan",
    "entri_terlambat",
    "entri_lolos_pertama",
    "rilis_tepat_jadwal",
    "rilis_lewat_tenggat",
)


@dataclass(frozen=True)
class DatasetStatus:
    agency: str
    dataset: str
    published: bool
    on_time: bool
    merged_batches: frozenset = field(default_factory=frozenset)  # batches that reached the warehouse
    quarantined_batches: frozenset = field(default_factory=frozenset)  # batches that were ever quarantined
    open_quarantines: int = 0
    visits: int | None = None  # of the dataset's page, as the portal counts them (None: not on a portal)
    downloads: int | None = None  # of its files
    metadata_gaps: tuple[str, ...] = ()  # what BPS's metadata statistik lacks (metadata_statistik.missing)


@dataclass(frozen=True)
class EntryStanding:
    """One Daftar Data entry as the scorecard counts it."""

    agency: str
    status: str  # its status of the day (a key of daftar_data.STATUSES)
    on_schedule: int  # releases published between their period's last day and their due date
    missed: int  # releases whose due date is over without such a publication
    first_try: bool  # delivered, and no batch of it was ever quarantined


def walidata_agency(regency: Regency) -> Agency:
    """The organisation that publishes a regency's scorecard: its walidata, not one of the agencies it scores."""
    return Agency(
        slug=f"walidata-{regency.slug}",
        name=regency.walidata,
        contact=regency.walidata_contact,
        description=f"Walidata {regency.name}: pengumpul, pemeriksa dan penerbit data.",
    )


def current_daftar(lists: list[DaftarData], day: date) -> DaftarData | None:
    """The Daftar Data the scorecard of `day` follows: the year's, else the latest before it (in January,
    December's release of last year's list is still due)."""
    return max((d for d in lists if d.year <= day.year), key=lambda d: d.year, default=None)


def release_record(entry: Entry, published_on: list[date], day: date) -> tuple[int, int]:
    """(releases published on schedule, releases missed): a release is published on schedule by a publication
    made from its period's last day to its due date (the rule of `daftar_data.entry_status`), and missed once
    its due date is over without one."""
    met = [r for r in entry.release_schedule if any(r.period.end <= d <= r.due for d in published_on)]
    return len(met), sum(r.due < day and r not in met for r in entry.release_schedule)


def scorecard(
    regency: Regency,
    statuses: list[DatasetStatus],
    day: date,
    daftar: DaftarData | None = None,
    standings: list[EntryStanding] = (),
) -> pd.DataFrame:
    rows = []
    for agency in regency.agencies:
        mine = [s for s in statuses if s.agency == agency.slug]
        batches = frozenset().union(*(s.merged_batches | s.quarantined_batches for s in mine))
        clean = frozenset().union(*(s.merged_batches - s.quarantined_batches for s in mine))
        rows.append(
            {
                "tanggal": pd.Timestamp(day),
                "kode_wilayah": regency.code,
                "kode_opd": agency.slug,
                "nama_opd": agency.name,
                "jumlah_dataset": len(mine),
                "dataset_terbit": sum(s.published for s in mine),
                "dataset_tepat_waktu": sum(s.on_time for s in mine),
                "jumlah_batch": len(batches),
                "persen_lolos_pertama": round(100 * len(clean) / len(batches), 1) if batches else None,
                "karantina_terbuka": sum(s.open_quarantines for s in mine),
                "kunjungan": sum(s.visits or 0 for s in mine),
                "unduhan": sum(s.downloads or 0 for s in mine),
                "metadata_lengkap": sum(not s.metadata_gaps for s in mine),
                "metadata_kurang": "; ".join(f"{s.dataset}: {gap}" for s in mine for gap in s.metadata_gaps),
                **_daftar_columns(daftar, [s for s in standings if s.agency == agency.slug]),
            }
        )
    frame = pd.DataFrame(rows)
    counts = dict.fromkeys(
        (
            "jumlah_dataset",
            "dataset_terbit",
            "dataset_tepat_waktu",
            "jumlah_batch",
            "karantina_terbuka",
            "kunjungan",
            "unduhan",
            "metadata_lengkap",
            *DAFTAR_COLUMNS,
        ),
        "Int64",
    )
    return frame.astype(
        {
            "tanggal": "datetime64[us]",
            "kode_wilayah": "str",
            "kode_opd": "str",
            "nama_opd": "str",
            "metadata_kurang": "str",
            "persen_lolos_pertama": "Float64",
            **counts,
        }
    )


def _daftar_columns(daftar: DaftarData | None, entries: list[EntryStanding]) -> dict:
    """The agency's Daftar Data columns; empty where the regency keeps no Daftar Data (not zero: nothing owed
    is not the same as no list)."""
    if daftar is None:
        return dict.fromkeys(DAFTAR_COLUMNS)
    return {
        "tahun_daftar_data": daftar.year,
        "entri_daftar_data": len(entries),
        "entri_terbit": sum(e.status == "terbit" for e in entries),
        "entri_tepat_jadwal": sum(e.on_schedule > 0 and not e.missed for e in entries),
        "entri_dikembalikan": sum(e.status == "dikembalikan" for e in entries),
        "entri_terlambat": sum(e.status == "terlambat" for e in entries),
        "entri_lolos_pertama": sum(e.first_try for e in entries),
        "rilis_tepat_jadwal": sum(e.on_schedule for e in entries),
        "rilis_lewat_tenggat": sum(e.missed for e in entries),
    }
