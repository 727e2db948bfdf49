"""No secret leaves its environment variable. A secrets scan (detect-secrets, pinned) over the repository, and
over everything a real run writes (step logs, Dagster's event records, quarantine reports, the published
dataset), which is also searched for the very portal token and database password the run used."""

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlparse

import ckanapi
import dagster as dg
import pytest
from detect_secrets import SecretsCollection
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.settings import transient_settings

from pipelines import settings
from tests.helpers import drop_out_of_regency_batch, market_price_catalogue, purge, run_main_job

pytestmark = pytest.mark.slow  # scans the whole repository

ROOT = settings.PROJECT_ROOT
BASELINE = ROOT / ".secrets.baseline"  # reviewed findings that are not secrets (hashes, variable names)


def findings(files: list[Path], ignore: frozenset[str] = frozenset()) -> set[tuple[str, str, str]]:
    """(file, kind, hashed secret) of everything detect-secrets' detectors (but those in `ignore`) find in the
    files. Scanned in this process, file by file: `detect-secrets scan` skips files outside the repository's git
    index (what a run writes), and its process pool hung for good on a busy 2-core machine."""
    plugins = [
        {"name": kind.__name__}
        for kind in get_mapping_from_secret_type_to_class().values()
        if kind.__name__ not in ignore
    ]
    secrets = SecretsCollection(root=str(ROOT))
    with transient_settings({"plugins_used": plugins}):
        for file in files:
            secrets.scan_file(str(file))
    return {(name, f["type"], f["hashed_secret"]) for name, found in secrets.json().items() for f in found}


def test_the_repository_holds_no_secret():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    files = [
        Path(name) for name in tracked.stdout.splitlines() if (ROOT / name).is_file() and ROOT / name != BASELINE
    ]  # the baseline holds the reviewed hashes
    reviewed = {
        (name, f["type"], f["hashed_secret"])
        for name, found in json.loads(BASELINE.read_text())["results"].items()
        for f in found
    }
    assert findings(files) - reviewed == set()


def test_what_a_run_writes_holds_no_token_password_or_secret(
    tmp_path, monkeypatch, isolated_state, services_state, portal_env, postgres_url
):
    slug = f"t{uuid.uuid4().hex[:6]}"
    catalogue, drop = market_price_catalogue(tmp_path, slug)
    if (services_state / "reference").exists():
        shutil.copytree(services_state / "reference", isolated_state / "reference")
    token, password = portal_env["CKAN_API_TOKEN"], urlparse(postgres_url).password
    for name, value in {
        "SATUDATA_CATALOGUE": str(catalogue),
        "SATUDATA_WAREHOUSE_URL": postgres_url,
        "CKAN_URL": portal_env["CKAN_URL"],
        "CKAN_API_TOKEN": token,
    }.items():
        monkeypatch.setenv(name, value)
    ckan = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=token)
    home = isolated_state.parent / "dagster"
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:  # logs and events on disk, as in production
            assert run_main_job(instance).success  # published
            drop_out_of_regency_batch(drop)
            assert not run_main_job(instance).success  # quarantined, with its report
            events = [str(record) for run in instance.get_runs() for record in instance.all_logs(run.run_id)]
        package = json.dumps(ckan.action.package_show(id=f"{slug}-harga-pasar"))

        # What the pipeline writes, the agency's own bytes (the raw archive) aside.
        written = [
            f
            for folder in (home, isolated_state)
            for f in folder.rglob("*")
            if f.is_file() and "raw" not in f.relative_to(folder).parts[:1]
        ]
        assert any(f.name == "report.html" for f in written) and any(f.suffix in (".out", ".err") for f in written)
        for secret in (token, password):
            assert not [f for f in written if secret.encode() in f.read_bytes()]
            assert not [e for e in events if secret in e]
            assert secret not in package
        text = [f for f in written if f.suffix in (".out", ".err", ".html", ".json", ".log", ".txt")]
        # Every detector but the hex one: the lineage and the sources' memos carry SHA-256 digests of the agencies'
        # files by design. The token (a JWT: its own detector) and the password are also searched verbatim above.
        assert findings(text, ignore=frozenset({"HexHighEntropyString"})) == set()
    finally:
        purge(ckan, [("dataset_purge", f"{slug}-harga-pasar"), ("organization_purge", f"disdag-{slug}")])
