"""The personal-data guard on real region codes: what looks like a NIK, KK, phone number or e-mail."""

import stat

import pandas as pd
import pytest
import yaml

from pipelines.parsing import parse_files
from pipelines.raw import RawArchive
from pipelines.settings import schemas_dir
from pipelines.standard import SchemaError, load_standard, parse_standard
from pipelines.validation.privacy import district_codes, scan
from pipelines.validation.quarantine import quarantine

STANDARD = load_standard("harga-pasar/1.0.0")


def frame_with(name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nama_pasar": pd.Series([name, "Pasar Waru"], dtype="str"),
            "komoditas": pd.Series(["Kedelai", "Kedelai"], dtype="str"),
            "_source_file": "kiriman.csv",
            "_source_row": [2, 3],
        }
    )


@pytest.fixture(scope="module")
def districts(regions):
    return district_codes(regions)


@pytest.mark.parametrize(
    "text, finding",
    [
        ("Pasar Induk, pengelola NIK 6409014512900003", "NIK"),  # PPU Penajam, woman born 5 Dec 1990
        ("Hubungi 0812-5555-1234", "telepon"),
        ("kontak +62 812 5555 1234", "telepon"),
        ("lapor ke petugas@contoh.go.id", "e-mail"),
    ],
)
def test_personal_data_is_found_and_named(districts, text, finding):
    [issue] = scan(frame_with(text), STANDARD, districts)
    assert (issue.file, issue.row, issue.column, issue.rule) == ("kiriman.csv", 2, "nama_pasar", "data pribadi")
    assert finding in issue.pesan
    assert issue.value.endswith("…") and len(issue.value) == 5  # the report never repeats the number


@pytest.mark.parametrize(
    "text",
    [
        "Pasar Induk Penajam",
        "kode 9999014512900003",  # 16 digits, but 99.99.01 is no district
        "kode 6409011399000003",  # month 99 is no date
        "harga 12500 per kg",
        "KIB 6208 101 2020 09 7 1",  # a BNPB disaster id (realdata/bencana_bnpb): `08...` inside a longer code
    ],
)
def test_ordinary_text_passes(districts, text):
    assert scan(frame_with(text), STANDARD, districts) == []


def test_fields_marked_personal_are_not_public_and_cannot_be_keys():
    assert [f.name for f in STANDARD.public_fields] == STANDARD.field_names
    raw = yaml.safe_load((schemas_dir() / "harga-pasar" / "1.0.0.yaml").read_text())
    raw["schema"]["fields"][3]["satudata"] = {"personal": True}
    assert "nama_pasar" not in [f.name for f in parse_standard(raw, "x").public_fields]
    raw["schema"]["fields"][2]["satudata"] = {"personal": True}
    with pytest.raises(SchemaError, match="personal data"):
        parse_standard(raw, "x")


def test_a_staged_parquet_file_is_scanned_like_its_frame(districts, tmp_path):
    frame = pd.concat(
        [
            frame_with("Pasar Waru"),
            frame_with("Hubungi 0812-5555-1234 atau petugas@contoh.go.id"),
            frame_with("Pasar Ïndah, NIK 6409014512900003"),
        ],
        ignore_index=True,
    )
    frame["_source_row"] = range(2, len(frame) + 2)
    path = tmp_path / "batch.parquet"
    frame.to_parquet(path, index=False)
    found = scan(path, STANDARD, districts)
    assert found == scan(frame, STANDARD, districts)
    assert [(i.row, i.pesan.split(" (")[0]) for i in found] == [
        (6, "kemungkinan NIK/No. KK"),
        (4, "nomor telepon"),
        (4, "alamat e-mail"),
    ]


def test_agency_files_reports_and_parsed_rows_are_readable_by_the_pipeline_user_only(tmp_path):
    body = (
        "Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan;Harga (Rp)\n"
        "01/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Kedelai;kg;Rp 14.000\n"
    )
    raw = RawArchive(tmp_path / "raw").store("ppu", "harga-pasar", "kiriman.csv", body.encode(), "test")
    quarantine(tmp_path / "quarantine", "ppu", "harga-pasar", [raw], [], [])
    batch = parse_files([raw], STANDARD, {}, folder=tmp_path / "staged" / "ppu" / "harga-pasar")
    for folder in (tmp_path / "raw", tmp_path / "quarantine", batch.path.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_personal_data_in_a_column_the_standard_drops_is_reported_without_its_values(districts, tmp_path):
    """The clerk's own columns (officer, phone, NIK) never reach the staged rows, but they are in the raw
    archive: the scan names the column, the first row and how many, never the numbers."""
    body = (
        "No;Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan;Harga (Rp);No. HP Petugas;NIK\n"
        "1;01/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Kedelai;kg;Rp 14.000;-;-\n"
        "2;01/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Gula Pasir;kg;Rp 18.000;0812-5541-7788;6409014512900003\n"
        "3;01/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Beras Medium;kg;Rp 13.200;0813 4622 1905;-\n"
    )
    raw = RawArchive(tmp_path / "raw").store("ppu", "harga-pasar", "kiriman.csv", body.encode(), "test")
    batch = parse_files([raw], STANDARD, {}, folder=tmp_path / "staged")
    assert "No. HP Petugas" not in batch.frame.columns
    found = scan(batch.path, STANDARD, districts)
    assert sorted((i.file, i.row, i.column, i.value, i.code) for i in found) == [
        ("kiriman.csv", 3, "NIK", None, "personal-data-dropped-column"),
        ("kiriman.csv", 3, "No. HP Petugas", None, "personal-data-dropped-column"),
    ]
    phone = next(i for i in found if i.column == "No. HP Petugas")
    assert "nomor telepon: 2 nilai" in phone.pesan and "phone number: 2 values" in phone.message
    assert not any(digits in str(i) for i in found for digits in ("5541", "4622", "640901"))


def test_a_batch_without_dropped_columns_leaves_no_file_beside_it(tmp_path):
    from pipelines.validation.privacy import dropped_path

    body = (
        "Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan;Harga (Rp);Keterangan\n"
        "01/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Kedelai;kg;Rp 14.000;stabil\n"
    )
    raw = RawArchive(tmp_path / "raw").store("ppu", "harga-pasar", "kiriman.csv", body.encode(), "test")
    batch = parse_files([raw], STANDARD, {}, folder=tmp_path / "staged")
    assert batch.rows == 1 and not dropped_path(batch.path).exists()
