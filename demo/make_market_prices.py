"""Writes the demo SIHARPA files that Dinas Perdagangan PPU 'drops' for the demo: four weeks of daily
prices in four markets, as agencies really send them (a semicolon CSV with `Rp 12.500` prices and
day-first dates, and an XLSX with title rows above the header). Deterministic: the same rows every run.

    python demo/make_market_prices.py demo/drops/ppu/disdag
"""

import csv
import random
import sys
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

DATA_INDUK = Path(__file__).resolve().parent.parent / "catalogue" / "data-induk"
COMMODITIES = [
    ("Beras Premium", "kg", 15500),
    ("Beras Medium", "kg", 13200),
    ("Gula Pasir", "kg", 18000),
    ("Minyak Goreng Curah", "liter", 17500),
    ("Minyak Goreng Kemasan", "liter", 21000),
    ("Tepung Terigu", "kg", 12500),
    ("Kedelai", "kg", 14000),
    ("Daging Sapi", "kg", 145000),
    ("Daging Ayam Ras", "kg", 42000),
    ("Telur Ayam Ras", "kg", 30000),
    ("Cabai Merah Keriting", "kg", 55000),
    ("Cabai Rawit Merah", "kg", 70000),
    ("Bawang Merah", "kg", 38000),
    ("Bawang Putih", "kg", 36000),
    ("Ikan Bandeng", "kg", 40000),
    ("Ikan Tongkol", "kg", 35000),
    ("Jagung Pipilan", "kg", 8000),
    ("Kacang Tanah", "kg", 32000),
    ("Garam Halus", "kg", 10000),
    ("Susu Kental Manis", "kaleng", 12000),
]
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
HEADER = ["Tanggal", "Kode Kecamatan", "Kode Pasar", "Nama Pasar", "Komoditas", "Satuan", "Harga (Rp)"]


def markets(regency: str) -> list[tuple[str, str, str]]:
    """(kode_pasar, nama_pasar, kode_kecamatan) from the regency's Data Induk, so the demo agrees with it."""
    with (DATA_INDUK / f"{regency}-pasar.csv").open(encoding="utf-8") as handle:
        return [(r["kode_pasar"], r["nama_pasar"], r["kode_kecamatan"]) for r in csv.DictReader(handle)]


def rows(start: date, days: int, rng: random.Random):
    for offset in range(days):
        day = start + timedelta(days=offset)
        for code, market, district in markets("ppu"):
            for commodity, unit, base in COMMODITIES:
                price = round(base * (1 + rng.uniform(-0.08, 0.08)) / 50) * 50
                yield day, district, code, market, commodity, unit, price


def rupiah(value: int) -> str:
    return "Rp " + f"{value:,}".replace(",", ".")


def write_csv(path: Path, start: date, days: int, rng: random.Random) -> None:
    lines = [";".join(HEADER)]
    for n, (day, district, code, market, commodity, unit, price) in enumerate(rows(start, days, rng)):
        shown = day.strftime("%d/%m/%Y") if n % 3 else f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"
        lines.append(";".join([shown, district, code, market, commodity, unit, rupiah(price)]))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def write_xlsx(path: Path, start: date, days: int, rng: random.Random) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Harga Harian"
    sheet.append(["DINAS PERDAGANGAN KABUPATEN PENAJAM PASER UTARA"])
    sheet.append([f"Laporan Harga Komoditas Pangan, mulai {start:%d/%m/%Y}"])
    sheet.append([])
    sheet.append(HEADER)
    for day, district, code, market, commodity, unit, price in rows(start, days, rng):
        sheet.append([day, district, code, market, commodity, unit, price])
    book.save(path)


def main(folder: str) -> None:
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    rng = random.Random(6409)
    write_csv(target / "harga_pasar_2026-10_minggu1-2.csv", date(2026, 10, 1), 14, rng)
    write_xlsx(target / "harga_pasar_2026-10_minggu3-4.xlsx", date(2026, 10, 15), 14, rng)


if __name__ == "__main__":
    main(sys.argv[1])
