"""The code location that workspace.yaml names loads, and the catalogue becomes the expected assets."""

import subprocess
import sys
from pathlib import Path

import dagster as dg

from assets.definitions import build_definitions
from pipelines import settings


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
