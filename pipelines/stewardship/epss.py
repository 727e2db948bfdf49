"""Evidence for BPS's yearly evaluation of sectoral statistics (EPSS, Evaluasi Penyelenggaraan Statistik
Sektoral): per indicator the product can evidence, the figure over the year's Daftar Data entries and the
public URLs that show it (`satudata epss --regency ppu`).

The evidence is what the public portal shows, read anonymously as an assessor would: each entry's dataset
and its Satu Data metadata, its DCAT record, the Daftar Data list with its statuses
(`<regency>-daftar-data-<year>`) and the compliance scorecard (`<regency>-kepatuhan-opd`). The standards are
read from `schemas/`. The indicators are named as BPS's EPSS guideline names them (domain Prinsip Satu Data
Indonesia, and Kualitas Data for timeliness); the export gives evidence and figures, the maturity level
(tingkat kematangan) stays the assessor's judgement."""

from dataclasses import dataclass
from pathlib import Path

import ckanapi
import pandas as pd
import requests

from pipelines.publish import Portal
from pipelines.standard import load_standard
from pipelines.stewardship.daftar_data import DaftarData

PRINCIPLES = "Prinsip Satu Data Indonesia"
QUALITY = "Kualitas Data"
# The Satu Data fields a dataset's metadata must fill (the portal's schema, pipelines/publish/metadata.py).
METADATA_FIELDS = (
    "title",
    "notes",
    "produsen_data",
    "walidata",
    "sektor",
    "pilar",
    "frekuensi",
    "periode_awal",
    "periode_akhir",
    "satuan",
    "tingkat_penyajian",
    "cakupan_wilayah",
    "kode_wilayah",
    "klasifikasi",
    "kontak",
    "standar_data",
    "terakhir_divalidasi",
    "status_validasi",
)
FORMATS = (".xlsx", ".csv")
COLUMNS = {
    "domain": "Domain",
    "indikator": "Indikator EPSS / EPSS indicator",
    "bukti": "Bukti / evidence",
    "jumlah": "Jumlah / count",
    "dari": "Dari / of",
    "persen": "Persen / per cent",
    "tautan": "Tautan bukti / evidence URLs",
}


@dataclass(frozen=True)
class Figure:
    domain: str
    indicator: str
    evidence: str  # what is counted, in Bahasa Indonesia and English
    count: int | None  # None: the portal does not hold the evidence
    of: int
    urls: tuple[str, ...]


@dataclass(frozen=True)
class Published:
    """An entry's dataset as the public sees it (no package: not published, or not public)."""

    dataset: str  # the entry's dataset, as the catalogue names it
    url: str
    package: dict | None
    dcat: bool  # its DCAT record (`/dataset/<name>.jsonld`) answers


def evidence(portal: Portal, daftar: DaftarData) -> list[Figure]:
    regency, entries = daftar.regency, daftar.entries
    public = [p for p in (_published(portal, regency.slug, e.dataset) for e in entries) if p.package]
    standards = {e.dataset: load_standard(e.standard) for e in entries}
    coded = [
        p for p in public if standards[p.dataset].foreign_keys or any(f.code_list for f in standards[p.dataset].fields)
    ]
    standard_urls = tuple(sorted({f"{portal.url}/satudata/standar/{p.package['standar_data']}" for p in public}))
    complete = [p for p in public if all(p.package.get(name) for name in METADATA_FIELDS)]
    open_table = [p for p in public if p.dcat and any(r.get("datastore_active") for r in p.package["resources"])]
    statuses = _rows(portal, f"{regency.slug}-daftar-data-{daftar.year}")
    scorecard = [r for r in _rows(portal, f"{regency.slug}-kepatuhan-opd") if r.get("tahun_daftar_data") == daftar.year]
    list_url, scorecard_url = (
        f"{portal.url}/dataset/{regency.slug}-{name}" for name in (f"daftar-data-{daftar.year}", "kepatuhan-opd")
    )
    total = len(entries)
    return [
        Figure(
            PRINCIPLES,
            "Tingkat Kematangan Penerapan Standar Data Statistik",
            "Entri Daftar Data yang terbit mengikuti standar data Satu Data (standar_data, dengan kamus data) / "
            "Daftar Data entries published to a Satu Data standard (standar_data, with its data dictionary)",
            len(public),
            total,
            _urls(public) + standard_urls,
        ),
        Figure(
            PRINCIPLES,
            "Tingkat Kematangan Penerapan Metadata Statistik",
            "Entri yang terbit dengan metadata Satu Data lengkap / entries published with complete Satu Data "
            f"metadata ({', '.join(METADATA_FIELDS)})",
            len(complete),
            total,
            _urls(complete),
        ),
        Figure(
            PRINCIPLES,
            "Tingkat Kematangan Penerapan Interoperabilitas Data",
            "Entri yang terbit sebagai tabel terbuka (CSV, API DataStore) dengan rekam DCAT; katalog DCAT "
            "untuk harvester / entries published as an open table (CSV, DataStore API) with a DCAT record; "
            "the DCAT catalogue for harvesters",
            len(open_table),
            total,
            (f"{portal.url}/catalog.jsonld", *(f"{p.url}.jsonld" for p in open_table)),
        ),
        Figure(
            PRINCIPLES,
            "Tingkat Kematangan Penerapan Kode Referensi dan/atau Data Induk",
            "Entri yang terbit dengan standar berkode wilayah Kemendagri atau Data Induk / entries published "
            "to a standard using Kemendagri region codes or Data Induk (master data)",
            len(coded),
            total,
            _urls(coded),
        ),
        Figure(
            QUALITY,
            "Aktualitas dan Ketepatan Waktu",
            "Entri berstatus terbit di Daftar Data / Daftar Data entries with status terbit (published)",
            sum(r["status"] == "terbit" for r in statuses) if statuses else None,
            total,
            (list_url,),
        ),
        Figure(
            QUALITY,
            "Aktualitas dan Ketepatan Waktu",
            "Entri terbit sesuai jadwal rilis (rekap kepatuhan OPD) / entries published on their release "
            "schedule (the agencies' compliance scorecard)",
            sum(r["entri_tepat_jadwal"] for r in scorecard) if scorecard else None,
            total,
            (scorecard_url,),
        ),
    ]


def table(figures: list[Figure]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "domain": f.domain,
                "indikator": f.indicator,
                "bukti": f.evidence,
                "jumlah": f.count,
                "dari": f.of,
                "persen": round(100 * f.count / f.of, 1) if f.count is not None and f.of else None,
                "tautan": "\n".join(f.urls),
            }
            for f in figures
        ]
    ).astype({"jumlah": "Int64"})


def text(frame: pd.DataFrame) -> str:
    """The table for the screen: one block per figure, its evidence URLs below it."""
    blocks = []
    for row in frame.itertuples():
        figure = (
            "tidak tersedia / not available"
            if pd.isna(row.jumlah)
            else f"{row.jumlah} dari / of {row.dari} ({row.persen:.1f}%)"
        )
        blocks.append(
            "\n".join(
                [
                    f"{row.domain}: {row.indikator}",
                    f"  {figure}: {row.bukti}",
                    *(f"  {url}" for url in row.tautan.splitlines()),
                ]
            )
        )
    return "\n\n".join(blocks)


def write(frame: pd.DataFrame, path: Path) -> None:
    """As XLSX, or as CSV in UTF-8 with a BOM so that Excel reads the Indonesian text: by the file's suffix
    (one of FORMATS)."""
    named = frame.rename(columns=COLUMNS)
    if path.suffix.lower() == ".xlsx":
        named.to_excel(path, index=False, sheet_name="EPSS")
    else:
        named.to_csv(path, index=False, encoding="utf-8-sig")


def _published(portal: Portal, regency_slug: str, dataset: str) -> Published:
    url = f"{portal.url}/dataset/{regency_slug}-{dataset}"
    try:
        package = portal.read("package_show", id=f"{regency_slug}-{dataset}")
    except (ckanapi.NotFound, ckanapi.NotAuthorized):  # not published, or not public
        return Published(dataset, url, None, False)
    return Published(dataset, url, package, requests.get(f"{url}.jsonld", timeout=portal.timeout).ok)


def _rows(portal: Portal, name: str) -> list[dict]:
    """The rows of a published computed table (the Daftar Data list, the scorecard); none when not published."""
    try:
        package = portal.read("package_show", id=name)
    except (ckanapi.NotFound, ckanapi.NotAuthorized):
        return []
    table_id = next(r["id"] for r in package["resources"] if r.get("datastore_active"))
    return portal.read("datastore_search", resource_id=table_id, limit=32000)["records"]


def _urls(found: list[Published]) -> tuple[str, ...]:
    return tuple(p.url for p in found)
