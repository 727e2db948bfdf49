"""The production shape of the Dagster instance, for real: run, event and schedule storage in PostgreSQL
(deploy/dagster.yaml), and the daemon launching the pipeline from a schedule by itself."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import ckanapi
import dagster as dg

from pipelines import settings
from tests.helpers import market_price_catalogue, stop_group

DEADLINE_SECONDS = 600  # the schedule's first tick, then one process per step on a shared two-core machine


def test_daemon_runs_a_scheduled_job_on_a_postgresql_instance(tmp_path, postgres_url, services_state, portal_env):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(settings.PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    url = urlparse(postgres_url)
    slug = f"d{os.getpid()}"
    # every minute, so the daemon fires the schedule during the test
    catalogue, _ = market_price_catalogue(tmp_path, slug, schedule="* * * * *")
    state = tmp_path / "state"
    if (services_state / "reference").exists():
        shutil.copytree(services_state / "reference", state / "reference")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SATUDATA_CATALOGUE": str(catalogue),
        "SATUDATA_STATE": str(state),
        "SATUDATA_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'wh.duckdb'}",
        "CKAN_URL": portal_env["CKAN_URL"],
        "CKAN_API_TOKEN": portal_env["CKAN_API_TOKEN"],
        "DAGSTER_PG_HOST": url.hostname,
        "DAGSTER_PG_PORT": str(url.port),
        "DAGSTER_PG_DB": url.path[1:],
        "DAGSTER_PG_USER": url.username,
        "DAGSTER_PG_PASSWORD": url.password,
    }
    daemon = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("dagster-daemon")),
            "run",
            "-w",
            str(settings.PROJECT_ROOT / "workspace.yaml"),
        ],
        cwd=settings.PROJECT_ROOT,
        env=env,
        stdout=open(tmp_path / "daemon.log", "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        os.environ.update({k: env[k] for k in env if k.startswith("DAGSTER_PG_")})
        with dg.DagsterInstance.from_config(str(home)) as instance:
            run = None
            deadline = time.monotonic() + DEADLINE_SECONDS
            while time.monotonic() < deadline:
                runs = [
                    r
                    for r in instance.get_runs()
                    if r.job_name == "satudata_job" and r.tags.get("dagster/schedule_name", "").startswith("jadwal_")
                ]
                run = next((r for r in runs if r.is_finished), None)
                if run:
                    break
                time.sleep(5)
            assert run is not None, (tmp_path / "daemon.log").read_text()[-3000:]
            assert run.status == dg.DagsterRunStatus.SUCCESS, (tmp_path / "daemon.log").read_text()[-3000:]
            # The schedule of the dataset's own cron requested the regency's partition.
            assert (run.tags["dagster/partition"], run.tags["regency"]) == (slug, slug)
            assert "postgres" in type(instance.run_storage).__module__
    finally:
        stop_group(daemon)
        for key in [k for k in os.environ if k.startswith("DAGSTER_PG_")]:
            del os.environ[key]
        ckan = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
        for action, name in (("dataset_purge", f"{slug}-harga-pasar"), ("organization_purge", f"disdag-{slug}")):
            try:
                ckan.call_action(action, {"id": name})
            except ckanapi.NotFound:
                pass
