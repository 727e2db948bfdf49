"""The code location that workspace.yaml names loads, and the catalogue becomes one asset chain per standard,
partitioned by regency."""

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from assets.definitions import build_definitions
from assets.resources import WarehouseResource
from pipelines import settings
from pipelines.catalogue import load_portals, load_regencies
from tests.helpers import market_price_catalogue


@pytest.mark.slow
def test_workspace_validates():
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=settings.PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "All code locations passed validation" in done.stderr + done.stdout


def test_each_standard_is_one_chain_partitioned_by_regency_with_a_blocking_check():
    defs = build_definitions()
    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    standards = {
        (f"indikator-{d.name}" if d.indicator else d.schema.split("/")[0]).replace("-", "_")  # an
        for r in load_regencies()
        for d in r.datasets
    }  # indicator: its own chain
    assert {f"{s}/{step}" for s in standards for step in ("raw", "staged", "warehouse", "portal")} <= keys
    assert not any(key.startswith("ppu/") for key in keys)  # no asset per regency
    regencies = defs.resolve_job_def("satudata_job").partitions_def
    assert set(regencies.get_partition_keys()) == {r.slug for r in load_regencies()}
    for step in ("raw", "staged", "warehouse", "portal"):
        assert defs.resolve_assets_def(dg.AssetKey(["harga_pasar", step])).partitions_def == regencies
    [check] = [
        c for c in defs.resolve_asset_graph().asset_check_keys if c.asset_key == dg.AssetKey(["harga_pasar", "staged"])
    ]
    assert check.name == "memenuhi_standar"
    assert defs.resolve_asset_graph().get_check_spec(check).blocking
    # A province publication per standard, partitioned by province, reads its own regencies' partitions.
    province = defs.resolve_assets_def(dg.AssetKey(["harga_pasar", "provinsi"]))
    assert set(province.partitions_def.get_partition_keys()) == {"kaltim", "sulsel"}
    graph = defs.resolve_asset_graph()
    mapping = graph.get_partition_mapping(
        dg.AssetKey(["harga_pasar", "provinsi"]), dg.AssetKey(["harga_pasar", "warehouse"])
    )
    upstream = mapping.get_upstream_mapped_partitions_result_for_partitions(
        province.partitions_def.empty_subset().with_partition_keys(["kaltim"]), province.partitions_def, regencies
    ).partitions_subset
    assert set(upstream.get_partition_keys()) == {"ppu", "paser"}


def test_the_graph_does_not_grow_with_regencies(tmp_path, monkeypatch):
    catalogue, _ = market_price_catalogue(tmp_path, on_portal=False)
    doc = yaml.safe_load((catalogue / "ppu.yaml").read_text())
    for n in range(20):  # twenty more regencies delivering the same standard
        copy = {
            **doc,
            "regency": {**doc["regency"], "slug": f"r{n}", "code": f"64.{n + 20}"},
            "agencies": [{**doc["agencies"][0], "slug": f"disdag-r{n}"}],
            "datasets": [{**doc["datasets"][0], "agency": f"disdag-r{n}"}],
        }
        (catalogue / f"r{n}.yaml").write_text(yaml.safe_dump(copy))
    monkeypatch.setenv("SATUDATA_CATALOGUE", str(catalogue))
    defs = build_definitions()
    # chain, reference, scorecard, raw retention, Daftar Data
    assert len(defs.resolve_asset_graph().get_all_asset_keys()) == 4 + 5 + 1 + 1 + 1
    assert len(defs.resolve_job_def("satudata_job").partitions_def.get_partition_keys()) == 21
    # file drops: sensors only
    assert [s.name for s in defs.schedules] == [
        "kepatuhan_opd_harian",
        "daftar_data_harian",
        "retensi_data_pribadi_harian",
    ]
    assert [s.name for s in defs.sensors if not isinstance(s, dg.RunStatusSensorDefinition)] == [
        "berkas_masuk",
        "opd_terlambat",
        "runs_without_a_process",
    ]


def test_each_regency_publishes_to_the_portal_its_catalogue_names_with_its_own_token(tmp_path, monkeypatch):
    catalogue, _ = market_price_catalogue(tmp_path, on_portal=False)
    portals = yaml.safe_load((catalogue / "portals.yaml").read_text())
    portals["paser"] = {"url": "http://127.0.0.1:5999", "api_token_env": "PASER_CKAN_API_TOKEN"}
    (catalogue / "portals.yaml").write_text(yaml.safe_dump(portals))
    doc = yaml.safe_load((catalogue / "ppu.yaml").read_text())
    (catalogue / "paser.yaml").write_text(
        yaml.safe_dump(
            {
                **doc,
                "regency": {**doc["regency"], "slug": "paser", "code": "64.01"},
                "portal": "paser",
                "agencies": [{**doc["agencies"][0], "slug": "disdag-paser"}],
                "datasets": [{**doc["datasets"][0], "agency": "disdag-paser"}],
            }
        )
    )
    # Two regencies on one portal, each with a token of its own: the regency file names it.
    (catalogue / "lutra.yaml").write_text(
        yaml.safe_dump(
            {
                **doc,
                "regency": {**doc["regency"], "slug": "lutra", "code": "73.22"},
                "api_token_env": "LUTRA_TOKEN",
                "agencies": [{**doc["agencies"][0], "slug": "disdag-lutra"}],
                "datasets": [{**doc["datasets"][0], "agency": "disdag-lutra"}],
            }
        )
    )
    monkeypatch.setenv("SATUDATA_CATALOGUE", str(catalogue))
    monkeypatch.setenv("PASER_CKAN_API_TOKEN", "token-paser")
    monkeypatch.setenv("CKAN_API_TOKEN", "token-ppu")
    monkeypatch.setenv("LUTRA_TOKEN", "token-lutra")
    regencies = {r.slug: r for r in load_regencies()}
    configured = build_definitions().get_repository_def().get_top_level_resources()["portals"]
    with dg.build_resources({"portals": configured}) as resources:
        portals = resources.portals
    paser, ppu, lutra = (
        portals.client(regencies[slug].portal, regencies[slug].api_token_env) for slug in ("paser", "ppu", "lutra")
    )
    assert (paser.url, paser.token) == ("http://127.0.0.1:5999", "token-paser")
    assert (ppu.token, ppu.url) == ("token-ppu", load_portals(catalogue)["local"].url)
    assert (lutra.token, lutra.url) == ("token-lutra", ppu.url)
    # The token is read when a step needs it: it is not part of the resource's configuration.
    assert not any(token in repr(portals) for token in ("token-paser", "token-ppu", "token-lutra"))


def test_the_warehouse_resource_keeps_one_engine_per_process(tmp_path):
    """Every step asks the resource for its engine: one engine (one connection pool) serves them all."""
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    first, again = WarehouseResource(url=url).engine(), WarehouseResource(url=url).engine()
    assert first is again
    assert WarehouseResource(url=f"duckdb:///{tmp_path / 'other.duckdb'}").engine() is not first
