"""BPS metadata statistik (Peraturan BPS 5/2020) of a published dataset, from what the product already holds:
MS-Keg (the statistical activity) from the standard's `satudata:` block and the catalogue entry (the agency,
its contact, the source), MS-Var for every public field of the standard, and MS-Ind for an indicator of the
Daftar Data (its catalogue entry's `indikator:` block). What neither holds is named in `missing`, in Bahasa
Indonesia and English, for the walidata and the compliance scorecard.

The downloads (JSON and XLSX, one sheet per MS type) name their attributes and columns as BPS's INDAH forms
name them, so a walidata can copy them into INDAH's metadata entry; they are the same bytes for the same
metadata (the XLSX has a fixed timestamp), so an unchanged file is never sent again."""

import datetime as dt
import io
import json

import xlsxwriter

from pipelines.catalogue import Dataset, Regency
from pipelines.standard import Field, Standard
from pipelines.standard.types import FIELD_TYPES

# How the pipeline receives a source kind (MS-Keg "Sarana Pengumpulan Data").
MEANS = {
    "file_drop": "Berkas tabel dari OPD (XLSX/CSV)",
    "url": "Berkas tabel pada alamat web OPD",
    "api": "API aplikasi OPD",
    "database": "Basis data aplikasi OPD",
    "ckan": "Portal data (CKAN) OPD",
}
VAR_COLUMNS = (
    "Nama Variabel",
    "Alias",
    "Konsep",
    "Definisi",
    "Referensi Pemilihan",
    "Referensi Waktu",
    "Tipe Data",
    "Satuan",
    "Klasifikasi Isian",
    "Aturan Validasi",
    "Kalimat Pertanyaan",
    "Apakah Kolom Ini Dapat Diakses Umum?",
)
IND_COLUMNS = (
    "Nama Indikator",
    "Konsep",
    "Definisi",
    "Interpretasi",
    "Metode/Rumus Penghitungan",
    "Satuan",
    "Klasifikasi Penyajian",
    "Apakah Indikator Komposit?",
    "Level Estimasi",
    "Apakah Dapat Diakses Umum?",
)
KEG_COLUMNS = ("Blok", "Atribut", "Isian")
# The XLSX's timestamp: fixed, so the same metadata gives the same bytes.
XLSX_CREATED = dt.datetime(2020, 1, 1)


def _yes(flag: bool) -> str:
    return "Ya" if flag else "Tidak"


def _values(f: Field, standard: Standard) -> str:
    """MS-Var "Klasifikasi Isian": the code list, the master data, the allowed values or the range."""
    masters = [k.resource for k in standard.foreign_keys if f.name in k.fields]
    if f.code_list:
        return f"Kode Referensi {f.code_list} (Kepmendagri)"
    if masters:
        return f"Data Induk {masters[0]}"
    if f.enum:
        return "; ".join(map(str, f.enum))
    if f.minimum is not None or f.maximum is not None:
        return f"{'' if f.minimum is None else f.minimum} s.d. {'' if f.maximum is None else f.maximum}"
    return ""


def _rules(f: Field) -> str:
    """MS-Var "Aturan Validasi": the checks the pipeline runs on the field, from its constraints."""
    rules = ["wajib diisi"] if f.required else []
    if f.pattern:
        rules.append(f"sesuai pola {f.pattern}")
    if f.enum:
        rules.append("salah satu nilai Klasifikasi Isian")
    if f.minimum is not None:
        rules.append(f">= {f.minimum}")
    if f.maximum is not None:
        rules.append(f"<= {f.maximum}")
    if f.sum_of:
        rules.append(f"= {' + '.join(f.sum_of)}")
    if f.metadata.get("aturan_validasi"):
        rules.append(str(f.metadata["aturan_validasi"]))
    return "; ".join(rules)


def variables(standard: Standard) -> list[dict]:
    meta = standard.metadata
    when = meta["frekuensi"] + (f" (kolom {standard.period_field})" if standard.period_field else "")
    return [
        dict(
            zip(
                VAR_COLUMNS,
                (
                    f.title,
                    f.metadata.get("alias", f.name),
                    f.metadata.get("konsep", ""),
                    f.metadata.get("definisi", ""),
                    f"Standar Satu Data {standard.ref}",
                    when,
                    FIELD_TYPES[f.type].data_type,
                    f.metadata.get("satuan", ""),
                    _values(f, standard),
                    _rules(f),
                    "- (data administrasi, tanpa kuesioner)",
                    _yes(meta["klasifikasi"] == "Terbuka"),
                ),
            )
        )
        for f in standard.public_fields
    ]


def _described(standard: Standard, key: str) -> str:
    """An indicator's own `rumus` / `interpretasi` (its catalogue entry), else its standard's."""
    return (standard.metadata.get("indikator") or {}).get(key) or standard.metadata.get(key, "")


def indicators(standard: Standard) -> list[dict]:
    """MS-Ind of an indicator of the Daftar Data (pipelines/indicators.py); none for other datasets."""
    block, meta = standard.metadata.get("indikator"), standard.metadata
    if not block:
        return []
    return [
        dict(
            zip(
                IND_COLUMNS,
                (
                    block["nama"],
                    block["nama"],
                    block["definisi"],
                    _described(standard, "interpretasi"),
                    _described(standard, "rumus"),
                    block["satuan"],
                    meta.get("disagregasi") or f"{meta['tingkat_penyajian']}; periode",
                    "Tidak",
                    meta["tingkat_penyajian"],
                    _yes(meta["klasifikasi"] == "Terbuka"),
                ),
            )
        )
    ]


def activity(standard: Standard, dataset: Dataset, regency: Regency, url: str) -> list[dict]:
    meta, agency = standard.metadata, dataset.agency
    rows = [
        ("Identitas", "Judul Kegiatan", f"{standard.title} - {regency.name}"),
        ("Identitas", "Cara Pengumpulan Data", "Kompilasi Produk Administrasi"),
        ("Identitas", "Sektor Kegiatan", meta["sektor"]),
        ("Identitas", "Jenis Statistik", "Sektoral"),
        ("Identitas", "Nomor Rekomendasi Statistik", meta.get("rekomendasi_statistik", "")),
        ("I. Penyelenggara", "Instansi Penyelenggara", f"Pemerintah {regency.name}"),
        ("I. Penyelenggara", "Walidata", regency.walidata),
        ("II. Penanggung Jawab", "Unit Eselon Penanggung Jawab", agency.name),
        ("II. Penanggung Jawab", "Kontak Penanggung Jawab", agency.contact),
        ("III. Perencanaan dan Persiapan", "Latar Belakang Kegiatan", standard.description),
        ("III. Perencanaan dan Persiapan", "Tujuan Kegiatan", meta.get("tujuan", "")),
        (
            "IV. Desain Kegiatan",
            "Kegiatan Ini Dilakukan",
            "Hanya sekali" if meta["frekuensi"] == "Ad-hoc" else "Berulang",
        ),
        ("IV. Desain Kegiatan", "Frekuensi Penyelenggaraan", meta["frekuensi"]),
        ("IV. Desain Kegiatan", "Cakupan Wilayah Pengumpulan Data", f"{regency.name} ({regency.code})"),
        ("IV. Desain Kegiatan", "Metode Pengumpulan Data", meta.get("metode", "")),
        ("IV. Desain Kegiatan", "Sarana Pengumpulan Data", MEANS.get(dataset.source.kind, dataset.source.kind)),
        ("VII. Pengolahan dan Analisis", "Tingkat Penyajian Hasil Analisis", meta["tingkat_penyajian"]),
        (
            "VIII. Diseminasi Hasil",
            "Produk Kegiatan yang Tersedia untuk Umum",
            "Softcopy: tabel CSV, XLSX dan API" if meta["klasifikasi"] == "Terbuka" else "Tidak tersedia untuk umum",
        ),
        ("VIII. Diseminasi Hasil", "Alamat Diseminasi", url),
        ("VIII. Diseminasi Hasil", "Standar Data", standard.ref),
    ]
    return [dict(zip(KEG_COLUMNS, row)) for row in rows]


def missing(standard: Standard, dataset: Dataset, regency: Regency) -> list[str]:
    """What BPS's metadata statistik asks and neither the standard nor the catalogue holds, each "id / en".
    The hook for the compliance scorecard: an empty list is complete metadata."""
    meta, gaps = standard.metadata, []
    for key, id_, en in (
        ("tujuan", "tujuan kegiatan", "purpose of the activity"),
        ("metode", "metode pengumpulan data", "data collection method"),
    ):
        if not meta.get(key):
            gaps.append(
                f"MS-Keg: {id_} belum diisi (satudata.{key} di standar {standard.ref}) / "
                f"no {en} (satudata.{key} in the standard)"
            )
    if not dataset.agency.contact:
        gaps.append(
            f"MS-Keg: kontak penanggung jawab belum diisi (contact OPD {dataset.agency.slug} di katalog) / "
            f"no contact of the agency in charge (the agency's contact in the catalogue)"
        )
    for f in standard.public_fields:
        for key, en in (("konsep", "concept"), ("definisi", "definition")):
            if not f.metadata.get(key):
                gaps.append(
                    f"MS-Var {f.name}: {key} belum diisi (satudata.{key} kolom di standar {standard.ref}) / "
                    f"no {en} (the field's satudata.{key} in the standard)"
                )
    for key, en in (("rumus", "formula"), ("interpretasi", "interpretation")) if meta.get("indikator") else ():
        if not _described(standard, key):
            gaps.append(
                f"MS-Ind: {key} belum diisi (indikator.{key} entri {dataset.name} di katalog) / "
                f"no {en} (the entry's indikator.{key} in the catalogue)"
            )
    return gaps


def build(standard: Standard, dataset: Dataset, regency: Regency, url: str = "") -> dict:
    """The three metadata of a dataset as published at `url`, and what is missing. `standard` is the one the
    dataset is delivered by (an indicator's own: pipelines/indicators.py)."""
    return {
        "standar_data": standard.ref,
        "ms_keg": activity(standard, dataset, regency, url),
        "ms_var": variables(standard),
        "ms_ind": indicators(standard),
        "belum_lengkap": missing(standard, dataset, regency),
    }


def to_json(metadata: dict) -> bytes:
    return json.dumps(metadata, indent=2, ensure_ascii=False).encode("utf-8")


def to_xlsx(metadata: dict) -> bytes:
    """One sheet per MS type (MS-Keg, MS-Var, MS-Ind when there is one) and what is missing; text only, so no
    cell is ever read as a formula or a number."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    )
    book.set_properties({"title": f"Metadata statistik {metadata['standar_data']}", "created": XLSX_CREATED})
    bold = book.add_format({"bold": True})
    sheets = [("MS-Keg", KEG_COLUMNS, metadata["ms_keg"]), ("MS-Var", VAR_COLUMNS, metadata["ms_var"])]
    if metadata["ms_ind"]:
        sheets.append(("MS-Ind", IND_COLUMNS, metadata["ms_ind"]))
    sheets.append(
        (
            "Belum lengkap",
            ("Belum lengkap / missing",),
            [{"Belum lengkap / missing": gap} for gap in metadata["belum_lengkap"]],
        )
    )
    for title, columns, rows in sheets:
        sheet = book.add_worksheet(title)
        sheet.write_row(0, 0, columns, bold)
        for number, row in enumerate(rows, start=1):
            sheet.write_row(number, 0, [str(row[c]) for c in columns])
        sheet.set_column(0, len(columns) - 1, 30)
    book.close()
    return buffer.getvalue()


def downloads(standard: Standard, dataset: Dataset, regency: Regency, url: str) -> list[tuple]:
    """The files published beside the table: (name, content, format, mimetype, description)."""
    metadata = build(standard, dataset, regency, url)
    described = (
        f"Metadata statistik BPS (MS-Keg, MS-Var{', MS-Ind' if metadata['ms_ind'] else ''}) untuk "
        f"INDAH, dari standar {standard.ref} / BPS statistical metadata for INDAH"
    )
    return [
        (f"{dataset.name}-metadata-statistik.json", to_json(metadata), "JSON", "application/json", described),
        (
            f"{dataset.name}-metadata-statistik.xlsx",
            to_xlsx(metadata),
            "XLSX",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            described,
        ),
    ]
