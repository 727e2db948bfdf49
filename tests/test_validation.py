"""Great Expectations suites generated from the standard, run for real on parsed agency files."""

from datetime import date

import pytest

from pipelines.parsing import parse_file
from pipelines.raw import RawArchive
from pipelines.reference import codes_within
from pipelines.standard import load_standard
from pipelines.validation import validate

STANDARD = load_standard("harga-pasar/1.0.0")
HEADER = "tanggal,kode_kecamatan,kode_pasar,nama_pasar,komoditas,satuan,harga\n"
GOOD = "22/10/2026,64.09.01,PNJ-01,Pasar Induk Penajam,Beras Premium,kg,15500\n"


@pytest.fixture
def code_lists(regions):
    return {"kemendagri-kecamatan": codes_within(regions, "kemendagri-kecamatan", "64.09")}


@pytest.fixture(params=["duckdb", "gx"])
def engine(request):
    """Every rule test runs on the fast path and on plain GX."""
    return request.param


def check(tmp_path, code_lists, body: str, engine: str, today=date(2026, 11, 1)):
    raw = RawArchive(tmp_path).store("ppu", "harga-pasar", "kiriman.csv", (HEADER + body).encode(), "test")
    batch = parse_file(raw, STANDARD, {})
    assert batch.issues == []
    outcome = validate(batch.path, STANDARD, code_lists, today=today, engine=engine)  # the staged Parquet file
    assert outcome == validate(batch.frame, STANDARD, code_lists, today=today, engine=engine)
    return outcome


def test_ppu_districts_come_from_the_kemendagri_table(code_lists):
    assert code_lists["kemendagri-kecamatan"] == ["64.09.01", "64.09.02", "64.09.03", "64.09.04"]


def test_valid_batch_passes(tmp_path, code_lists, engine):
    outcome = check(tmp_path, code_lists, GOOD, engine)
    assert outcome.success and outcome.issues == []
    assert all(rule["success"] for rule in outcome.rules)


@pytest.mark.parametrize("row, column, rule", [
    # Kemendagri 64.03 is Berau: a real code, but not inside Penajam Paser Utara.
    ("22/10/2026,64.03.01,PNJ-01,P,Gula Pasir,kg,15500", "kode_kecamatan", "expect_column_values_to_be_in_set"),
    ("22/10/2026,6409.01,PNJ-01,P,Gula Pasir,kg,15500", "kode_kecamatan",
     "expect_column_values_to_be_in_set expect_column_values_to_match_regex"),
    ("22/10/2026,64.09.01,PNJ-01,P,Beras Super,kg,15500", "komoditas", "expect_column_values_to_be_in_set"),
    ("22/10/2026,64.09.01,PNJ-01,P,Gula Pasir,kg,0", "harga", "expect_column_values_to_be_between"),
    ("22/12/2026,64.09.01,PNJ-01,P,Gula Pasir,kg,15500", "tanggal", "expect_column_values_to_be_between"),
    ("22/10/2026,64.09.01,PNJ-01,,Gula Pasir,kg,15500", "nama_pasar", "expect_column_values_to_not_be_null"),
])
def test_each_rule_names_file_row_and_column(tmp_path, code_lists, row, column, rule, engine):
    outcome = check(tmp_path, code_lists, GOOD + row + "\n", engine)
    assert not outcome.success
    expected = [("kiriman.csv", 3, column, r) for r in rule.split()]
    assert sorted((i.file, i.row, i.column, i.rule) for i in outcome.issues) == expected
    assert outcome.issues[0].pesan and outcome.issues[0].message


def test_duplicate_key_names_both_rows(tmp_path, code_lists, engine):
    outcome = check(tmp_path, code_lists, GOOD + GOOD.replace("15500", "15600"), engine)
    assert [(i.row, i.rule) for i in outcome.issues] == [
        (2, "expect_compound_columns_to_be_unique"), (3, "expect_compound_columns_to_be_unique")]
