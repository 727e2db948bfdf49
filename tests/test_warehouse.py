"""Merge semantics of the warehouse, on both engines for real (embedded DuckDB and PostgreSQL)."""

import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timezone

import pandas as pd
import pytest
import sqlalchemy as sa

from pipelines import settings, warehouse
from pipelines.standard import Field, load_standard
from pipelines.warehouse import dimensions

STANDARD = load_standard("harga-pasar/1.0.0")


def batch(prices: list[int], file: str = "a.csv") -> pd.DataFrame:
    n = len(prices)
    return pd.DataFrame(
        {
            "tanggal": pd.Series(pd.to_datetime(["2026-10-01"] * n)).astype("datetime64[us]"),
            "kode_kecamatan": pd.Series(["64.09.01"] * n, dtype="str"),
            "kode_pasar": pd.Series(["PNJ-01"] * n, dtype="str"),
            "nama_pasar": pd.Series(["Pasar Induk Penajam"] * n, dtype="str"),
            "komoditas": pd.Series([f"K{i}" for i in range(n)], dtype="str"),
            "satuan": pd.Series(["kg"] * n, dtype="str"),
            "harga": pd.array(prices, dtype="Int64"),
            "_source_file": file,
            "_source_sha256": "0" * 64,
            "_source_row": range(2, n + 2),
        }
    )


def rows(engine) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(
            sa.text(
                "SELECT kode_kabupaten, komoditas, harga, _batch_id, _run_id, _source_file, _source_row "
                "FROM core.harga_pasar ORDER BY komoditas"
            )
        ).all()


def test_merge_inserts_then_is_a_no_op_then_updates_only_changes(warehouse_url):
    engine = warehouse.create_engine(warehouse_url)
    assert warehouse.merge(engine, STANDARD, batch([100, 200, 300]), "64.09", "b1", "run1") == warehouse.MergeResult(
        inserted=3, updated=0, unchanged=0, version=1
    )
    assert warehouse.merge(engine, STANDARD, batch([100, 200, 300]), "64.09", "b2", "run2") == warehouse.MergeResult(
        inserted=0, updated=0, unchanged=3
    )
    assert warehouse.merge(
        engine, STANDARD, batch([100, 250, 300], "b.csv"), "64.09", "b3", "run3"
    ) == warehouse.MergeResult(inserted=0, updated=1, unchanged=2, version=2)
    assert rows(engine) == [
        ("64.09", "K0", 100, "b1", "run1", "a.csv", 2),
        ("64.09", "K1", 250, "b3", "run3", "b.csv", 3),  # lineage follows the change
        ("64.09", "K2", 300, "b1", "run1", "a.csv", 4),
    ]


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
    broken.loc[2, "nama_pasar"] = None  # violates NOT NULL on the last row, after the others were staged
    with pytest.raises(sa.exc.DBAPIError):
        warehouse.merge(engine, STANDARD, broken, "64.09", "b2", "r2")
    assert rows(engine) == before


def test_corrections_keep_history_and_answer_what_was_published_when(warehouse_url):
    engine = warehouse.create_engine(warehouse_url)
    warehouse.merge(engine, STANDARD, batch([100, 200]), "64.09", "b1", "r1")
    between = datetime.now(timezone.utc)
    time.sleep(0.01)
    warehouse.merge(engine, STANDARD, batch([100, 250]), "64.09", "b2", "r2")
    assert warehouse.as_of(engine, STANDARD, "64.09", between)["harga"].tolist() == [100, 200]
    assert warehouse.as_of(engine, STANDARD, "64.09", datetime.now(timezone.utc))["harga"].tolist() == [100, 250]
    with engine.connect() as connection:
        lineage = connection.execute(
            sa.text("SELECT komoditas, _batch_id, _version FROM core.harga_pasar ORDER BY 1")
        ).all()
    assert lineage == [("K0", "b1", 1), ("K1", "b2", 2)]  # each row traced to the batch and version that wrote it


def test_marts_roll_regions_up_and_name_the_agency(warehouse_url, regions):
    engine = warehouse.create_engine(warehouse_url)
    counts = warehouse.load_dimensions(engine, regions, [("disdag-ppu", "Dinas Perdagangan PPU", "64.09")])
    assert counts["dim_region"] == len(regions)
    warehouse.merge(engine, STANDARD, batch([100]), "64.09", "b1", "r1", agency="disdag-ppu")
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT region_name, regency_name, province_name, agency_name FROM marts.harga_pasar")
        ).one()
        district = connection.execute(
            sa.text("SELECT regency_code, province_code FROM core.dim_region WHERE code = '64.09.01'")
        ).one()
        months = connection.execute(
            sa.text("SELECT DISTINCT month, month_name FROM core.dim_time WHERE month IN (2, 5, 11) ORDER BY 1")
        ).all()
    assert tuple(row) == ("Penajam", "Kabupaten Penajam Paser Utara", "Kalimantan Timur", "Dinas Perdagangan PPU")
    assert tuple(district) == ("64.09", "64")
    assert [tuple(m) for m in months] == [(2, "Februari"), (5, "Mei"), (11, "November")]  # the current spellings


def test_code_locations_sharing_the_warehouse_keep_each_others_agencies(warehouse_url, regions, monkeypatch):
    engine = warehouse.create_engine(warehouse_url)
    written = []  # the dimensions each load rewrote, by their first column
    real_stage = dimensions.stage
    monkeypatch.setattr(
        dimensions, "stage", lambda c, frame, types: written.append(frame.columns[0]) or real_stage(c, frame, types)
    )

    def agencies() -> list[tuple]:
        with engine.connect() as connection:
            return [
                tuple(r)
                for r in connection.execute(
                    sa.text("SELECT agency, name, regency_code FROM core.dim_agency ORDER BY agency")
                ).all()
            ]

    warehouse.load_dimensions(engine, regions, [("disdag-ppu", "Disdag PPU", "64.09")])  # Kaltim's location
    assert written == ["code", "date", "agency"]
    warehouse.load_dimensions(engine, regions, [("bpbd-lutra", "BPBD Luwu Utara", "73.22")])  # Sulsel's location
    assert written[3:] == ["agency"]  # the regions and calendar both locations share are not written again
    assert agencies() == [("bpbd-lutra", "BPBD Luwu Utara", "73.22"), ("disdag-ppu", "Disdag PPU", "64.09")]
    warehouse.load_dimensions(engine, regions, [("disdag-ppu", "Dinas Perdagangan PPU", "64.09")])  # renamed
    assert agencies() == [("bpbd-lutra", "BPBD Luwu Utara", "73.22"), ("disdag-ppu", "Dinas Perdagangan PPU", "64.09")]


def test_a_new_standard_version_adds_its_column_without_losing_rows(warehouse_url):
    engine = warehouse.create_engine(warehouse_url)
    warehouse.merge(engine, STANDARD, batch([100]), "64.09", "b1", "r1")
    grown = replace(
        STANDARD,
        version="1.1.0",
        fields=STANDARD.fields + (Field(name="keterangan", type="string", title="Keterangan"),),
    )
    warehouse.merge(
        engine, grown, batch([100]).assign(keterangan=pd.Series(["baru"], dtype="str")), "64.09", "b2", "r2"
    )
    stored = warehouse.read_published(engine, grown, "64.09")
    assert stored["keterangan"].tolist() == ["baru"] and stored["harga"].tolist() == [100]


KILLED_LOAD = """
import os, signal, sys
import pandas as pd
from pipelines import warehouse
from pipelines.standard import load_standard
import pipelines.warehouse.merging as merging
from tests.test_warehouse import batch
engine = warehouse.create_engine(sys.argv[1])
real_merge_into = merging._merge_into
def merge_then_die(*args):
    real_merge_into(*args)   # every row written, the load not yet logged nor committed
    os.kill(os.getpid(), signal.SIGKILL)
merging._merge_into = merge_then_die
warehouse.merge(engine, load_standard("harga-pasar/1.0.0"), batch([7, 8, 9]), "64.09", "b2", "r2", complete=True)
"""


def test_a_killed_load_leaves_the_warehouse_as_it_was(warehouse_url, tmp_path):
    engine = warehouse.create_engine(warehouse_url)
    warehouse.merge(engine, STANDARD, batch([100, 200]), "64.09", "b1", "r1")
    before = rows(engine)
    engine.dispose()  # DuckDB allows one writing process at a time
    done = subprocess.run(
        [sys.executable, "-c", KILLED_LOAD, warehouse_url], cwd=settings.PROJECT_ROOT, capture_output=True, timeout=120
    )
    assert done.returncode == -signal.SIGKILL
    assert rows(warehouse.create_engine(warehouse_url)) == before


def test_two_loads_of_the_same_batch_at_once_do_not_duplicate(postgres_url):
    engine = warehouse.create_engine(postgres_url)
    warehouse.ensure_table(engine, STANDARD)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(
            pool.map(
                lambda n: warehouse.merge(engine, STANDARD, batch([100, 200, 300]), "64.09", f"b{n}", "r"), range(2)
            )
        )
    assert len(rows(engine)) == 3


def test_a_staged_parquet_file_merges_like_its_frame(warehouse_url, tmp_path):
    """The pipeline merges the staged Parquet file (read in bounded memory): same rows, same digest."""
    engine = warehouse.create_engine(warehouse_url)
    frame = batch([100, 200, 300])
    path = tmp_path / "batch.parquet"
    frame.to_parquet(path, index=False)
    assert warehouse.content_digest(path, STANDARD) == warehouse.content_digest(frame, STANDARD)
    assert warehouse.merge(engine, STANDARD, path, "64.09", "b1", "r1", agency="disdag-ppu") == warehouse.MergeResult(
        3, 0, 0, version=1
    )
    assert [r[:3] for r in rows(engine)] == [("64.09", "K0", 100), ("64.09", "K1", 200), ("64.09", "K2", 300)]
    assert warehouse.merge(engine, STANDARD, frame, "64.09", "b1", "r2") == warehouse.MergeResult(0, 0, 3)
    batch([100, 250, 300]).to_parquet(path, index=False)
    assert warehouse.merge(engine, STANDARD, path, "64.09", "b2", "r3") == warehouse.MergeResult(0, 1, 2, version=2)
    assert rows(engine)[1][2:5] == (250, "b2", "r3")


def on(day: str, frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(tanggal=pd.Series(pd.to_datetime([day] * len(frame))).astype("datetime64[us]"))


def test_a_batch_deletes_what_it_no_longer_holds_of_the_days_it_delivers(warehouse_url):
    """A batch speaks for the period values it carries: a price gone from a re-sent day is deleted (kept in
    history); a day the batch does not carry stays."""
    engine = warehouse.create_engine(warehouse_url)
    october_1, october_2 = on("2026-10-01", batch([100, 200, 300])), on("2026-10-02", batch([110, 210, 310]))
    warehouse.merge(engine, STANDARD, pd.concat([october_1, october_2], ignore_index=True), "64.09", "b1", "r1")
    resent = october_2.drop(index=[1])  # the agency removed K1 of 2 October...
    # A database read by cursor brings only what is new: nothing it lacks is deleted.
    assert warehouse.merge(engine, STANDARD, resent, "64.09", "b2", "r2").deleted == 0
    result = warehouse.merge(
        engine, STANDARD, resent.assign(_source_file="b.csv"), "64.09", "b3", "r3", complete=True
    )  # ...a file re-sent without it (and 1 October is not re-sent)
    assert (result.deleted, result.inserted, result.updated, result.version) == (1, 0, 0, 2)
    stored = warehouse.read_published(engine, STANDARD, "64.09")
    assert len(stored) == 5 and not ((stored["komoditas"] == "K1") & (stored["harga"] == 210)).any()
    with engine.connect() as connection:
        kept = connection.execute(sa.text("SELECT harga FROM core.harga_pasar_history")).scalars().all()
    assert kept == [210]
    moment = datetime.now(timezone.utc)
    assert len(warehouse.as_of(engine, STANDARD, "64.09", moment)) == 5


def test_changes_since_a_version_are_only_what_changed(warehouse_url):
    """The change set a portal copy needs: rows written and keys deleted after the versions it holds, per
    regency; nothing when it is up to date; everything for a copy that holds nothing."""
    engine = warehouse.create_engine(warehouse_url)
    warehouse.merge(engine, STANDARD, batch([100, 200, 300, 400]), "64.09", "b1", "r1")
    warehouse.merge(engine, STANDARD, batch([999]), "64.01", "b1", "r1")
    whole = warehouse.changes(engine, STANDARD, "64.09", {})
    assert whole.whole and whole.versions == {"64.09": 1} and len(whole.upserts) == 4 and whole.deletes.empty
    assert list(whole.upserts.columns) == [f.name for f in STANDARD.public_fields]

    warehouse.merge(engine, STANDARD, batch([100, 250, 300]), "64.09", "b2", "r2", complete=True)  # K3 gone
    change = warehouse.changes(engine, STANDARD, "64.09", {"64.09": 1})
    assert change.versions == {"64.09": 2} and not change.whole
    assert change.upserts["komoditas"].tolist() == ["K1"] and change.upserts["harga"].tolist() == [250]
    assert change.deletes["komoditas"].tolist() == ["K3"]
    assert list(change.deletes.columns) == list(STANDARD.primary_key)
    none = warehouse.changes(engine, STANDARD, "64.09", {"64.09": 2})
    assert none.upserts.empty and none.deletes.empty and none.versions == {"64.09": 2}

    warehouse.merge(engine, STANDARD, batch([100, 250, 300, 400]), "64.09", "b3", "r3")  # K3 is back
    back = warehouse.changes(engine, STANDARD, "64.09", {"64.09": 2})
    assert back.upserts["komoditas"].tolist() == ["K3"] and back.deletes.empty
    assert warehouse.changes(engine, STANDARD, "64.09", {"64.09": 1}).deletes.empty  # deleted, then written

    # A province's copy: every regency of the province, each from its own version, led by the regency.
    province = warehouse.changes(engine, STANDARD, "64", {"64.09": 3}, with_regency=True)
    assert province.versions == {"64.01": 1, "64.09": 3}
    assert province.upserts[warehouse.REGION_KEY].tolist() == ["64.01"]  # a regency the copy never held
    # A copy that claims a version the warehouse never made (another warehouse) is reloaded whole.
    assert warehouse.changes(engine, STANDARD, "64.09", {"64.09": 99}).whole


def test_rows_merged_before_versions_existed_are_sent_once(warehouse_url):
    """A warehouse filled before merges had versions: its regency holds version 0, so a copy loaded whole once
    is up to date afterwards, and a province copy does not receive that regency's rows again and again."""
    engine = warehouse.create_engine(warehouse_url)
    warehouse.merge(engine, STANDARD, batch([100, 200, 300]), "64.09", "b1", "r1")
    with engine.begin() as connection:  # as an earlier release left them
        connection.exec_driver_sql("UPDATE core.load_log SET version = NULL")
        connection.exec_driver_sql("UPDATE core.harga_pasar SET _version = NULL")
    whole = warehouse.changes(engine, STANDARD, "64.09", {})
    assert whole.versions == {"64.09": 0} and len(whole.upserts) == 3
    again = warehouse.changes(engine, STANDARD, "64.09", whole.versions)
    assert again.upserts.empty and again.deletes.empty and not again.whole
    assert warehouse.changes(engine, STANDARD, "64", {"64.09": 0}, with_regency=True).upserts.empty
    warehouse.merge(engine, STANDARD, batch([100, 250, 300]), "64.09", "b2", "r2")
    assert warehouse.changes(engine, STANDARD, "64.09", whole.versions).upserts["harga"].tolist() == [250]


def test_text_as_agencies_write_it_arrives_unchanged(warehouse_url):
    """Commas, quotes, line breaks and non-ASCII in a market's name, and an empty text (not a missing value),
    come back as they were sent on both engines (PostgreSQL receives them as CSV)."""
    engine = warehouse.create_engine(warehouse_url)
    sent = batch([15500, 16000, 18000])
    sent["nama_pasar"] = pd.Series(['Pasar "Induk", Penajam', "Pasar Waru –\nLama", ""], dtype="str")
    warehouse.merge(engine, STANDARD, sent, "64.09", "b1", "r1")
    stored = warehouse.read_published(engine, STANDARD, "64.09").sort_values("komoditas")
    assert stored["nama_pasar"].tolist() == ['Pasar "Induk", Penajam', "Pasar Waru –\nLama", ""]
    assert stored["harga"].tolist() == [15500, 16000, 18000]
