"""An agency's website misbehaving, for real: Diskominfo PPU's public-wifi CSV served by the test's own HTTP
server on 127.0.0.1, the whole pipeline run against the local portal. After each fault, plain re-runs converge:
the portal holds exactly the agency's rows, none lost, none doubled, and nothing half-published meanwhile."""

import shutil
import sys
import uuid
from itertools import count

import ckanapi
import dagster as dg
import pytest
import yaml
from werkzeug import Response

from pipelines import settings
from tests.helpers import market_price_catalogue, purge, run_main_job

sys.path.insert(0, str(settings.PROJECT_ROOT / "demo"))
import agency_data  # noqa: E402

GOOD = agency_data.wifi_csv(agency_data.wifi_rows(agency_data.PPU, 52, 64092))   # 52 points, monthly
ROWS = GOOD.decode("utf-8-sig").strip().count("\n")                              # without the header
HTML_ERROR = (b"<!doctype html><html><head><title>Sedang pemeliharaan</title></head>"
              b"<body><h1>Situs sedang dalam pemeliharaan</h1></body></html>")


@pytest.fixture
def wifi(tmp_path, monkeypatch, isolated_state, services_state, portal_env, httpserver):
    """A catalogue of one regency whose only dataset is the wifi CSV on the test's server, retried at once."""
    slug = f"t{uuid.uuid4().hex[:6]}"
    catalogue, _ = market_price_catalogue(tmp_path, slug)
    doc = yaml.safe_load((catalogue / "ppu.yaml").read_text())
    project = yaml.safe_load((settings.PROJECT_ROOT / "catalogue" / "penajam-paser-utara.yaml").read_text())
    [dataset] = [d for d in project["datasets"] if d["name"] == "wifi-publik"]
    [agency] = [a for a in project["agencies"] if a["slug"] == dataset["agency"]]
    agency["slug"] = dataset["agency"] = f"diskominfo-{slug}"
    dataset["source"] |= {"url": httpserver.url_for("/diskominfo/wifi-publik.csv"), "retries": 0, "timeout": 5}
    dataset["retry"] = {"max_retries": 3, "delay_seconds": 0}
    doc.update(agencies=[agency], datasets=[dataset])
    (catalogue / "ppu.yaml").write_text(yaml.safe_dump(doc))
    if (services_state / "reference").exists():
        shutil.copytree(services_state / "reference", isolated_state / "reference")
    for name, value in {"SATUDATA_CATALOGUE": str(catalogue), "CKAN_URL": portal_env["CKAN_URL"],
                        "CKAN_API_TOKEN": portal_env["CKAN_API_TOKEN"],
                        "SATUDATA_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'wh.duckdb'}"}.items():
        monkeypatch.setenv(name, value)
    ckan = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    yield {"slug": slug, "ckan": ckan, "package": f"{slug}-wifi-publik", "server": httpserver}
    purge(ckan, [("dataset_purge", f"{slug}-wifi-publik"), ("organization_purge", f"diskominfo-{slug}")])


def published_keys(wifi) -> list[tuple[str, str]]:
    """Every published row's key (the standard's: month and point)."""
    package = wifi["ckan"].action.package_show(id=wifi["package"])
    [table] = [r for r in package["resources"] if r.get("datastore_active")]
    records = wifi["ckan"].action.datastore_search(resource_id=table["id"], limit=10 * ROWS)["records"]
    return [(r["bulan"], r["kode_titik"]) for r in records]


def serve(wifi, handler) -> None:
    wifi["server"].clear()
    wifi["server"].expect_request("/diskominfo/wifi-publik.csv").respond_with_handler(handler)


def test_a_web_page_instead_of_the_csv_is_quarantined_and_the_real_file_converges(wifi):
    serve(wifi, lambda request: Response(HTML_ERROR, status=200, content_type="text/html"))
    broken = run_main_job()
    assert not broken.success
    # Quarantined by the standard check, with a finding a clerk reads: which file, which row, what is wrong.
    [check] = [c for c in broken.get_asset_check_evaluations() if c.check_name == "memenuhi_standar"]
    assert not check.passed
    assert check.metadata["examples"].value == ("- wifi-publik.csv, baris/row 1: baris judul kolom tidak ditemukan"
                                                " / no header row with the standard's columns found")
    with pytest.raises(ckanapi.NotFound):   # nothing of the page reached the public
        wifi["ckan"].action.package_show(id=wifi["package"])

    serve(wifi, lambda request: Response(GOOD, status=200, content_type="text/csv"))
    assert run_main_job().success
    keys = published_keys(wifi)
    assert len(keys) == len(set(keys)) == ROWS   # none lost, none doubled


def test_a_flapping_source_answering_one_request_in_three_converges_within_the_run(wifi):
    calls = count(1)
    serve(wifi, lambda request: Response(GOOD, status=200, content_type="text/csv") if next(calls) % 3 == 0
          else Response("sibuk / busy", status=503))
    result = run_main_job()
    assert result.success
    retries = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert [e.step_key for e in retries] == ["wifi_publik__raw", "wifi_publik__raw"]   # retried, then through
    keys = published_keys(wifi)
    assert len(keys) == len(set(keys)) == ROWS

    # Yesterday's file again: nothing new, nothing written.
    serve(wifi, lambda request: Response(GOOD, status=200, content_type="text/csv"))
    modified = wifi["ckan"].action.package_show(id=wifi["package"])["metadata_modified"]
    again = run_main_job()
    assert again.success and not [e for e in again.get_asset_materialization_events()
                                  if e.asset_key.path[0] == "wifi_publik" and e.asset_key.path[-1] != "raw"]
    assert wifi["ckan"].action.package_show(id=wifi["package"])["metadata_modified"] == modified
    assert sorted(published_keys(wifi)) == sorted(keys)
