"""Great Expectations suites generated from the standard, run for real on parsed agency files."""

from datetime import date

import pandas as pd
import pytest

from pipelines.parsing import parse_file
from pipelines.raw import RawArchive
from pipelines.settings import catalogue_dir
from pipelines.standard import load_standard
from pipelines.standard.period import period_of
from pipelines.standard.reference import codes_within, regency_master_lists
from pipelines.validation import validate

STANDARD = load_standard("harga-pasar/1.0.0")
HEADER = "tanggal,kode_kecamatan,kode_pasar,nama_pasar,komoditas,satuan,harga\n"
GOOD = "22/10/2026,64.09.01,PNJ-01,Pasar Induk Penajam,Beras Premium,kg,15500\n"


@pytest.fixture
def code_lists(regions):
    return {"kemendagri-kecamatan": codes_within(regions, "kemendagri-kecamatan", "64.09")}


@pytest.fixture(scope="module")
def master_lists(regions):
    """PPU's own Data Induk (catalogue/data-induk/ppu-pasar.csv), as the pipeline loads it."""
    return regency_master_lists([STANDARD.ref], "ppu", "64.09", regions, catalogue_dir() / "data-induk")


@pytest.fixture(params=["duckdb", pytest.param("gx", marks=pytest.mark.slow)])
def engine(request):
    """Every rule test runs on the fast path and on plain GX (half a second a check: `make test` runs it,
    `make test-fast` the fast path and tests/test_validation_engines.py, where the two must agree)."""
    return request.param


def check(
    tmp_path,
    code_lists,
    body: str,
    engine: str,
    today=date(2026, 11, 1),
    name="kiriman.csv",
    period=None,
    master_lists=None,
):
    raw = RawArchive(tmp_path).store("ppu", "harga-pasar", name, (HEADER + body).encode(), "test")
    batch = parse_file(raw, STANDARD, {})
    assert batch.issues == []
    references = master_lists or {
        "data-induk-pasar": pd.DataFrame(
            {"kode_pasar": ["PNJ-01"], "nama_pasar": ["Pasar Induk Penajam"], "kode_kecamatan": ["64.09.01"]}
        )
    }
    options = dict(today=today, engine=engine, references=references, period=period)
    outcome = validate(batch.path, STANDARD, code_lists, **options)  # the staged Parquet file
    assert outcome == validate(batch.frame, STANDARD, code_lists, **options)
    return outcome


def test_ppu_districts_come_from_the_kemendagri_table(code_lists):
    assert code_lists["kemendagri-kecamatan"] == ["64.09.01", "64.09.02", "64.09.03", "64.09.04"]


def test_valid_batch_passes(tmp_path, code_lists, engine):
    outcome = check(tmp_path, code_lists, GOOD, engine)
    assert outcome.success and outcome.issues == []
    assert all(rule["success"] for rule in outcome.rules)


PAIR = ("kode_pasar,kode_kecamatan", "expect_column_pair_values_to_be_in_set")  # the market's listed district


@pytest.mark.parametrize(
    "row, found",
    [
        # Kemendagri 64.03 is Berau: a real code, but not inside Penajam Paser Utara (nor Pasar Induk's district).
        (
            "22/10/2026,64.03.01,PNJ-01,P,Gula Pasir,kg,15500",
            [("kode_kecamatan", "expect_column_values_to_be_in_set"), PAIR],
        ),
        (
            "22/10/2026,6409.01,PNJ-01,P,Gula Pasir,kg,15500",
            [
                ("kode_kecamatan", "expect_column_values_to_be_in_set"),
                ("kode_kecamatan", "expect_column_values_to_match_regex"),
                PAIR,
            ],
        ),
        ("22/10/2026,64.09.01,PNJ-01,P,Beras Super,kg,15500", [("komoditas", "expect_column_values_to_be_in_set")]),
        ("22/10/2026,64.09.01,PNJ-01,P,Gula Pasir,kg,0", [("harga", "expect_column_values_to_be_between")]),
        ("22/12/2026,64.09.01,PNJ-01,P,Gula Pasir,kg,15500", [("tanggal", "expect_column_values_to_be_between")]),
        ("22/10/2026,64.09.01,PNJ-01,,Gula Pasir,kg,15500", [("nama_pasar", "expect_column_values_to_not_be_null")]),
    ],
)
def test_each_rule_names_file_row_and_column(tmp_path, code_lists, row, found, engine):
    outcome = check(tmp_path, code_lists, GOOD + row + "\n", engine)
    assert not outcome.success
    expected = sorted(("kiriman.csv", 3, column, rule) for column, rule in found)
    assert sorted((i.file, i.row, i.column, i.rule) for i in outcome.issues) == expected
    assert outcome.issues[0].pesan and outcome.issues[0].message


def test_duplicate_key_names_both_rows(tmp_path, code_lists, engine):
    outcome = check(tmp_path, code_lists, GOOD + GOOD.replace("15500", "15600"), engine)
    assert [(i.row, i.rule) for i in outcome.issues] == [
        (2, "expect_compound_columns_to_be_unique"),
        (3, "expect_compound_columns_to_be_unique"),
    ]


@pytest.mark.parametrize(
    "name",
    [
        "harga_pasar_2026-10.csv",
        "rekap_oktober_2026.csv",
        "harga_okt_2026.csv",
        "Harga Pasar TW4 2026.csv",
        "rekap_2026.csv",
    ],
)
def test_dates_inside_the_period_the_file_name_states_pass(tmp_path, code_lists, engine, name):
    outcome = check(tmp_path, code_lists, GOOD, engine, name=name)
    assert outcome.success and any(r.get("rule") == "reported_period" for r in outcome.rules)


@pytest.mark.parametrize(
    "name, period",
    [
        ("harga_pasar_2026-11.csv", "2026-11"),
        ("rekap_september_2026.csv", "2026-09"),
        ("harga_pasar_2026-10-21.csv", "2026-10-21"),
        ("rekap_2025.csv", "2025"),
    ],
)
def test_a_date_outside_the_period_the_file_name_states_fails(tmp_path, code_lists, engine, name, period):
    outcome = check(tmp_path, code_lists, GOOD, engine, name=name)
    assert [(i.file, i.row, i.column, i.value) for i in outcome.issues] == [(name, 2, "tanggal", "2026-10-22 00:00:00")]
    assert f"periode laporan {period}" in outcome.issues[0].pesan and period in outcome.issues[0].message


def test_the_catalogue_period_applies_when_the_file_name_states_none(tmp_path, code_lists, engine):
    assert check(tmp_path, code_lists, GOOD, engine, period=period_of("2026-10")).success
    outcome = check(tmp_path, code_lists, GOOD, engine, period=period_of("TW1 2026"))
    assert [(i.row, i.column) for i in outcome.issues] == [(2, "tanggal")]
    assert "menurut katalog" in outcome.issues[0].pesan
    # a name that states a period wins over the catalogue's
    assert check(tmp_path, code_lists, GOOD, engine, name="harga_2026-10.csv", period=period_of("2025")).success


@pytest.mark.parametrize(
    "row, found",
    [
        # a market that is not in PPU's list (it is one of Paser's)
        (
            "22/10/2026,64.09.01,PSR-KRO-01,Pasar Kuaro,Gula Pasir,kg,15500",
            [("kode_pasar", "PSR-KRO-01"), ("kode_pasar,kode_kecamatan", "PSR-KRO-01|64.09.01")],
        ),
        # Pasar Waru lies in Waru (64.09.02), not in Penajam
        (
            "22/10/2026,64.09.01,WRU-01,Pasar Waru,Gula Pasir,kg,15500",
            [("kode_pasar,kode_kecamatan", "WRU-01|64.09.01")],
        ),
    ],
)
def test_every_row_names_a_market_of_the_data_induk_in_its_district(
    tmp_path, code_lists, master_lists, engine, row, found
):
    good = GOOD + "22/10/2026,64.09.02,WRU-01,Pasar Waru,Gula Pasir,kg,15500\n"
    assert check(tmp_path, code_lists, good, engine, master_lists=master_lists).success
    outcome = check(tmp_path, code_lists, GOOD + row + "\n", engine, master_lists=master_lists)
    assert [(i.row, i.column, i.value) for i in outcome.issues] == [(3, column, value) for column, value in found]
    assert all("Data Induk" in i.pesan and "master data" in i.message for i in outcome.issues)


def test_a_standard_with_a_foreign_key_needs_its_master_list(tmp_path, code_lists):
    raw = RawArchive(tmp_path).store("ppu", "harga-pasar", "kiriman.csv", (HEADER + GOOD).encode(), "test")
    with pytest.raises(ValueError, match="data-induk-pasar"):
        validate(parse_file(raw, STANDARD, {}).frame, STANDARD, code_lists)
