"""BPS metadata statistik (MS-Keg, MS-Var, MS-Ind) built from the real standards and catalogue entries, what is
missing named, and the JSON and XLSX on the real portal beside the table with the dataset page's section."""

import dataclasses
import io
import json

import ckanapi
import openpyxl
import pandas as pd
import pytest
import requests
import yaml

from pipelines.catalogue import Dataset, Regency, load_regencies
from pipelines.indicators import for_dataset
from pipelines.publish import ALL_DOWNLOADS, publish
from pipelines.publish.metadata_statistik import IND_COLUMNS, KEG_COLUMNS, VAR_COLUMNS, build, missing
from pipelines.settings import schemas_dir
from pipelines.standard import SchemaError, load_standard, parse_standard

HARGA = load_standard("harga-pasar/1.0.0")


def entry(regency_slug: str, name: str) -> tuple[Regency, Dataset]:
    regency = next(r for r in load_regencies() if r.slug == regency_slug)
    return regency, next(d for d in regency.datasets if d.name == name)


def keg(metadata: dict) -> dict[str, str]:
    return {row["Atribut"]: row["Isian"] for row in metadata["ms_keg"]}


def test_ms_keg_and_ms_var_come_from_the_standard_and_the_catalogue_entry():
    regency, dataset = entry("ppu", "harga-pasar")
    metadata = build(HARGA, dataset, regency, "http://portal/dataset/ppu-harga-pasar")
    activity = keg(metadata)
    assert activity["Judul Kegiatan"] == f"{HARGA.title} - {regency.name}"
    assert activity["Unit Eselon Penanggung Jawab"] == dataset.agency.name
    assert activity["Kontak Penanggung Jawab"] == dataset.agency.contact != ""
    assert activity["Tujuan Kegiatan"] == HARGA.metadata["tujuan"] != ""
    assert activity["Metode Pengumpulan Data"] == HARGA.metadata["metode"] != ""
    assert (activity["Frekuensi Penyelenggaraan"], activity["Kegiatan Ini Dilakukan"]) == ("Harian", "Berulang")
    assert activity["Cakupan Wilayah Pengumpulan Data"] == f"{regency.name} (64.09)"
    assert activity["Alamat Diseminasi"] == "http://portal/dataset/ppu-harga-pasar"
    assert activity["Nomor Rekomendasi Statistik"] == ""  # administrative data: the standard gives none

    variables = {row["Alias"]: row for row in metadata["ms_var"]}
    assert list(variables) == [f.name for f in HARGA.public_fields]
    assert all(list(row) == list(VAR_COLUMNS) for row in metadata["ms_var"])
    harga = variables["harga"]
    assert (harga["Nama Variabel"], harga["Konsep"], harga["Tipe Data"], harga["Satuan"]) == (
        "Harga (Rp)",
        "Harga eceran",
        "Numerik",
        "Rupiah",
    )
    assert harga["Klasifikasi Isian"] == "1 s.d. 10000000"
    assert harga["Aturan Validasi"].startswith("wajib diisi; >= 1; <= 10000000")
    assert "Beras Premium; Beras Medium" in variables["komoditas"]["Klasifikasi Isian"]
    assert variables["kode_kecamatan"]["Klasifikasi Isian"].startswith("Kode Referensi kemendagri-kecamatan")
    assert variables["kode_pasar"]["Klasifikasi Isian"] == "Data Induk data-induk-pasar"
    assert variables["tanggal"]["Referensi Waktu"] == "Harian (kolom tanggal)"
    assert metadata["ms_ind"] == [] and metadata["belum_lengkap"] == []


def test_every_standard_of_the_demo_is_complete_for_every_dataset():
    for regency in load_regencies():
        for dataset in regency.datasets:
            standard = for_dataset(load_standard(dataset.schema), dataset)
            gaps = [g for g in missing(standard, dataset, regency) if not g.startswith("MS-Ind")]
            assert gaps == [], (regency.slug, dataset.name)


def test_an_indicator_gets_its_ms_ind_and_its_missing_formula_is_named():
    regency, dataset = entry("ppu", "penduduk-kecamatan")
    standard = for_dataset(load_standard(dataset.schema), dataset)
    [indicator] = build(standard, dataset, regency)["ms_ind"]
    assert list(indicator) == list(IND_COLUMNS)
    assert (indicator["Nama Indikator"], indicator["Satuan"], indicator["Definisi"]) == (
        dataset.indicator["nama"],
        dataset.indicator["satuan"],
        dataset.indicator["definisi"],
    )
    assert indicator["Level Estimasi"] == "Kecamatan"
    assert any(
        g.startswith("MS-Ind: rumus belum diisi") and "no formula" in g for g in missing(standard, dataset, regency)
    )

    described = dataclasses.replace(
        dataset,
        indicator={
            **dataset.indicator,
            "rumus": "Jumlah penduduk terdaftar",
            "interpretasi": "Makin besar, makin banyak penduduk",
        },
    )
    standard = for_dataset(load_standard(dataset.schema), described)
    assert build(standard, described, regency)["ms_ind"][0]["Metode/Rumus Penghitungan"] == "Jumlah penduduk terdaftar"
    assert [g for g in missing(standard, described, regency) if g.startswith("MS-Ind")] == []


def harga_doc() -> dict:
    return yaml.safe_load((schemas_dir() / "harga-pasar" / "1.0.0.yaml").read_text(encoding="utf-8"))


def test_a_field_without_definisi_and_a_standard_without_tujuan_are_named_missing():
    regency, dataset = entry("ppu", "harga-pasar")
    doc = harga_doc()
    del doc["schema"]["fields"][6]["satudata"]["definisi"]  # harga
    del doc["satudata"]["tujuan"]
    gaps = missing(parse_standard(doc, "harga-pasar.yaml"), dataset, regency)
    assert gaps == [
        "MS-Keg: tujuan kegiatan belum diisi (satudata.tujuan di standar harga-pasar/1.0.0) / no purpose of the "
        "activity (satudata.tujuan in the standard)",
        "MS-Var harga: definisi belum diisi (satudata.definisi kolom di standar harga-pasar/1.0.0) / no "
        "definition (the field's satudata.definisi in the standard)",
    ]


@pytest.mark.parametrize("where", ["standard", "field"])
def test_a_mistyped_metadata_key_is_refused(where):
    doc = harga_doc()
    block = doc["satudata"] if where == "standard" else doc["schema"]["fields"][6]["satudata"]
    block["definsi"] = "salah ketik"
    with pytest.raises(SchemaError, match=r"unknown keys \['definsi'\]"):
        parse_standard(doc, "harga-pasar.yaml")


def prices(days: int) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "tanggal": pd.Timestamp("2026-10-01") + pd.Timedelta(days=d),
                "kode_kecamatan": "64.09.01",
                "kode_pasar": "PNJ-01",
                "nama_pasar": "Pasar Induk Penajam",
                "komoditas": "Gula Pasir",
                "satuan": "kg",
                "harga": 17_000 + d,
            }
            for d in range(days)
        ]
    )


def send(target, frame: pd.DataFrame):
    return publish(
        target["portal"](),
        target["regency"],
        target["dataset"],
        HARGA,
        frame,
        {"run_id": "run-1"},
        {"64.09.01"},
        downloads=ALL_DOWNLOADS,
    )


def test_the_json_and_xlsx_are_published_beside_the_table_and_the_page_shows_them(target):
    result = send(target, prices(3))
    package = ckanapi.RemoteCKAN(target["url"]).action.package_show(id=target["name"])  # as the public
    resources = {r["name"]: r for r in package["resources"]}
    json_file, xlsx_file = (
        resources["harga-pasar-metadata-statistik.json"],
        resources["harga-pasar-metadata-statistik.xlsx"],
    )
    assert (json_file["format"], xlsx_file["format"]) == ("JSON", "XLSX")

    published = json.loads(requests.get(json_file["url"], timeout=60).content)
    assert published == build(HARGA, target["dataset"], target["regency"], result.url)
    assert keg(published)["Unit Eselon Penanggung Jawab"] == target["dataset"].agency.name

    book = openpyxl.load_workbook(io.BytesIO(requests.get(xlsx_file["url"], timeout=60).content))
    assert book.sheetnames == ["MS-Keg", "MS-Var", "Belum lengkap"]
    assert [c.value for c in book["MS-Keg"][1]] == list(KEG_COLUMNS)
    assert [c.value for c in book["MS-Var"][1]] == list(VAR_COLUMNS)
    assert [row[0] for row in book["MS-Var"].iter_rows(min_row=2, values_only=True)] == [
        f.title for f in HARGA.public_fields
    ]

    # New rows republish the table; the metadata files, unchanged, are not sent again.
    again = send(target, prices(4))
    assert again.changed and "resource_patch" not in again.writes and "resource_create" not in again.writes

    page = requests.get(f"{target['url']}/dataset/{target['name']}", timeout=60).text
    for text in (
        "Metadata Statistik",
        "Kegiatan statistik (MS-Keg)",
        "Variabel (MS-Var)",
        "Tujuan Kegiatan",
        HARGA.metadata["tujuan"],
        "Harga jual eceran per satuan",
        json_file["url"],
        xlsx_file["url"],
    ):
        assert text in page, text
    english = requests.get(f"{target['url']}/en/dataset/{target['name']}", timeout=60).text
    assert "Statistical Metadata" in english and "Variables (MS-Var)" in english
