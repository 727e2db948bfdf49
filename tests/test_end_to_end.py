"""The spine end to end, for real: agency files in a drop folder -> Dagster materializations with
Great Expectations checks -> warehouse (DuckDB and PostgreSQL) -> the local CKAN portal; and a broken
agency source that leaves the other datasets published."""

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import ckanapi
import dagster as dg
import pandas as pd
import pytest
import requests
import yaml

from assets.definitions import build_definitions
from pipelines import settings, warehouse
from pipelines.catalogue import load_regencies
from pipelines.publish import Portal
from pipelines.publish.portal_setup import ensure_organisation
from pipelines.standard import load_standard
from pipelines.stewardship.scorecard import walidata_agency
from tests.helpers import drop_out_of_regency_batch, market_price_catalogue, purge, rendered, run_main_job

STANDARD = load_standard("harga-pasar/1.0.0")


@pytest.fixture
def regency(tmp_path, monkeypatch, isolated_state, services_state, portal_env, warehouse_url):
    """A catalogue of its own (unique slugs, its own drop folder) so runs never touch the demo's data."""
    slug = f"t{uuid.uuid4().hex[:6]}"
    catalogue, drop = market_price_catalogue(tmp_path, slug)
    cached = services_state / "reference"
    if cached.exists():  # the registry tarball is verified again on load; copying only saves a download
        shutil.copytree(cached, isolated_state / "reference")
    monkeypatch.setenv("SATUDATA_CATALOGUE", str(catalogue))
    monkeypatch.setenv("SATUDATA_WAREHOUSE_URL", warehouse_url)
    monkeypatch.setenv("CKAN_URL", portal_env["CKAN_URL"])
    monkeypatch.setenv("CKAN_API_TOKEN", portal_env["CKAN_API_TOKEN"])
    ckan = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    yield {
        "slug": slug,
        "drop": drop,
        "ckan": ckan,
        "package": f"{slug}-harga-pasar",
        "catalogue": catalogue,
        "engine": warehouse.create_engine(warehouse_url),
        "tmp": tmp_path,
    }
    purge(ckan, [("dataset_purge", f"{slug}-harga-pasar"), ("organization_purge", f"disdag-{slug}")])


def portal_metadata(result: dg.ExecuteInProcessResult) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == "portal"]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def datastore_rows(ckan, resource_id: str) -> pd.DataFrame:
    found = ckan.action.datastore_search(resource_id=resource_id, limit=100_000)
    frame = pd.DataFrame(found["records"]).drop(columns="_id")
    return frame.sort_values(list(STANDARD.primary_key)).reset_index(drop=True)


def test_demo_files_reach_the_portal_once_and_bad_files_are_quarantined(regency):
    ckan, engine = regency["ckan"], regency["engine"]

    first = run_main_job()
    assert first.success
    assert all(check.passed for check in first.get_asset_check_evaluations())
    assert portal_metadata(first)["changed"] is True

    package = ckan.action.package_show(id=regency["package"])
    extras = package  # the portal profile (ckanext-scheming) returns Satu Data fields at the top level
    assert extras["produsen_data"] == "Dinas Perdagangan Kabupaten Penajam Paser Utara"
    assert (extras["frekuensi"], extras["klasifikasi"], extras["standar_data"]) == (
        "Harian",
        "Terbuka",
        "harga-pasar/1.0.0",
    )
    assert (extras["periode_awal"], extras["periode_akhir"]) == ("2026-10-01", "2026-10-28")
    assert package["organization"]["name"] == f"disdag-{regency['slug']}"
    assert sorted(r["name"] for r in package["resources"]) == [
        "harga-pasar-kamus-data.csv",
        "harga-pasar-laporan-validasi.html",
        "harga-pasar-laporan-validasi.json",
        "harga-pasar-metadata-statistik.json",
        "harga-pasar-metadata-statistik.xlsx",
        "harga-pasar.csv",
        "harga-pasar.xlsx",
    ]
    [resource] = [r for r in package["resources"] if r["name"] == "harga-pasar.csv"]
    assert resource["datastore_active"]

    # What the public can query equals what the warehouse holds, row for row.
    stored = warehouse.read_published(engine, STANDARD, "64.09")
    assert len(stored) == 4 * 20 * 28
    published = datastore_rows(ckan, resource["id"])
    expected = stored.assign(tanggal=pd.to_datetime(stored["tanggal"]).dt.strftime("%Y-%m-%d"))
    pd.testing.assert_frame_equal(published[STANDARD.field_names].astype(str), expected.astype(str))
    info = ckan.action.datastore_info(id=resource["id"])
    assert {f["id"]: f["type"] for f in info["fields"]}["kode_kecamatan"] == "text"
    assert {f["id"]: f["type"] for f in info["fields"]}["harga"] == "int8"
    # ...and so does the file anyone downloads: the table's own version, rendered by the portal.
    downloaded = pd.read_csv(io.BytesIO(requests.get(resource["url"], timeout=30).content), dtype=str)
    pd.testing.assert_frame_equal(
        downloaded.sort_values(list(STANDARD.primary_key)).reset_index(drop=True), expected.astype(str)
    )
    # Beside the table, its validation report: the standard version, when, the verdict, every rule.
    [report] = [r for r in package["resources"] if r["name"] == "harga-pasar-laporan-validasi.html"]
    page = rendered(report["url"], regency["tmp"] / "chromium")  # opened in a browser, as the public opens it
    assert STANDARD.ref in page and "lolos / passed" in page and "not-in-master-data" in page

    # The same files again: nothing new costs nothing (no run at all: no parse, no check, no merge, no portal
    # call), and the summary says so.
    second = run_main_job()
    assert second.success and second.results == [] and second.unchanged == {regency["slug"]: ["harga-pasar"]}
    assert [e for e in second.get_asset_materialization_events() if e.asset_key.path[0] == "harga_pasar"] == []
    assert ckan.action.package_show(id=regency["package"])["metadata_modified"] == package["metadata_modified"]

    bad = (
        "Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan;Harga (Rp)\n"
        "29/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Gula Pasir;kg;Rp 18.000\n"
        "29/10/2026;64.03.01;PNJ-01;Pasar Induk Penajam;Kedelai;kg;Rp 14.000\n"
        "29/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Beras Medium;kg;tiga belas ribu\n"
        "29/10/2026;64.09.01;PNJ-01;Pasar Induk (Hub. 0812-5555-1234);Kedelai;kg;Rp 14.000\n"
    )
    (regency["drop"] / "harga_pasar_susulan.csv").write_text(bad, encoding="utf-8")
    third = run_main_job()
    assert not third.success
    [check] = [c for c in third.get_asset_check_evaluations() if c.check_name == "memenuhi_standar"]
    assert not check.passed
    report_path = Path(check.metadata["quarantine_report"].value).with_name("report.json")
    report = pd.read_json(report_path, typ="series")
    found = {(i["file"], i["row"], i["column"]) for i in report["issues"]}
    assert {
        ("harga_pasar_susulan.csv", 3, "kode_kecamatan"),
        ("harga_pasar_susulan.csv", 4, "harga"),
        ("harga_pasar_susulan.csv", 5, "nama_pasar"),
    } <= found
    assert check.metadata["personal_data_findings"].value == 1
    assert any(Path(f["raw_path"]).read_bytes() == bad.encode() for f in report["files"])
    # The raw bytes hold the phone number too: locked to the pipeline's user, due for deletion.
    [raw_copy] = [Path(f["raw_path"]) for f in report["files"] if f["name"] == "harga_pasar_susulan.csv"]
    assert raw_copy.stat().st_mode & 0o777 == 0o400
    assert check.metadata["raw_personal_data"].value.startswith("dikunci, dihapus setelah / locked, deleted after ")
    # Nothing of the failed batch went further, not even its valid row.
    assert len(warehouse.read_published(engine, STANDARD, "64.09")) == len(stored)
    assert ckan.action.package_show(id=regency["package"])["metadata_modified"] == package["metadata_modified"]


def satudata(*args: str) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("satudata")), *args], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def test_walidata_rejects_or_releases_a_quarantined_batch(regency):
    assert run_main_job().success
    drop_out_of_regency_batch(regency["drop"])
    failed = run_main_job()
    assert not failed.success and failed.only_quarantined  # held back, nothing broke: `assets.run` exits 0
    [check] = [c for c in failed.get_asset_check_evaluations() if c.check_name == "memenuhi_standar"]
    batch = check.metadata["batch"].value
    [listed] = [b for b in json.loads(satudata("quarantine", "list")) if b["batch"] == batch]
    # the district outside the regency, and so not the district Data Induk lists for the market
    assert (listed["regency"], listed["dataset"], listed["decision"], listed["issue_count"]) == (
        regency["slug"],
        "harga-pasar",
        "open",
        2,
    )

    satudata("quarantine", "reject", regency["slug"], "harga-pasar", batch, "--by", "walidata", "--reason", "salah")
    assert not run_main_job().success  # rejected stays out

    satudata(
        "quarantine",
        "release",
        regency["slug"],
        "harga-pasar",
        batch,
        "--by",
        "walidata",
        "--reason",
        "pasar pindah sementara ke Berau",
    )
    released = run_main_job()
    assert released.success
    [check] = [c for c in released.get_asset_check_evaluations() if c.check_name == "memenuhi_standar"]
    assert check.passed and "pasar pindah" in check.metadata["released_by"].value
    stored = warehouse.read_published(regency["engine"], STANDARD, "64.09")
    assert "64.03.01" in set(stored["kode_kecamatan"])
    assert portal_metadata(released)["changed"] is True
    package = regency["ckan"].action.package_show(id=regency["package"])
    names = [r["name"] for r in package["resources"]]
    assert len(names) == len(set(names)) == 7  # replaced in place, never twice
    assert package["satudata_run_id"] == released.run_id
    assert package["status_validasi"] == "Dirilis walidata"
    assert package["satudata_raw_sha256"] == " ".join(
        hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(regency["drop"].iterdir())
    )


def test_first_publication_waits_for_a_walidata(regency):
    path = regency["catalogue"] / "ppu.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["datasets"][0]["needs_approval"] = True
    path.write_text(yaml.safe_dump(doc))

    held = run_main_job()
    assert held.success and portal_metadata(held)["publication_status"] == "draft"
    with pytest.raises(ckanapi.NotFound):
        regency["ckan"].action.package_show(id=regency["package"])

    # The walidata approves from the Dagster UI's launchpad: the same job, run here in process.
    approve = build_definitions().resolve_job_def("approve_dataset")
    config = {
        "ops": {
            "record_approval": {
                "config": {
                    "regency": regency["slug"],
                    "dataset": "harga-pasar",
                    "by": "Walidata Diskominfo",
                    "note": "sesuai standar",
                }
            }
        }
    }
    assert approve.execute_in_process(run_config=config, instance=dg.DagsterInstance.ephemeral()).success
    history = json.loads(satudata("approval", "show", regency["slug"], "harga-pasar"))
    assert history["status"] == "approved"
    assert (history["history"][0]["by"], history["history"][0]["standard"]) == (
        "Walidata Diskominfo",
        "harga-pasar/1.0.0",
    )

    published = run_main_job()
    assert portal_metadata(published)["publication_status"] == "published"
    assert regency["ckan"].action.package_show(id=regency["package"])["num_resources"] == 7


def test_compliance_scorecard_is_published_for_the_forum(regency, portal_env):
    # The walidata's organisation, as the portal administrator's setup makes it.
    ensure_organisation(
        Portal(portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"]),
        walidata_agency(load_regencies(regency["catalogue"])[0]),
    )
    scorecard_job = build_definitions().resolve_job_def("kepatuhan_opd_job")
    with dg.DagsterInstance.ephemeral() as instance:

        def scorecard_row() -> dict:
            assert scorecard_job.execute_in_process(instance=instance).success
            package = regency["ckan"].action.package_show(id=f"{regency['slug']}-kepatuhan-opd")
            [table] = [r for r in package["resources"] if r["datastore_active"]]
            [row] = regency["ckan"].action.datastore_search(resource_id=table["id"])["records"]
            return row

        assert run_main_job(instance).success
        first = scorecard_row()  # published, on time, one clean batch
        assert (
            first["kode_opd"],
            first["jumlah_dataset"],
            first["dataset_terbit"],
            first["dataset_tepat_waktu"],
            first["jumlah_batch"],
            float(first["persen_lolos_pertama"]),
            first["karantina_terbuka"],
        ) == (f"disdag-{regency['slug']}", 1, 1, 1, 1, 100.0, 0)

        drop_out_of_regency_batch(regency["drop"])
        assert not run_main_job(instance).success
        later = scorecard_row()  # the quarantined second batch counts against the first-try rate
        assert (
            later["dataset_terbit"],
            later["jumlah_batch"],
            float(later["persen_lolos_pertama"]),
            later["karantina_terbuka"],
        ) == (1, 2, 50.0, 1)
    regency["ckan"].call_action("dataset_purge", {"id": f"{regency['slug']}-kepatuhan-opd"})
    regency["ckan"].call_action("organization_purge", {"id": f"walidata-{regency['slug']}"})


def test_a_source_answering_500_fails_alone_and_the_others_are_published(
    tmp_path, monkeypatch, isolated_state, services_state, portal_env, httpserver
):
    slug = f"t{uuid.uuid4().hex[:6]}"
    catalogue, _ = market_price_catalogue(tmp_path, slug)
    # Beside the market prices, Go PPU's public-service API, which answers HTTP 500 to every request.
    path = catalogue / "ppu.yaml"
    doc = yaml.safe_load(path.read_text())
    project = yaml.safe_load((settings.PROJECT_ROOT / "catalogue" / "penajam-paser-utara.yaml").read_text())
    [broken] = [d for d in project["datasets"] if d["name"] == "layanan-publik"]
    [agency] = [a for a in project["agencies"] if a["slug"] == broken["agency"]]
    agency["slug"] = broken["agency"] = f"dpmptsp-{slug}"
    broken["source"] |= {"url": httpserver.url_for("/goppu/api/v1/rekap-layanan"), "retries": 0, "min_interval": 0}
    broken["retry"] = {"max_retries": 1, "delay_seconds": 0}  # the step is retried once, at once
    doc["agencies"].append(agency)
    doc["datasets"].append(broken)
    path.write_text(yaml.safe_dump(doc))
    httpserver.expect_request("/goppu/api/v1/rekap-layanan").respond_with_data("galat", status=500)
    if (services_state / "reference").exists():
        shutil.copytree(services_state / "reference", isolated_state / "reference")
    engine_url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    for name, value in {
        "SATUDATA_CATALOGUE": str(catalogue),
        "SATUDATA_WAREHOUSE_URL": engine_url,
        "CKAN_URL": portal_env["CKAN_URL"],
        "CKAN_API_TOKEN": portal_env["CKAN_API_TOKEN"],
        "GOPPU_API_TOKEN": "token-uji",
    }.items():
        monkeypatch.setenv(name, value)
    ckan = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    try:
        result = run_main_job()
        assert not result.success  # the run reports the broken source...
        [failure] = result.get_step_failure_events()
        assert failure.step_key == "layanan_publik__raw"
        error, messages = failure.event_specific_data.error, []
        while error:  # the agency's answer sits under Dagster's "exceeded max_retries"
            messages.append(error.message)
            error = error.cause or error.context
        assert any("source answered HTTP 500" in m for m in messages), messages
        [retry] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
        assert retry.step_key == failure.step_key  # retried once as configured, then given up
        assert len(httpserver.log) == 2

        # ...the market prices are merged and published, row for row...
        engine = warehouse.create_engine(engine_url)
        stored = warehouse.read_published(engine, STANDARD, "64.09")
        assert len(stored) == 4 * 20 * 28
        assert portal_metadata(result)["changed"] is True
        package = ckan.action.package_show(id=f"{slug}-harga-pasar")
        [resource] = [r for r in package["resources"] if r["name"] == "harga-pasar.csv"]
        assert ckan.action.datastore_search(resource_id=resource["id"], limit=0)["total"] == len(stored)
        # ...and nothing of the broken dataset went anywhere.
        steps = {
            e.asset_key.path[-1]
            for e in result.get_asset_materialization_events()
            if e.asset_key.path[0] == "layanan_publik"
        }
        assert steps == set()
        assert warehouse.merged_batches(engine, load_standard("layanan-publik/1.0.0"), "64.09") == frozenset()
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id=f"{slug}-layanan-publik")
    finally:
        for action, name in (
            ("dataset_purge", f"{slug}-harga-pasar"),
            ("organization_purge", f"disdag-{slug}"),
            ("organization_purge", f"dpmptsp-{slug}"),
        ):
            try:
                ckan.call_action(action, {"id": name})
            except ckanapi.NotFound:
                pass


def test_a_refused_publication_fails_at_once_and_the_next_run_publishes_it(regency, monkeypatch):
    """A wrong portal token: the portal step fails without retries, saying the token is not accepted; the
    delivery is not forgotten (the source's position did not move), so the next run with the right token
    merges nothing new and publishes everything."""
    good = regency["ckan"].apikey
    monkeypatch.setenv("CKAN_API_TOKEN", "token-yang-salah")
    refused = run_main_job()
    assert not refused.success
    [failure] = refused.get_step_failure_events()
    assert failure.step_key == "harga_pasar__portal"
    assert "token API portal" in failure.event_specific_data.error.message
    assert "tidak diterima" in failure.event_specific_data.error.message
    assert not [e for e in refused.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    with pytest.raises(ckanapi.NotFound):
        regency["ckan"].action.package_show(id=regency["package"])

    monkeypatch.setenv("CKAN_API_TOKEN", good)
    published = run_main_job()
    assert published.success
    stored = warehouse.read_published(regency["engine"], STANDARD, "64.09")
    [resource] = [
        r
        for r in regency["ckan"].action.package_show(id=regency["package"])["resources"]
        if r["name"] == "harga-pasar.csv"
    ]
    assert regency["ckan"].action.datastore_search(resource_id=resource["id"], limit=0)["total"] == len(stored)


def test_a_run_killed_mid_way_is_marked_failed_and_the_next_run_converges(regency):
    """`python -m assets.run` killed (SIGKILL, by its process id) once its run has started: the run would stay
    STARTED for ever; the next `assets.run` marks it failed with the reason and then publishes everything."""
    from assets.dead_runs import MESSAGE

    (Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml").touch()  # the instance on disk, as `make demo` has it
    command = [sys.executable, "-m", "assets.run"]
    child = subprocess.Popen(
        command,
        cwd=settings.PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        with dg.DagsterInstance.get() as instance:
            deadline = time.monotonic() + 180
            while not instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
                assert time.monotonic() < deadline and child.poll() is None, "the run never started"
                time.sleep(0.2)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
    with dg.DagsterInstance.get() as instance:
        [killed] = instance.get_runs()
        assert killed.status == dg.DagsterRunStatus.STARTED  # what the UI would show for ever

    done = subprocess.run(
        command, cwd=settings.PROJECT_ROOT, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"Run {killed.run_id}: prosesnya mati" in done.stdout
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
        [failure] = instance.all_logs(killed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        assert failure.dagster_event.message == MESSAGE
    stored = warehouse.read_published(regency["engine"], STANDARD, "64.09")
    [resource] = [
        r
        for r in regency["ckan"].action.package_show(id=regency["package"])["resources"]
        if r["name"] == "harga-pasar.csv"
    ]
    assert regency["ckan"].action.datastore_search(resource_id=resource["id"], limit=0)["total"] == len(stored) > 0
