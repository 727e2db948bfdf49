"""Merge semantics of the warehouse, on both engines for real (embedded DuckDB and PostgreSQL)."""

import pandas as pd
import pytest
import sqlalchemy as sa

from pipelines import warehouse
from pipelines.standard import load_standard

STANDARD = load_standard("harga-pasar/1.0.0")


def batch(prices: list[int], file: str = "a.csv") -> pd.DataFrame:
    n = len(prices)
    return pd.DataFrame({
        "tanggal": pd.Series(pd.to_datetime(["2026-10-01"] * n)).astype("datetime64[us]"),
        "kode_kecamatan": pd.Series(["64.09.01"] * n, dtype="str"),
        "kode_pasar": pd.Series(["PNJ-01"] * n, dtype="str"),
        "nama_pasar": pd.Series(["Pasar Induk Penajam"] * n, dtype="str"),
        "komoditas": pd.Series([f"K{i}" for i in range(n)], dtype="str"),
        "satuan": pd.Series(["kg"] * n, dtype="str"),
        "harga": pd.array(prices, dtype="Int64"),
        "_source_file": file, "_source_sha256": "0" * 64, "_source_row": range(2, n + 2)})


def rows(engine) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(sa.text(
            "SELECT kode_kabupaten, komoditas, harga, _batch_id, _run_id, _source_file, _source_row "
            "FROM harga_pasar ORDER BY komoditas")).all()


def test_merge_inserts_then_is_a_no_op_then_updates_only_changes(warehouse_url):
    engine = warehouse.create_engine(warehouse_url)
    assert warehouse.merge(engine, STANDARD, batch([100, 200, 300]), "64.09", "b1", "run1") == \
        warehouse.MergeResult(inserted=3, updated=0, unchanged=0)
    assert warehouse.merge(engine, STANDARD, batch([100, 200, 300]), "64.09", "b2", "run2") == \
        warehouse.MergeResult(inserted=0, updated=0, unchanged=3)
    assert warehouse.merge(engine, STANDARD, batch([100, 250, 300], "b.csv"), "64.09", "b3", "run3") == \
        warehouse.MergeResult(inserted=0, updated=1, unchanged=2)
    assert rows(engine) == [("64.09", "K0", 100, "b1", "run1", "a.csv", 2),
                            ("64.09", "K1", 250, "b3", "run3", "b.csv", 3),   # lineage follows the change
                            ("64.09", "K2", 300, "b1", "run1", "a.csv", 4)]


def test_regencies_share_the_table_without_colliding(warehouse_url):
    engine = warehouse.create_engine(warehouse_url)
    warehouse.merge(engine, STANDARD, batch([100]), "64.09", "b1", "r")
    warehouse.merge(engine, STANDARD, batch([999]), "64.01", "b2", "r")
    assert warehouse.read_published(engine, STANDARD, "64.09")["harga"].tolist() == [100]
    assert warehouse.read_published(engine, STANDARD, "64.01")["harga"].tolist() == [999]


def test_failed_load_leaves_the_warehouse_as_it_was(warehouse_url):
    engine = warehouse.create_engine(warehouse_url)
    warehouse.merge(engine, STANDARD, batch([100, 200]), "64.09", "b1", "r1")
    before = rows(engine)
    broken = batch([111, 222, 333])
    broken.loc[2, "nama_pasar"] = None   # violates NOT NULL on the last row, after the others were staged
    with pytest.raises(sa.exc.DBAPIError):
        warehouse.merge(engine, STANDARD, broken, "64.09", "b2", "r2")
    assert rows(engine) == before
