"""The demo regencies' indicator tables (the long tail of the Daftar Data), as OPD really send them: one wide
XLSX sheet per indicator, the years or the districts as columns, under title rows, with column numbers, a total,
a `Sumber:` note and the head of office's signature block. Each is a catalogue entry of the generic indicator
standard (schemas/indikator); the sheets are made into its rows by pipelines/parsing/unpivot.py.

Values are made up, seeded per regency and indicator, so every run writes the same files. District names are
the Kemendagri table's, written as offices write them (`Kecamatan Penajam`, `WARU`)."""

import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from agency_data import LUTRA, PASER, PPU, districts
from openpyxl import Workbook

YEARS = (2021, 2022, 2023, 2024)
REPORT_YEAR = 2024  # the year of the sheets that have districts as columns (in their file names)
# regency code -> (slug, short name in titles, where the head of office signs)
REGENCIES = {
    PPU: ("ppu", "Kabupaten Penajam Paser Utara", "Penajam"),
    PASER: ("paser", "Kabupaten Paser", "Tana Paser"),
    LUTRA: ("lutra", "Kabupaten Luwu Utara", "Masamba"),
}
# agency kind -> its name, without the regency
AGENCIES = {
    "disdukcapil": "Dinas Kependudukan dan Pencatatan Sipil",
    "dinkes": "Dinas Kesehatan",
    "disdikbud": "Dinas Pendidikan dan Kebudayaan",
    "distan": "Dinas Pertanian",
    "dpupr": "Dinas Pekerjaan Umum dan Penataan Ruang",
    "dinsos": "Dinas Sosial",
}


# The Daftar Data's other statuses, as a new user sees them after `make demo`: in every regency the farmers'
# groups were owed for 2025 and never sent (terlambat), the health workers are not due yet (direncanakan), and
# the uninhabitable-houses sheet was copied from the neighbouring regency's form, one district not the
# regency's own, so the walidata returns it with the reasons (dikembalikan).
NOT_SENT = ("kelompok-tani", "tenaga-kesehatan")
RETURNED = "rumah-tidak-layak-huni"
NEIGHBOUR_DISTRICT = {PPU: "Long Ikis", PASER: "Sepaku", LUTRA: "Malili"}  # of Paser, PPU, Luwu Timur


@dataclass(frozen=True)
class Indicator:
    name: str  # the dataset's name; its files are <name with _>_*.xlsx
    agency: str  # a kind of AGENCIES
    nama: str
    satuan: str
    definisi: str
    sektor: str
    pilar: str
    base: float  # a district's typical value in the first year
    growth: float = 0.0  # a year's relative change
    decimals: int = 0
    columns: str = "years"  # or "districts"
    rows: tuple[str, ...] = ()  # districts as columns: each row an indicator (a category) ...
    row_header: str = ""  # ... under this header; without rows, each row is a year (`Tahun`)

    @property
    def stem(self) -> str:
        return self.name.replace("-", "_")


INDICATORS = [
    Indicator(
        "penduduk-kecamatan",
        "disdukcapil",
        "Jumlah Penduduk",
        "jiwa",
        "Penduduk terdaftar dalam database kependudukan (SIAK) pada akhir tahun",
        "Kependudukan",
        "society",
        28000,
        0.018,
    ),
    Indicator(
        "kepala-keluarga",
        "disdukcapil",
        "Jumlah Kepala Keluarga",
        "KK",
        "Kartu keluarga terdaftar dalam database kependudukan pada akhir tahun",
        "Kependudukan",
        "society",
        8200,
        0.021,
    ),
    Indicator(
        "akta-kelahiran-anak",
        "disdukcapil",
        "Kepemilikan Akta Kelahiran Anak 0-17 Tahun",
        "persen",
        "Anak usia 0-17 tahun yang memiliki akta kelahiran dibagi seluruh anak usia itu, dikali 100",
        "Kependudukan",
        "society",
        86,
        0.02,
        1,
    ),
    Indicator(
        "perekaman-ktp-el",
        "disdukcapil",
        "Perekaman KTP Elektronik",
        "persen",
        "Penduduk wajib KTP yang sudah merekam KTP elektronik dibagi seluruh penduduk wajib KTP, dikali 100",
        "Kependudukan",
        "governance",
        91,
        0.012,
        1,
    ),
    Indicator(
        "produksi-padi",
        "distan",
        "Produksi Padi (Gabah Kering Giling)",
        "ton",
        "Produksi padi sawah dan ladang dalam gabah kering giling selama setahun",
        "Pertanian",
        "economy",
        6500,
        0.03,
        1,
    ),
    Indicator(
        "luas-panen-padi",
        "distan",
        "Luas Panen Padi",
        "hektare",
        "Luas tanaman padi yang dipanen selama setahun",
        "Pertanian",
        "economy",
        1400,
        0.02,
        1,
    ),
    Indicator(
        "produksi-jagung",
        "distan",
        "Produksi Jagung Pipilan Kering",
        "ton",
        "Produksi jagung dalam pipilan kering selama setahun",
        "Pertanian",
        "economy",
        900,
        0.05,
        1,
    ),
    Indicator(
        "populasi-sapi-potong",
        "distan",
        "Populasi Sapi Potong",
        "ekor",
        "Sapi potong yang dipelihara peternak pada akhir tahun",
        "Peternakan",
        "economy",
        2100,
        0.04,
    ),
    Indicator(
        "jalan-kondisi-mantap",
        "dpupr",
        "Panjang Jalan Kabupaten Kondisi Mantap",
        "km",
        "Panjang jalan kabupaten dalam kondisi baik dan sedang pada akhir tahun",
        "Pekerjaan Umum",
        "living",
        48,
        0.04,
        2,
    ),
    Indicator(
        "rumah-tidak-layak-huni",
        "dpupr",
        "Rumah Tidak Layak Huni",
        "unit",
        "Rumah yang tidak memenuhi syarat keselamatan bangunan, luas minimum dan kesehatan penghuni",
        "Perumahan Rakyat",
        "living",
        420,
        -0.07,
    ),
    Indicator(
        "keluarga-penerima-pkh",
        "dinsos",
        "Keluarga Penerima Manfaat PKH",
        "KK",
        "Keluarga penerima bantuan sosial bersyarat Program Keluarga Harapan pada akhir tahun",
        "Sosial",
        "society",
        1150,
        -0.03,
    ),
    Indicator(
        "keluarga-dtks",
        "dinsos",
        "Persentase Keluarga dalam DTKS",
        "persen",
        "Keluarga yang tercatat dalam Data Terpadu Kesejahteraan Sosial dibagi seluruh keluarga, dikali 100",
        "Sosial",
        "society",
        24,
        -0.04,
        1,
    ),
    Indicator(
        "prevalensi-stunting",
        "dinkes",
        "Prevalensi Balita Stunting",
        "persen",
        "Balita dengan tinggi badan menurut umur di bawah -2 SD dibagi balita yang diukur, dikali 100",
        "Kesehatan",
        "living",
        21,
        -0.09,
        1,
    ),
    Indicator(
        "imunisasi-dasar-lengkap",
        "dinkes",
        "Cakupan Imunisasi Dasar Lengkap",
        "persen",
        "Bayi yang mendapat imunisasi dasar lengkap dibagi seluruh bayi, dikali 100",
        "Kesehatan",
        "living",
        84,
        0.02,
        1,
    ),
    Indicator(
        "persalinan-di-faskes",
        "dinkes",
        "Persalinan di Fasilitas Kesehatan",
        "persen",
        "Persalinan yang ditolong tenaga kesehatan di fasilitas kesehatan dibagi seluruh persalinan, dikali 100",
        "Kesehatan",
        "living",
        88,
        0.015,
        1,
    ),
    Indicator(
        "apk-sd",
        "disdikbud",
        "Angka Partisipasi Kasar SD/MI",
        "persen",
        "Murid SD/MI berapa pun umurnya dibagi penduduk usia 7-12 tahun, dikali 100",
        "Pendidikan",
        "society",
        104,
        0.0,
        2,
    ),
    Indicator(
        "apm-smp",
        "disdikbud",
        "Angka Partisipasi Murni SMP/MTs",
        "persen",
        "Murid SMP/MTs usia 13-15 tahun dibagi penduduk usia 13-15 tahun, dikali 100",
        "Pendidikan",
        "society",
        74,
        0.015,
        2,
    ),
    Indicator(
        "murid-sd",
        "disdikbud",
        "Jumlah Murid SD/MI",
        "orang",
        "Murid SD dan MI negeri dan swasta pada awal tahun ajaran",
        "Pendidikan",
        "society",
        3400,
        0.012,
    ),
    Indicator(
        "fasilitas-kesehatan",
        "dinkes",
        "Jumlah Fasilitas Kesehatan",
        "unit",
        "Fasilitas pelayanan kesehatan yang beroperasi pada akhir tahun, per jenis",
        "Kesehatan",
        "living",
        6,
        columns="districts",
        row_header="Jenis Fasilitas Kesehatan",
        rows=("Rumah Sakit", "Puskesmas", "Puskesmas Pembantu", "Posyandu", "Klinik Pratama"),
    ),
    Indicator(
        "sekolah-per-jenjang",
        "disdikbud",
        "Jumlah Sekolah",
        "unit",
        "Satuan pendidikan negeri dan swasta yang aktif pada awal tahun ajaran, per jenjang",
        "Pendidikan",
        "society",
        9,
        columns="districts",
        row_header="Jenjang",
        rows=("TK/RA", "SD/MI", "SMP/MTs", "SMA/SMK/MA"),
    ),
    Indicator(
        "panjang-jalan-kondisi",
        "dpupr",
        "Panjang Jalan Kabupaten",
        "km",
        "Panjang jalan kabupaten pada akhir tahun, per kondisi permukaan",
        "Pekerjaan Umum",
        "living",
        18,
        decimals=2,
        columns="districts",
        row_header="Kondisi Jalan",
        rows=("Baik", "Sedang", "Rusak Ringan", "Rusak Berat"),
    ),
    Indicator(
        "tenaga-kesehatan",
        "dinkes",
        "Jumlah Tenaga Kesehatan",
        "orang",
        "Dokter, perawat, bidan dan tenaga kesehatan lain yang bertugas di fasilitas kesehatan pemerintah",
        "Kesehatan",
        "living",
        45,
        0.05,
        columns="districts",
    ),
    Indicator(
        "kelompok-tani",
        "distan",
        "Jumlah Kelompok Tani",
        "kelompok",
        "Kelompok tani yang terdaftar di Sistem Informasi Manajemen Penyuluhan Pertanian",
        "Pertanian",
        "economy",
        38,
        0.03,
        columns="districts",
    ),
]
# Category weights of the district-column sheets, so a district has more Posyandu than hospitals.
ROW_WEIGHTS = {
    "Rumah Sakit": 0.1,
    "Puskesmas": 0.25,
    "Puskesmas Pembantu": 0.7,
    "Posyandu": 4.5,
    "Klinik Pratama": 0.4,
    "TK/RA": 1.2,
    "SD/MI": 1.6,
    "SMP/MTs": 0.6,
    "SMA/SMK/MA": 0.35,
    "Baik": 1.4,
    "Sedang": 0.9,
    "Rusak Ringan": 0.6,
    "Rusak Berat": 0.4,
}


def agency_slug(kind: str, regency: str) -> str:
    return f"{kind}-{REGENCIES[regency][0]}"


def agency_name(kind: str, regency: str) -> str:
    return f"{AGENCIES[kind]} {REGENCIES[regency][1]}"


def _written(name: str, n: int) -> str:
    """A district's name as a clerk types it: official, prefixed, upper case."""
    return (name, f"Kecamatan {name}", name.upper())[n % 3]


def _value(indicator: Indicator, rng: random.Random, weight: float, step: int) -> float:
    value = indicator.base * weight * (1 + indicator.growth) ** step * rng.uniform(0.97, 1.03)
    if indicator.satuan == "persen":
        value = min(value, 99.9 if indicator.base < 100 else 130.0)
    return round(value, indicator.decimals) if indicator.decimals else int(round(value))


def _title(indicator: Indicator, regency: str) -> list[list]:
    where = f"MENURUT KECAMATAN DI {REGENCIES[regency][1].upper()}"
    period = (
        f"TAHUN {YEARS[0]}-{YEARS[-1]}"
        if indicator.columns == "years" or not indicator.rows
        else f"TAHUN {REPORT_YEAR}"
    )
    return [[f"{indicator.nama.upper()} ({indicator.satuan.upper()})"], [f"{where} {period}"], []]


def _footer(indicator: Indicator, regency: str, width: int) -> list[list]:
    _, _, place = REGENCIES[regency]
    pad = [""] * max(width - 3, 1)
    return [
        [],
        [f"Sumber: {agency_name(indicator.agency, regency)}"],
        ["Catatan: angka tahun terakhir bersifat sementara"],
        [],
        [*pad, f"{place}, 15 Januari {REPORT_YEAR + 1}"],
        [*pad, f"Kepala {AGENCIES[indicator.agency]}"],
        [],
        [],
        [*pad, "Drs. H. Muhammad Ridwan, M.Si"],
        [*pad, "NIP. 19700512 199403 1 008"],
    ]


def sheet_rows(indicator: Indicator, regency: str) -> list[list]:
    """The sheet as the office lays it out, top to bottom."""
    rng = random.Random(f"{regency}-{indicator.name}")
    areas = districts(regency)
    weights = [rng.uniform(0.4, 1.6) for _ in areas]
    if indicator.columns == "years":
        header = ["No", "Kecamatan", *YEARS]
        body = [
            [n + 1, _written(a.name, n), *(_value(indicator, rng, w, s) for s in range(len(YEARS)))]
            for n, (a, w) in enumerate(zip(areas, weights))
        ]
        total = ["", "Jumlah", *(round(sum(r[2 + s] for r in body), indicator.decimals) for s in range(len(YEARS)))]
    else:
        labels = [(row, ROW_WEIGHTS[row], 0) for row in indicator.rows] or [
            (str(year), 1.0, s) for s, year in enumerate(YEARS)
        ]
        header = ["No", indicator.row_header or "Tahun", *(_written(a.name, n) for n, a in enumerate(areas)), "Jumlah"]
        body = []
        for n, (label, weight, step) in enumerate(labels):
            values = [_value(indicator, rng, weight * w, step) for w in weights]
            body.append([n + 1, label, *values, round(sum(values), indicator.decimals)])
        total = ["", "Jumlah", *(round(sum(r[2 + c] for r in body), indicator.decimals) for c in range(len(areas) + 1))]
    if indicator.name == RETURNED:
        body[-1][1] = NEIGHBOUR_DISTRICT[regency]
    numbers = [f"({n + 1})" for n in range(len(header))]
    rows = [header, numbers, *body]
    if indicator.satuan not in ("persen",):  # a total of percentages means nothing; offices leave it out
        rows.append(total)
    return _title(indicator, regency) + rows + _footer(indicator, regency, len(header))


def file_name(indicator: Indicator) -> str:
    period = f"{YEARS[0]}-{YEARS[-1]}" if indicator.columns == "years" or not indicator.rows else str(REPORT_YEAR)
    return f"{indicator.stem}_{period}.xlsx"


def write_xlsx(path: Path, rows: list[list]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Tabel"
    for row in rows:
        sheet.append(row)
    book.properties.creator = "OPD"
    book.properties.created = datetime(REPORT_YEAR + 1, 1, 15)  # fixed, as the other demo workbooks
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def write_indicator_drops(root: Path) -> list[Path]:
    """Every demo regency's indicator sheets, in <root>/<slug>/indikator/."""
    written = []
    for regency, (slug, _, _) in REGENCIES.items():
        for indicator in INDICATORS:
            if indicator.name in NOT_SENT:
                continue
            path = root / slug / "indikator" / file_name(indicator)
            write_xlsx(path, sheet_rows(indicator, regency))
            written.append(path)
    return written
