"""The embedded DuckDB warehouse's process killed (SIGKILL, by pid) in the middle of a merge, for real: a child
process merges a batch with every price changed into the warehouse file and is killed while it writes. DuckDB's
write-ahead log leaves the file at the previous version, whole; one plain re-run of the merge brings the change,
every row once."""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from bench.data import market_prices
from pipelines import warehouse
from pipelines.settings import PROJECT_ROOT as ROOT
from tests.faults.report import FaultFigures, record
from tests.test_publish import STANDARD, checksums

pytestmark = pytest.mark.slow  # a process killed mid-merge, then a rerun

ROWS = 500_000  # a merge of every row changed lasts 2-4 s here: killed in the middle of its writes
KILL_AFTER_S = 0.8
MERGE = """
import sys
from pathlib import Path
from pipelines import warehouse
from pipelines.standard import load_standard
engine = warehouse.create_engine(sys.argv[1])
print("merging", flush=True)
warehouse.merge(engine, load_standard("harga-pasar/1.0.0"), Path(sys.argv[2]), "64.09", "b2", "run", complete=True)
"""


def test_a_duckdb_warehouse_killed_mid_merge_keeps_the_previous_version_and_one_rerun_converges(tmp_path):
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    engine = warehouse.create_engine(url)
    first = market_prices(ROWS)
    warehouse.merge(engine, STANDARD, first, "64.09", "b1", "run", complete=True)
    before = warehouse.changes(engine, STANDARD, "64.09", {}).versions
    changed = first.assign(harga=first["harga"] + 50)
    batch = tmp_path / "b2.parquet"
    changed.to_parquet(batch, index=False)

    child = subprocess.Popen(
        [sys.executable, "-c", MERGE, url, str(batch)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout.readline().strip() == "merging"
    time.sleep(KILL_AFTER_S)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=60) == -signal.SIGKILL  # killed, not finished first

    # The file opens again at the previous version, whole: not one row of the killed merge.
    assert warehouse.changes(engine, STANDARD, "64.09", {}).versions == before
    held = warehouse.read_published(engine, STANDARD, "64.09")
    assert checksums(_text(held)) == checksums(_text(first))

    warehouse.merge(engine, STANDARD, batch, "64.09", "b2", "run", complete=True)  # the plain re-run
    after = warehouse.read_published(engine, STANDARD, "64.09")
    found, wanted = checksums(_text(after)), checksums(_text(changed))
    duplicated = int(after.duplicated(list(STANDARD.primary_key)).sum())
    record(
        FaultFigures(
            "DuckDB warehouse process killed during a merge",
            f"SIGKILL of the merging process {KILL_AFTER_S} s into the merge of {ROWS:,} changed rows",
            "the previous version, complete (the portal reads the warehouse's recorded versions only)",
            len(changed),
            len(after),
            duplicated,
            1,
        )
    )
    assert (len(after), duplicated, found == wanted) == (len(changed), 0, True)
    engine.dispose()


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(tanggal=pd.to_datetime(frame["tanggal"]).dt.strftime("%Y-%m-%d"))
