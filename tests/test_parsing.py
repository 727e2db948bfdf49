"""Parsing what agencies really send: encodings, delimiters, title rows, Indonesian numbers and dates."""

import pickle
from datetime import datetime

import pandas as pd
import pytest
from openpyxl import Workbook

from pipelines.parsing import parse_dates, parse_file, parse_numbers
from pipelines.raw import RawArchive
from pipelines.standard import load_standard
from pipelines.standard.indonesian import MONTHS
from pipelines.standard.period import period_of

STANDARD = load_standard("harga-pasar/1.0.0")
COLUMNS = {
    "Tanggal": "tanggal",
    "Kode Kecamatan": "kode_kecamatan",
    "Kode Pasar": "kode_pasar",
    "Nama Pasar": "nama_pasar",
    "Komoditas": "komoditas",
    "Satuan": "satuan",
    "Harga (Rp)": "harga",
}
HEADER = "Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan;Harga (Rp)"


def archived(tmp_path, name: str, data: bytes):
    return RawArchive(tmp_path / "raw").store("ppu", "harga-pasar", name, data, f"test:{name}")


@pytest.mark.parametrize(
    "text, integer, expected",
    [
        ("1.234.567", True, 1234567),
        ("Rp 12.500", True, 12500),
        ("Rp. 12.500", True, 12500),
        ("1.234,56", False, 1234.56),
        ("12,5", False, 12.5),
        ("12.5", False, 12.5),
        ("750", True, 750),
    ],
)
def test_indonesian_numbers(text, integer, expected):
    assert parse_numbers(pd.Series([text], dtype="str"), integer=integer)[0] == expected


@pytest.mark.parametrize(
    "text, integer, money, expected",
    [
        ("Rp15.500,-", True, False, 15500),
        ("Rp. 18.000,00", True, False, 18000),
        ("28.500,-", True, False, 28500),
        ("15\u00a0500", True, False, 15500),
        ("1,234.56", False, False, 1234.56),
        ("1,234,567", True, False, 1234567),
        ("0.500", False, False, 0.5),
        ("18 rb", True, True, 18000),
        ("16,5rb", True, True, 16500),
        ("Rp 140 ribu", True, True, 140000),
        ("1,2 jt", True, True, 1200000),
    ],
)
def test_numbers_as_offices_write_them(text, integer, money, expected):
    assert parse_numbers(pd.Series([text], dtype="str"), integer=integer, money=money)[0] == expected


@pytest.mark.parametrize(
    "text, integer, money, code",
    [
        ("15,500", True, False, "ambiguous-number"),  # thousands or decimals: never guessed
        ("99999999999999999999999", True, False, "out-of-range"),
        ("1e400", False, False, "out-of-range"),
        ("9007199254740993", True, False, "out-of-range"),  # would round: 2**53 + 1 has no float64
        ("1.2.3", False, False, "type-error"),
        ("12,5", True, False, "type-error"),
        ("18 rb", True, False, "type-error"),  # `rb` only where the standard measures Rupiah
    ],
)
def test_numbers_that_cannot_be_read_say_why(text, integer, money, code):
    from pipelines.parsing.values import _read_numbers

    numbers, problems = _read_numbers(pd.Series([text], dtype="str"), integer, money)
    assert pd.isna(numbers[0]) and problems[0] == code


def test_a_number_too_large_for_its_column_is_a_finding_not_a_traceback(tmp_path):
    body = f"{HEADER}\n22/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Gula Pasir;kg;99999999999999999999999\n"
    batch = parse_file(archived(tmp_path, "harga.csv", body.encode()), STANDARD, COLUMNS)
    assert [(i.row, i.column, i.code) for i in batch.issues] == [(2, "harga", "out-of-range")]
    assert "[out-of-range]" in str(batch.issues[0]) and "di luar jangkauan" in batch.issues[0].pesan


@pytest.mark.parametrize(
    "text",
    [
        "22/10/20266",
        "2026-10-221",
        "22 Oktober 20266",
        "22/10/26",
        "31/09/2026",
        "1 s.d. 7 Oktober 2026",
        "Oktober 2026",
    ],
)
def test_a_date_typed_wrong_is_not_read_as_another(text):
    assert pd.isna(parse_dates(pd.Series([text], dtype="str"))[0])


def test_fractional_value_is_not_a_whole_number():
    assert pd.isna(parse_numbers(pd.Series(["12,5"], dtype="str"), integer=True)[0])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("22/09/2022", datetime(2022, 9, 22)),
        ("22-9-2022", datetime(2022, 9, 22)),
        ("22 September 2022", datetime(2022, 9, 22)),
        ("20 Agustus 2021", datetime(2021, 8, 20)),
        ("1 Desember 2025", datetime(2025, 12, 1)),
        ("2022-09-22", datetime(2022, 9, 22)),
        ("44826", datetime(2022, 9, 22)),
        ("05/01/2024", datetime(2024, 1, 5)),  # day first, always
    ],
)
def test_indonesian_dates(text, expected):
    assert parse_dates(pd.Series([text], dtype="str"))[0] == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2 Pebruari 2026", datetime(2026, 2, 2)),
        ("5 Agt. 2026", datetime(2026, 8, 5)),
        ("7 Agust 2026", datetime(2026, 8, 7)),
        ("9 Sept 2026", datetime(2026, 9, 9)),
        ("11 Nop 2026", datetime(2026, 11, 11)),
        ("12 Nopember 2026", datetime(2026, 11, 12)),
        ("15 Mrt 2026", datetime(2026, 3, 15)),
        ("Senin, 19 Oktober 2026", datetime(2026, 10, 19)),
        ("Jum'at, 23 Okt 2026", datetime(2026, 10, 23)),
        ("22-Okt-2026", datetime(2026, 10, 22)),
        ("Kamis 22 Oktober 2026 08.30", datetime(2026, 10, 22, 8, 30)),
    ],
)
def test_old_and_colloquial_month_spellings_and_day_names(text, expected):
    assert parse_dates(pd.Series([text], dtype="str"))[0] == expected


@pytest.mark.parametrize("month, word", [(m, w) for m, words in MONTHS.items() for w in words])
def test_cells_and_file_names_read_every_month_spelling_alike(month, word):
    assert parse_dates(pd.Series([f"5 {word.title()} 2025"], dtype="str"))[0] == datetime(2025, month, 5)
    assert period_of(f"rekap_{word}_2025.xlsx").start == datetime(2025, month, 1).date()


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
        ("harga.xlsx", 5, "tanggal", "tanggal?"),
        ("harga.xlsx", 5, "harga", "empat ribu"),
    ]
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


@pytest.mark.parametrize(
    "encoding, delimiter",
    [
        ("utf-8-sig", ","),
        ("utf-8", "\t"),
        ("cp1252", ";"),
        ("latin-1", ";"),
        ("utf-16", "\t"),
    ],
)
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
    assert missing.frame.empty and missing.issues[0].code == "sheet-not-found" and "Juli" in missing.issues[0].message
    assert "Data Harian" in missing.issues[0].pesan  # the sheets there are, to pick from


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
        [pd.Timestamp(2026, 10, 22), "Cabai – Rawit", 45000]
    ]
    assert batch.frame["_source_row"].tolist() == [4]


@pytest.mark.parametrize(
    "document",
    [
        lambda rows: rows,
        lambda rows: {"data": rows, "page": 1},
        lambda rows: {"results": rows},
        lambda rows: {"records": rows, "total": 2},
    ],
)
def test_json_records(tmp_path, document):
    import json

    rows = [
        {
            "tanggal": "2026-10-22",
            "kode_kecamatan": "64.09.01",
            "kode_pasar": "PNJ-01",
            "nama_pasar": "Pasar Induk",
            "komoditas": "Beras",
            "satuan": "kg",
            "harga": 15500,
        },
        {
            "tanggal": "22 Oktober 2026",
            "kode_kecamatan": "64.09.02",
            "kode_pasar": "WRU-01",
            "nama_pasar": None,
            "komoditas": "Gula",
            "satuan": "kg",
            "harga": 1.5,
            "catatan": {"x": 1},
        },
    ]
    data = json.dumps(document(rows)).encode()
    batch = parse_file(archived(tmp_path, "harga-page-0001.json", data), STANDARD, {})
    assert batch.frame["harga"][0] == 15500 and batch.frame["tanggal"].tolist() == [pd.Timestamp(2026, 10, 22)] * 2
    # record numbers are the rows: the second record's 1.5 is not a whole number
    assert [(i.row, i.column, i.value) for i in batch.issues] == [(2, "harga", "1.5")]


def test_json_typed_number_is_not_read_as_thousands():
    from pipelines.parsing import number_text

    assert parse_numbers(pd.Series([number_text(1.234)], dtype="str"), integer=False)[0] == 1.234
    assert number_text(15500.0) == "15500" and number_text(True) == "true"


@pytest.mark.parametrize(
    "data, code", [(b"{not json", "unreadable-file"), (b'{"message": "ok"}', "not-a-table"), (b"[1, 2]", "not-a-table")]
)
def test_unreadable_json_is_reported(tmp_path, data, code):
    batch = parse_file(archived(tmp_path, "rusak.json", data), STANDARD, COLUMNS)
    assert batch.frame.empty and [(i.file, i.rule, i.code) for i in batch.issues] == [("rusak.json", "struktur", code)]


def test_broken_xlsx_is_reported(tmp_path):
    batch = parse_file(archived(tmp_path, "rusak.xlsx", b"PK\x03\x04 not really"), STANDARD, COLUMNS)
    assert batch.frame.empty and batch.issues[0].rule == "struktur"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("20 Agustus 2021 07:15", datetime(2021, 8, 20, 7, 15)),
        ("2026-09-01 13:00", datetime(2026, 9, 1, 13)),
        ("2026-09-01T13:05:09", datetime(2026, 9, 1, 13, 5, 9)),
        ("22/09/2022 23.30", datetime(2022, 9, 22, 23, 30)),
        ("44826.5", datetime(2022, 9, 22, 12)),
        ("22/09/2022", datetime(2022, 9, 22)),
    ],
)
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


MESSY = (
    "\r\n".join(
        [
            "DATA HARGA PASAR;;",
            "Dinas Perdagangan PPU",
            "",  # title rows above the header
            HEADER,  # row 4
            ";".join(ROW),  # 5
            "",  # 6: a blank line is no row
            ";".join(
                ROW[:2] + ["WRU-01", '"Pasar Waru\r\nLama"'] + ROW[4:6] + ["Rp 18.000"]
            ),  # 7: line break in a cell
            ";".join(ROW[:2] + ["SPK-01", "Pasar Sepaku", "Gula", "kg", "delapan belas"]),  # 8: unreadable price
            "Jumlah;;;;;;33.500",  # 9: a subtotal, skipped
            ";".join(["31/13/2026"] + ROW[1:]),  # 10: no such date
            "  ;  ;",  # 11: only spaces
            ";".join(["23/10/2026"] + ROW[1:]),  # 12
            "Jumlah;;;;;;67.000",
            "",
            "Total;;;;;;67.000",
            "",  # the total rows that end it
        ]
    )
    + "\r\n"
)


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 5])
def test_chunks_give_the_same_rows_issues_and_row_numbers(tmp_path, chunk_rows):
    whole, chunked = _both(tmp_path, "harga.csv", MESSY.encode("cp1252"), chunk_rows=chunk_rows)
    pd.testing.assert_frame_equal(whole.frame, chunked.frame)
    assert _issues(chunked) == _issues(whole)
    assert _issues(chunked) == [
        ("harga.csv", 8, "harga", "delapan belas", "tipe data"),
        ("harga.csv", 10, "tanggal", "31/13/2026", "tipe data"),
    ]
    assert chunked.frame["_source_row"].tolist() == [5, 7, 8, 10, 12]
    assert chunked.frame["nama_pasar"][1] == "Pasar Waru\r\nLama"
    assert chunked.rows == 5
    # every row that is not data is reported with its reason, runs of rows joined across chunks
    assert [(s.row, s.last_row, s.code) for s in chunked.skipped] == [
        (1, 2, "title-row"),
        (3, 3, "blank-row"),
        (6, 6, "blank-row"),
        (9, 9, "total-row"),
        (11, 11, "blank-row"),
        (13, 13, "total-row"),
        (14, 14, "blank-row"),
        (15, 15, "total-row"),
        (16, 16, "blank-row"),
    ]
    assert chunked.skipped == whole.skipped


def test_semicolons_with_decimal_commas_across_chunks(tmp_path):
    header = HEADER.replace("Harga (Rp)", "Harga (Rp, eceran)")
    lines = [header] + [";".join(ROW[:6] + [f"{n},5" if n % 4 else f"{n}.000"]) for n in range(1, 12)]
    whole, chunked = _both(tmp_path, "harga.csv", "\n".join(lines).encode(), COLUMNS | {"Harga (Rp, eceran)": "harga"})
    pd.testing.assert_frame_equal(whole.frame, chunked.frame)
    assert _issues(whole) == _issues(chunked) and len(chunked.issues) == 9  # n,5 is no whole number
    assert chunked.frame["harga"].dropna().tolist() == [4000, 8000]


def test_a_windows_1252_byte_late_in_the_file_is_not_a_surprise(tmp_path):
    """The head alone is valid UTF-8; the encoding is decided over the whole file before parsing."""
    rows = [";".join(ROW)] * 5000 + [";".join(ROW[:3] + ["Pasar Waru – Lama"] + ROW[4:])]
    data = "\n".join([HEADER] + rows).encode("cp1252")
    assert len(data) > 2 * (1 << 16) and data[: 1 << 16].decode("utf-8")
    whole, chunked = _both(tmp_path, "harga.csv", data, chunk_rows=1000)
    assert chunked.issues == [] and chunked.frame["nama_pasar"].iloc[-1] == "Pasar Waru – Lama"
    assert chunked.frame["_source_row"].iloc[-1] == 5002
    pd.testing.assert_frame_equal(whole.frame, chunked.frame)


@pytest.mark.parametrize("title", ["DATA HARGA PASAR", '"DATA HARGA\nPASAR"'])
def test_rows_after_an_irregular_line_deep_in_the_file_keep_their_numbers(tmp_path, title):
    """A short line (a signature) far down a regular file, a blank line, a line break inside a cell, and a title
    above the header that may span two lines: every row keeps the number the agency sees, in chunks too."""
    rows = [";".join(ROW[:4] + [f"Komoditas {n}"] + ROW[5:]) for n in range(30)]
    rows[4] = ";".join(ROW[:3] + ['"Pasar Induk\nPenajam"'] + ROW[4:])
    rows[12] = ""
    rows[25] = "Penajam, 22 Oktober 2026"
    data = "\n".join([title, HEADER, *rows]).encode()
    header_row = 2  # a record is a row, whatever line breaks its cells hold
    whole, chunked = _both(tmp_path, "harga.csv", data, chunk_rows=10)
    pd.testing.assert_frame_equal(whole.frame, chunked.frame)
    assert chunked.issues == []
    assert chunked.frame["_source_row"].tolist() == [header_row + 1 + n for n in range(30) if n not in (12, 25)]
    assert chunked.frame["nama_pasar"][4] == "Pasar Induk\nPenajam"
    assert chunked.frame["komoditas"].iloc[-1] == "Komoditas 29"
    assert [(s.row, s.code) for s in chunked.skipped if s.row > header_row] == [
        (header_row + 13, "blank-row"),
        (header_row + 26, "signature-row"),
    ]


def test_a_malformed_line_is_reported_not_raised(tmp_path):
    """More fields than the header, below the rows the header is found in."""
    data = "\n".join([HEADER] + [";".join(ROW)] * 25 + [";".join(ROW + ["extra", "fields"])]).encode()
    batch = parse_file(archived(tmp_path, "harga.csv", data), STANDARD, COLUMNS, chunk_rows=10)
    assert [(i.file, i.row, i.column, i.code) for i in batch.issues] == [("harga.csv", 27, "H", "too-many-columns")]
    assert "kolom H" in batch.issues[0].pesan


def test_staged_batch_is_a_typed_parquet_file(tmp_path):
    batch = parse_file(
        archived(tmp_path, "harga.csv", MESSY.encode("cp1252")),
        STANDARD,
        COLUMNS,
        folder=tmp_path / "staged",
        chunk_rows=2,
    )
    assert batch.path.parent == tmp_path / "staged" and batch.path.suffix == ".parquet"
    assert [str(t) for t in batch.frame.dtypes] == [
        "datetime64[us]",
        "str",
        "str",
        "str",
        "str",
        "str",
        "Int64",
        "str",
        "str",
        "int64",
    ]
    pd.testing.assert_frame_equal(batch.head(3), batch.frame.head(3))
    assert len(pickle.dumps(batch)) < 5000  # what Dagster stores between steps


def test_an_unclosed_quote_is_named_on_its_row(tmp_path):
    lines = [HEADER, ";".join(ROW), ";".join(ROW[:3] + ['"Pasar Induk Penajam'] + ROW[4:]), ";".join(ROW)]
    batch = parse_file(archived(tmp_path, "harga.csv", "\r\n".join(lines).encode()), STANDARD, COLUMNS)
    assert [(i.row, i.code) for i in batch.issues] == [(3, "malformed-row")]


@pytest.mark.parametrize(
    "name, data, code",
    [
        ("harga.xlsx", b"<!DOCTYPE html><html><body>Sesi berakhir</body></html>", "not-a-table"),
        ("harga.csv", b"%PDF-1.4\n%%EOF\n", "not-a-table"),
        ("harga.csv", b"", "empty-file"),
        ("harga.csv", (HEADER + "\r\n").encode() + b"\x00" * 64, "encoding-error"),
    ],
)
def test_what_is_no_table_is_named_before_any_reading(tmp_path, name, data, code):
    batch = parse_file(archived(tmp_path, name, data), STANDARD, COLUMNS)
    assert [(i.file, i.row, i.code) for i in batch.issues] == [(name, None, code)] and batch.rows == 0


def test_an_excel_file_renamed_csv_is_read_as_excel(tmp_path):
    book = Workbook()
    book.active.append(HEADER.split(";"))
    book.active.append([datetime(2026, 10, 22), "64.09.01", "PNJ-01", "Pasar Induk Penajam", "Kedelai", "kg", 14000])
    path = tmp_path / "book.xlsx"
    book.save(path)
    batch = parse_file(archived(tmp_path, "harga.csv", path.read_bytes()), STANDARD, COLUMNS)
    assert batch.issues == [] and batch.frame["harga"].tolist() == [14000]


def test_header_only_is_a_finding_for_a_dataset_that_owes_rows(tmp_path):
    batch = parse_file(archived(tmp_path, "harga.csv", (HEADER + "\r\n").encode()), STANDARD, COLUMNS)
    assert [(i.file, i.code) for i in batch.issues] == [("harga.csv", "no-data-rows")]
    assert "harian" in batch.issues[0].pesan and "daily" in batch.issues[0].message


def test_the_quarantine_report_carries_the_code(tmp_path):
    import json

    from pipelines.validation.quarantine import quarantine

    batch = parse_file(archived(tmp_path, "harga.csv", (HEADER + "\r\n").encode()), STANDARD, COLUMNS)
    folder = quarantine(tmp_path / "quarantine", "ppu", "harga-pasar", batch.files, batch.issues, [])
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert [i["code"] for i in report["issues"]] == ["no-data-rows"]
    assert "<td>no-data-rows</td>" in (folder / "report.html").read_text(encoding="utf-8")


def test_every_sheet_with_the_header_is_read_and_the_others_are_reported(tmp_path):
    """A month's workbook with a sheet per week: rows of both weeks, each row told by its sheet."""
    book = Workbook()
    book.active.title = "Minggu 1"
    book.active.append(HEADER.split(";"))
    book.active.append([datetime(2026, 10, 5), "64.09.01", "PNJ-01", "Pasar Induk", "Kedelai", "kg", 14000])
    second = book.create_sheet("Minggu 2")
    second.append(HEADER.split(";"))
    second.append([datetime(2026, 10, 12), "64.09.01", "PNJ-01", "Pasar Induk", "Kedelai", "kg", "empat"])
    book.create_sheet("Catatan").append(["Harga naik karena cuaca"])
    path = tmp_path / "harga.xlsx"
    book.save(path)
    batch = parse_file(archived(tmp_path, "harga.xlsx", path.read_bytes()), STANDARD, COLUMNS)
    assert batch.frame["_source_file"].tolist() == ["harga.xlsx [Minggu 1]", "harga.xlsx [Minggu 2]"]
    assert [(i.file, i.row, i.column) for i in batch.issues] == [("harga.xlsx [Minggu 2]", 2, "harga")]
    assert [(s.file, s.row, s.code) for s in batch.skipped] == [("harga.xlsx [Catatan]", 1, "other-sheet")]


def test_the_same_bytes_under_two_names_are_staged_apart(tmp_path):
    """A file re-sent under another name (which states another period) is its own staged batch: its rows carry
    their own file's name, even when another run stages the first name's batch in the same folder."""
    body = f"{HEADER}\n22/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Gula Pasir;kg;Rp 18.000\n".encode()
    archive = RawArchive(tmp_path / "raw")
    october, november = (
        archive.store("ppu", "harga-pasar", n, body, "test") for n in ("h_2026-10.csv", "h_2026-11.csv")
    )
    assert october.sha256 == november.sha256
    first = parse_file(october, STANDARD, {}, folder=tmp_path / "staged")
    second = parse_file(november, STANDARD, {}, folder=tmp_path / "staged")
    assert first.path != second.path
    assert set(first.frame["_source_file"]) == {"h_2026-10.csv"}
    assert set(second.frame["_source_file"]) == {"h_2026-11.csv"}
