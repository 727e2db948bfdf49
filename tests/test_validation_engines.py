"""The fast path (the GX suite evaluated as one DuckDB query) and plain GX on pandas agree: same success,
same rule summaries, same failing rows per rule with the same values, on valid and broken batches."""

import dataclasses
from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipelines import validation
from pipelines.standard import load_standard
from pipelines.validation import validate

STANDARD = load_standard("harga-pasar/1.0.0")
CODES = {"kemendagri-kecamatan": ["64.09.01", "64.09.02", "64.09.03", "64.09.04"]}
TODAY = date(2026, 11, 1)
COMMODITIES = ["Beras Premium", "Gula Pasir", "Telur Ayam Ras", "Bawang Merah"]


def batch(n: int = 400) -> pd.DataFrame:
    """A valid batch with the parser's dtypes: n rows, unique (tanggal, kode_pasar, komoditas)."""
    i = np.arange(n)
    return pd.DataFrame({
        "tanggal": (pd.Timestamp("2026-10-01") + pd.to_timedelta(i // 40, unit="D")).astype("datetime64[us]"),
        "kode_kecamatan": pd.Series([CODES["kemendagri-kecamatan"][k % 4] for k in i], dtype="str"),
        "kode_pasar": pd.Series([f"PSR-{(k // 4) % 10:02d}" for k in i], dtype="str"),
        "nama_pasar": pd.Series([f"Pasar {(k // 4) % 10}" for k in i], dtype="str"),
        "komoditas": pd.Series([COMMODITIES[k % 4] for k in i], dtype="str"),
        "satuan": pd.Series(["kg"] * n, dtype="str"),
        "harga": pd.array(1000 + i * 5, dtype="Int64"),
        "_source_file": pd.Series(["a.csv"] * (n // 2) + ["b.xlsx"] * (n - n // 2), dtype="str"),
        "_source_sha256": pd.Series(["0" * 64] * n, dtype="str"),
        "_source_row": np.concatenate([np.arange(n // 2), np.arange(n - n // 2)]) + 2,
    })


def broken() -> pd.DataFrame:
    frame = batch()
    frame.loc[[3, 70], "kode_kecamatan"] = ["64.03.01", "6409.01"]       # outside the regency; bad format
    frame.loc[5, "kode_kecamatan"] = None
    frame.loc[[7, 8], "komoditas"] = ["Beras Super", "beras premium"]     # not in the enum (case matters)
    frame.loc[[9, 10, 11], "harga"] = [0, 10_000_001, pd.NA]             # below, above, missing
    frame.loc[12, "harga"] = 10_000_000                                  # the maximum itself is allowed
    # the future; later today (not the future)
    frame.loc[[13, 14], "tanggal"] = [pd.Timestamp("2026-11-02"), pd.Timestamp("2026-11-01 23:59")]
    frame.loc[15, "tanggal"] = pd.NaT
    frame.loc[[16, 17, 18], "kode_pasar"] = ["psr-1", "PSR 01", "X" * 21]   # regex: case, space, too long
    frame.loc[19, "nama_pasar"] = None
    frame.loc[[30, 31], ["tanggal", "kode_pasar", "komoditas"]] = frame.loc[[20, 20], ["tanggal", "kode_pasar",
                                                                                      "komoditas"]].to_numpy()
    frame.loc[[40, 41], ["kode_pasar", "komoditas"]] = None                # same key with missing parts
    frame.loc[[40, 41], "tanggal"] = pd.Timestamp("2026-10-01")
    return frame


def both(frame: pd.DataFrame, standard=STANDARD):
    return (validate(frame, standard, CODES, today=TODAY, engine="duckdb"),
            validate(frame, standard, CODES, today=TODAY, engine="gx"))


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
    failing = {(r["expectation"], r["column"]): r["unexpected_count"] for r in fast.rules if not r["success"]}
    assert failing == {
        ("expect_column_values_to_not_be_null", "tanggal"): 1,
        ("expect_column_values_to_be_between", "tanggal"): 1,   # later today is not the future
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
    }
    rows = {(i.file, i.row) for i in fast.issues if i.rule == "expect_compound_columns_to_be_unique"}
    assert rows == {("a.csv", 22), ("a.csv", 32), ("a.csv", 33), ("a.csv", 42), ("a.csv", 43)}


def test_the_standard_suite_runs_without_gx(monkeypatch):
    """Every expectation build_suite makes for the standard is answered by the DuckDB query itself."""
    handed_to_gx = []
    real = validation._run_gx
    monkeypatch.setattr(validation, "_run_gx", lambda frame, exps: handed_to_gx.extend(exps) or real(frame, exps))
    validate(broken(), STANDARD, CODES, today=TODAY)
    assert handed_to_gx == []


def test_issue_rows_are_capped_the_same_way(monkeypatch):
    monkeypatch.setattr(validation, "MAX_ISSUES_PER_RULE", 3)
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
    assert any(r["expectation"] == "expect_column_values_to_be_of_type" and r["column"] == "satuan"
               and not r["success"] for r in fast.rules)


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine"):
        validate(batch(), STANDARD, CODES, engine="spark")
