"""`satudata describe`: a draft standard and catalogue entry from an agency's sample file, which the drafted
standard then accepts under `satudata validate`."""

import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml

from pipelines import settings
from pipelines.catalogue import load_regency
from pipelines.selfcheck import load_standard_file
from tests.helpers import satudata

REALDATA = settings.PROJECT_ROOT.parent / "shared" / "realdata"
BANDUNG = REALDATA / "harga_pangan_bandung" / "harga_komoditas_konsumen_kota_bandung.csv"


def paser_workbook(path: Path, prices: list[str] | None = None) -> Path:
    """A recap as a clerk of Paser's food agency types it: title rows, a numbered column, Indonesian dates,
    `Rp 12.500,-` and `1.250,5`, units in the headers, two markets in two districts, a source note and a total."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["REKAPITULASI HARGA DAN PASOKAN PANGAN"])
    sheet.append(["Dinas Ketahanan Pangan Kabupaten Paser"])
    sheet.append([])
    sheet.append(["No", "Tanggal", "Kode Kecamatan", "Nama Pasar", "Komoditas", "Volume (kg)", "Harga (Rp)"])
    markets = [("64.01.04", "Pasar Induk Tanah Grogot"), ("64.01.01", "Pasar Batu Sopang")]
    goods = [("Beras Medium", "1.250,5"), ("Gula Pasir", "310"), ("Cabai Rawit Merah", "42,75")]
    prices = prices or ["Rp 12.500,-", "Rp 17.000,-", "Rp 55.000,-"]
    number = 0
    for day in ("22 September 2025", "23/09/2025"):
        for code, market in markets:
            for (good, volume), price in zip(goods, prices):
                number += 1
                sheet.append([number, day, code, market, good, volume, price])
    sheet.append(["Jumlah", "", "", "", "", "3.206,5", ""])
    sheet.append([])
    sheet.append(["Sumber: laporan petugas pasar"])
    book.save(path)
    return path


@pytest.fixture(scope="module")
def drafted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("describe")
    sample = paser_workbook(folder / "rekap_harga_pangan_september_2025.xlsx")
    done = satudata("describe", str(sample), "--name", "pasokan-pangan", "--out", str(folder / "draf"))
    return folder, sample, done


def fields_of(folder: Path) -> dict[str, dict]:
    doc = yaml.safe_load((folder / "draf" / "schemas" / "pasokan-pangan" / "1.0.0.yaml").read_text())
    return {f["name"]: f for f in doc["schema"]["fields"]}


def test_the_draft_reads_indonesian_numbers_dates_units_and_region_codes(drafted):
    folder, _, done = drafted
    assert done.returncode == 0, done.stdout + done.stderr
    assert "baris/row 17: dilewati" in done.stdout and "baris/row 19: dilewati" in done.stdout  # total, source
    fields = fields_of(folder)
    assert list(fields) == ["no", "tanggal", "kode_kecamatan", "nama_pasar", "komoditas", "volume_kg", "harga"]
    assert fields["tanggal"]["type"] == "date"  # `22 September 2025` and `23/09/2025`
    assert fields["harga"]["type"] == "integer"  # `Rp 12.500,-`
    assert fields["harga"]["satudata"]["satuan"] == "Rupiah"  # `Harga (Rp)`
    assert fields["volume_kg"]["type"] == "number"  # `1.250,5`
    assert fields["volume_kg"]["satudata"]["satuan"] == "kilogram"  # `Volume (kg)`
    assert fields["kode_kecamatan"]["satudata"]["code_list"] == "kemendagri-kecamatan"
    assert fields["komoditas"]["constraints"]["enum"] == ["Beras Medium", "Cabai Rawit Merah", "Gula Pasir"]
    assert "enum" not in fields["nama_pasar"].get("constraints", {})  # names a district's market, not a code list


def test_the_draft_is_a_standard_with_a_primary_key_and_its_metadata(drafted):
    folder, _, _ = drafted
    standard = load_standard_file(str(folder / "draf" / "schemas" / "pasokan-pangan" / "1.0.0.yaml"))
    assert standard.ref == "pasokan-pangan/1.0.0"
    assert standard.primary_key == ("tanggal", "kode_kecamatan", "komoditas")
    assert standard.period_field == "tanggal"
    assert standard.metadata["frekuensi"] == "Harian" and standard.metadata["tingkat_penyajian"] == "Kecamatan"


def test_the_catalogue_entry_maps_the_agency_headers_and_loads_in_a_regency_file(drafted, tmp_path):
    folder, _, _ = drafted
    entry = yaml.safe_load((folder / "draf" / "catalogue" / "pasokan-pangan.yaml").read_text())["datasets"]
    regency = {
        "regency": {"code": "64.01", "slug": "paser", "name": "Kabupaten Paser"},
        "walidata": "Diskominfo",
        "portal": "local",
        "agencies": [{"slug": "opd-pengirim", "name": "Dinas Ketahanan Pangan"}],
        "datasets": entry,
    }
    (tmp_path / "paser.yaml").write_text(yaml.safe_dump(regency))
    [dataset] = load_regency(tmp_path / "paser.yaml").datasets
    assert dataset.schema == "pasokan-pangan/1.0.0" and dataset.source.kind == "file_drop"
    assert dataset.columns["Harga (Rp)"] == "harga" and dataset.columns["Volume (kg)"] == "volume_kg"


def test_the_drafted_standard_accepts_its_sample_and_refuses_a_broken_copy(drafted):
    folder, sample, _ = drafted
    schema = str(folder / "draf" / "schemas" / "pasokan-pangan" / "1.0.0.yaml")
    accepted = satudata("validate", str(sample), "--schema", schema, "--regency", "paser")
    assert accepted.returncode == 0, accepted.stdout
    assert accepted.stdout.startswith("DITERIMA") and "(12 baris)" in accepted.stdout
    assert "baris/row 17: dilewati, baris jumlah" in accepted.stdout  # the total row, said, not counted
    broken = paser_workbook(
        folder / "rekap_harga_pangan_september_2025_salah.xlsx", ["Rp 12.500,-", "tujuh belas ribu", "Rp 55.000,-"]
    )
    refused = satudata("validate", str(broken), "--schema", schema, "--regency", "paser")
    assert refused.returncode == 1
    assert "baris/row 6, kolom/column 'harga'" in refused.stdout
    elsewhere = satudata("validate", str(sample), "--schema", schema, "--regency", "ppu")  # Paser's districts
    assert elsewhere.returncode == 1 and "kolom/column 'kode_kecamatan' ['64.01.04']" in elsewhere.stdout


@pytest.mark.skipif(not BANDUNG.exists(), reason="shared/realdata is not beside this checkout")
def test_a_real_agency_file_is_drafted_and_accepted(tmp_path):
    sample = shutil.copy(BANDUNG, tmp_path / BANDUNG.name)
    done = satudata("describe", str(sample), "--name", "harga-pangan", "--out", str(tmp_path / "draf"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DITERIMA" in done.stdout and "(1625 baris)" in done.stdout
    # five spellings of two units: a code list, with the spellings named for the walidata
    assert "['Rp./Kg', 'Rp/Kg', 'Rp/kg']" in done.stdout
    fields = yaml.safe_load((tmp_path / "draf" / "schemas" / "harga-pangan" / "1.0.0.yaml").read_text())["schema"]
    types = {f["name"]: f["type"] for f in fields["fields"]}
    assert types["timestamp"] == types["tanggal_kemarin"] == "date"  # ISO and `12-9-2025`
    assert types["harga"] == "integer" and types["gap_persen"] == "number" and types["id"] == "string"
    assert fields["primaryKey"][0] == "timestamp"


@pytest.mark.skipif(not REALDATA.exists(), reason="shared/realdata is not beside this checkout")
def test_region_names_without_codes_are_named_for_the_walidata(tmp_path):
    """Sumenep's 112 incidents carry the app's own district ids and Kemendagri district names."""
    sample = shutil.copy(REALDATA / "cc112_sumenep" / "cc112_kejadian_sumenep_2021_2023.csv", tmp_path)
    done = satudata("describe", str(sample), "--name", "kejadian-112", "--out", str(tmp_path / "draf"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nama_kecamatan: nama kecamatan (Kemendagri); tambahkan kolom kode kecamatan" in done.stdout
    fields = yaml.safe_load((tmp_path / "draf" / "schemas" / "kejadian-112" / "1.0.0.yaml").read_text())["schema"]
    assert {f["name"]: f["type"] for f in fields["fields"]}["tanggal_terima"] == "datetime"  # 20 Agustus 2021 07:15


def test_drafts_never_overwrite_and_never_go_into_the_live_catalogue(drafted):
    folder, sample, _ = drafted
    again = satudata("describe", str(sample), "--name", "pasokan-pangan", "--out", str(folder / "draf"))
    assert again.returncode == 2 and "not overwritten" in again.stderr
    live = satudata("describe", str(sample), "--name", "pasokan-pangan", "--out", str(settings.PROJECT_ROOT))
    assert live.returncode == 2 and "live catalogue" in live.stderr
    assert not (settings.PROJECT_ROOT / "schemas" / "pasokan-pangan").exists()


def test_what_is_no_table_gets_a_message_not_a_traceback(tmp_path):
    pdf = tmp_path / "laporan.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    done = satudata("describe", str(pdf), "--name", "laporan", "--out", str(tmp_path / "draf"))
    assert done.returncode == 2 and "Traceback" not in done.stderr and "laporan.pdf" in done.stderr
    bad_name = satudata("describe", str(pdf), "--name", "Laporan Bulanan", "--out", str(tmp_path / "draf"))
    assert bad_name.returncode == 2 and "harga-pangan" in bad_name.stderr
