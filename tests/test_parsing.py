"""Parsing what agencies really send: encodings, delimiters, title rows, Indonesian numbers and dates."""

from datetime import datetime

import pandas as pd
import pytest
from openpyxl import Workbook

from pipelines.parsing import parse_dates, parse_file, parse_numbers
from pipelines.raw import RawArchive
from pipelines.standard import load_standard

STANDARD = load_standard("harga-pasar/1.0.0")
COLUMNS = {"Tanggal": "tanggal", "Kode Kecamatan": "kode_kecamatan", "Kode Pasar": "kode_pasar",
           "Nama Pasar": "nama_pasar", "Komoditas": "komoditas", "Satuan": "satuan", "Harga (Rp)": "harga"}
HEADER = "Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan;Harga (Rp)"


def archived(tmp_path, name: str, data: bytes):
    return RawArchive(tmp_path / "raw").store("ppu", "harga-pasar", name, data, f"test:{name}")


@pytest.mark.parametrize("text, integer, expected", [
    ("1.234.567", True, 1234567), ("Rp 12.500", True, 12500), ("Rp. 12.500", True, 12500),
    ("1.234,56", False, 1234.56), ("12,5", False, 12.5), ("12.5", False, 12.5), ("750", True, 750),
])
def test_indonesian_numbers(text, integer, expected):
    assert parse_numbers(pd.Series([text], dtype="str"), integer=integer)[0] == expected


def test_fractional_value_is_not_a_whole_number():
    assert pd.isna(parse_numbers(pd.Series(["12,5"], dtype="str"), integer=True)[0])


@pytest.mark.parametrize("text, expected", [
    ("22/09/2022", datetime(2022, 9, 22)), ("22-9-2022", datetime(2022, 9, 22)),
    ("22 September 2022", datetime(2022, 9, 22)), ("20 Agustus 2021 07:15", datetime(2021, 8, 20)),
    ("1 Desember 2025", datetime(2025, 12, 1)), ("2022-09-22", datetime(2022, 9, 22)),
    ("44826", datetime(2022, 9, 22)), ("05/01/2024", datetime(2024, 1, 5)),  # day first, always
])
def test_indonesian_dates(text, expected):
    assert parse_dates(pd.Series([text], dtype="str"))[0] == expected


def test_windows_1252_semicolon_csv_with_rupiah(tmp_path):
    body = f"{HEADER}\r\n22/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Beras Premium;kg;Rp 15.500\r\n"
    body += "23 Oktober 2026;64.09.02;WRU-01;Pasar Waru – Lama;Gula Pasir;kg;Rp 18.000\r\n"
    batch = parse_file(archived(tmp_path, "harga.csv", body.encode("cp1252")), STANDARD, COLUMNS)
    assert batch.issues == []
    assert batch.frame["harga"].tolist() == [15500, 18000]
    assert batch.frame["nama_pasar"][1] == "Pasar Waru – Lama"
    assert batch.frame["_source_row"].tolist() == [2, 3]


def test_xlsx_with_title_rows_keeps_excel_row_numbers(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["DINAS PERDAGANGAN"])
    sheet.append([])
    sheet.append(HEADER.split(";"))
    sheet.append([datetime(2026, 10, 22), "64.09.03", "BBL-01", "Pasar Babulu", "Kedelai", "kg", 14000])
    sheet.append(["tanggal?", "64.09.03", "BBL-01", "Pasar Babulu", "Kedelai", "kg", "empat ribu"])
    path = tmp_path / "harga.xlsx"
    book.save(path)
    batch = parse_file(archived(tmp_path, "harga.xlsx", path.read_bytes()), STANDARD, COLUMNS)
    assert batch.frame["tanggal"][0] == datetime(2026, 10, 22)
    assert [(i.file, i.row, i.column, i.value) for i in batch.issues] == [
        ("harga.xlsx", 5, "tanggal", "tanggal?"), ("harga.xlsx", 5, "harga", "empat ribu")]
    assert "bilangan bulat" in batch.issues[1].pesan and "whole number" in batch.issues[1].message


def test_missing_column_is_named(tmp_path):
    body = "Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan\n22/10/2026;64.09.01;PNJ-01;P;Kedelai;kg\n"
    batch = parse_file(archived(tmp_path, "tanpa_harga.csv", body.encode()), STANDARD, COLUMNS)
    assert [(i.file, i.row, i.column, i.rule) for i in batch.issues] == [("tanpa_harga.csv", 1, "harga", "struktur")]
    assert "kolom wajib tidak ada" in str(batch.issues[0])


def test_file_without_header_is_reported(tmp_path):
    batch = parse_file(archived(tmp_path, "acak.csv", b"a,b\n1,2\n"), STANDARD, COLUMNS)
    assert len(batch.issues) == 1 and batch.issues[0].rule == "struktur" and batch.frame.empty
