"""The code location that workspace.yaml names loads, and the catalogue becomes the expected assets."""

import subprocess
import sys
from pathlib import Path

import dagster as dg

from assets.definitions import build_definitions
from pipelines import settings
from tests.helpers import market_price_catalogue


def test_workspace_validates():
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run([str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
                          cwd=settings.PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "All code locations passed validation" in done.stderr + done.stdout


def test_catalogue_becomes_an_asset_chain_with_a_blocking_check():
    defs = build_definitions()
    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    assert {"reference/kemendagri_regions", "ppu/harga_pasar/raw", "ppu/harga_pasar/staged",
            "ppu/harga_pasar/warehouse", "ppu/harga_pasar/portal"} <= keys
    [check] = [c for c in defs.resolve_asset_graph().asset_check_keys
               if c.asset_key == dg.AssetKey(["ppu", "harga_pasar", "staged"])]
    assert check.name == "memenuhi_standar"
    assert defs.resolve_asset_graph().get_check_spec(check).blocking


def test_only_the_warehouse_step_is_partitioned_by_month():
    defs = build_definitions()
    steps = {step: defs.resolve_assets_def(dg.AssetKey(["ppu", "harga_pasar", step]))
             for step in ("raw", "staged", "warehouse", "portal")}
    months = steps["warehouse"].partitions_def
    assert isinstance(months, dg.MonthlyPartitionsDefinition)
    assert months.get_first_partition_key() == "2024-01"   # catalogue/pipeline.yaml
    assert steps["warehouse"].backfill_policy == dg.BackfillPolicy.single_run()
    assert [s for s, a in steps.items() if a.partitions_def] == ["warehouse"]
    # All datasets share the months, so the main job can run every dataset over all of them at once.
    assert defs.resolve_job_def("satudata_job").partitions_def == months


def test_step_retries_come_from_the_catalogue(tmp_path, monkeypatch):
    def retry_of(step: str) -> dg.RetryPolicy:
        return build_definitions().resolve_assets_def(dg.AssetKey(["ppu", "harga_pasar", step])).op.retry_policy

    assert (retry_of("raw").max_retries, retry_of("raw").delay, retry_of("raw").backoff) == \
        (3, 10, dg.Backoff.EXPONENTIAL)
    catalogue, _ = market_price_catalogue(tmp_path, retry={"max_retries": 1, "delay_seconds": 0})
    monkeypatch.setenv("SATUDATA_CATALOGUE", str(catalogue))
    for step in ("raw", "portal"):
        assert (retry_of(step).max_retries, retry_of(step).delay, retry_of(step).backoff) == \
            (1, 0, dg.Backoff.EXPONENTIAL)
