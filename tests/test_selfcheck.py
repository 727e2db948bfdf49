"""The agency self-check `satudata validate`: same parsing and checks as the pipeline, no servers needed."""

import subprocess
import sys

import pytest

from pipelines import settings
from pipelines.selfcheck import check_file, report
from tests.helpers import Done, satudata

REALDATA = settings.PROJECT_ROOT.parent / "shared" / "realdata"
DEMO = settings.PROJECT_ROOT / "demo" / "drops" / "ppu" / "disdag"


def satudata_validate(*args: str) -> Done:
    return satudata("validate", *args)


def test_a_file_the_pipeline_accepts_passes(tmp_path):
    done = satudata_validate(
        str(DEMO / "harga_pasar_2026-10_minggu3-4.xlsx"), "--schema", "harga-pasar/1.0.0", "--regency", "ppu"
    )
    assert done.returncode == 0, done.stdout
    assert done.stdout.startswith("DITERIMA") and "1120" in done.stdout


def test_a_bad_file_is_rejected_with_file_row_and_column(tmp_path):
    bad = tmp_path / "kiriman.csv"
    bad.write_text(
        "Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan;Harga (Rp)\n"
        "22/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Gula Pasir;kg;Rp 18.000\n"
        "22/10/2026;64.03.01;PNJ-01;Pasar Induk Penajam;Kedelai;kg;empat belas ribu\n"
    )
    done = satudata_validate(str(bad), "--schema", "harga-pasar/1.0.0", "--regency", "64.09")
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith("DITOLAK")  # Bahasa Indonesia first
    assert "kiriman.csv, baris/row 3, kolom/column 'harga'" in done.stdout
    assert "kiriman.csv, baris/row 3, kolom/column 'kode_kecamatan'" in done.stdout


@pytest.mark.skipif(not REALDATA.exists(), reason="shared/realdata is not beside this checkout")
@pytest.mark.parametrize("schema", ["harga-pasar/1.0.0", "panggilan-112/1.0.0"])
def test_real_agency_files_get_a_clear_report_not_a_crash(schema, services_state):
    files = sorted(p for p in REALDATA.rglob("*") if p.suffix.lower() in (".csv", ".xls", ".xlsx"))
    assert files
    for path in files:
        result = check_file(path, schema, "", services_state / "reference")
        text = report(result)
        assert text.startswith(("DITERIMA", "DITOLAK")) and path.name in text
        assert all(issue.rule and issue.pesan and issue.message for issue in result.issues)


def test_the_period_comes_from_the_file_name_and_markets_from_the_regency_data_induk(tmp_path):
    header = "Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan;Harga (Rp)\n"
    rows = (
        "22/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Gula Pasir;kg;Rp 18.000\n"
        "22/10/2026;64.09.02;WRU-01;Pasar Waru;Gula Pasir;kg;Rp 18.000\n"
    )
    good = tmp_path / "harga_pasar_oktober_2026.csv"
    good.write_text(header + rows)
    assert satudata_validate(str(good), "--schema", "harga-pasar/1.0.0", "--regency", "ppu").returncode == 0

    late = tmp_path / "harga_pasar_september_2026.csv"  # the name says September
    late.write_text(header + rows)
    done = satudata_validate(str(late), "--schema", "harga-pasar/1.0.0", "--regency", "ppu")
    assert done.returncode == 1
    assert (
        "harga_pasar_september_2026.csv, baris/row 2, kolom/column 'tanggal' ['2026-10-22 00:00:00']: "
        "tanggal di luar periode laporan 2026-09"
    ) in done.stdout

    unknown = tmp_path / "harga_pasar_2026-10.csv"  # Paser's market, and Waru in Penajam
    unknown.write_text(
        header
        + rows.replace("PNJ-01;Pasar Induk Penajam", "PSR-KRO-01;Pasar Kuaro").replace(
            "64.09.02;WRU-01", "64.09.01;WRU-01"
        )
    )
    done = satudata_validate(str(unknown), "--schema", "harga-pasar/1.0.0", "--regency", "ppu")
    assert done.returncode == 1
    assert "baris/row 2, kolom/column 'kode_pasar' ['PSR-KRO-01']: kode tidak ada dalam Data Induk" in done.stdout
    assert "baris/row 3, kolom/column 'kode_pasar,kode_kecamatan' ['WRU-01|64.09.01']" in done.stdout


def test_a_regency_without_the_master_list_the_standard_needs_says_so(tmp_path):
    done = satudata_validate(
        str(DEMO / "harga_pasar_2026-10_minggu1-2.csv"), "--schema", "harga-pasar/1.0.0", "--regency", "lutra"
    )
    assert done.returncode == 2 and "lutra-pasar.csv" in done.stderr and "does not exist" in done.stderr


HEADER = "Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan;Harga (Rp)\n"


def test_a_standard_file_path_is_as_good_as_its_name(tmp_path):
    good = tmp_path / "harga_pasar_oktober_2026.csv"
    good.write_text(HEADER + "22/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Gula Pasir;kg;Rp 18.000\n")
    path = settings.PROJECT_ROOT / "schemas" / "harga-pasar" / "1.0.0.yaml"
    done = satudata_validate(str(good), "--schema", str(path), "--regency", "ppu")
    assert done.returncode == 0, done.stdout
    assert "Kabupaten Penajam Paser Utara (64.09)" in done.stdout
    missing = satudata_validate(str(good), "--schema", str(tmp_path / "tidak-ada.yaml"))
    assert missing.returncode == 2 and "standard file not found" in missing.stderr


def test_a_regency_outside_the_catalogue_checks_its_file_by_its_kemendagri_code(tmp_path):
    """Sumenep (35.29) is in no catalogue: its districts are the Kemendagri table's, its headers those the
    catalogue's regencies use, and master data it keeps nowhere here is said to be unchecked."""
    sumenep = tmp_path / "harga_pasar_2026-10.csv"
    sumenep.write_text(HEADER + "22/10/2026;35.29.01;SMN-01;Pasar Anom;Gula Pasir;kg;Rp 18.000\n")
    done = satudata_validate(str(sumenep), "--schema", "harga-pasar/1.0.0", "--regency", "35.29")
    assert done.returncode == 0, done.stdout
    assert "Kabupaten Sumenep (35.29)" in done.stdout and "master data not checked" in done.stdout
    penajam = tmp_path / "harga_pasar_2026-10_ppu.csv"
    penajam.write_text(HEADER + "22/10/2026;64.09.01;SMN-01;Pasar Anom;Gula Pasir;kg;Rp 18.000\n")
    done = satudata_validate(str(penajam), "--schema", "harga-pasar/1.0.0", "--regency", "3529")
    assert done.returncode == 1 and "kolom/column 'kode_kecamatan' ['64.09.01']" in done.stdout


def test_without_a_regency_region_codes_are_checked_against_the_whole_kemendagri_table(tmp_path):
    rows = (
        HEADER + "22/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Gula Pasir;kg;Rp 18.000\n"
        "22/10/2026;64.01.04;PSR-TGT-01;Pasar Induk Tanah Grogot;Gula Pasir;kg;Rp 18.500\n"
    )
    known = tmp_path / "harga_pasar_2026-10.csv"
    known.write_text(rows)
    done = satudata_validate(str(known), "--schema", "harga-pasar/1.0.0")
    assert done.returncode == 0, done.stdout
    assert "seluruh Indonesia / all of Indonesia" in done.stdout
    unknown = tmp_path / "harga_pasar_2026-10_salah.csv"
    unknown.write_text(rows.replace("64.01.04", "64.99.04"))
    done = satudata_validate(str(unknown), "--schema", "harga-pasar/1.0.0")
    assert done.returncode == 1 and "baris/row 3, kolom/column 'kode_kecamatan' ['64.99.04']" in done.stdout


def test_what_cannot_be_checked_is_said_plainly(tmp_path):
    done = satudata_validate(str(tmp_path / "tidak_ada.csv"), "--schema", "harga-pasar/1.0.0")
    assert done.returncode == 2 and "no such file" in done.stderr and "Traceback" not in done.stderr
    somewhere = tmp_path / "kiriman.csv"
    somewhere.write_text(HEADER)
    done = satudata_validate(str(somewhere), "--schema", "harga-pasar/1.0.0", "--regency", "99.99")
    assert done.returncode == 2 and "unknown regency '99.99'" in done.stderr and "Traceback" not in done.stderr


def test_the_self_check_runs_the_pipeline_rules_without_importing_great_expectations():
    """What keeps its start-up near a second (bench/validate_bench.py): the DuckDB query answers every rule."""
    probe = (
        "import sys; from pipelines.cli import main; "
        f"code = main(['validate', {str(DEMO / 'harga_pasar_2026-10_minggu1-2.csv')!r}, "
        "'--schema', 'harga-pasar/1.0.0', '--regency', 'ppu']); "
        "print(code, 'great_expectations' in sys.modules, 'dagster' in sys.modules, 'ckanapi' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=settings.PROJECT_ROOT
    )
    assert done.stdout.splitlines()[-1] == "0 False False False", done.stdout + done.stderr
