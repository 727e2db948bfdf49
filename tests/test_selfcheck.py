"""The agency self-check `satudata validate`: same parsing and checks as the pipeline, no servers needed."""

import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import settings
from pipelines.selfcheck import check_file, report

REALDATA = settings.PROJECT_ROOT.parent / "shared" / "realdata"
DEMO = settings.PROJECT_ROOT / "demo" / "drops" / "ppu" / "disdag"


def satudata_validate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).with_name("satudata")), "validate", *args],
                          capture_output=True, text=True, timeout=120)


def test_a_file_the_pipeline_accepts_passes(tmp_path):
    done = satudata_validate(str(DEMO / "harga_pasar_2026-10_minggu3-4.xlsx"), "--schema", "harga-pasar/1.0.0",
                             "--regency", "ppu")
    assert done.returncode == 0, done.stdout
    assert done.stdout.startswith("DITERIMA") and "1120" in done.stdout


def test_a_bad_file_is_rejected_with_file_row_and_column(tmp_path):
    bad = tmp_path / "kiriman.csv"
    bad.write_text("Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan;Harga (Rp)\n"
                   "22/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Gula Pasir;kg;Rp 18.000\n"
                   "22/10/2026;64.03.01;PNJ-01;Pasar Induk Penajam;Kedelai;kg;empat belas ribu\n")
    done = satudata_validate(str(bad), "--schema", "harga-pasar/1.0.0", "--regency", "64.09")
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith("DITOLAK")          # Bahasa Indonesia first
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
    rows = ("22/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Gula Pasir;kg;Rp 18.000\n"
            "22/10/2026;64.09.02;WRU-01;Pasar Waru;Gula Pasir;kg;Rp 18.000\n")
    good = tmp_path / "harga_pasar_oktober_2026.csv"
    good.write_text(header + rows)
    assert satudata_validate(str(good), "--schema", "harga-pasar/1.0.0", "--regency", "ppu").returncode == 0

    late = tmp_path / "harga_pasar_september_2026.csv"               # the name says September
    late.write_text(header + rows)
    done = satudata_validate(str(late), "--schema", "harga-pasar/1.0.0", "--regency", "ppu")
    assert done.returncode == 1
    assert ("harga_pasar_september_2026.csv, baris/row 2, kolom/column 'tanggal' ['2026-10-22 00:00:00']: "
            "tanggal di luar periode laporan 2026-09") in done.stdout

    unknown = tmp_path / "harga_pasar_2026-10.csv"                   # Paser's market, and Waru in Penajam
    unknown.write_text(header + rows.replace("PNJ-01;Pasar Induk Penajam", "PSR-KRO-01;Pasar Kuaro")
                       .replace("64.09.02;WRU-01", "64.09.01;WRU-01"))
    done = satudata_validate(str(unknown), "--schema", "harga-pasar/1.0.0", "--regency", "ppu")
    assert done.returncode == 1
    assert "baris/row 2, kolom/column 'kode_pasar' ['PSR-KRO-01']: kode tidak ada dalam Data Induk" in done.stdout
    assert "baris/row 3, kolom/column 'kode_pasar,kode_kecamatan' ['WRU-01|64.09.01']" in done.stdout


def test_a_regency_without_the_master_list_the_standard_needs_says_so(tmp_path):
    done = satudata_validate(str(DEMO / "harga_pasar_2026-10_minggu1-2.csv"), "--schema", "harga-pasar/1.0.0",
                             "--regency", "lutra")
    assert done.returncode == 2 and "lutra-pasar.csv" in done.stderr and "does not exist" in done.stderr
