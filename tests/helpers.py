"""Test catalogues built from the project's own catalogue and demo files, and the command line as users type it."""

import contextlib
import io
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import ckanapi
import dagster as dg
import yaml

from assets.run import CatalogueRun, run_catalogue
from pipelines import cli
from pipelines.catalogue import load_portals, load_regencies
from pipelines.publish import Portal
from pipelines.publish.portal_setup import ensure_organisation, ensure_pillar_groups
from pipelines.settings import PROJECT_ROOT as ROOT
from tests.conftest import SERVICES_STATE

CHROMIUM = shutil.which("chromium")  # Debian's package, installed by scripts/chromium.sh (make test)

ON_PORTAL: set[Path] = set()  # test catalogues whose organisations run_main_job keeps on the portal
MADE: set[str] = set()  # organisations prepare_portal created: purged after the session (conftest.py)


def services_admin() -> ckanapi.RemoteCKAN:
    """The local portal's sysadmin, as portal/start.sh wrote its URL and token."""
    env = dict(
        line.split("=", 1) for line in (SERVICES_STATE / "portal" / "env").read_text().splitlines() if "=" in line
    )
    return ckanapi.RemoteCKAN(env["CKAN_URL"], apikey=env["CKAN_API_TOKEN"])


def prepare_portal(catalogue: Path) -> None:
    """What the portal administrator's `satudata portal setup` makes before a catalogue's first publication,
    less the publishing users: the organisations of its agencies and province targets, and the pillar groups.
    These tests publish with the administrator's token (CKAN_API_TOKEN); tests/test_portal_setup.py tests the
    setup itself and publishing with an editor's token."""
    admin = services_admin()
    portal = Portal(admin.address, admin.apikey)
    ensure_pillar_groups(portal)
    provinces = [p.province.organisation for p in load_portals(catalogue).values() if p.province]
    for agency in {*(a for r in load_regencies(catalogue) for a in r.agencies), *provinces}:
        made = len(portal.writes)
        ensure_organisation(portal, agency)
        if "organization_create" in portal.writes[made:]:
            MADE.add(agency.slug)


def market_price_catalogue(
    tmp_path: Path, slug: str = "ppu", on_portal: bool = True, **dataset_options
) -> tuple[Path, Path]:
    """A catalogue folder holding only PPU's market-price dataset (SIHARPA), with its own copy of the
    demo drop folder, so a test's runs never touch the demo's data or need the other demo sources.
    A slug other than `ppu` also renames the agency, so datasets and organisations on the portal are
    the test's own. `on_portal`: its organisations are made on the local portal (which must be running),
    now and again before each `run_main_job` (a test may add agencies). The regency publishes with its
    portal's token (CKAN_API_TOKEN), not PPU's own. Returns (catalogue folder, drop folder)."""
    drop = tmp_path / "drop"
    shutil.copytree(ROOT / "demo" / "drops" / "ppu" / "disdag", drop)
    catalogue = tmp_path / "catalogue"
    catalogue.mkdir()
    shutil.copy(ROOT / "catalogue" / "reference.yaml", catalogue)
    # The regency targets only: a test that wants a province target adds its own (tests/test_province.py).
    portals = yaml.safe_load((ROOT / "catalogue" / "portals.yaml").read_text())
    (catalogue / "portals.yaml").write_text(yaml.safe_dump({k: v for k, v in portals.items() if "province" not in v}))
    (catalogue / "data-induk").mkdir()  # PPU's market list (Data Induk), under the test's regency slug
    shutil.copy(ROOT / "catalogue" / "data-induk" / "ppu-pasar.csv", catalogue / "data-induk" / f"{slug}-pasar.csv")
    doc = yaml.safe_load((ROOT / "catalogue" / "penajam-paser-utara.yaml").read_text())
    [dataset] = [d for d in doc["datasets"] if d["name"] == "harga-pasar"]
    [agency] = [a for a in doc["agencies"] if a["slug"] == dataset["agency"]]
    if slug != "ppu":
        agency["slug"] = dataset["agency"] = f"disdag-{slug}"
    dataset["source"]["path"] = str(drop)
    dataset.update(dataset_options)
    doc.pop("api_token_env")
    doc.update(regency={**doc["regency"], "slug": slug}, agencies=[agency], datasets=[dataset])
    (catalogue / "ppu.yaml").write_text(yaml.safe_dump(doc))
    if on_portal:
        prepare_portal(catalogue)
        ON_PORTAL.add(catalogue.resolve())
    return catalogue, drop


# A late delivery from Dinas Perdagangan PPU whose one row names a district of Berau (Kemendagri 64.03):
# a real code, but outside the regency, so the standard check quarantines it.
OUT_OF_REGENCY_BATCH = (
    "Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan;Harga (Rp)\n"
    "29/10/2026;64.03.01;PNJ-01;Pasar Induk Penajam;Kedelai;kg;Rp 14.000\n"
)


def drop_out_of_regency_batch(drop: Path) -> None:
    (drop / "harga_pasar_susulan.csv").write_text(OUT_OF_REGENCY_BATCH, encoding="utf-8")


def stop_group(process: subprocess.Popen) -> None:
    """Stop a server a test started in its own session, with every child it spawned (Dagster's code
    servers outlive a plain SIGTERM to their parent)."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:  # a busy machine: what a test started must still end, not fail the test
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # children still in the group, or a server slow to stop
    except ProcessLookupError:
        pass
    process.wait(timeout=60)


def point_pipeline_at(monkeypatch, catalogue: Path, portal_url: str, token: str, warehouse_file: Path) -> None:
    """The pipeline's environment for a test catalogue: its folder, a portal (the local one, or a proxy in front
    of it) with the administrator's token, and a DuckDB warehouse of the test's own."""
    for name, value in {
        "SATUDATA_CATALOGUE": str(catalogue),
        "CKAN_URL": portal_url,
        "CKAN_API_TOKEN": token,
        "SATUDATA_WAREHOUSE_URL": f"duckdb:///{warehouse_file}",
    }.items():
        monkeypatch.setenv(name, value)


def run_main_job(instance: dg.DagsterInstance | None = None) -> CatalogueRun:
    """One run per regency of the catalogue, then the provinces, as `make demo` (assets.run) runs them after
    the portal's setup."""
    catalogue = Path(os.environ.get("SATUDATA_CATALOGUE", ROOT / "catalogue")).resolve()
    if catalogue in ON_PORTAL:
        prepare_portal(catalogue)
    return run_catalogue(instance or dg.DagsterInstance.ephemeral())


def purge(ckan: ckanapi.RemoteCKAN, actions: list[tuple[str, str]]) -> None:
    """Remove what a test published (datasets, organisations), whatever is left of it."""
    for action, name in actions:
        try:
            ckan.call_action(action, {"id": name})
        except ckanapi.NotFound:
            pass


def rendered(url: str, profile: Path, wait_ms: int = 10_000) -> str:
    """The page's DOM in headless Chromium after its scripts ran (for up to `wait_ms` of virtual time)."""
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--virtual-time-budget={wait_ms}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


def satudata(*args: str | Path) -> Done:
    """`satudata ...` as an agency or a walidata types it, run in this process: the console script calls this
    same `main` (tests/test_selfcheck.py starts the script itself, for what it imports)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main([str(arg) for arg in args])
        except SystemExit as stopped:  # argparse refusing the arguments
            code = stopped.code if isinstance(stopped.code, int) else 1
    return Done(code, out.getvalue(), err.getvalue())
