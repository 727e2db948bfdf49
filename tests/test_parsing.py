"""Parsing what agencies really send: encodings, delimiters, title rows, Indonesian numbers and dates."""

import pickle
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
    ("22 September 2022", datetime(2022, 9, 22)), ("20 Agustus 2021", datetime(2021, 8, 20)),
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


ROW = ["22/10/2026", "64.09.01", "PNJ-01", "Pasar Induk Penajam", "Beras Premium", "kg", "Rp 15.500"]


@pytest.mark.parametrize("encoding, delimiter", [
    ("utf-8-sig", ","), ("utf-8", "\t"), ("cp1252", ";"), ("latin-1", ";"), ("utf-16", "\t"),
])
def test_encodings_and_delimiters(tmp_path, encoding, delimiter):
    name = "Pasar Sungai Parit – Lama" if encoding == "cp1252" else "Pasar Sungai Parit Ïndah"
    row = ROW[:3] + [name] + ROW[4:6] + ["Rp 1.234.500" if delimiter == ";" else "15500"]
    body = "\r\n".join(delimiter.join(r) for r in [HEADER.split(";"), row]) + "\r\n"
    batch = parse_file(archived(tmp_path, "harga.csv", body.encode(encoding)), STANDARD, COLUMNS)
    assert batch.issues == []
    assert batch.frame["nama_pasar"][0] == name and batch.frame["kode_kecamatan"][0] == "64.09.01"
    assert batch.frame["harga"][0] == (1234500 if delimiter == ";" else 15500)


def test_semicolon_with_decimal_commas_is_not_read_as_comma_separated(tmp_path):
    """Every line has one comma (in the header and as decimal comma): csv.Sniffer alone would split on it."""
    header = HEADER.replace("Harga (Rp)", "Harga (Rp, eceran)")
    lines = [header] + [";".join(ROW[:6] + [f"{n},5"]) for n in range(12)]
    columns = COLUMNS | {"Harga (Rp, eceran)": "harga"}
    batch = parse_file(archived(tmp_path, "harga.csv", "\n".join(lines).encode()), STANDARD, columns)
    assert len(batch.frame) == 12 and batch.frame["kode_pasar"][0] == "PNJ-01"
    assert {i.column for i in batch.issues} == {"harga"}  # 0,5 is not a whole number


def test_latin1_byte_that_windows_1252_lacks_still_decodes(tmp_path):
    from pipelines.parsing import decode
    assert decode("Tanggal;Pasar\x81".encode("latin-1")) == "Tanggal;Pasar\x81"


def _merged_workbook(path, *, extra_sheet_first: bool = True):
    book = Workbook()
    if extra_sheet_first:
        book.active.title = "Rekap"
        book.active.append(["Komoditas", "Rata-rata"])
        book.active.append(["Beras", 15000])
        sheet = book.create_sheet("Data Harian")
    else:
        sheet = book.active
    sheet.append(["HARGA PASAR HARIAN"])
    sheet.merge_cells("A1:G1")
    sheet.append(["Tanggal", "Lokasi", None, None, "Komoditas", "Satuan", "Harga (Rp)"])
    sheet.append([None, "Kode Kecamatan", "Kode Pasar", "Nama Pasar", None, None, None])
    for column in "AEFG":  # headers merged over both header rows
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("B2:D2")
    sheet.append([datetime(2026, 10, 22), "64.09.01", "PNJ-01", "Pasar Induk", "Beras", "kg", 15500])
    sheet.append([datetime(2026, 10, 22), "64.09.02", "WRU-01", "Pasar Waru", "Gula", "kg", "delapan belas"])
    sheet.append([])
    sheet.append(["Jumlah", None, None, None, None, None, 15500])
    sheet.merge_cells("A7:F7")
    book.save(path)
    return path


def test_xlsx_merged_header_total_row_and_second_sheet(tmp_path):
    path = _merged_workbook(tmp_path / "harga.xlsx")
    batch = parse_file(archived(tmp_path, "harga.xlsx", path.read_bytes()), STANDARD, COLUMNS)
    assert batch.frame["kode_pasar"].tolist() == ["PNJ-01", "WRU-01"]
    assert batch.frame["_source_row"].tolist() == [4, 5]
    assert batch.frame["harga"][0] == 15500
    # the bad price is reported; the total row is neither data nor an issue
    assert [(i.file, i.row, i.column, i.value) for i in batch.issues] == [("harga.xlsx", 5, "harga", "delapan belas")]


def test_sheet_option_by_name_position_and_missing(tmp_path):
    path = _merged_workbook(tmp_path / "harga.xlsx")
    raw = archived(tmp_path, "harga.xlsx", path.read_bytes())
    assert len(parse_file(raw, STANDARD, COLUMNS, {"sheet": "data harian"}).frame) == 2
    assert len(parse_file(raw, STANDARD, COLUMNS, {"sheet": 2}).frame) == 2
    first = parse_file(raw, STANDARD, COLUMNS, {"sheet": 1})  # the summary sheet has no full header
    assert {i.column for i in first.issues} >= {"tanggal", "harga"}
    missing = parse_file(raw, STANDARD, COLUMNS, {"sheet": "Juli"})
    assert missing.frame.empty and missing.issues[0].rule == "struktur" and "Juli" in missing.issues[0].message


def test_legacy_xls_with_title_row_and_excel_dates(tmp_path):
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook(encoding="cp1252")
    sheet = book.add_sheet("Harga")
    sheet.write_merge(0, 0, 0, 6, "DINAS PERDAGANGAN – PPU")
    for c, title in enumerate(HEADER.split(";")):
        sheet.write(2, c, title)
    dates = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    sheet.write(3, 0, datetime(2026, 10, 22), dates)
    for c, value in enumerate(["64.09.04", "SPK-01", "Pasar Sepaku", "Cabai – Rawit", "kg", 45000.0], start=1):
        sheet.write(3, c, value)
    sheet.write(4, 0, "Total")
    sheet.write(4, 6, 45000.0)
    path = tmp_path / "harga.xls"
    book.save(str(path))
    batch = parse_file(archived(tmp_path, "harga.xls", path.read_bytes()), STANDARD, COLUMNS)
    assert batch.issues == []
    assert batch.frame[["tanggal", "komoditas", "harga"]].values.tolist() == [
        [pd.Timestamp(2026, 10, 22), "Cabai – Rawit", 45000]]
    assert batch.frame["_source_row"].tolist() == [4]


@pytest.mark.parametrize("document", [
    lambda rows: rows, lambda rows: {"data": rows, "page": 1}, lambda rows: {"results": rows},
    lambda rows: {"records": rows, "total": 2},
])
def test_json_records(tmp_path, document):
    import json
    rows = [{"tanggal": "2026-10-22", "kode_kecamatan": "64.09.01", "kode_pasar": "PNJ-01", "nama_pasar": "Pasar Induk",
             "komoditas": "Beras", "satuan": "kg", "harga": 15500},
            {"tanggal": "22 Oktober 2026", "kode_kecamatan": "64.09.02", "kode_pasar": "WRU-01", "nama_pasar": None,
             "komoditas": "Gula", "satuan": "kg", "harga": 1.5, "catatan": {"x": 1}}]
    data = json.dumps(document(rows)).encode()
    batch = parse_file(archived(tmp_path, "harga-page-0001.json", data), STANDARD, {})
    assert batch.frame["harga"][0] == 15500 and batch.frame["tanggal"].tolist() == [pd.Timestamp(2026, 10, 22)] * 2
    # record numbers are the rows: the second record's 1.5 is not a whole number
    assert [(i.row, i.column, i.value) for i in batch.issues] == [(2, "harga", "1.5")]


def test_json_typed_number_is_not_read_as_thousands():
    from pipelines.parsing import number_text
    assert parse_numbers(pd.Series([number_text(1.234)], dtype="str"), integer=False)[0] == 1.234
    assert number_text(15500.0) == "15500" and number_text(True) == "true"


@pytest.mark.parametrize("data", [b"{not json", b'{"message": "ok"}', b"[1, 2]"])
def test_unreadable_json_is_reported(tmp_path, data):
    batch = parse_file(archived(tmp_path, "rusak.json", data), STANDARD, COLUMNS)
    assert batch.frame.empty and [(i.file, i.rule) for i in batch.issues] == [("rusak.json", "struktur")]
    assert "tidak dapat dibaca" in batch.issues[0].pesan


def test_broken_xlsx_is_reported(tmp_path):
    batch = parse_file(archived(tmp_path, "rusak.xlsx", b"PK\x03\x04 not really"), STANDARD, COLUMNS)
    assert batch.frame.empty and batch.issues[0].rule == "struktur"


@pytest.mark.parametrize("text, expected", [
    ("20 Agustus 2021 07:15", datetime(2021, 8, 20, 7, 15)), ("2026-09-01 13:00", datetime(2026, 9, 1, 13)),
    ("2026-09-01T13:05:09", datetime(2026, 9, 1, 13, 5, 9)), ("22/09/2022 23.30", datetime(2022, 9, 22, 23, 30)),
    ("44826.5", datetime(2022, 9, 22, 12)), ("22/09/2022", datetime(2022, 9, 22)),
])
def test_time_of_day_is_kept(text, expected):
    assert parse_dates(pd.Series([text], dtype="str"))[0] == expected


# --- chunked CSV reading: the same frame and issues whatever the chunk size ----------------------------------

def _both(tmp_path, name: str, data: bytes, columns=COLUMNS, chunk_rows: int = 2):
    """The file parsed whole (one chunk) and in chunks of `chunk_rows` rows."""
    raw = archived(tmp_path, name, data)
    whole = parse_file(raw, STANDARD, columns, folder=tmp_path / "whole")
    chunked = parse_file(raw, STANDARD, columns, folder=tmp_path / "chunked", chunk_rows=chunk_rows)
    return whole, chunked


def _issues(batch):
    return [(i.file, i.row, i.column, i.value, i.rule) for i in batch.issues]


MESSY = "\r\n".join([
    "DATA HARGA PASAR;;", "Dinas Perdagangan PPU", "",                          # title rows above the header
    HEADER,                                                                      # row 4
    ";".join(ROW),                                                               # 5
    "",                                                                          # 6: a blank line is no row
    ";".join(ROW[:2] + ["WRU-01", '"Pasar Waru\r\nLama"'] + ROW[4:6] + ["Rp 18.000"]),  # 7: line break in a cell
    ";".join(ROW[:2] + ["SPK-01", "Pasar Sepaku", "Gula", "kg", "delapan belas"]),  # 8: unreadable price
    "Jumlah;;;;;;33.500",                                                        # 9: a total row mid-table is data
    ";".join(["31/13/2026"] + ROW[1:]),                                           # 10: no such date
    "  ;  ;",                                                                    # 11: only spaces
    ";".join(["23/10/2026"] + ROW[1:]),                                           # 12
    "Jumlah;;;;;;67.000", "", "Total;;;;;;67.000", "",                           # the total rows that end it
]) + "\r\n"


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 5])
def test_chunks_give_the_same_rows_issues_and_row_numbers(tmp_path, chunk_rows):
    whole, chunked = _both(tmp_path, "harga.csv", MESSY.encode("cp1252"), chunk_rows=chunk_rows)
    pd.testing.assert_frame_equal(whole.frame, chunked.frame)
    assert _issues(chunked) == _issues(whole)
    assert _issues(chunked) == [
        ("harga.csv", 8, "harga", "delapan belas", "tipe data"), ("harga.csv", 9, "tanggal", "Jumlah", "tipe data"),
        ("harga.csv", 10, "tanggal", "31/13/2026", "tipe data")]
    assert chunked.frame["_source_row"].tolist() == [5, 7, 8, 9, 10, 12]
    assert chunked.frame["nama_pasar"][1] == "Pasar Waru\r\nLama"
    assert chunked.rows == 6


def test_semicolons_with_decimal_commas_across_chunks(tmp_path):
    header = HEADER.replace("Harga (Rp)", "Harga (Rp, eceran)")
    lines = [header] + [";".join(ROW[:6] + [f"{n},5" if n % 4 else f"{n}.000"]) for n in range(1, 12)]
    whole, chunked = _both(tmp_path, "harga.csv", "\n".join(lines).encode(), COLUMNS | {"Harga (Rp, eceran)": "harga"})
    pd.testing.assert_frame_equal(whole.frame, chunked.frame)
    assert _issues(whole) == _issues(chunked) and len(chunked.issues) == 9   # n,5 is no whole number
    assert chunked.frame["harga"].dropna().tolist() == [4000, 8000]


def test_a_windows_1252_byte_late_in_the_file_is_not_a_surprise(tmp_path):
    """The head alone is valid UTF-8; the encoding is decided over the whole file before parsing."""
    rows = [";".join(ROW)] * 5000 + [";".join(ROW[:3] + ["Pasar Waru – Lama"] + ROW[4:])]
    data = "\n".join([HEADER] + rows).encode("cp1252")
    assert len(data) > 2 * (1 << 16) and data[:1 << 16].decode("utf-8")
    whole, chunked = _both(tmp_path, "harga.csv", data, chunk_rows=1000)
    assert chunked.issues == [] and chunked.frame["nama_pasar"].iloc[-1] == "Pasar Waru – Lama"
    assert chunked.frame["_source_row"].iloc[-1] == 5002
    pd.testing.assert_frame_equal(whole.frame, chunked.frame)


def test_a_malformed_line_is_reported_not_raised(tmp_path):
    """More fields than the header, below the rows the header is found in."""
    data = "\n".join([HEADER] + [";".join(ROW)] * 25 + [";".join(ROW + ["extra", "fields"])]).encode()
    batch = parse_file(archived(tmp_path, "harga.csv", data), STANDARD, COLUMNS, chunk_rows=10)
    assert [(i.file, i.rule) for i in batch.issues] == [("harga.csv", "struktur")]
    assert "line 27" in batch.issues[0].message and "tidak dapat dibaca" in batch.issues[0].pesan


def test_staged_batch_is_a_typed_parquet_file(tmp_path):
    batch = parse_file(archived(tmp_path, "harga.csv", MESSY.encode("cp1252")), STANDARD, COLUMNS,
                       folder=tmp_path / "staged", chunk_rows=2)
    assert batch.path.parent == tmp_path / "staged" and batch.path.suffix == ".parquet"
    assert [str(t) for t in batch.frame.dtypes] == [
        "datetime64[us]", "str", "str", "str", "str", "str", "Int64", "str", "str", "int64"]
    pd.testing.assert_frame_equal(batch.head(3), batch.frame.head(3))
    assert len(pickle.dumps(batch)) < 5000   # what Dagster stores between steps
