"""One code location per province, for real: two Dagster code servers on 127.0.0.1, each with its own catalogue
folder and SATUDATA_LOCATION, behind one workspace. Kalimantan Timur's loads with its keys under its own
prefix; Sulawesi Selatan's catalogue has a typo, which fails that location alone, naming the file and key."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipelines import settings
from tests.helpers import market_price_catalogue, stop_group

pytestmark = pytest.mark.servers  # two Dagster code servers behind one workspace

START_SECONDS = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_one_code_location_per_province_and_a_broken_catalogue_stops_only_its_own(tmp_path, services_state):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    dg.DagsterInstance.from_config(str(home)).dispose()  # the instance exists before its code servers start
    locations = {}
    for name in ("kaltim", "sulsel"):
        catalogue, _ = market_price_catalogue(tmp_path / name, on_portal=False)
        locations[name] = {
            **os.environ,
            "SATUDATA_LOCATION": name,
            "SATUDATA_CATALOGUE": str(catalogue),
            "SATUDATA_STATE": str(tmp_path / name / "state"),
            "DAGSTER_HOME": str(home),
        }
    broken = Path(locations["sulsel"]["SATUDATA_CATALOGUE"]) / "portals.yaml"
    portals = yaml.safe_load(broken.read_text())
    portals["local"]["tokn_env"] = "CKAN_API_TOKEN"  # a typo in Sulawesi Selatan's catalogue
    broken.write_text(yaml.safe_dump(portals))

    # Kalimantan Timur's keys carry its prefix, so the two provinces' chains never share a key.
    keys = subprocess.run(
        [
            sys.executable,
            "-c",
            "from assets.definitions import defs; "
            "print('\\n'.join(k.to_user_string() for k in defs().resolve_all_asset_keys()))",
        ],
        cwd=settings.PROJECT_ROOT,
        env=locations["kaltim"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert keys.returncode == 0, keys.stderr[-2000:]
    assert "kaltim/harga_pasar/raw" in keys.stdout.split()
    assert all(key.startswith("kaltim/") for key in keys.stdout.split())

    dagster = Path(sys.executable).with_name("dagster")
    servers, workspace = [], {"load_from": []}
    try:
        for name, env in locations.items():
            port = free_port()
            servers.append(
                subprocess.Popen(
                    [
                        str(dagster),
                        "code-server",
                        "start",
                        "-m",
                        "assets.definitions",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        str(port),
                    ],
                    cwd=settings.PROJECT_ROOT,
                    env=env,
                    stdout=open(tmp_path / f"{name}.log", "w"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            workspace["load_from"].append({"grpc_server": {"host": "127.0.0.1", "port": port, "location_name": name}})
            deadline = time.monotonic() + START_SECONDS
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=2).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, (tmp_path / f"{name}.log").read_text()[-3000:]
                    time.sleep(1)
        (tmp_path / "workspace.yaml").write_text(yaml.safe_dump(workspace))
        done = subprocess.run(
            [str(dagster), "definitions", "validate", "-w", str(tmp_path / "workspace.yaml")],
            cwd=settings.PROJECT_ROOT,
            env={**os.environ, "DAGSTER_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        said = done.stdout + done.stderr
        assert "Validation successful for code location kaltim" in said, said[-3000:]
        assert "Validation failed for code location sulsel" in said
        assert "portals.yaml: local.tokn_env: kunci tidak dikenal / unknown key" in said
    finally:
        for server in servers:
            stop_group(server)
