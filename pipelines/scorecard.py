"""The compliance scorecard of agencies (OPD) for the Forum Satu Data: per agency, how many datasets it
owes, how many are published, on time, valid on first delivery, and quarantines still open."""

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from pipelines.catalogue import Agency, Regency


@dataclass(frozen=True)
class DatasetStatus:
    agency: str
    dataset: str
    published: bool
    on_time: bool
    merged_batches: frozenset = field(default_factory=frozenset)       # batches that reached the warehouse
    quarantined_batches: frozenset = field(default_factory=frozenset)  # batches that were ever quarantined
    open_quarantines: int = 0


def walidata_agency(regency: Regency) -> Agency:
    """The organisation that publishes a regency's scorecard: its walidata, not one of the agencies it scores."""
    return Agency(slug=f"walidata-{regency.slug}", name=regency.walidata, contact=regency.walidata_contact,
                  description=f"Walidata {regency.name}: pengumpul, pemeriksa dan penerbit data.")


def scorecard(regency: Regency, statuses: list[DatasetStatus], day: date) -> pd.DataFrame:
    rows = []
    for agency in regency.agencies:
        mine = [s for s in statuses if s.agency == agency.slug]
        batches = frozenset().union(*(s.merged_batches | s.quarantined_batches for s in mine))
        clean = frozenset().union(*(s.merged_batches - s.quarantined_batches for s in mine))
        rows.append({"tanggal": pd.Timestamp(day), "kode_wilayah": regency.code, "kode_opd": agency.slug,
                     "nama_opd": agency.name, "jumlah_dataset": len(mine),
                     "dataset_terbit": sum(s.published for s in mine),
                     "dataset_tepat_waktu": sum(s.on_time for s in mine), "jumlah_batch": len(batches),
                     "persen_lolos_pertama": round(100 * len(clean) / len(batches), 1) if batches else None,
                     "karantina_terbuka": sum(s.open_quarantines for s in mine)})
    frame = pd.DataFrame(rows)
    return frame.astype({"tanggal": "datetime64[us]", "kode_wilayah": "str", "kode_opd": "str", "nama_opd": "str",
                         "jumlah_dataset": "Int64", "dataset_terbit": "Int64", "dataset_tepat_waktu": "Int64",
                         "jumlah_batch": "Int64", "persen_lolos_pertama": "Float64", "karantina_terbuka": "Int64"})
