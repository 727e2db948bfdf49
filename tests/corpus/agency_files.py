"""Agency-shaped deliveries of harga-pasar/1.0.0 from Penajam Paser Utara, written the way OPD clerks send
them (shaped after ../shared/realdata/ and the Disdag recaps: Excel on Indonesian Windows, CSV from Excel in
several encodings, title rows, notes, signature blocks, totals, hand-typed dates and prices), and the files
that arrive instead of a table. `write_all(folder)` writes every file; tests/corpus/manifest.yaml says what
each must give. Run `python tests/corpus/agency_files.py DIR` to look at them."""

import gzip
import io
import json
import random
import sys
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

HEADER = ["Tanggal", "Kode Kecamatan", "Kode Pasar", "Nama Pasar", "Komoditas", "Satuan", "Harga (Rp)"]
MARKETS = [
    ("64.09.01", "PNJ-01", "Pasar Induk Penajam"),
    ("64.09.02", "WRU-01", "Pasar Waru"),
    ("64.09.03", "BBL-01", "Pasar Babulu"),
    ("64.09.04", "SPK-01", "Pasar Sepaku"),
]
GOODS = [
    ("Beras Premium", "kg", 15500),
    ("Beras Medium", "kg", 13200),
    ("Gula Pasir", "kg", 18000),
    ("Minyak Goreng Curah", "liter", 16500),
    ("Telur Ayam Ras", "kg", 28500),
    ("Daging Sapi", "kg", 140000),
    ("Cabai Rawit Merah", "kg", 62000),
    ("Bawang Merah", "kg", 36000),
    ("Susu Kental Manis", "kaleng", 12500),
]
DAY = date(2026, 10, 22)
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
DAYS_ID = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
SIGNATURE = [
    ["", "", "", "", "Penajam, 31 Oktober 2026", "", ""],
    ["", "", "", "", "Kepala Dinas Perdagangan", "", ""],
    ["", "", "", "", "Kabupaten Penajam Paser Utara", "", ""],
    ["", "", "", "", "", "", ""],
    ["", "", "", "", "", "", ""],
    ["", "", "", "", "H. Ahmad Fauzi, S.E., M.Si.", "", ""],
    ["", "", "", "", "NIP. 19700512 199803 1 004", "", ""],
]


def slash(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def worded(day: date) -> str:
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def rupiah(value: int) -> str:
    return "Rp " + f"{value:,}".replace(",", ".")


def records(count: int = 6, day: date = DAY, market: int = 0) -> list[tuple]:
    """(date, district, market code, market name, commodity, unit, price) of one market's day."""
    district, code, name = MARKETS[market]
    return [(day, district, code, name, good, unit, price) for good, unit, price in GOODS[:count]]


def rows(count: int = 6, day: date = DAY, market: int = 0, when=slash, price=rupiah) -> list[list[str]]:
    return [[when(r[0]), *r[1:6], price(r[6])] for r in records(count, day, market)]


def week(days: int = 3, count: int = 4, when=slash, price=rupiah) -> list[list[str]]:
    """Several days of two markets: distinct (date, market, commodity)."""
    return [row for d in range(days) for m in (0, 1) for row in rows(count, date(2026, 10, 19 + d), m, when, price)]


# --- writers ----------------------------------------------------------------------------------------------


def csv_bytes(lines: list[list[str]], delimiter: str = ";", encoding: str = "cp1252", newline: str = "\r\n") -> bytes:
    def cell(value: str) -> str:
        return f'"{value}"' if delimiter in value or '"' in value or "\n" in value else value

    return (newline.join(delimiter.join(cell(v) for v in line) for line in lines) + newline).encode(encoding)


def xlsx_bytes(*sheets: tuple[str, list[list], list[str]]) -> bytes:
    """Sheets as (title, rows, merged ranges); None and "" are empty cells."""
    book = Workbook()
    book.remove(book.active)
    for title, lines, merges in sheets:
        sheet = book.create_sheet(title)
        for line in lines:
            sheet.append([None if v == "" else v for v in line])
        for area in merges:
            sheet.merge_cells(area)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xls_bytes(lines: list[list], merges: list[tuple[int, int, int, int]] = ()) -> bytes:
    import xlwt

    book = xlwt.Workbook(encoding="cp1252")
    sheet = book.add_sheet("Harga")
    dates = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    merged = {(r0, c0): (r1, c1) for r0, r1, c0, c1 in merges}
    for r, line in enumerate(lines):
        for c, value in enumerate(line):
            if (r, c) in merged:
                sheet.write_merge(r, merged[(r, c)][0], c, merged[(r, c)][1], value)
            elif value not in ("", None):
                sheet.write(r, c, value, dates) if isinstance(value, datetime) else sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def typed(count: int = 6, day: date = DAY, market: int = 0) -> list[list]:
    """Rows as Excel holds them: a date cell and a number cell."""
    return [[datetime(r[0].year, r[0].month, r[0].day), *r[1:6], r[6]] for r in records(count, day, market)]


def json_records(count: int = 6) -> list[dict]:
    names = ["tanggal", "kode_kecamatan", "kode_pasar", "nama_pasar", "komoditas", "satuan", "harga"]
    return [dict(zip(names, [r[0].isoformat(), *r[1:]])) for r in records(count)]


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


TITLE = [
    ["DAFTAR HARGA KOMODITAS PANGAN", "", "", "", "", "", ""],
    ["DINAS PERDAGANGAN KABUPATEN PENAJAM PASER UTARA", "", "", "", "", "", ""],
    ["Periode: Oktober 2026", "", "", "", "", "", ""],
]
BLANK = [""] * 7
PLAIN = csv_bytes([HEADER] + rows())
WEB_PAGE = (
    b"<!DOCTYPE html>\r\n<html><head><title>SIHARPA - Sesi berakhir</title></head><body>"
    b"<h1>Sesi Anda telah berakhir</h1><p>Silakan masuk kembali.</p></body></html>\r\n"
)
PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"


# --- the files --------------------------------------------------------------------------------------------


def _two_row_header_csv() -> bytes:
    top = ["Tanggal", "Lokasi", "", "", "Komoditas", "Satuan", "Harga (Rp)"]
    bottom = ["", "Kode Kecamatan", "Kode Pasar", "Nama Pasar", "", "", ""]
    return csv_bytes([top, bottom] + rows())


def _merged_header_xlsx() -> bytes:
    lines = [
        TITLE[0],
        TITLE[1],
        BLANK,
        ["Tanggal", "Lokasi", "", "", "Komoditas", "Satuan", "Harga (Rp)"],
        ["", "Kode Kecamatan", "Kode Pasar", "Nama Pasar", "", "", ""],
    ] + typed()
    lines.append(["JUMLAH", "", "", "", "", "", sum(r[6] for r in typed())])
    merges = ["A1:G1", "A2:G2", "B4:D4", "A4:A5", "E4:E5", "F4:F5", "G4:G5", "A12:F12"]
    return xlsx_bytes(("Harga Harian", lines, merges))


def _footer_xlsx() -> bytes:
    lines = (
        [HEADER]
        + typed()
        + [
            BLANK,
            ["Keterangan:", "", "", "", "", "", ""],
            ["- Harga eceran di tingkat konsumen", "", "", "", "", "", ""],
            ["Sumber: Petugas Pantau Harga Disdag PPU", "", "", "", "", "", ""],
            BLANK,
        ]
    )
    lines += [[v for v in line] for line in SIGNATURE]
    return xlsx_bytes(("Sheet1", lines, ["A9:G9", "A10:G10", "A11:G11"]))


def _repeated_header_xlsx() -> bytes:
    lines = [HEADER] + typed(5, market=0) + [["Halaman 1 dari 2", "", "", "", "", "", ""], HEADER] + typed(5, market=1)
    return xlsx_bytes(("Cetak", lines, []))


def _merged_date_xlsx() -> bytes:
    """The date merged down its rows, the market merged down its commodities, as clerks lay out a day."""
    lines = [HEADER]
    for market in (0, 1):
        block = typed(4, market=market)
        for i, line in enumerate(block):
            lines.append(line if i == 0 else ["", line[1], line[2], "", *line[4:]])
    merges = ["A2:A9", "D2:D5", "D6:D9"]
    return xlsx_bytes(("Harga", lines, merges))


def _subtotals_xlsx() -> bytes:
    lines = [HEADER]
    for market in (0, 1):
        block = typed(3, market=market)
        lines += block + [["", "", "", f"Sub Total {MARKETS[market][2]}", "", "", sum(r[6] for r in block)]]
    lines.append(["", "", "", "", "Rata-rata", "", 30000])
    return xlsx_bytes(("Harga", lines, []))


def _duplicate_merged_xlsx() -> bytes:
    top = ["Tanggal", "Kode Kecamatan", "Kode Pasar", "Nama Pasar", "Komoditas", "Satuan", "Harga (Rp)", ""]
    bottom = ["", "", "", "", "", "", "Kemarin", "Hari Ini"]
    body = [line + [line[6] + 500] for line in typed()]
    merges = ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:E2", "F1:F2", "G1:H1"]
    return xlsx_bytes(("Harga", [top, bottom] + body, merges))


def _section_headings_csv() -> bytes:
    lines = [HEADER]
    for market in (0, 1, 2):
        lines += [[MARKETS[market][2].upper(), "", "", "", "", "", ""]] + rows(3, market=market)
    return csv_bytes(lines)


def _mixed_encoding_csv() -> bytes:
    """UTF-8 rows, then Windows-1252 rows with an en dash: a file appended to on two computers."""
    first, later = rows(3), rows(3, market=1)
    first[0][3] = "Pasar Induk Penajam – Blok A"
    later[0][3] = "Pasar Waru – Lama"
    return csv_bytes([HEADER] + first, encoding="utf-8") + csv_bytes(later, encoding="cp1252")


def _nul_tail_csv() -> bytes:
    return PLAIN + b"\x00" * 512  # a copy cut short on a USB stick: the rest of the file is zero bytes


def _mixed_month_spellings() -> bytes:
    spelled = [
        "2 Pebruari 2026",
        "16 Peb 2026",
        "15 Mrt 2026",
        "5 Agt. 2026",
        "7 Agust 2026",
        "9 Sept 2026",
        "13 Okt 2026",
        "11 Nop 2026",
        "12 Nopember 2026",
        "14 Des 2025",
        "3 Ags 2026",
        "21 Sep. 2026",
    ]
    lines = [HEADER]
    for i, text in enumerate(spelled):
        district, code, name = MARKETS[i % 4]
        good, unit, price = GOODS[i % len(GOODS)]
        lines.append([text, district, code, name, good, unit, rupiah(price)])
    return csv_bytes(lines)


def _day_names() -> bytes:
    def named(day: date) -> str:
        return f"{DAYS_ID[day.weekday()]}, {worded(day)}".replace("Jumat", "Jum'at")

    return csv_bytes([HEADER] + week(5, 2, when=named))


def _rupiah_styles() -> bytes:
    typed_by_hand = ["Rp15.500,-", "Rp. 13.200,00", "18 rb", "16,5rb", "28.500,-", "Rp 140 ribu"]  # GOODS[:6]
    return csv_bytes([HEADER] + [line[:6] + [price] for line, price in zip(rows(6), typed_by_hand)])


def _english_numbers() -> bytes:
    return csv_bytes([HEADER] + rows(6, price=lambda v: f"{v:,}.00"), delimiter=",", encoding="utf-8")


def _personal_in_dropped_columns() -> bytes:
    header = ["No", *HEADER, "Petugas", "No. HP Petugas", "NIK Petugas"]
    officers = [
        ("Siti Aminah", "0812-5541-7788", "6409014512900003"),
        ("Budi Santoso", "0813 4622 1905", "6409021708850001"),
    ]
    lines = [header]
    for i, line in enumerate(rows(4)):
        lines.append([str(i + 1), *line, *officers[i % 2]])
    return csv_bytes(lines)


def _personal_in_dropped_xlsx() -> bytes:
    header = [*HEADER, "Nama Pedagang", "NIK Pedagang"]
    traders = ["6409015003780002", "6409034107920001", "6409022811690004"]
    body = [line + [f"Pedagang {i + 1}", traders[i % 3]] for i, line in enumerate(typed(3))]
    return xlsx_bytes(("Harga", [header] + body, []))


def _personal_in_kept_column() -> bytes:
    lines = [HEADER] + rows(3)
    lines[2][3] = "Pasar Induk Penajam (hub. 0812-5541-7788)"
    return csv_bytes(lines)


def _too_many_columns_csv() -> bytes:
    lines = [HEADER] + rows(4)
    lines[3] = lines[3] + ["naik krn hujan"]
    return csv_bytes(lines)


def _too_many_columns_xlsx() -> bytes:
    body = typed(4)
    body[1] = body[1] + ["", "stok kosong"]
    return xlsx_bytes(("Harga", [HEADER] + body, []))


def _unclosed_quote() -> bytes:
    lines = [HEADER] + rows(3)
    lines[2][3] = '"Pasar Induk Penajam'
    text = "\r\n".join(";".join(line) for line in lines) + "\r\n"
    return text.encode("cp1252")


def _header_only_xlsx() -> bytes:
    return xlsx_bytes(("Harga", TITLE + [BLANK, HEADER, BLANK] + [list(line) for line in SIGNATURE], []))


def _web_page_as_xls() -> bytes:
    """What many government systems export as `.xls`: an HTML table Excel happens to open."""
    cells = "".join(f"<td>{v}</td>" for v in HEADER)
    return (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8"></head><body>'
        f"<table><tr>{cells}</tr></table></body></html>"
    ).encode()


def _xml_spreadsheet() -> bytes:
    return (
        '<?xml version="1.0"?>\r\n<?mso-application progid="Excel.Sheet"?>\r\n<Workbook '
        'xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Harga"><Table><Row>'
        '<Cell><Data ss:Type="String">Tanggal</Data></Cell></Row></Table></Worksheet></Workbook>'
    ).encode()


def _binary_garbage_with_csv_name() -> bytes:
    noise = random.Random(18).randbytes(2048)
    return b"Tanggal;Kode" + noise


def _ole_word_renamed() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"Microsoft Word-Dokument" * 10


def _xls_title_total() -> bytes:
    lines = [["DINAS PERDAGANGAN – PPU", "", "", "", "", "", ""], BLANK, HEADER] + typed(4, market=3)
    lines.append(["Total", "", "", "", "", "", sum(r[6] for r in typed(4, market=3))])
    return xls_bytes(lines, merges=[(0, 0, 0, 6)])


def _xls_signature() -> bytes:
    return xls_bytes([HEADER] + typed(3, market=2) + [BLANK] + [list(line) for line in SIGNATURE])


def _renamed_xlsx() -> bytes:
    return xlsx_bytes(("Sheet1", [HEADER] + typed(), []))


def _second_sheet_xlsx() -> bytes:
    summary = [["REKAP RATA-RATA HARGA", ""], ["Komoditas", "Rata-rata"], ["Beras Premium", 15500]]
    return xlsx_bytes(("Rekap", summary, []), ("Data Harian", [HEADER] + typed(), []))


def _sheet_per_week_xlsx() -> bytes:
    """A month's workbook with a sheet per week, each with its own header, and a summary sheet."""
    summary = [["REKAP HARGA OKTOBER 2026"], ["Komoditas", "Rata-rata"], ["Beras Premium", 15500]]
    return xlsx_bytes(
        ("Minggu 1", [HEADER] + typed(4, date(2026, 10, 5)), []),
        ("Minggu 2", [HEADER] + typed(4, date(2026, 10, 12)), []),
        ("Rekap", summary, []),
    )


def _notes_csv() -> bytes:
    return csv_bytes(
        [HEADER]
        + rows()
        + [
            BLANK,
            ["Catatan: harga eceran rata-rata pukul 08.00 WITA", "", "", "", "", "", ""],
            ["Sumber: Petugas Pantau Harga Disdag PPU"],
        ]
    )


def _signature_csv() -> bytes:
    return csv_bytes([HEADER] + rows() + [BLANK] + SIGNATURE)


def _total_in_commodity_csv() -> bytes:
    return csv_bytes([HEADER] + rows() + [["", "", "", "", "Rata-rata", "", rupiah(38617)]])


def _subtotals_csv() -> bytes:
    lines = [HEADER]
    for market in (0, 1):
        lines += rows(3, market=market) + [["", "", "", f"Jumlah {MARKETS[market][2]}", "", "", rupiah(46700)]]
    return csv_bytes(lines + [["JUMLAH TOTAL", "", "", "", "", "", rupiah(93400)]])


def _repeated_header_csv() -> bytes:
    lines = [HEADER] + rows(4, market=0) + [["Hal. 1", "", "", "", "", "", ""], HEADER] + rows(4, market=1)
    return csv_bytes(lines + [["Hal. 2", "", "", "", "", "", ""]])


def _column_numbers_csv() -> bytes:
    return csv_bytes([TITLE[0], BLANK, HEADER, [f"({n})" for n in range(1, 8)]] + rows())


def _trailing_delimiters() -> bytes:
    return csv_bytes([HEADER + ["", "", ""]] + [line + ["", "", ""] for line in rows()])


def _blank_rows_between_days() -> bytes:
    return csv_bytes([HEADER] + rows(3, date(2026, 10, 20)) + [BLANK, BLANK] + rows(3, date(2026, 10, 21)))


def _unmapped_columns() -> bytes:
    lines = [["No", *HEADER, "Keterangan"]]
    for i, line in enumerate(rows()):
        lines.append([str(i + 1), *line, "stabil" if i % 2 else "naik"])
    return csv_bytes(lines)


def _nbsp_thousands() -> bytes:
    return csv_bytes([HEADER] + rows(price=lambda v: f"{v:,}".replace(",", "\u00a0")), encoding="utf-8")


def _period_range_ok() -> bytes:
    return csv_bytes([HEADER] + rows(3, date(2026, 10, 5)) + rows(3, date(2026, 10, 15), market=1))


def _period_range_outside() -> bytes:
    return csv_bytes([HEADER] + rows(3, date(2026, 10, 5)) + rows(3, date(2026, 10, 16), market=1))


def _broken_data_row() -> bytes:
    lines = [HEADER] + rows(4)
    lines[2][6] = ""  # a price left out: data, not a note
    return csv_bytes(lines)


def _half_row() -> bytes:
    lines = [HEADER] + rows(3)
    lines.insert(3, ["", "", "", "", "Gula Pasir", "", ""])  # a commodity typed, the rest of its row not yet
    return csv_bytes(lines)


def _unknown_market() -> bytes:
    lines = [HEADER] + rows(3)
    lines[3][2] = "PNJ-09"
    return csv_bytes(lines)


def _single_value(value: str, column: int = 6) -> Callable[[], bytes]:
    def build() -> bytes:
        lines = [HEADER] + rows(3)
        lines[2][column] = value
        return csv_bytes(lines)

    return build


FILES: dict[str, Callable[[], bytes]] = {
    # accepted
    "harga_pasar_oktober_2026.csv": lambda: PLAIN,
    "harga_utf8_koma.csv": lambda: csv_bytes([HEADER] + rows(price=str), delimiter=",", encoding="utf-8", newline="\n"),
    "harga_utf8_bom.csv": lambda: csv_bytes([HEADER] + rows(), encoding="utf-8-sig"),
    "harga_unicode_text.csv": lambda: csv_bytes([HEADER] + rows(), delimiter="\t", encoding="utf-16"),
    "harga_utf16_tanpa_bom.csv": lambda: csv_bytes([HEADER] + rows(), delimiter="\t", encoding="utf-16-le"),
    "harga_pipa.csv": lambda: csv_bytes([HEADER] + rows(), delimiter="|", encoding="utf-8"),
    "harga_tab.csv": lambda: csv_bytes([HEADER] + rows(when=worded), delimiter="\t", encoding="utf-8"),
    "harga_nama_pasar_cp1252.csv": lambda: csv_bytes(
        [HEADER] + [r[:3] + ["Pasar Waru – Lama"] + r[4:] for r in rows(market=1)]
    ),
    "harga_judul.csv": lambda: csv_bytes(TITLE + [BLANK, HEADER] + rows()),
    "harga_catatan.csv": _notes_csv,
    "harga_tanda_tangan.csv": _signature_csv,
    "harga_rata_rata_di_kolom_komoditas.csv": _total_in_commodity_csv,
    "harga_subtotal_per_pasar.csv": _subtotals_csv,
    "harga_judul_berulang.csv": _repeated_header_csv,
    "harga_nomor_kolom.csv": _column_numbers_csv,
    "harga_judul_dua_baris.csv": _two_row_header_csv,
    "harga_ejaan_bulan.csv": _mixed_month_spellings,
    "harga_nama_hari.csv": _day_names,
    "harga_gaya_rupiah.csv": _rupiah_styles,
    "harga_angka_inggris.csv": _english_numbers,
    "harga_spasi_ribuan.csv": _nbsp_thousands,
    "harga_pemisah_di_ujung.csv": _trailing_delimiters,
    "harga_baris_kosong.csv": _blank_rows_between_days,
    "harga_kolom_tambahan.csv": _unmapped_columns,
    "harga_judul_bagian.csv": _section_headings_csv,
    "harga 5 s.d. 15 Oktober 2026.csv": _period_range_ok,
    "harga_sep_excel.csv": lambda: b"sep=;\r\n" + PLAIN,  # Excel's hint line for the delimiter
    "harga_mac_lama.csv": lambda: PLAIN.replace(b"\r\n", b"\r"),  # old Mac line ends
    "harga_xlsx_biasa.xlsx": lambda: xlsx_bytes(("Sheet1", [HEADER] + typed(), [])),
    "harga_sel_gabung.xlsx": _merged_header_xlsx,
    "harga_keterangan_ttd.xlsx": _footer_xlsx,
    "harga_cetak_per_halaman.xlsx": _repeated_header_xlsx,
    "harga_tanggal_digabung.xlsx": _merged_date_xlsx,
    "harga_subtotal.xlsx": _subtotals_xlsx,
    "harga_dua_sheet.xlsx": _second_sheet_xlsx,
    "harga_oktober_2026_per_minggu.xlsx": _sheet_per_week_xlsx,
    "harga_teks.xlsx": lambda: xlsx_bytes(("Sheet1", [HEADER] + rows(when=worded), [])),
    "harga_xlsx_bernama_csv.csv": _renamed_xlsx,
    "harga_lama.xls": _xls_title_total,
    "harga_lama_ttd.xls": _xls_signature,
    "harga_api.json": lambda: json.dumps(json_records()).encode(),
    "harga_api_halaman.json": lambda: json.dumps({"data": json_records(), "page": 1, "total": 6}).encode(),
    # refused: not a table
    "harga_halaman_web.xlsx": lambda: WEB_PAGE,
    "harga_halaman_web.csv": lambda: WEB_PAGE,
    "harga_ekspor_sistem.xls": _web_page_as_xls,
    "harga_xml_2003.xls": _xml_spreadsheet,
    "harga_pasar.pdf": lambda: PDF,
    "harga_pdf_bernama.csv": lambda: PDF,
    "harga_pasar.zip": lambda: zip_bytes({"harga_pasar_oktober_2026.csv": PLAIN}),
    "harga_zip_bernama.xlsx": lambda: zip_bytes({"harga.csv": PLAIN}),
    "harga_dokumen.docx": lambda: zip_bytes(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
    ),
    "harga_foto.png": lambda: PNG,
    "harga_foto.jpg": lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64,
    "harga_pasar.csv.gz": lambda: gzip.compress(PLAIN, mtime=0),
    "harga_respon_api.json": lambda: json.dumps({"status": "ok", "message": "Data berhasil disimpan"}).encode(),
    "harga_daftar_baris.json": lambda: json.dumps([HEADER] + rows(2)).encode(),
    # refused: empty, header only
    "harga_kosong.csv": lambda: b"",
    "harga_baris_kosong_saja.csv": lambda: b"\r\n\r\n  \r\n",
    "harga_kosong.xlsx": lambda: xlsx_bytes(("Sheet1", [], [])),
    "harga_judul_saja.csv": lambda: csv_bytes([HEADER]),
    "harga_judul_dan_catatan.csv": lambda: csv_bytes([HEADER, ["Catatan: pasar tutup (libur nasional)"]]),
    "harga_judul_saja.xlsx": _header_only_xlsx,
    "harga_api_kosong.json": lambda: json.dumps({"data": [], "page": 1, "total": 0}).encode(),
    # refused: encoding, structure
    "harga_dua_encoding.csv": _mixed_encoding_csv,
    "harga_terpotong_nol.csv": _nul_tail_csv,
    "harga_biner.csv": _binary_garbage_with_csv_name,
    "harga_rusak.xlsx": lambda: b"PK\x03\x04" + b"\x14\x00\x06\x00" + b"rusak" * 40,
    "harga_word_lama.xls": _ole_word_renamed,
    "harga_tanpa_judul_kolom.csv": lambda: csv_bytes(rows()),
    "harga_tanpa_kolom_harga.csv": lambda: csv_bytes([HEADER[:6]] + [r[:6] for r in rows()]),
    "harga_judul_ganda.csv": lambda: csv_bytes([HEADER + ["Harga (Rp)"]] + [r + [rupiah(16000)] for r in rows()]),
    "harga_judul_ganda_gabung.xlsx": _duplicate_merged_xlsx,
    "harga_kolom_lebih.csv": _too_many_columns_csv,
    "harga_kolom_lebih.xlsx": _too_many_columns_xlsx,
    "harga_kutip_terbuka.csv": _unclosed_quote,
    # refused: values
    "harga_angka_raksasa.csv": _single_value("99999999999999999999999"),
    "harga_angka_raksasa.xlsx": lambda: xlsx_bytes(("Sheet1", [HEADER] + [r[:6] + [1e25] for r in typed(2)], [])),
    "harga_ribuan_ambigu.csv": _single_value("15,500"),
    "harga_huruf.csv": _single_value("lima belas ribu"),
    "harga_tanggal_salah.csv": _single_value("31/09/2026", column=0),
    "harga_tahun_dua_digit.csv": _single_value("22/10/26", column=0),
    "harga_harga_kosong.csv": _broken_data_row,
    "harga_pasar_tak_dikenal.csv": _unknown_market,
    "harga_baris_setengah.csv": _half_row,
    "harga 5 s.d. 15 Oktober 2026 revisi.csv": _period_range_outside,
    # refused: personal data
    "harga_data_petugas.csv": _personal_in_dropped_columns,
    "harga_data_pedagang.xlsx": _personal_in_dropped_xlsx,
    "harga_telepon_di_nama_pasar.csv": _personal_in_kept_column,
}


def write_all(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, build in FILES.items():
        path = folder / name
        path.write_bytes(build())
        written[name] = path
    return written


if __name__ == "__main__":
    print("\n".join(str(p) for p in write_all(Path(sys.argv[1]))))
