"""The catalogue of what reading an agency file can find, one code each (like frictionless-py's error
catalogue): every refusal is an `Issue` carrying its code, and every row that is not data (a title, a
note, a signature, a total) is a `Skipped` entry, reported but no error. Messages are written for the clerk
who sent the file: what is wrong and what to do, in Bahasa Indonesia and in English; the Issue itself names
the file, row and column. README.md ("Self-check") lists the codes with an example each."""

from dataclasses import dataclass

from pipelines.issues import Issue


@dataclass(frozen=True)
class Code:
    rule: str  # the group a report sorts by (kept from before codes existed: struktur, tipe data, ...)
    pesan: str  # Bahasa Indonesia, may hold {placeholders}
    message: str  # English, the same placeholders


STRUCTURE, TYPE, PERSONAL = "struktur", "tipe data", "data pribadi"

# Findings: the delivery is refused until they are fixed.
ERRORS = {
    "not-a-table": Code(
        STRUCTURE,
        "berkas ini {kind_id}, bukan tabel; kirim tabelnya sendiri sebagai XLSX atau CSV (Excel: Simpan Sebagai)",
        "this file is {kind_en}, not a table; send the table itself as XLSX or CSV (Excel: Save As)",
    ),
    "empty-file": Code(
        STRUCTURE,
        "berkas kosong; kirim ulang berkas yang berisi tabel",
        "the file is empty; send the file with the table again",
    ),
    "encoding-error": Code(
        STRUCTURE,
        'huruf tidak dapat dibaca ({detail_id}); simpan ulang dari Excel sebagai "CSV UTF-8"',
        'the characters cannot be read ({detail_en}); save it again from Excel as "CSV UTF-8"',
    ),
    "unreadable-file": Code(
        STRUCTURE,
        "berkas rusak atau formatnya tidak dikenal; simpan ulang sebagai XLSX atau CSV",
        "the file is damaged or of an unknown format; save it again as XLSX or CSV",
    ),
    "sheet-not-found": Code(
        STRUCTURE,
        "lembar (sheet) {sheet} tidak ada; lembar yang ada: {sheets}",
        "sheet {sheet} not found; the workbook has: {sheets}",
    ),
    "malformed-row": Code(
        STRUCTURE,
        'baris CSV rusak (tanda kutip " tidak ditutup?); perbaiki baris ini atau simpan ulang dari Excel',
        'broken CSV line (an unclosed " quote?); fix this line or save the file again from Excel',
    ),
    "no-header": Code(
        STRUCTURE,
        "baris judul kolom tidak ditemukan; beri judul kolom seperti nama kolom di standar (kamus data)",
        "no header row with the standard's columns found; head the columns as the standard names them (data "
        "dictionary)",
    ),
    "missing-column": Code(
        STRUCTURE, "kolom wajib tidak ada; tambahkan kolom ini", "required column is missing; add this column"
    ),
    "duplicate-header": Code(
        STRUCTURE,
        "dua kolom berjudul sama untuk {field} (kolom {columns}); beri judul yang berbeda atau hapus satu",
        "two columns are headed {field} (columns {columns}); give them distinct headers or remove one",
    ),
    "too-many-columns": Code(
        STRUCTURE,
        "baris ini berisi nilai di kolom {letter} yang tidak berjudul; hapus nilai itu atau beri judul kolom",
        "this row has a value in column {letter}, which has no header; remove it or give the column a header",
    ),
    "no-data-rows": Code(
        STRUCTURE,
        "hanya judul kolom, tidak ada baris data; dataset {frequency_id} ini wajib berisi data",
        "header only, no data rows; this {frequency_en} dataset must hold data",
    ),
    "type-error": Code(
        TYPE,
        "nilai tidak dapat dibaca sebagai {type_id}; tulis seperti {example}",
        "value cannot be read as {type_en}; write it like {example}",
    ),
    "ambiguous-number": Code(
        TYPE,
        "angka ini bisa dibaca dua cara (ribuan atau desimal?); tulis tanpa pemisah (15500) atau 15.500",
        "this number reads two ways (thousands or decimals?); write it without separators (15500) or as 15.500",
    ),
    "out-of-range": Code(
        TYPE,
        "nilai di luar jangkauan {type_id}; periksa angka yang terketik (mis. {example})",
        "value is out of range for {type_en}; check the typed figure (e.g. {example})",
    ),
    "unknown-district": Code(
        STRUCTURE,
        "nama kecamatan tidak dikenal di tabel wilayah Kemendagri kabupaten ini; tulis seperti salah satu "
        "dari: {districts}",
        "unknown district name: not in the regency's Kemendagri region table; write it as one of: {districts}",
    ),
    "personal-data": Code(PERSONAL, "{what_id} (data pribadi)", "{what_en} (personal data)"),
    "personal-data-dropped-column": Code(
        PERSONAL,
        "kolom ini tidak dipakai standar tetapi memuat data pribadi ({what_id}: {count} nilai, mulai baris "
        "ini); hapus kolom itu sebelum mengirim",
        "this column is not part of the standard but holds personal data ({what_en}: {count} values, from this row "
        "on); remove the column before sending",
    ),
}

# Rows that are not data: reported as skipped (where and why), never an error.
SKIPS = {
    "title-row": Code("dilewati", "judul di atas tabel", "title above the table"),
    "blank-row": Code("dilewati", "baris kosong", "blank row"),
    "repeated-header": Code("dilewati", "judul kolom diulang (halaman baru)", "header repeated (new page)"),
    "column-numbers": Code("dilewati", "nomor kolom (1), (2), ...", "column numbers (1), (2), ..."),
    "page-number": Code("dilewati", "nomor halaman", "page number"),
    "total-row": Code("dilewati", "baris jumlah / rata-rata", "total or average row"),
    "note-row": Code("dilewati", "catatan / keterangan / sumber", "note, remark or source"),
    "signature-row": Code(
        "dilewati", "blok tanda tangan (tempat, tanggal, nama, NIP)", "signature block (place, date, name, NIP)"
    ),
    "text-row": Code("dilewati", "teks tunggal (judul bagian atau catatan)", "a lone text (section title or note)"),
    "other-sheet": Code(
        "dilewati", "lembar lain, tanpa judul kolom standar", "another sheet, without the standard's header"
    ),
}


def finding(
    code: str, file: str, row: int | None = None, column: str | None = None, value: str | None = None, **details: str
) -> Issue:
    """The Issue for `code`, its messages filled with `details`."""
    entry = ERRORS[code]
    return Issue(
        file, row, column, value, entry.rule, entry.pesan.format(**details), entry.message.format(**details), code
    )


@dataclass(frozen=True)
class Skipped:
    """Consecutive rows of one file that are not data, for one reason (`SKIPS`)."""

    file: str
    row: int  # first row, as the agency's spreadsheet numbers it
    last_row: int
    code: str

    def __str__(self) -> str:
        rows = f"{self.row}" if self.row == self.last_row else f"{self.row}-{self.last_row}"
        entry = SKIPS[self.code]
        return f"{self.file}, baris/row {rows}: dilewati, {entry.pesan} / skipped, {entry.message}"


def merge_skipped(found: list[Skipped], more: list[Skipped]) -> list[Skipped]:
    """`found` + `more`, joining a run of rows that a chunk boundary split in two."""
    for entry in more:
        last = found[-1] if found else None
        if last and (last.file, last.code) == (entry.file, entry.code) and last.last_row + 1 == entry.row:
            found[-1] = Skipped(last.file, last.row, entry.last_row, last.code)
        else:
            found.append(entry)
    return found
