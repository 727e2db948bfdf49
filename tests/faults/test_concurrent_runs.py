"""Runs of the same regency at once, as production starts them: a sensor's run, a steward's manual run and a
backfill submitted together to the production instance (deploy/dagster.yaml: PostgreSQL storage, runs queued
and launched by the real daemon). One runs at a time per regency; each that follows finds the work done and
writes nothing twice; the portal ends with exactly the agency's rows."""

import json
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
from tests.faults.report import FaultFigures, record
from tests.helpers import market_price_catalogue, purge, stop_group

DEADLINE_SECONDS = 900  # three runs one after the other, each a process of its own, on a shared two-core machine
DAGSTER = str(Path(sys.executable).with_name("dagster"))


def test_a_manual_run_a_sensor_run_and_a_backfill_of_one_regency_queue_and_converge(
    tmp_path, postgres_url, services_state, portal_env
):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(settings.PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    url = urlparse(postgres_url)
    slug = f"c{os.getpid()}"
    catalogue, drop = market_price_catalogue(tmp_path, slug)
    state = tmp_path / "state"
    shutil.copytree(services_state / "reference", state / "reference")
    pg = {
        "DAGSTER_PG_HOST": url.hostname,
        "DAGSTER_PG_PORT": str(url.port),
        "DAGSTER_PG_DB": url.path[1:],
        "DAGSTER_PG_USER": url.username,
        "DAGSTER_PG_PASSWORD": url.password,
    }
    env = {
        **os.environ,
        **pg,
        "DAGSTER_HOME": str(home),
        "SATUDATA_CATALOGUE": str(catalogue),
        "SATUDATA_STATE": str(state),
        "SATUDATA_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'wh.duckdb'}",
        "CKAN_URL": portal_env["CKAN_URL"],
        "CKAN_API_TOKEN": portal_env["CKAN_API_TOKEN"],
    }
    workspace = ["-w", str(settings.PROJECT_ROOT / "workspace.yaml")]
    ckan = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])

    def submit(*command: str) -> subprocess.Popen:
        return subprocess.Popen(
            [DAGSTER, *command, *workspace, "-j", "satudata_job"],
            cwd=settings.PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            stdin=subprocess.DEVNULL,
        )

    daemon = subprocess.Popen(
        [DAGSTER + "-daemon", "run", *workspace],
        cwd=settings.PROJECT_ROOT,
        env=env,
        stdout=open(tmp_path / "daemon.log", "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    os.environ.update(pg)
    try:
        submitted = [
            submit(
                "job",
                "launch",
                "--tags",
                json.dumps({"dagster/partition": slug, "regency": slug, "started_by": started_by}),
            )
            for started_by in ("berkas_masuk", "walidata")
        ]
        submitted.append(submit("job", "backfill", "--partitions", slug, "--noprompt"))
        for process in submitted:
            output, _ = process.communicate(timeout=300)
            assert process.returncode == 0, output[-3000:]

        with dg.DagsterInstance.from_config(str(home)) as instance:
            most_at_once, deadline = 0, time.monotonic() + DEADLINE_SECONDS
            while time.monotonic() < deadline:
                runs = [r for r in instance.get_runs() if r.tags.get("dagster/partition") == slug]
                most_at_once = max(most_at_once, sum(r.status == dg.DagsterRunStatus.STARTED for r in runs))
                # Three submitted, and the file-drop sensor may add its own run for the same new files.
                if len(runs) >= 3 and all(r.is_finished for r in runs):
                    break
                time.sleep(0.5)
            log = (tmp_path / "daemon.log").read_text()[-3000:]
            assert len(runs) >= 3 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), log
            assert most_at_once == 1
            steps = {
                r.run_id: {
                    e.asset_key.path[-1]: e.asset_materialization
                    for e in instance.get_records_for_run(
                        r.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
                    ).records
                }
                for r in runs
            }
            # The first merged and published; the runs after it found the same files and wrote nothing.
            [first] = [s for s in steps.values() if "warehouse" in s]
            assert sum("portal" in s for s in steps.values()) == 1
            expected = first["staged"].metadata["dagster/row_count"].value

        package = ckan.action.package_show(id=f"{slug}-harga-pasar")
        [table] = [r for r in package["resources"] if r.get("datastore_active")]
        stored = ckan.action.datastore_search(resource_id=table["id"], limit=100_000)["records"]
        keys = [(r["tanggal"], r["kode_pasar"], r["komoditas"]) for r in stored]
        record(
            FaultFigures(
                "two runs and a backfill of one regency at once",
                "a sensor's run, a manual run and a backfill submitted together to the queued production instance",
                f"one run at a time (at most {most_at_once} of {len(runs)} started), the others queued",
                expected,
                len(keys),
                len(keys) - len(set(keys)),
                0,
            )
        )
        assert len(keys) == len(set(keys)) == expected > 0
    finally:
        stop_group(daemon)
        for key in pg:
            os.environ.pop(key, None)
        purge(ckan, [("dataset_purge", f"{slug}-harga-pasar"), ("organization_purge", f"disdag-{slug}")])
