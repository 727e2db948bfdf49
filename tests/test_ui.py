"""A steward's walk through the Dagster UI in a real browser: headless Chromium (Debian's package) opens the
local webserver and finds the asset graph, a failed standard check with its findings, and the late agency."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest
import requests

from assets.definitions import build_definitions
from pipelines import settings
from pipelines.raw import RawArchive
from tests.helpers import (
    CHROMIUM,
    drop_out_of_regency_batch,
    market_price_catalogue,
    rendered,
    run_main_job,
    stop_group,
)

START_SECONDS = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rendered_app(url: str, profile: Path) -> str:
    """The UI's page once its GraphQL answers arrived."""
    return rendered(url, profile, wait_ms=20_000)


@pytest.fixture
def steward_instance(tmp_path, monkeypatch, isolated_state, services_state):
    """A Dagster instance on disk in which a late delivery was quarantined and the agency has sent
    nothing since (its last new file is four days old)."""
    catalogue, drop = market_price_catalogue(tmp_path, on_portal=False)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        "DAGSTER_HOME": str(home),
        "SATUDATA_CATALOGUE": str(catalogue),
        "SATUDATA_STATE": str(isolated_state),
        "SATUDATA_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'wh.duckdb'}",
        "CKAN_API_TOKEN": "unused-here",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if (services_state / "reference").exists():
        shutil.copytree(services_state / "reference", isolated_state / "reference")
    drop_out_of_regency_batch(drop)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert not run_main_job(instance).success  # quarantined
        manifest = RawArchive(isolated_state / "raw").manifest("ppu", "harga-pasar")
        four_days_ago = (datetime.now(timezone.utc) - timedelta(days=4)).isoformat(timespec="seconds")
        manifest.write_text(
            "".join(
                json.dumps({**json.loads(line), "pulled_at": four_days_ago}) + "\n"
                for line in manifest.read_text().splitlines()
            )
        )
        raw = dg.AssetKey(["harga_pasar", "raw"])
        raw_only = (
            build_definitions()
            .resolve_job_def("satudata_job")
            .execute_in_process(instance=instance, asset_selection=[raw], partition_key="ppu", tags={"regency": "ppu"})
        )
        assert raw_only.success  # lateness warns, it does not block
    return env


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by scripts/chromium.sh (make test)")
def test_steward_finds_graph_failed_check_and_late_agency(steward_instance, tmp_path):
    port = free_port()
    web = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("dagster-webserver")),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            str(settings.PROJECT_ROOT / "workspace.yaml"),
        ],
        cwd=settings.PROJECT_ROOT,
        env={**os.environ, **steward_instance},
        stdout=open(tmp_path / "web.log", "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/server_info", timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(2)
        else:
            pytest.fail((tmp_path / "web.log").read_text()[-3000:])

        graph = rendered_app(f"{base}/asset-groups/harga_pasar", tmp_path / "profile")
        assert "harga_pasar" in graph and "reference" in graph

        # The walidata's own regency at a glance: its runs (tag regency), its partition of each step...
        runs = rendered_app(f"{base}/runs?q%5B0%5D=tag%3Aregency%3Dppu", tmp_path / "profile")
        assert "satudata_job" in runs and "regency=ppu" in runs
        partitions = rendered_app(f"{base}/assets/harga_pasar/staged?view=partitions", tmp_path / "profile")
        assert "ppu" in partitions

        # ...the failed standard check (quarantine) and the late agency, each named for the regency.
        standard = rendered_app(f"{base}/assets/harga_pasar/staged?view=checks", tmp_path / "profile")
        assert "memenuhi_standar" in standard and "failed" in standard.lower()

        lateness = rendered_app(f"{base}/assets/harga_pasar/raw?view=checks", tmp_path / "profile")
        assert "tepat_waktu" in lateness and "terlambat" in lateness  # the check names how late
    finally:
        stop_group(web)
