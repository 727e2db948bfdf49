"""The state folder's disk full, for real: the test's state folder is a small tmpfs of its own (mounted as
root, the machine's CI runs as root), filled until the raw archive or the staging of Dinas Perdagangan PPU's
market-price delivery cannot be written. The run fails at once (no retries: waiting does not free a disk),
names the full disk and what to do, leaves no half-written file behind, publishes nothing; once space is
freed, one plain re-run publishes every row."""

import os
import shutil
import subprocess
import sys
import uuid

import ckanapi
import dagster as dg
import pytest

from assets.run import _report
from pipelines.catalogue import load_catalogue, load_reference_config
from pipelines.parsing import Batch, parse_files
from pipelines.raw import RawArchive
from pipelines.settings import PROJECT_ROOT as ROOT
from pipelines.standard import load_standard
from pipelines.standard.reference import fetch_npm_tarball
from tests.faults.report import FaultFigures, record
from tests.helpers import market_price_catalogue, point_pipeline_at, purge, run_main_job

DISK_BYTES = 32 << 20  # the reference cache (region codes), a local Dagster instance and the delivery
PAGE = 4096

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


@pytest.fixture
def small_disk(tmp_path, monkeypatch, services_state, portal_env):
    """A catalogue of one regency (market prices from a drop folder) whose state folder is a 4 MB tmpfs."""
    slug = f"t{uuid.uuid4().hex[:6]}"
    catalogue, drop = market_price_catalogue(tmp_path, slug)
    state = tmp_path / "state"
    state.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES},mode=0700", "tmpfs", str(state)], check=True)
    # Every edition the reference steps read, fetched before the disk is filled: the run must fail on the
    # delivery's own writes, not on a download of the previous edition.
    cache = services_state / "reference"
    for source in load_reference_config(catalogue).values():
        fetch_npm_tarball(source["npm_package"], str(source["version"]), source["integrity"], cache)
    shutil.copytree(cache, state / "reference")
    monkeypatch.setenv("SATUDATA_STATE", str(state))
    point_pipeline_at(
        monkeypatch, catalogue, portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"], tmp_path / "wh.duckdb"
    )
    ckan = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    try:
        yield {"slug": slug, "state": state, "drop": drop, "ckan": ckan, "package": f"{slug}-harga-pasar"}
    finally:
        subprocess.run(["umount", str(state)], check=True)
        purge(ckan, [("dataset_purge", f"{slug}-harga-pasar"), ("organization_purge", f"disdag-{slug}")])


def pages(size: int) -> int:
    return -(-size // PAGE) * PAGE


def fill(state, leave: int):
    """Take the disk's free space down to `leave` bytes with one filler file; deleting it frees the disk."""
    filler = state / "filler"
    free = shutil.disk_usage(state).free
    with filler.open("wb") as f:
        f.write(b"\0" * (free - leave))
    return filler


def staged(small_disk, tmp_path) -> Batch:
    """The delivery parsed on the test's own disk (not the small one): its rows, and the room it takes."""
    [regency] = load_catalogue().regencies
    [dataset] = regency.datasets
    archive = RawArchive(tmp_path / "measure")
    files = [archive.store("x", "y", p.name, p.read_bytes(), str(p)) for p in sorted(small_disk["drop"].iterdir())]
    return parse_files(
        files,
        load_standard(dataset.schema),
        dataset.columns,
        dataset.source.options,
        folder=tmp_path / "measure-staged",
    )


def published_keys(small_disk) -> list[tuple]:
    package = small_disk["ckan"].action.package_show(id=small_disk["package"])
    [table] = [r for r in package["resources"] if r.get("datastore_active")]
    stored = small_disk["ckan"].action.datastore_search(resource_id=table["id"], limit=100_000)["records"]
    return [(r["tanggal"], r["kode_pasar"], r["komoditas"]) for r in stored]


@pytest.mark.parametrize("moment", ["raw archive", "staging"])
def test_a_full_disk_fails_at_once_naming_it_and_one_rerun_after_freeing_it_converges(small_disk, tmp_path, moment):
    state, ckan = small_disk["state"], small_disk["ckan"]
    raw_bytes = sum(pages(p.stat().st_size) for p in small_disk["drop"].iterdir()) + 2 * PAGE  # + the manifest
    # Room for the archive but not for the staged rows; or not even for the first file.
    delivery = staged(small_disk, tmp_path)
    leave = raw_bytes + pages(delivery.path.stat().st_size) // 2 if moment == "staging" else PAGE
    filler = fill(state, leave)

    failed = run_main_job()
    assert not failed.success
    assert not [e for e in failed.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    [failure] = failed.get_step_failure_events()
    assert failure.step_key == ("harga_pasar__raw" if moment == "raw archive" else "harga_pasar__staged")
    summary = _report(failed.results[0])
    assert "disk penuh" in summary and "disk full" in summary and str(state) in summary, summary
    # Nothing half-written under a real name, nothing published.
    assert not list(state.rglob("*.partial"))
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id=small_disk["package"])

    filler.unlink()
    again = run_main_job()
    assert again.success, _report(again.results[0])
    keys = published_keys(small_disk)
    record(
        FaultFigures(
            f"disk full during the {moment}",
            f"state folder on a {DISK_BYTES >> 20} MB tmpfs with {leave:,} bytes left",
            "nothing (the dataset was never published)",
            delivery.rows,
            len(keys),
            len(keys) - len(set(keys)),
            1,
        )
    )
    assert len(keys) == len(set(keys)) == delivery.rows > 0


def test_a_full_disk_under_the_dagster_instance_is_named_without_a_traceback(small_disk, tmp_path):
    """`make demo` keeps the local Dagster instance in the state folder too: its bookkeeping hits the full
    disk first."""
    delivery = staged(small_disk, tmp_path)
    home = small_disk["state"] / "dagster"
    home.mkdir()
    (home / "dagster.yaml").touch()
    filler = fill(small_disk["state"], 0)
    command = [sys.executable, "-m", "assets.run"]
    env = {**os.environ, "DAGSTER_HOME": str(home), "DAGSTER_DISABLE_TELEMETRY": "true"}
    failed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert failed.returncode == 1
    assert "disk penuh / disk full" in failed.stderr and "Traceback" not in failed.stderr, failed.stderr[-3000:]

    filler.unlink()
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "BERHASIL / SUCCESS" in again.stdout
    keys = published_keys(small_disk)
    record(
        FaultFigures(
            "disk full under the Dagster instance",
            f"state folder and DAGSTER_HOME on a {DISK_BYTES >> 20} MB tmpfs with 0 bytes left",
            "nothing (the dataset was never published)",
            delivery.rows,
            len(keys),
            len(keys) - len(set(keys)),
            1,
        )
    )
    assert len(keys) == len(set(keys)) == delivery.rows > 0
