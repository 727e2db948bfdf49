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
from tests.helpers import drop_out_of_regency_batch, market_price_catalogue, stop_group

CHROMIUM = shutil.which("chromium")
START_SECONDS = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rendered(url: str, profile: Path) -> str:
    """The page's DOM after its scripts ran and its GraphQL answers arrived."""
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                           "--no-first-run", "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=20000",
                           "--dump-dom", url], capture_output=True, text=True, timeout=120)
    return done.stdout


@pytest.fixture
def steward_instance(tmp_path, monkeypatch, isolated_state, services_state):
    """A Dagster instance on disk in which a late delivery was quarantined and the agency has sent
    nothing since (its last new file is four days old)."""
    catalogue, drop = market_price_catalogue(tmp_path)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {"DAGSTER_HOME": str(home), "SATUDATA_CATALOGUE": str(catalogue), "SATUDATA_STATE": str(isolated_state),
           "SATUDATA_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'wh.duckdb'}", "CKAN_API_TOKEN": "unused-here"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if (services_state / "reference").exists():
        shutil.copytree(services_state / "reference", isolated_state / "reference")
    drop_out_of_regency_batch(drop)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        job = build_definitions().resolve_job_def("ppu_harga_pasar")
        assert not job.execute_in_process(instance=instance, raise_on_error=False).success   # quarantined
        manifest = RawArchive(isolated_state / "raw").manifest("ppu", "harga-pasar")
        four_days_ago = (datetime.now(timezone.utc) - timedelta(days=4)).isoformat(timespec="seconds")
        manifest.write_text("".join(json.dumps({**json.loads(line), "pulled_at": four_days_ago}) + "\n"
                                    for line in manifest.read_text().splitlines()))
        raw = dg.AssetKey(["ppu", "harga_pasar", "raw"])
        raw_only = job.execute_in_process(instance=instance, asset_selection=[raw])
        assert raw_only.success   # lateness warns, it does not block
    return env


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by scripts/chromium.sh (make test)")
def test_steward_finds_graph_failed_check_and_late_agency(steward_instance, tmp_path):
    port = free_port()
    web = subprocess.Popen([str(Path(sys.executable).with_name("dagster-webserver")), "-h", "127.0.0.1",
                            "-p", str(port), "-w", str(settings.PROJECT_ROOT / "workspace.yaml")],
                           cwd=settings.PROJECT_ROOT, env={**os.environ, **steward_instance},
                           stdout=open(tmp_path / "web.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
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

        graph = rendered(f"{base}/asset-groups/ppu", tmp_path / "profile")
        assert "ppu" in graph and "reference" in graph

        standard = rendered(f"{base}/assets/ppu/harga_pasar/staged?view=checks", tmp_path / "profile")
        assert "memenuhi_standar" in standard and "failed" in standard.lower()

        lateness = rendered(f"{base}/assets/ppu/harga_pasar/raw?view=checks", tmp_path / "profile")
        assert "tepat_waktu" in lateness and "terlambat" in lateness   # the check names how late
    finally:
        stop_group(web)
