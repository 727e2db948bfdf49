"""The fast path (the GX suite evaluated as one DuckDB query) and plain GX on pandas agree: same success,
same rule summaries, same failing rows per rule with the same values, on valid and broken batches."""

import dataclasses
from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipelines.standard import load_standard
from pipelines.validation import gx, outcome, validate

STANDARD = load_standard("harga-pasar/1.0.0")
WISATA = load_standard("kunjungan-wisata/1.1.0")
CODES = {"kemendagri-kecamatan": ["64.09.01", "64.09.02", "64.09.03", "64.09.04"]}
TODAY = date(2026, 11, 1)
COMMODITIES = ["Beras Premium", "Gula Pasir", "Telur Ayam Ras", "Bawang Merah"]
# Data Induk: ten markets, each in one district; the first file's name states October 2026, the second none.
MARKETS = pd.DataFrame(
    {
        "kode_pasar": [f"PSR-{m:02d}" for m in range(10)],
        "nama_pasar": [f"Pasar {m}" for m in range(10)],
        "kode_kecamatan": [CODES["kemendagri-kecamatan"][m % 4] for m in range(10)],
    }
)
REFERENCES = {"data-induk-pasar": MARKETS}
FILE_A, FILE_B = "harga_pasar_2026-10.csv", "harga_pasar_susulan.xlsx"


def batch(n: int = 400) -> pd.DataFrame:
    """A valid batch with the parser's dtypes: n rows, unique (tanggal, kode_pasar, komoditas)."""
    i = np.arange(n)
    return pd.DataFrame(
        {
            "tanggal": (pd.Timestamp("2026-10-01") + pd.to_timedelta(i // 40, unit="D")).astype("datetime64[us]"),
            "kode_kecamatan": pd.Series([CODES["kemendagri-kecamatan"][(k // 4) % 10 % 4] for k in i], dtype="str"),
            "kode_pasar": pd.Series([f"PSR-{(k // 4) % 10:02d}" for k in i], dtype="str"),
            "nama_pasar": pd.Series([f"Pasar {(k // 4) % 10}" for k in i], dtype="str"),
            "komoditas": pd.Series([COMMODITIES[k % 4] for k in i], dtype="str"),
            "satuan": pd.Series(["kg"] * n, dtype="str"),
            "harga": pd.array(1000 + i * 5, dtype="Int64"),
            "_source_file": pd.Series([FILE_A] * (n // 2) + [FILE_B] * (n - n // 2), dtype="str"),
            "_source_sha256": pd.Series(["0" * 64] * n, dtype="str"),
            "_source_row": np.concatenate([np.arange(n // 2), np.arange(n - n // 2)]) + 2,
        }
    )


def broken() -> pd.DataFrame:
    frame = batch()
    frame.loc[[3, 70], "kode_kecamatan"] = ["64.03.01", "6409.01"]  # outside the regency; bad format
    frame.loc[5, "kode_kecamatan"] = None
    frame.loc[[7, 8], "komoditas"] = ["Beras Super", "beras premium"]  # not in the enum (case matters)
    frame.loc[[9, 10, 11], "harga"] = [0, 10_000_001, pd.NA]  # below, above, missing
    frame.loc[12, "harga"] = 10_000_000  # the maximum itself is allowed
    # the future; later today (not the future); both outside October, the period FILE_A's name states
    frame.loc[[13, 14], "tanggal"] = [pd.Timestamp("2026-11-02"), pd.Timestamp("2026-11-01 23:59")]
    frame.loc[[21, 250], "tanggal"] = pd.Timestamp("2026-09-30")  # outside October in FILE_A only
    frame.loc[[22, 23], "kode_pasar"] = ["PSR-77", "PSR-03"]  # not a listed market; listed elsewhere
    frame.loc[15, "tanggal"] = pd.NaT
    frame.loc[[16, 17, 18], "kode_pasar"] = ["psr-1", "PSR 01", "X" * 21]  # regex: case, space, too long
    frame.loc[19, "nama_pasar"] = None
    frame.loc[[30, 31], ["tanggal", "kode_pasar", "komoditas"]] = frame.loc[
        [20, 20], ["tanggal", "kode_pasar", "komoditas"]
    ].to_numpy()
    frame.loc[[40, 41], ["kode_pasar", "komoditas"]] = None  # same key with missing parts
    frame.loc[[40, 41], "tanggal"] = pd.Timestamp("2026-10-01")
    return frame


def both(frame: pd.DataFrame, standard=STANDARD):
    return (
        validate(frame, standard, CODES, today=TODAY, engine="duckdb", references=REFERENCES),
        validate(frame, standard, CODES, today=TODAY, engine="gx", references=REFERENCES),
    )


def assert_same(fast, plain):
    assert (fast.engine, plain.engine) == ("duckdb", "gx")
    assert fast.success == plain.success
    assert fast.rules == plain.rules
    assert fast.issues == plain.issues


def test_engines_agree_on_a_valid_batch():
    fast, plain = both(batch())
    assert fast.success and fast.issues == []
    assert_same(fast, plain)


def test_engines_agree_on_a_broken_batch_rule_by_rule():
    fast, plain = both(broken())
    assert_same(fast, plain)
    failing = {
        (r["expectation"], r["column"]) + ((r["rule"],) if "rule" in r else ()): r["unexpected_count"]
        for r in fast.rules
        if not r["success"]
    }
    assert failing == {
        ("expect_column_values_to_not_be_null", "tanggal"): 1,
        ("expect_column_values_to_be_between", "tanggal", "no_future"): 1,  # later today is not the future
        ("expect_column_values_to_be_between", "tanggal", "reported_period"): 3,
        ("expect_column_values_to_not_be_null", "kode_kecamatan"): 1,
        ("expect_column_values_to_be_in_set", "kode_kecamatan"): 2,
        ("expect_column_values_to_match_regex", "kode_kecamatan"): 1,
        ("expect_column_values_to_match_regex", "kode_pasar"): 3,
        ("expect_column_values_to_not_be_null", "kode_pasar"): 2,
        ("expect_column_values_to_not_be_null", "nama_pasar"): 1,
        ("expect_column_values_to_be_in_set", "komoditas"): 2,
        ("expect_column_values_to_not_be_null", "komoditas"): 2,
        ("expect_column_values_to_not_be_null", "harga"): 1,
        ("expect_column_values_to_be_between", "harga"): 2,
        ("expect_compound_columns_to_be_unique", "tanggal,kode_pasar,komoditas"): 5,
        ("expect_column_values_to_be_in_set", "kode_pasar", "master_data"): 4,  # 3 malformed + 1 unlisted market
        # malformed / unlisted / missing markets, a listed market in another district, districts outside
        ("expect_column_pair_values_to_be_in_set", "kode_pasar,kode_kecamatan", "master_data_pair"): 12,
    }
    rows = {(i.file, i.row) for i in fast.issues if i.rule == "expect_compound_columns_to_be_unique"}
    assert rows == {(FILE_A, 22), (FILE_A, 32), (FILE_A, 33), (FILE_A, 42), (FILE_A, 43)}
    # the period FILE_A's name states: rows of FILE_B (which states none) are not held to it
    period = [(i.file, i.row, i.value) for i in fast.issues if "periode laporan 2026-10" in i.pesan]
    assert period == [
        (FILE_A, 15, "2026-11-02 00:00:00"),
        (FILE_A, 16, "2026-11-01 23:59:00"),
        (FILE_A, 23, "2026-09-30 00:00:00"),
    ]
    listed = [(i.row, i.value) for i in fast.issues if i.pesan.startswith("kode tidak ada dalam Data Induk")]
    assert (24, "PSR-77") in listed
    moved = [(i.row, i.column) for i in fast.issues if i.rule == "expect_column_pair_values_to_be_in_set"]
    assert (25, "kode_pasar,kode_kecamatan") in moved and (252, "kode_pasar,kode_kecamatan") not in moved


def wisata(n: int = 60) -> pd.DataFrame:
    """A valid kunjungan-wisata 1.1.0 batch: the total is domestic + foreign visitors."""
    i = np.arange(n)
    domestic, foreign = pd.array(100 + i * 7, dtype="Int64"), pd.array(i % 5, dtype="Int64")
    return pd.DataFrame(
        {
            "bulan": pd.Series(pd.Timestamp("2026-10-01"), index=i).astype("datetime64[us]"),
            "kode_kecamatan": pd.Series([CODES["kemendagri-kecamatan"][k % 4] for k in i], dtype="str"),
            "kode_destinasi": pd.Series([f"DW-6409-{k:03d}" for k in i], dtype="str"),
            "nama_destinasi": pd.Series([f"Pantai {k}" for k in i], dtype="str"),
            "jenis_destinasi": pd.Series(["Wisata Bahari"] * n, dtype="str"),
            "wisatawan_nusantara": domestic,
            "wisatawan_mancanegara": foreign,
            "jumlah_wisatawan": domestic + foreign,
            "_source_file": pd.Series(["kunjungan_oktober_2026.csv"] * n, dtype="str"),
            "_source_sha256": pd.Series(["0" * 64] * n, dtype="str"),
            "_source_row": i + 2,
        }
    )


def test_engines_agree_that_totals_add_up():
    fast, plain = both(wisata(), WISATA)
    assert fast.success and fast.issues == []
    assert_same(fast, plain)
    frame = wisata()
    frame.loc[3, "jumlah_wisatawan"] += 1  # does not add up
    frame.loc[4, "wisatawan_mancanegara"] = pd.NA  # a missing part: the not-null rule's finding
    fast, plain = both(frame, WISATA)
    assert_same(fast, plain)
    sums = [(i.file, i.row, i.column, i.value) for i in fast.issues if i.rule == "expect_column_values_to_be_null"]
    assert sums == [("kunjungan_oktober_2026.csv", 5, "jumlah_wisatawan", str(frame.loc[3, "jumlah_wisatawan"]))]
    [total] = [i for i in fast.issues if i.rule == "expect_column_values_to_be_null"]
    assert "wisatawan_nusantara + wisatawan_mancanegara" in total.pesan and total.message


def test_the_standard_suite_runs_without_gx(monkeypatch):
    """Every expectation `rules` makes for the standard is answered by the DuckDB query itself."""
    handed_to_gx = []
    real = gx.run
    monkeypatch.setattr(gx, "run", lambda frame, exps: handed_to_gx.extend(exps) or real(frame, exps))
    validate(broken(), STANDARD, CODES, today=TODAY, references=REFERENCES)
    validate(wisata(), WISATA, CODES, today=TODAY)
    assert handed_to_gx == []


def test_issue_rows_are_capped_the_same_way(monkeypatch):
    monkeypatch.setattr(outcome, "MAX_ISSUES_PER_RULE", 3)
    frame = batch()
    frame["harga"] = pd.array([0] * len(frame), dtype="Int64")
    fast, plain = both(frame)
    assert_same(fast, plain)
    assert [i.row for i in fast.issues] == [2, 3, 4]
    assert next(r for r in fast.rules if r["column"] == "harga" and not r["success"])["unexpected_count"] == 400


def test_what_the_query_cannot_express_falls_back_to_gx_with_the_same_answer():
    """A look-ahead pattern (RE2 has none), a numeric code list, a column of Python objects, a wrong type."""
    fields = []
    for f in STANDARD.fields:
        if f.name == "kode_pasar":
            f = dataclasses.replace(f, pattern=r"^(?!PSR-09)[A-Z0-9-]{2,20}$")
        if f.name == "harga":
            f = dataclasses.replace(f, enum=tuple(range(1000, 2000, 5)))
        fields.append(f)
    standard = dataclasses.replace(STANDARD, fields=tuple(fields))
    frame = broken()
    frame["nama_pasar"] = frame["nama_pasar"].astype(object)
    frame["satuan"] = pd.Series([1] * len(frame))
    fast, plain = both(frame, standard)
    assert_same(fast, plain)
    assert any(i.rule == "expect_column_values_to_match_regex" and i.value == "PSR-09" for i in fast.issues)
    assert any(
        r["expectation"] == "expect_column_values_to_be_of_type" and r["column"] == "satuan" and not r["success"]
        for r in fast.rules
    )


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine"):
        validate(batch(), STANDARD, CODES, engine="spark", references=REFERENCES)
