"""The validation report published beside every table: the standard version, when, the verdict and every rule
with its result, readable in Bahasa Indonesia and English, never a row's values."""

from pathlib import Path

import pandas as pd

from pipelines.raw import RawFile
from pipelines.standard import load_standard
from pipelines.validation import validate
from pipelines.validation.report import read, render_html, report_path, write


def test_a_released_batch_is_reported_with_its_failing_rules_but_not_its_values(tmp_path):
    standard = load_standard("harga-pasar/1.0.0")
    rows = pd.DataFrame(
        {
            "tanggal": pd.to_datetime(["2026-10-01", "2026-10-01"]).astype("datetime64[us]"),
            "kode_kecamatan": ["64.09.01", "64.03.01"],
            "kode_pasar": ["PNJ-01", "PNJ-01"],
            "nama_pasar": ["Pasar Induk Penajam", "Pasar Induk Penajam"],
            "komoditas": ["Gula Pasir", "Kedelai"],
            "satuan": ["kg", "kg"],
            "harga": pd.array([18000, 14000], dtype="Int64"),
            "_source_file": "harga.csv",
            "_source_row": [2, 3],
        }
    )
    outcome = validate(
        rows,
        standard,
        {"kemendagri-kecamatan": ["64.09.01"]},
        references={
            "data-induk-pasar": pd.DataFrame(
                {"kode_pasar": ["PNJ-01"], "nama_pasar": ["Pasar Induk Penajam"], "kode_kecamatan": ["64.09.01"]}
            )
        },
    )
    staged = tmp_path / "batch.parquet"
    raw = RawFile("harga.csv", "ab" * 32, 120, "drop", "raw", "now")
    write(staged, standard.ref, [raw], 2, outcome.rules, len(outcome.issues), released_by="walidata: dicek ulang")

    report = read(staged)
    assert report_path(staged).exists() and report["standard"] == "harga-pasar/1.0.0"
    assert report["result"].startswith("dirilis walidata") and report["findings"] == len(outcome.issues) > 0
    failed = [r for r in report["rules"] if not r["success"]]
    assert {(r["column"], r["unexpected_count"]) for r in failed} >= {("kode_kecamatan", 1)}
    page = render_html(report, "Laporan validasi").decode()
    assert "harga-pasar/1.0.0" in page and "not-in-code-list" in page and "gagal / failed" in page
    assert "64.03.01" not in page and "64.03.01" not in report_path(staged).read_text()


def test_no_report_before_a_check(tmp_path):
    assert read(Path(tmp_path / "batch.parquet")) is None
