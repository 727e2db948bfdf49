"""Partial deliveries: the days or months of a file's reported period that hold no row are named, in the
self-check as an agency runs it and in what the pipeline's check reports."""

from datetime import date

import pandas as pd

from pipelines.standard import load_standard
from pipelines.standard.period import period_of
from pipelines.validation.coverage import gaps
from tests.helpers import satudata

HEADER = "Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan;Harga (Rp)\n"
ROW = "{day}/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Gula Pasir;kg;Rp 18.000\n"


def _rows(file: str, column: str, days: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "_source_file": file,
            "_source_row": range(2, len(days) + 2),
            column: pd.to_datetime(days).astype("datetime64[us]"),
        }
    )


def test_missing_days_of_a_daily_delivery_are_named_as_spans():
    standard = load_standard("harga-pasar/1.0.0")
    rows = _rows(
        "harga_pasar_2026-10.csv",
        "tanggal",
        ["2026-10-01", "2026-10-02", "2026-10-02", "2026-10-05"] + [f"2026-10-{d}" for d in range(6, 32)],
    )
    [gap] = gaps(rows, standard, today=date(2026, 12, 1))
    assert gap.missing == [date(2026, 10, 3), date(2026, 10, 4)]
    assert "tanggal 3 Oktober 2026 s.d. 4 Oktober 2026 /" in str(gap)
    assert str(gap).endswith("days 2026-10-03 to 2026-10-04")


def test_days_not_yet_due_are_not_missing():
    standard = load_standard("harga-pasar/1.0.0")
    rows = _rows("harga_pasar_2026-10.csv", "tanggal", [f"2026-10-{d:02d}" for d in range(1, 16)])
    assert gaps(rows, standard, today=date(2026, 10, 15)) == []
    [gap] = gaps(rows, standard, today=date(2026, 10, 17))
    assert gap.missing == [date(2026, 10, 16), date(2026, 10, 17)]


def test_a_yearly_recap_of_a_monthly_dataset_names_its_missing_months():
    standard = load_standard("bank-sampah/1.0.0")
    rows = _rows("rekap_bank_sampah_2025.xlsx", "bulan", [f"2025-{m:02d}-01" for m in (1, 2, 3, 5, 6, 7, 8, 9, 10, 12)])
    [gap] = gaps(rows, standard, today=date(2026, 12, 1))
    assert gap.missing == [date(2025, 4, 1), date(2025, 11, 1)]
    assert "bulan April 2025, November 2025 /" in str(gap)


def test_the_catalogue_period_applies_to_files_whose_names_state_none():
    standard = load_standard("harga-pasar/1.0.0")
    rows = _rows("harga_pasar.csv", "tanggal", ["2026-10-01", "2026-10-31"])
    assert gaps(rows, standard, today=date(2026, 12, 1)) == []  # no period stated: nothing owed
    [gap] = gaps(rows, standard, period_of("2026-10"), today=date(2026, 12, 1))
    assert gap.missing[0] == date(2026, 10, 2) and len(gap.missing) == 29


def test_self_check_names_the_missing_days_beside_its_verdict(tmp_path):
    sample = tmp_path / "harga_pasar_2026-10.csv"
    sample.write_text(
        HEADER + "".join(ROW.format(day=f"{d:02d}") for d in range(1, 32) if d not in (12, 19, 20)), encoding="utf-8"
    )
    done = satudata("validate", str(sample), "--schema", "harga-pasar/1.0.0", "--regency", "ppu")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DITERIMA" in done.stdout
    assert "tidak ada data untuk tanggal 12 Oktober 2026, 19 Oktober 2026 s.d. 20 Oktober 2026 /" in done.stdout, (
        done.stdout
    )
