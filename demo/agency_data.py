"""The demo agencies' data: what each agency app, spreadsheet or portal of the three demo regencies holds,
generated deterministically (seeded), so every run and every test sees the same rows.

Region codes are never typed here: districts and villages are taken from the Kemendagri table the pipeline
itself uses (`pipelines.standard.reference.load_regions`), looked up by name or picked from the regency's own list.
Everything is made up (names, counts, prices); nothing describes a real person.

The generators return records in the agency's own terms; the writers turn them into what the agency
really sends (hand-typed CSV / XLSX with Indonesian numbers and dates, JSON pages, rows in an app database,
a DataStore table on the province's portal)."""

import csv
import io
import json
import math
import random
import sqlite3
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines import settings  # noqa: E402
from pipelines.catalogue import load_reference_config  # noqa: E402
from pipelines.standard.reference import load_regions  # noqa: E402

MONTHS_ID = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
# Monthly data covers January 2025 to October 2026 (the demo's "now" is November 2026); fixed, not relative
# to today, so the files stay byte-identical.
FIRST_MONTH, LAST_MONTH = date(2025, 1, 1), date(2026, 10, 1)
PPU, PASER, LUTRA = "64.09", "64.01", "73.22"


def months(first: date = FIRST_MONTH, last: date = LAST_MONTH) -> list[date]:
    out, current = [], first
    while current <= last:
        out.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return out


def id_number(value: float, decimals: int = 0) -> str:
    """Indonesian notation as agency staff type it: `1.234` and `1.234,5`."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def id_date_words(day: date) -> str:
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


# --- the Kemendagri table, from the pipeline's own reference data -----------------------------------------


@cache
def regions():
    return load_regions(load_reference_config(), settings.state_dir() / "reference")


@dataclass(frozen=True)
class Area:
    code: str
    name: str


def districts(regency: str) -> list[Area]:
    table = regions()
    rows = table[(table["level"] == "kecamatan") & table["code"].str.startswith(regency + ".")]
    return [Area(c, n) for c, n in sorted(zip(rows["code"], rows["name"]))]


def villages(regency: str) -> list[Area]:
    table = regions()
    rows = table[(table["level"] == "desa") & table["code"].str.startswith(regency + ".")]
    return [Area(c, n) for c, n in sorted(zip(rows["code"], rows["name"]))]


def district(regency: str, name: str) -> Area:
    """A district of the regency by its Kemendagri name (raises if the table has no such district)."""
    [found] = [d for d in districts(regency) if d.name.lower() == name.lower()]
    return found


# Where each regency's points are drawn: around its centre (WGS84), inside the regency's land.
CENTRES = {PPU: (-1.2, 116.7), PASER: (-1.9, 116.2), LUTRA: (-2.5, 120.3)}


def spot(regency: str, rng: random.Random, spread: float = 0.12) -> tuple[float, float]:
    """A point's latitude and longitude near the regency's centre, to 6 decimals (about 10 cm)."""
    lat, lon = CENTRES[regency]
    return round(lat + rng.uniform(-spread, spread), 6), round(lon + rng.uniform(-spread, spread), 6)


def _short(text: str) -> str:
    return text.title().replace("Dan", "dan")


# --- Serbu Gass waste banks (Dinas Lingkungan Hidup) -------------------------------------------------------

WASTE_TYPES = [
    ("Plastik", 1.0, 160),
    ("Kertas dan Kardus", 1.0, 120),
    ("Logam", 0.7, 35),
    ("Kaca", 0.5, 40),
    ("Minyak Jelantah", 0.6, 25),
    ("Organik", 0.4, 300),
    ("Lainnya", 0.3, 20),
]
UNIT_NAMES = [
    "Bank Sampah Berkah",
    "Bank Sampah Lestari",
    "Bank Sampah Hijau",
    "Bank Sampah Mandiri",
    "Bank Sampah Sejahtera",
    "Bank Sampah Bersinar",
    "Bank Sampah Bersih",
    "Bank Sampah Harapan",
]


def waste_bank_rows(regency: str, prefix: str, units: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    places = villages(regency)
    all_months = months()
    rows = []
    for number in range(1, units + 1):
        village = rng.choice(places)
        code = f"BS-{prefix}-{number:03d}"
        name = f"{rng.choice(UNIT_NAMES)} {_short(village.name)}"
        start = rng.randrange(0, 12) if number > units // 2 else 0  # Serbu Gass rolled out during 2025
        members = rng.randint(25, 180)
        accepted = [
            (t, scale)
            for t, share, scale in WASTE_TYPES
            if t in ("Plastik", "Kertas dan Kardus") or rng.random() < share
        ]
        for month in all_months[start:]:
            members += rng.randint(-2, 9)
            for waste, scale in accepted:
                kg = max(0.0, rng.gauss(scale, scale * 0.35) * members / 100)
                rows.append(
                    {
                        "bulan": month,
                        "kode_kecamatan": village.code[:8],
                        "kode_desa": village.code,
                        "kode_unit": code,
                        "nama_unit": name,
                        "jenis_sampah": waste,
                        "jumlah_nasabah": members,
                        "berat_kg": round(kg, 1),
                    }
                )
    return rows


WASTE_HEADER = [
    "Bulan",
    "Kode Kecamatan",
    "Kode Desa/Kel",
    "Kode Unit",
    "Nama Bank Sampah",
    "Jenis Sampah",
    "Jumlah Nasabah",
    "Berat (kg)",
]


def _waste_values(row: dict) -> list:
    return [
        row["bulan"],
        row["kode_kecamatan"],
        row["kode_desa"],
        row["kode_unit"],
        row["nama_unit"],
        row["jenis_sampah"],
        row["jumlah_nasabah"],
        row["berat_kg"],
    ]


def write_waste_xlsx(path: Path, rows: list[dict], title: str) -> None:
    """A year's recap as DLH staff keep it: title rows above the header, a total row at the bottom."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Rekap"
    sheet.append([title])
    sheet.append(["Program Serbu Gass (Serentak Buang Sampah di Bank Sampah)"])
    sheet.append([])
    sheet.append(WASTE_HEADER)
    for row in rows:
        sheet.append(_waste_values(row))
        sheet.cell(sheet.max_row, 1).number_format = "dd/mm/yyyy"
    sheet.append(["JUMLAH", None, None, None, None, None, None, round(sum(r["berat_kg"] for r in rows), 1)])
    book.properties.creator = "DLH"
    book.properties.created = book.properties.modified = datetime(2026, 11, 2, 8, 0)  # stable bytes
    book.save(path)


def write_waste_csv(path: Path, rows: list[dict], delimiter: str, encoding: str) -> None:
    """A month's or quarter's deposits typed by hand: `1 Januari 2026`, `1.234,5` kg, a total row."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(WASTE_HEADER)
    for n, row in enumerate(rows):
        values = _waste_values(row)
        values[0] = id_date_words(row["bulan"]) if n % 2 else row["bulan"].strftime("%d/%m/%Y")
        values[6] = id_number(row["jumlah_nasabah"])
        values[7] = id_number(row["berat_kg"], 1)
        writer.writerow(values)
    writer.writerow(["Jumlah", "", "", "", "", "", "", id_number(sum(r["berat_kg"] for r in rows), 1)])
    path.write_bytes(out.getvalue().encode(encoding))


def write_waste_drops(root: Path) -> list[Path]:
    """PPU sends a 2025 recap in Excel and one CSV per month of 2026; Paser one CSV per quarter."""
    written = []
    ppu = waste_bank_rows(PPU, "PPU", 24, 6409)
    folder = root / "ppu" / "dlh"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "rekap_serbu_gass_2025.xlsx"
    write_waste_xlsx(
        path,
        [r for r in ppu if r["bulan"].year == 2025],
        "DINAS LINGKUNGAN HIDUP KABUPATEN PENAJAM PASER UTARA - REKAP BANK SAMPAH 2025",
    )
    written.append(path)
    for month in months(date(2026, 1, 1)):
        path = folder / f"setoran_bank_sampah_{month:%Y-%m}.csv"
        write_waste_csv(path, [r for r in ppu if r["bulan"] == month], ";", "cp1252")
        written.append(path)
    paser = waste_bank_rows(PASER, "PSR", 36, 6401)
    folder = root / "paser" / "dlh"
    folder.mkdir(parents=True, exist_ok=True)
    for first in months()[::3]:
        quarter = (first.month - 1) // 3 + 1
        path = folder / f"bank_sampah_{first.year}_TW{quarter}.csv"
        write_waste_csv(
            path,
            [r for r in paser if (r["bulan"].year, (r["bulan"].month - 1) // 3 + 1) == (first.year, quarter)],
            ",",
            "utf-8-sig",
        )
        written.append(path)
    return written


# --- Call Center 112: the incident app's database (caller data stays inside it) -------------------------

CATEGORIES_112 = [
    ("Kebakaran", 4),
    ("Kecelakaan Lalu Lintas", 9),
    ("Kegawatdaruratan Medis", 14),
    ("Bencana Alam", 3),
    ("Gangguan Keamanan", 6),
    ("Penyelamatan dan Evakuasi", 3),
    ("Gangguan Hewan", 2),
    ("Informasi dan Lainnya", 25),
    ("Panggilan Iseng", 34),
]
FIRST_NAMES = [
    "Andi",
    "Budi",
    "Citra",
    "Dewi",
    "Eko",
    "Fitri",
    "Gusti",
    "Hendra",
    "Indah",
    "Joko",
    "Kartini",
    "Lestari",
    "Muhammad",
    "Nur",
    "Putri",
    "Rahmat",
    "Sari",
    "Taufik",
    "Wahyu",
    "Yuni",
]
LAST_NAMES = [
    "Saputra",
    "Wijaya",
    "Hidayat",
    "Lestari",
    "Pratama",
    "Rahman",
    "Siregar",
    "Daeng",
    "Kurniawan",
    "Syahputra",
    "Ramadhan",
    "Aco",
    "Baso",
    "Puspita",
]


def write_112_database(path: Path, regency: str, calls_per_month: int, seed: int) -> int:
    """The 112 app's SQLite file: one row per call, with the caller's name, phone, address and coordinates
    (which the catalogue's query never selects). Returns the number of calls."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    db = sqlite3.connect(partial)
    db.executescript("""
        CREATE TABLE ref_kecamatan (id INTEGER PRIMARY KEY, kode_kemendagri TEXT NOT NULL, nama TEXT NOT NULL);
        CREATE TABLE ref_kategori (id INTEGER PRIMARY KEY, nama TEXT NOT NULL);
        CREATE TABLE panggilan (
            id INTEGER PRIMARY KEY, waktu_terima TEXT NOT NULL, nama_pelapor TEXT, no_telepon TEXT,
            alamat_kejadian TEXT, lat REAL, lng REAL, kecamatan_id INTEGER REFERENCES ref_kecamatan(id),
            kategori_id INTEGER NOT NULL REFERENCES ref_kategori(id), status TEXT, durasi_detik INTEGER);
        CREATE INDEX panggilan_waktu ON panggilan (waktu_terima);""")
    areas = districts(regency)
    db.executemany(
        "INSERT INTO ref_kecamatan VALUES (?, ?, ?)", [(i, a.code, a.name.upper()) for i, a in enumerate(areas, 1)]
    )
    db.executemany(
        "INSERT INTO ref_kategori VALUES (?, ?)", [(i, name) for i, (name, _) in enumerate(CATEGORIES_112, 1)]
    )
    # Bigger districts call more: weights from a fixed draw per district.
    weights = [rng.uniform(0.3, 3.0) for _ in areas]
    category_weights = [w for _, w in CATEGORIES_112]
    rows, counter = [], 0
    for month in months():
        days = (date(month.year + month.month // 12, month.month % 12 + 1, 1) - month).days
        wet = 1.4 if month.month in (11, 12, 1, 2, 3) else 1.0  # rainy season: more floods and landslides
        for _ in range(int(calls_per_month * rng.uniform(0.85, 1.15))):
            counter += 1
            when = datetime(month.year, month.month, 1) + timedelta(seconds=rng.randrange(days * 86400))
            kind = rng.choices(range(1, len(CATEGORIES_112) + 1), category_weights)[0]
            if CATEGORIES_112[kind - 1][0] == "Bencana Alam" and rng.random() > 0.5 * wet:
                kind = len(CATEGORIES_112) - 1  # re-labelled as information
            place = rng.choices(range(1, len(areas) + 1), weights)[0] if rng.random() > 0.03 else None
            rows.append(
                (
                    counter,
                    when.strftime("%Y-%m-%d %H:%M:%S"),
                    f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    f"08{rng.randint(11, 59)}{rng.randint(10000000, 99999999)}",
                    f"RT {rng.randint(1, 30):02d} Jl. {rng.choice(LAST_NAMES)} No. {rng.randint(1, 200)}",
                    round(rng.uniform(-3.0, -1.0), 5),
                    round(rng.uniform(116.0, 121.0), 5),
                    place,
                    kind,
                    rng.choice(["Selesai", "Selesai", "Selesai", "Diteruskan ke instansi", "Tidak valid"]),
                    rng.randint(15, 600),
                )
            )
    db.executemany("INSERT INTO panggilan VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.commit()
    db.close()
    partial.replace(path)
    return len(rows)


# --- Puspita: the province's tourism register (a DataStore table per regency) -----------------------------

DESTINATION_KINDS = [
    ("Pantai {}", "Wisata Bahari"),
    ("Air Terjun {}", "Wisata Alam"),
    ("Ekowisata Mangrove {}", "Wisata Alam"),
    ("Bukit {}", "Wisata Alam"),
    ("Kampung Budaya {}", "Wisata Budaya"),
    ("Taman Rekreasi {}", "Wisata Buatan"),
    ("Masjid Agung {}", "Wisata Religi"),
    ("Pusat Kuliner {}", "Wisata Kuliner"),
    ("Danau {}", "Wisata Alam"),
    ("Agrowisata {}", "Wisata Buatan"),
]
# Visits rise in holiday months: Lebaran (March/April), school holidays (June-July), year end.
SEASON = {1: 1.2, 2: 0.8, 3: 1.3, 4: 1.5, 5: 1.0, 6: 1.4, 7: 1.5, 8: 1.0, 9: 0.8, 10: 0.9, 11: 0.9, 12: 1.6}


def tourism_rows(regency: str, destinations: int, seed: int) -> list[dict]:
    rng, where = random.Random(seed), random.Random(f"{seed}-lokasi")  # coordinates leave the rest as it was
    places = villages(regency)
    digits = regency.replace(".", "")
    rows = []
    for number in range(1, destinations + 1):
        village = rng.choice(places)
        lat, lon = spot(regency, where)
        pattern, kind = rng.choice(DESTINATION_KINDS)
        name = pattern.format(_short(village.name))
        base, foreign = rng.randint(200, 9000), rng.choice([0, 0, 0.002, 0.01, 0.03])
        for month in months():
            domestic = int(base * SEASON[month.month] * rng.uniform(0.8, 1.2))
            abroad = int(domestic * foreign * rng.uniform(0, 2))
            rows.append(
                {
                    "bulan": month.isoformat(),
                    "kode_kecamatan": village.code[:8],
                    "kode_destinasi": f"DW-{digits}-{number:03d}",
                    "nama_destinasi": name,
                    "jenis": kind,
                    "wisnus": domestic,
                    "wisman": abroad,
                    "jumlah": domestic + abroad,
                    "lintang": lat,
                    "bujur": lon,
                }
            )
    return rows


TOURISM_FIELDS = [
    {"id": "bulan", "type": "date"},
    {"id": "kode_kecamatan", "type": "text"},
    {"id": "kode_destinasi", "type": "text"},
    {"id": "nama_destinasi", "type": "text"},
    {"id": "jenis", "type": "text"},
    {"id": "wisnus", "type": "int"},
    {"id": "wisman", "type": "int"},
    {"id": "jumlah", "type": "int"},
    {"id": "lintang", "type": "float8"},
    {"id": "bujur", "type": "float8"},
]
# The province portals' registers: dataset -> (organisation, title, {resource name: rows}).
TOURISM_REGISTERS = {
    "kaltim-register-kunjungan-wisata": (
        "dispar-prov-kaltim",
        "Dinas Pariwisata Provinsi Kalimantan Timur",
        "Register Kunjungan Wisatawan Kabupaten/Kota se-Kalimantan Timur (demo)",
        {"kunjungan-wisata-6409": (PPU, 18, 64091), "kunjungan-wisata-6401": (PASER, 26, 64011)},
    ),
    "sulsel-register-kunjungan-wisata": (
        "dispar-prov-sulsel",
        "Dinas Kebudayaan dan Pariwisata Provinsi Sulawesi Selatan",
        "Register Kunjungan Wisatawan Kabupaten/Kota se-Sulawesi Selatan (demo)",
        {"kunjungan-wisata-7322": (LUTRA, 22, 73221)},
    ),
}


# --- public wifi points (Diskominfo PPU, a CSV on its website) --------------------------------------------

WIFI_PLACES = [
    ("Taman {}", "Taman"),
    ("Ruang Terbuka Hijau {}", "Ruang Terbuka Publik"),
    ("Kantor Desa/Kelurahan {}", "Kantor Pemerintahan"),
    ("SD Negeri {}", "Sekolah"),
    ("Puskesmas {}", "Puskesmas"),
    ("Pasar {}", "Pasar"),
    ("Masjid {}", "Tempat Ibadah"),
]


def wifi_rows(regency: str, points: int, seed: int) -> list[dict]:
    rng, where = random.Random(seed), random.Random(f"{seed}-lokasi")  # coordinates leave the rest as it was
    places = villages(regency)
    digits = regency.replace(".", "")
    rows = []
    for number in range(1, points + 1):
        village = rng.choice(places)
        lat, lon = spot(regency, where)
        pattern, kind = rng.choice(WIFI_PLACES)
        bandwidth = rng.choice([20, 30, 50, 50, 100])
        popular = rng.uniform(0.2, 1.0) * (2.5 if kind in ("Taman", "Ruang Terbuka Publik") else 1)
        start = rng.randrange(0, 8) if number > points * 2 // 3 else 0
        for month in months()[start:]:
            status = rng.choices(["Aktif", "Gangguan", "Nonaktif"], [0.9, 0.08, 0.02])[0]
            users = int(bandwidth * 12 * popular * rng.uniform(0.7, 1.3))
            users = 0 if status == "Nonaktif" else users // 3 if status == "Gangguan" else users
            rows.append(
                {
                    "bulan": month,
                    "kode_titik": f"WF-{digits}-{number:03d}",
                    "nama_lokasi": pattern.format(_short(village.name)),
                    "jenis_lokasi": kind,
                    "kode_kecamatan": village.code[:8],
                    "bandwidth_mbps": bandwidth,
                    "jumlah_pengguna": users,
                    "status": status,
                    "lintang": lat,
                    "bujur": lon,
                }
            )
    return rows


def wifi_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "Bulan",
            "Kode Titik",
            "Nama Lokasi",
            "Jenis Lokasi",
            "Kode Kecamatan",
            "Bandwidth (Mbps)",
            "Jumlah Pengguna",
            "Status",
            "Lintang",
            "Bujur",
        ]
    )
    for r in rows:
        writer.writerow(
            [
                r["bulan"].strftime("%d/%m/%Y"),
                r["kode_titik"],
                r["nama_lokasi"],
                r["jenis_lokasi"],
                r["kode_kecamatan"],
                r["bandwidth_mbps"],
                id_number(r["jumlah_pengguna"]),
                r["status"],
                id_number(r["lintang"], 6),
                id_number(r["bujur"], 6),
            ]
        )
    return out.getvalue().encode("utf-8-sig")


# --- Go PPU: service requests and complaints (DPMPTSP's app, paged JSON API) -----------------------------

SERVICES = [
    ("Permohonan Layanan", "Nomor Induk Berusaha", 40, 1.5),
    ("Permohonan Layanan", "Persetujuan Bangunan Gedung", 8, 21),
    ("Permohonan Layanan", "Izin Praktik Tenaga Kesehatan", 5, 4),
    ("Permohonan Layanan", "Izin Reklame", 4, 6),
    ("Permohonan Layanan", "Surat Keterangan Usaha", 25, 1),
    ("Pengaduan", "Pengaduan Jalan dan Jembatan", 9, 30),
    ("Pengaduan", "Pengaduan Persampahan", 7, 5),
    ("Pengaduan", "Pengaduan Penerangan Jalan", 6, 9),
    ("Pengaduan", "Pengaduan Air Bersih", 8, 7),
    ("Pengaduan", "Pengaduan Pelayanan Administrasi", 3, 4),
]


def service_rows(regency: str, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for area in districts(regency):
        size = rng.uniform(0.4, 2.5)
        for month in months():
            for category, service, volume, days in SERVICES:
                incoming = max(0, int(rng.gauss(volume * size, volume * size * 0.3)))
                done = incoming if month < date(2026, 9, 1) else int(incoming * rng.uniform(0.5, 1.0))
                average = round(max(0.1, rng.gauss(days, days * 0.25)), 1) if done else None
                rows.append(
                    {
                        "periode": month.isoformat(),
                        "kode_wilayah": area.code,
                        "kategori": category,
                        "layanan": service,
                        "masuk": incoming,
                        "selesai": done,
                        "rata_hari": average,
                    }
                )
    return rows


# --- Luwu Utara BPBD: river early warning telemetry (hourly, JSON API with an API key) ---------------------

# code, name, river, district, base level (cm), alert levels (Waspada, Siaga, Awas), latitude, longitude
STATIONS = [
    (
        "PDA-7322-01",
        "Pos Duga Air Masamba Hulu",
        "Sungai Masamba",
        "Masamba",
        120,
        (250, 330, 400),
        -2.498511,
        120.331842,
    ),
    (
        "PDA-7322-02",
        "Pos Duga Air Jembatan Masamba",
        "Sungai Masamba",
        "Masamba",
        150,
        (280, 360, 440),
        -2.553207,
        120.325114,
    ),
    ("PDA-7322-03", "Pos Duga Air Rongkong", "Sungai Rongkong", "Sabbang", 180, (320, 400, 480), -2.621934, 120.197603),
    ("PDA-7322-04", "Pos Duga Air Radda", "Sungai Radda", "Baebunta", 90, (200, 260, 320), -2.587416, 120.268925),
    (
        "PDA-7322-05",
        "Pos Duga Air Baliase",
        "Sungai Baliase",
        "Mappedeceng",
        140,
        (260, 340, 420),
        -2.655873,
        120.402361,
    ),
    (
        "PDA-7322-06",
        "Pos Duga Air Muara Rongkong",
        "Sungai Rongkong",
        "Malangke",
        210,
        (330, 390, 450),
        -2.812640,
        120.298417,
    ),
]
RIVER_FIRST_DAY, RIVER_DAYS = date(2026, 9, 1), 61


def river_rows(seed: int = 7322) -> list[dict]:
    rng = random.Random(seed)
    hours = RIVER_DAYS * 24
    # Rain events over the catchment: start hour and strength, shared by all stations (with delays).
    storms = [(rng.randrange(hours), rng.uniform(60, 320)) for _ in range(14)]
    rows = []
    for code, name, river, district_name, base, (alert, standby, danger), lat, lon in STATIONS:
        area = district(LUTRA, district_name)
        delay = rng.randint(0, 6)
        for hour in range(hours):
            when = datetime.combine(RIVER_FIRST_DAY, datetime.min.time()) + timedelta(hours=hour)
            level = base + 8 * math.sin(hour / 24 * 2 * math.pi) + rng.gauss(0, 3)
            for start, strength in storms:
                lag = hour - start - delay
                if lag >= 0:
                    level += strength * (1 - math.exp(-lag / 3)) * math.exp(-lag / 30)
            level = round(max(0.0, level), 1)
            missing = rng.random() < 0.004  # the sensor did not report
            status = (
                "Tidak Ada Data"
                if missing
                else (
                    "Awas"
                    if level >= danger
                    else "Siaga"
                    if level >= standby
                    else "Waspada"
                    if level >= alert
                    else "Normal"
                )
            )
            rows.append(
                {
                    "tanggal": when.date().isoformat(),
                    "jam": when.hour,
                    "kode_pos": code,
                    "nama_pos": name,
                    "sungai": river,
                    "kode_kecamatan": area.code,
                    "tma_cm": None if missing else level,
                    "status": status,
                    "lintang": lat,
                    "bujur": lon,
                }
            )
    rows.sort(key=lambda r: (r["tanggal"], r["jam"], r["kode_pos"]))
    return rows


# --- SIHARPA Paser: daily market prices as a JSON export on the agency's website ------------------------


def paser_price_rows(seed: int = 6401) -> list[dict]:
    sys.path.insert(0, str(ROOT / "demo"))
    from make_market_prices import COMMODITIES, markets  # the same commodity list as SIHARPA PPU

    rng = random.Random(seed)
    rows = []
    for offset in range(31):
        day = date(2026, 10, 1) + timedelta(days=offset)
        for code, market, district_code in markets("paser"):
            for commodity, unit, base in COMMODITIES:
                rows.append(
                    {
                        "tanggal": day.isoformat(),
                        "kode_kecamatan": district_code,
                        "kode_pasar": code,
                        "nama_pasar": market,
                        "komoditas": commodity,
                        "satuan": unit,
                        "harga": round(base * (1 + rng.uniform(-0.06, 0.1)) / 50) * 50,
                    }
                )
    return rows


def json_bytes(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


if __name__ == "__main__":
    # Rewrites the committed file drops: python demo/agency_data.py demo/drops
    from indicators import write_indicator_drops  # demo/indicators.py: the OPD's wide indicator sheets

    drops = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "demo" / "drops")
    for written in write_waste_drops(drops) + write_indicator_drops(drops):
        print(written, written.stat().st_size)
