"""Where a batch stands with the quarantine (`pipelines.validation.quarantine.standing`), the one answer the
warehouse and portal steps act on: a rejected batch stays out and is never shown as released."""

from pathlib import Path

from pipelines.issues import Issue
from pipelines.parsing import Batch
from pipelines.raw import RawFile, batch_id
from pipelines.validation import report as validation_report
from pipelines.validation.quarantine import decide, judge, quarantine, standing

FILES = [
    RawFile(
        "harga_2026-10.csv",
        "ab" * 32,
        120,
        "demo/drops/ppu/disdag",
        "/raw/harga_2026-10.csv",
        "2026-11-02T01:00:00+00:00",
    )
]


def test_a_batch_that_passed_is_not_held(tmp_path):
    passed = standing(tmp_path, "ppu", "harga-pasar", batch_id(FILES))
    assert not passed.held and not passed.blocked and not passed.released_by


def test_a_batch_is_named_by_its_files_content_whatever_their_order_or_names():
    other = RawFile("harga_2026-11.csv", "cd" * 32, 99, "demo/drops/ppu/disdag", "/raw/b.csv", FILES[0].pulled_at)
    renamed = [RawFile("lain.csv", *[getattr(FILES[0], f) for f in ("sha256", "size", "source", "path", "pulled_at")])]
    assert Batch(Path("a.parquet"), 1, files=[*FILES, other]).id == batch_id([other, *FILES])
    assert batch_id(renamed) == batch_id(FILES) != batch_id([other])


def test_a_quarantined_batch_is_blocked_until_released_and_a_rejected_one_for_good(tmp_path):
    batch = quarantine(tmp_path, "ppu", "harga-pasar", FILES, [], []).name
    held = standing(tmp_path, "ppu", "harga-pasar", batch)
    assert held.held and held.blocked and not held.released_by

    decide(tmp_path, "ppu", "harga-pasar", batch, "reject", "walidata.ppu", "angka harga salah")
    rejected = standing(tmp_path, "ppu", "harga-pasar", batch)
    assert rejected.blocked and not rejected.released_by  # never labelled "Dirilis walidata"

    decide(tmp_path, "ppu", "harga-pasar", batch, "release", "walidata.ppu", "harga diperiksa ke pasar")
    released = standing(tmp_path, "ppu", "harga-pasar", batch)
    assert not released.blocked
    assert released.released_by.startswith("walidata.ppu (") and released.released_by.endswith(
        "harga diperiksa ke pasar"
    )


FOUND = [Issue("harga_2026-10.csv", 3, "harga", "0", "expect_column_values_to_be_between", "di luar", "outside")]
RULES = [{"expectation": "expect_column_values_to_be_between", "column": "harga", "success": False}]


def test_a_clean_batch_goes_on_with_its_validation_report_and_no_quarantine(tmp_path):
    staged = tmp_path / "staged" / "batch.parquet"
    staged.parent.mkdir()
    verdict = judge(tmp_path / "q", "ppu", "harga-pasar", Batch(staged, 40, files=FILES), "harga-pasar/1.0.0", [], [])
    assert verdict.passed and verdict.folder is None and not verdict.released_by
    assert validation_report.read(staged)["result"] == "lolos / passed"
    assert not (tmp_path / "q").exists()


def test_findings_hold_a_batch_until_a_walidata_releases_exactly_those_bytes(tmp_path):
    staged = tmp_path / "staged" / "batch.parquet"
    staged.parent.mkdir()
    args = (tmp_path / "q", "ppu", "harga-pasar", Batch(staged, 40, files=FILES), "harga-pasar/1.0.0", FOUND, RULES)
    held = judge(*args)
    assert not held.passed and (held.folder / "report.html").exists() and not held.released_by
    assert validation_report.read(staged) is None  # nothing to publish beside a table it never reaches

    decide(tmp_path / "q", "ppu", "harga-pasar", held.folder.name, "release", "walidata.ppu", "diperiksa")
    released = judge(*args)
    assert released.passed and released.released_by.startswith("walidata.ppu (")
    report = validation_report.read(staged)
    assert report["result"].startswith("dirilis walidata") and report["findings"] == 1
