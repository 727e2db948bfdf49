"""The main job on Dagster's own distributed executor, for real: the project's Redis (scripts/redis.sh) and two
dagster-celery workers (scripts/celery_workers.sh) on 127.0.0.1 run one regency's steps, spread over both
workers, and publish to the local CKAN portal what the same job publishes in process."""

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from unittest.mock import patch

import ckanapi
import dagster as dg
import pandas as pd
import pytest
import yaml

from assets.definitions import build_definitions
from pipelines import settings
from pipelines.standard import load_standard
from tests.helpers import market_price_catalogue, purge

ROOT = settings.PROJECT_ROOT
JOB = "satudata_job"
STANDARD = load_standard("harga-pasar/1.0.0")
# What changes with every publication of the same content: ids, times, the run.
VOLATILE = {
    "id",
    "owner_org",
    "metadata_created",
    "metadata_modified",
    "satudata_run_id",
    "terakhir_divalidasi",
    "revision_id",
    "creator_user_id",
}


def satudata_job_on_celery() -> dg.JobDefinition:
    """The pipeline's main job on the Celery executor, built from the environment. The test and every worker
    build it the same way: a worker imports this module by name (the run's reconstructable job below)."""
    with patch.dict(os.environ, {"SATUDATA_EXECUTOR": "celery"}):  # the deployment's switch (assets/definitions.py)
        return build_definitions().resolve_job_def(JOB)


def regency(folder: Path, slug: str, services_state: Path, portal_env: dict, warehouse_url: str) -> dict:
    """PPU's market prices under the test's own slug (so the portal dataset is the test's), with its own drop
    folder, state folder, warehouse and Dagster home: the environment its runs need."""
    catalogue, _ = market_price_catalogue(folder, slug)
    state = folder / "state"
    if (services_state / "reference").exists():  # verified again on load; copying only saves a download
        shutil.copytree(services_state / "reference", state / "reference")
    home = folder / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")  # SQLite storage, in this folder
    return {
        "SATUDATA_CATALOGUE": str(catalogue),
        "SATUDATA_STATE": str(state),
        "DAGSTER_HOME": str(home),
        "SATUDATA_WAREHOUSE_URL": warehouse_url,
        "CKAN_URL": portal_env["CKAN_URL"],
        "CKAN_API_TOKEN": portal_env["CKAN_API_TOKEN"],
    }


@pytest.fixture
def published_slug(portal_env):
    """A regency slug of the test's own, and a purge() of what it published on the local portal, also run
    afterwards."""
    slug = f"t{uuid.uuid4().hex[:6]}"
    client = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])

    def remove():
        purge(client, [("dataset_purge", f"{slug}-harga-pasar"), ("organization_purge", f"disdag-{slug}")])

    yield slug, client, remove
    remove()


@pytest.fixture
def celery_workers(redis_url):
    """start(queue) starts workers w1 and w2 on the project's Redis, taking steps from that queue only (workers
    a developer started, or another test session's, never take them), with the environment of the test at that
    moment: the run's own. They are stopped afterwards, by their pidfiles."""
    started = []

    def script(env: dict, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", *args], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
        )

    def start(queue: str) -> dict:
        env = {
            **os.environ,
            "CELERY_BROKER_URL": f"{redis_url}/0",
            "CELERY_RESULT_BACKEND": f"{redis_url}/1",
            "SATUDATA_CELERY_QUEUE": queue,
        }
        started.append(env)
        done = script(env, "scripts/celery_workers.sh", "start", "2")
        assert done.returncode == 0, done.stderr
        return env

    try:
        yield start
    finally:
        for env in started:
            script(env, "scripts/celery_workers.sh", "stop")


def published(ckan, slug: str) -> tuple[dict, pd.DataFrame]:
    """The portal dataset without what changes with every publication, and its DataStore rows."""
    package = ckan.action.package_show(id=f"{slug}-harga-pasar")
    [resource] = [r for r in package["resources"] if r["name"] == "harga-pasar.csv"]
    rows = pd.DataFrame(ckan.action.datastore_search(resource_id=resource["id"], limit=100_000)["records"])
    rows = rows.drop(columns="_id").sort_values(list(STANDARD.primary_key)).reset_index(drop=True)

    def names(items):
        return sorted(i["name"] for i in items)

    return {
        **{k: v for k, v in package.items() if k not in VOLATILE},
        "organization": package["organization"]["name"],
        "groups": names(package["groups"]),
        "tags": names(package["tags"]),
        "resources": sorted((r["name"], r["format"], r["datastore_active"]) for r in package["resources"]),
    }, rows


def outcome(events: list[dg.DagsterEvent]) -> dict:
    """What a run did, read from its events: materialized assets with their row counts, check results."""
    materialized = {
        e.asset_key.to_user_string(): {
            k: v.value
            for k, v in e.materialization.metadata.items()
            if k in ("rows", "inserted", "updated", "deleted", "unchanged", "changed", "rows_sent")
        }
        for e in events
        if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
    }
    checks = {
        (
            e.asset_check_evaluation_data.asset_key.to_user_string(),
            e.asset_check_evaluation_data.check_name,
        ): e.asset_check_evaluation_data.passed
        for e in events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    }
    return {"materialized": materialized, "checks": checks}


def parent_pid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_one_run_spreads_its_steps_over_two_celery_workers_and_publishes_as_in_process(
    tmp_path, monkeypatch, services_state, portal_env, published_slug, postgres_url, celery_workers
):
    slug, ckan, purge_published = published_slug
    # The same job in process first: the publication to match, then removed from the portal.
    with monkeypatch.context() as env:
        for key, value in regency(
            tmp_path / "in_process", slug, services_state, portal_env, f"duckdb:///{tmp_path / 'in_process.duckdb'}"
        ).items():
            env.setenv(key, value)
        local = (
            build_definitions()
            .resolve_job_def(JOB)
            .execute_in_process(instance=dg.DagsterInstance.ephemeral(), partition_key=slug, raise_on_error=False)
        )
    assert local.success
    local_package, local_rows = published(ckan, slug)
    purge_published()

    # The celery run of the same regency from scratch: its own state and warehouse, and a persistent Dagster
    # instance the workers share (SQLite under DAGSTER_HOME, step outputs in its storage/). The warehouse is
    # PostgreSQL, as with several workers in production: DuckDB is a file with a single writer.
    run_env = regency(tmp_path / "celery", slug, services_state, portal_env, postgres_url)
    for key, value in run_env.items():
        monkeypatch.setenv(key, value)
    queue = f"test-{slug}"
    workers = celery_workers(queue)
    for key in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):  # deploy/celery.yaml reads them
        monkeypatch.setenv(key, workers[key])
    job = dg.build_reconstructable_job(
        "tests.test_celery", satudata_job_on_celery.__name__, reconstructor_working_directory=str(ROOT)
    )
    run_config = yaml.safe_load((ROOT / "deploy" / "celery.yaml").read_text())
    run_config["execution"]["config"]["config_source"] = {"task_default_queue": queue}
    with (
        dg.DagsterInstance.get() as instance,
        dg.execute_job(
            job, instance, run_config=run_config, tags={"dagster/partition": slug}, raise_on_error=False
        ) as result,
    ):
        assert result.success
        records = instance.all_logs(result.run_id)

    # Dagster's record of the run: every step ran in a celery worker, and both workers ran some.
    events = [r.dagster_event for r in records if r.is_dagster_event]
    worker_of = {
        e.step_key: e.engine_event_data.metadata["Celery worker"].value
        for e in events
        if e.event_type == dg.DagsterEventType.ENGINE_EVENT and "Celery worker" in e.engine_event_data.metadata
    }
    started = {e.step_key: e.pid for e in events if e.event_type == dg.DagsterEventType.STEP_START}
    assert len(started) >= 4 and worker_of.keys() == started.keys()
    assert {name.split("@")[0] for name in worker_of.values()} == {"w1", "w2"}
    # ...and the operating system agrees: each step's process is the pool process of the worker named for it.
    worker_pids = {
        name: int((Path(run_env["SATUDATA_STATE"]) / "celery" / f"{name}.pid").read_text()) for name in ("w1", "w2")
    }
    assert os.getpid() not in started.values()
    for step, pid in started.items():
        assert parent_pid(pid) == worker_pids[worker_of[step].split("@")[0]], step

    # The same result as in process: the same assets, row counts and checks, and the same publication, its
    # content hash included.
    assert outcome(events) == outcome(local.all_events)
    package, rows = published(ckan, slug)
    assert package == local_package
    assert len(rows) == 4 * 20 * 28
    pd.testing.assert_frame_equal(rows, local_rows)
