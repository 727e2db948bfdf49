"""Real services for the tests: the project's PostgreSQL cluster and local CKAN portal, started by the
project's own scripts if they are not running yet, and stopped afterwards only if the tests started them."""

import os
import subprocess
import uuid
from pathlib import Path

import ckanapi
import pytest
import requests
import sqlalchemy as sa

from pipelines import settings, warehouse
from pipelines.catalogue import Agency, Dataset, Regency, Source, load_reference_config
from pipelines.publish import Portal
from pipelines.publish.portal_setup import ensure_organisation, ensure_pillar_groups
from pipelines.standard.reference import load_regions

ROOT = settings.PROJECT_ROOT
# The servers keep their state where the project's scripts put it, whatever state folder a test uses.
SERVICES_STATE = settings.state_dir()
SERVICES_ENV = {**os.environ, "SATUDATA_STATE": str(SERVICES_STATE)}


# What starts a server: a test using one of these (directly or through another fixture), a warehouse test's
# PostgreSQL case, or headless Chromium (tests/browser.py and the helpers' `rendered`) is marked `servers`;
# `make test-fast` runs the others.
SERVER_FIXTURES = {"postgres_server", "postgres_url", "portal_env", "redis_url"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = getattr(item, "module", None)
        params = getattr(getattr(item, "callspec", None), "params", {})
        if (
            SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
            or "postgresql" in params.values()
            or "CHROMIUM" in vars(module or object)
        ):
            item.add_marker(pytest.mark.servers)


def _run(*command: str) -> str:
    return subprocess.run(
        command, cwd=ROOT, check=True, capture_output=True, text=True, env=SERVICES_ENV, stdin=subprocess.DEVNULL
    ).stdout.strip()


def _running(script: str) -> bool:
    return subprocess.run(["bash", script, "status"], cwd=ROOT, capture_output=True, env=SERVICES_ENV).returncode == 0


@pytest.fixture(scope="session")
def postgres_server():
    started = not _running("scripts/postgres.sh")
    if started:
        _run("bash", "scripts/postgres.sh", "start")
    yield
    if started:
        _run("bash", "scripts/postgres.sh", "stop")


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh database on the project's PostgreSQL, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:10]}"
    url = _run("bash", "scripts/postgres.sh", "url", name)
    yield url
    admin = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse_url(request, tmp_path):
    """Every warehouse test runs on both engines."""
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def portal_env(postgres_server) -> dict[str, str]:
    """URL and API token of the local CKAN portal (started by portal/start.sh if needed)."""
    port = os.environ.get("SATUDATA_CKAN_PORT", "5055")
    try:
        started = not requests.get(f"http://127.0.0.1:{port}/api/3/action/status_show", timeout=5).ok
    except requests.ConnectionError:
        started = True
    _run("bash", "portal/start.sh")
    env_file = SERVICES_STATE / "portal" / "env"
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    yield values
    # Organisations `tests.helpers.prepare_portal` made that no test purged (its catalogue was changed after
    # they were made, or it failed before its own purge), while the portal still runs.
    from tests.helpers import MADE, purge, services_admin

    if MADE:
        purge(services_admin(), [("organization_purge", slug) for slug in sorted(MADE)])
    if started:
        _run("bash", "portal/stop.sh")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Celery executor's Redis (scripts/redis.sh) as redis://:<pw>@127.0.0.1:<port>, without a database
    number; stopped afterwards only if the tests started it."""
    started = not _running("scripts/redis.sh")
    url = _run("bash", "scripts/redis.sh", "url", "0").rsplit("/", 1)[0]
    yield url
    if started:
        _run("bash", "scripts/redis.sh", "stop")


@pytest.fixture(scope="session")
def services_state() -> Path:
    """The state folder of the project's servers and caches (not a test's own)."""
    return SERVICES_STATE


@pytest.fixture(scope="session")
def regions():
    return load_regions(load_reference_config(), SERVICES_STATE / "reference")


@pytest.fixture
def isolated_state(tmp_path, monkeypatch) -> Path:
    state = tmp_path / "state"
    monkeypatch.setenv("SATUDATA_STATE", str(state))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    os.makedirs(tmp_path / "dagster", exist_ok=True)
    return state


@pytest.fixture
def target(portal_env, tmp_path):
    """A regency of the test's own (its own organisation) publishing market prices to the real portal with the
    administrator's token, as the portal administrator's setup leaves it; purged afterwards."""
    slug = f"u{uuid.uuid4().hex[:6]}"
    agency = Agency(f"disdag-{slug}", f"Dinas Perdagangan Uji {slug}", "Produsen data uji", "disdag@uji.go.id")
    dataset = Dataset("harga-pasar", "harga-pasar/1.0.0", agency, Source("file_drop", {}), {})
    regency = Regency(
        code="64.09",
        slug=slug,
        name="Kabupaten Penajam Paser Utara",
        walidata="Diskominfo Uji",
        portal="local",
        timezone="Asia/Makassar",
        agencies=(agency,),
        datasets=(dataset,),
    )
    admin = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    # As the portal administrator's setup makes them; publishing here uses the administrator's token too.
    ensure_pillar_groups(Portal(portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"]))
    ensure_organisation(Portal(portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"]), agency)
    yield {
        "regency": regency,
        "dataset": dataset,
        "name": f"{slug}-harga-pasar",
        "admin": admin,
        "anon": ckanapi.RemoteCKAN(portal_env["CKAN_URL"]),
        "url": portal_env["CKAN_URL"],
        "portal": lambda loader=None: Portal(portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"], loader=loader),
        "engine": warehouse.create_engine(f"duckdb:///{tmp_path / 'warehouse.duckdb'}"),
    }
    for action, name in (("dataset_purge", f"{slug}-harga-pasar"), ("organization_purge", agency.slug)):
        try:
            admin.call_action(action, {"id": name})
        except ckanapi.NotFound:
            pass
