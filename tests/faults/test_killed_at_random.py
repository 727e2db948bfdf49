"""A run's process killed hard (SIGKILL) at a random moment, 20 times, for real: `python -m assets.run` (what
`make demo` and a walidata start) over a small market-price delivery that changes before every run. After each
kill, one plain re-run converges: the portal's table, as the public downloads it, equals the delivery by key
and checksum; nothing lost, nothing doubled. The moments come from a seeded generator: SATUDATA_FAULT_SEED
replays a failing sequence."""

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid

import ckanapi
import pandas as pd
import pytest

from pipelines.parsing import parse_files
from pipelines.raw import RawArchive
from pipelines.settings import PROJECT_ROOT as ROOT
from tests.faults.report import FaultFigures, record
from tests.helpers import market_price_catalogue, purge
from tests.test_publish import STANDARD, checksums, csv_resource, dump

KILLS = 20
SEED = int(os.environ.get("SATUDATA_FAULT_SEED", "20261201"))
PRICE = re.compile(r"Rp ([\d.]+)$", re.MULTILINE)


@pytest.fixture
def delivery(tmp_path, services_state, portal_env):
    """PPU's market prices as one CSV in a drop folder; the whole pipeline in a process of its own."""
    slug = f"k{uuid.uuid4().hex[:6]}"
    catalogue, drop = market_price_catalogue(tmp_path, slug)
    for xlsx in drop.glob("*.xlsx"):
        xlsx.unlink()
    [csv] = drop.glob("*.csv")
    state, home = tmp_path / "state", tmp_path / "dagster"
    shutil.copytree(services_state / "reference", state / "reference")
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "SATUDATA_STATE": str(state),
        "DAGSTER_HOME": str(home),
        "SATUDATA_CATALOGUE": str(catalogue),
        "SATUDATA_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'wh.duckdb'}",
        "CKAN_URL": portal_env["CKAN_URL"],
        "CKAN_API_TOKEN": portal_env["CKAN_API_TOKEN"],
    }
    ckan = ckanapi.RemoteCKAN(portal_env["CKAN_URL"])  # anonymous: what the public sees
    yield {
        "csv": csv,
        "original": csv.read_text(encoding="utf-8"),
        "env": env,
        "tmp": tmp_path,
        "ckan": ckan,
        "package": f"{slug}-harga-pasar",
    }
    purge(
        ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"]),
        [("dataset_purge", f"{slug}-harga-pasar"), ("organization_purge", f"disdag-{slug}")],
    )


def deliver(delivery, change: int) -> pd.DataFrame:
    """Every price of the delivery raised by `change` rupiah, written where the agency drops it; returns the
    rows as the standard reads them (the project's own parser), as text like the public's CSV."""
    text = PRICE.sub(lambda m: f"Rp {int(m[1].replace('.', '')) + change:,}".replace(",", "."), delivery["original"])
    delivery["csv"].write_text(text, encoding="utf-8")
    raw = RawArchive(delivery["tmp"] / f"expected-{change}").store(
        "x", "y", delivery["csv"].name, text.encode(), "test"
    )
    batch = parse_files(
        [raw],
        STANDARD,
        {
            "Tanggal": "tanggal",
            "Kode Kecamatan": "kode_kecamatan",
            "Kode Pasar": "kode_pasar",
            "Nama Pasar": "nama_pasar",
            "Komoditas": "komoditas",
            "Satuan": "satuan",
            "Harga (Rp)": "harga",
        },
        folder=delivery["tmp"] / f"expected-{change}",
    )
    rows = pd.read_parquet(batch.path)
    return rows.assign(tanggal=rows["tanggal"].dt.strftime("%Y-%m-%d")).astype(str)


def start(delivery) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "assets.run"],
        cwd=ROOT,
        env=delivery["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def published(delivery) -> pd.DataFrame:
    return dump(csv_resource(delivery["ckan"].action.package_show(id=delivery["package"])))


def test_a_run_killed_at_random_twenty_times_converges_after_each_with_one_rerun(delivery):
    rng = random.Random(SEED)
    deliver(delivery, 0)
    assert start(delivery).wait(timeout=600) == 0  # the first publication, whole
    previous = checksums(deliver(delivery, 1))
    began = time.monotonic()
    # A change set, as every run below brings: how long one lasts unkilled (a first publication takes longer,
    # and most runs would finish before a moment drawn from its length).
    assert start(delivery).wait(timeout=600) == 0
    lasting = time.monotonic() - began
    killed, finished_first, worst = 0, 0, {"lost": 0, "duplicated": 0, "differing": 0}
    saw = {"the previous version": 0, "the new version": 0}
    for attempt in range(1, KILLS + 1):
        expected = deliver(delivery, 25 * attempt)
        wanted = checksums(expected)
        moment = rng.uniform(0.2, lasting)
        process = start(delivery)
        try:
            process.wait(timeout=moment)
            finished_first += 1  # the run was quicker than the moment drawn: a run that was not killed
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            killed += 1
        # Meanwhile the public sees one whole version, never a table half old and half new.
        between = checksums(published(delivery))
        assert between in (previous, wanted), f"seed {SEED}, kill {attempt} at {moment:.2f} s: a mixed table"
        saw["the previous version" if between == previous else "the new version"] += 1
        rerun = subprocess.run(
            [sys.executable, "-m", "assets.run"],
            cwd=ROOT,
            env=delivery["env"],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=600,
        )
        assert rerun.returncode == 0, (
            f"seed {SEED}, kill {attempt} at {moment:.2f} s:\n{rerun.stdout[-3000:]}{rerun.stderr[-3000:]}"
        )
        found = published(delivery)
        mine = checksums(found)
        worst["lost"] = max(worst["lost"], len(wanted.keys() - mine.keys()))
        worst["duplicated"] = max(worst["duplicated"], int(found.duplicated(list(STANDARD.primary_key)).sum()))
        worst["differing"] = max(worst["differing"], sum(mine.get(k) != v for k, v in wanted.items()))
        assert (len(found), worst) == (len(expected), {"lost": 0, "duplicated": 0, "differing": 0}), (
            f"seed {SEED}, kill {attempt} at {moment:.2f} s"
        )
        previous = wanted
    record(
        FaultFigures(
            "run process killed at random",
            f"SIGKILL of `python -m assets.run` at a random moment "
            f"(seed {SEED}) in {killed} of {KILLS} runs ({finished_first} finished first), the "
            f"delivery changed before each",
            ", ".join(f"{what}, complete, {n} times" for what, n in saw.items()),
            len(expected),
            len(found),
            worst["duplicated"],
            1,
        )
    )
    assert killed >= KILLS // 2
