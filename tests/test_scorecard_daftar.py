"""The compliance scorecard from the Daftar Data: its rows follow the entries' statuses and release schedule
through real runs (published on the local portal by the same pass as the list), and the EPSS evidence export
reads the same figures from the portal."""

import shutil
import subprocess
import sys
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import ckanapi
import dagster as dg
import pandas as pd
import pytest
import requests
import yaml

from pipelines import settings
from pipelines.catalogue import Agency, Regency, load_regencies, load_regency
from pipelines.publish import Portal
from pipelines.publish.portal_setup import ensure_organisation
from pipelines.stewardship import epss
from pipelines.stewardship.daftar_data import daftar_data_of
from pipelines.stewardship.scorecard import (
    DAFTAR_COLUMNS,
    DatasetStatus,
    current_daftar,
    release_record,
    scorecard,
    walidata_agency,
)
from tests.helpers import drop_out_of_regency_batch, market_price_catalogue, purge, run_main_job

ROOT = settings.PROJECT_ROOT
WITA = ZoneInfo("Asia/Makassar")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def test_a_release_is_on_schedule_when_published_between_its_period_end_and_its_due_date():
    ppu = load_regency(ROOT / "catalogue" / "penajam-paser-utara.yaml")
    [daftar] = daftar_data_of(ppu, ROOT / "catalogue")
    [prices] = [e for e in daftar.entries if e.dataset == "harga-pasar"]  # monthly releases, due the 5th
    # October's series published on 3 November: on schedule. September's, published 29 September (before
    # its period ended) and not again by 5 October: missed. November's is not due yet on 20 November.
    published = [date(2026, 9, 29), date(2026, 11, 3)]
    assert release_record(prices, published, date(2026, 11, 20)) == (1, 9)
    assert release_record(prices, published, date(2026, 10, 5)) == (1, 8)  # due today: not over yet
    assert release_record(prices, [], date(2026, 1, 1)) == (0, 0)
    # The scorecard follows this year's list, else the latest before it, never a later one.
    assert current_daftar([daftar], date(2027, 1, 20)) is daftar
    assert current_daftar([daftar], date(2025, 12, 31)) is None


def test_without_a_daftar_data_the_new_columns_are_empty_not_zero():
    regency = Regency(
        slug="x",
        name="Kabupaten X",
        code="64.09",
        timezone="Asia/Makassar",
        walidata="W",
        walidata_contact="w@example.go.id",
        portal="local",
        agencies=(Agency(slug="dlh-x", name="DLH", contact="d@example.go.id"),),
        datasets=(),
    )
    [row] = scorecard(regency, [DatasetStatus("dlh-x", "bank-sampah", True, True)], date(2026, 12, 1)).to_dict(
        "records"
    )
    assert (row["jumlah_dataset"], row["dataset_terbit"]) == (1, 1)
    assert all(pd.isna(row[column]) for column in DAFTAR_COLUMNS)


def test_a_dataset_with_incomplete_metadata_statistik_is_named_with_what_it_lacks():
    regency = Regency(
        slug="x",
        name="Kabupaten X",
        code="64.09",
        timezone="Asia/Makassar",
        walidata="W",
        walidata_contact="w@example.go.id",
        portal="local",
        agencies=(Agency(slug="dlh-x", name="DLH", contact="d@example.go.id"),),
        datasets=(),
    )
    gap = "MS-Keg: metode pengumpulan data belum diisi / no data collection method"
    [row] = scorecard(
        regency,
        [
            DatasetStatus("dlh-x", "bank-sampah", True, True, metadata_gaps=(gap,)),
            DatasetStatus("dlh-x", "wifi-publik", True, True),
        ],
        date(2026, 12, 1),
    ).to_dict("records")
    assert (row["metadata_lengkap"], row["metadata_kurang"]) == (1, f"bank-sampah: {gap}")


@pytest.fixture
def regency(tmp_path, monkeypatch, isolated_state, services_state, portal_env):
    """A market-price catalogue of its own (unique slug) whose Daftar Data owes last month's prices by five
    days from now, and the first two days of last month by the 3rd of that month (long over)."""
    slug = f"t{uuid.uuid4().hex[:6]}"
    catalogue, drop = market_price_catalogue(tmp_path, slug)
    cached = services_state / "reference"
    if cached.exists():
        shutil.copytree(cached, isolated_state / "reference")
    today = datetime.now(WITA).date()
    last_month = today.replace(day=1) - timedelta(days=1)
    first_days = f"1 s.d. 2 {MONTHS[last_month.month - 1]} {last_month.year}"
    releases = [
        {"period": f"{last_month:%Y-%m}", "due": today + timedelta(days=5)},
        {"period": first_days, "due": last_month.replace(day=3)},
    ]
    doc = {
        "regency": slug,
        "year": last_month.year,
        "agreed_on": date(last_month.year, 1, 22),
        "entries": [
            {
                "dataset": "harga-pasar",
                "agency": f"disdag-{slug}",
                "standard": "harga-pasar/1.0.0",
                "frequency": "Harian",
                "priority": True,
                "decision": "BA Forum Satu Data No. 1, no. 1",
                "release_schedule": releases,
            }
        ],
    }
    (catalogue / "daftar-data").mkdir()
    (catalogue / "daftar-data" / f"{slug}-{last_month.year}.yaml").write_text(yaml.safe_dump(doc))
    for name, value in {
        "SATUDATA_CATALOGUE": str(catalogue),
        "SATUDATA_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
        "CKAN_URL": portal_env["CKAN_URL"],
        "CKAN_API_TOKEN": portal_env["CKAN_API_TOKEN"],
    }.items():
        monkeypatch.setenv(name, value)
    [found] = load_regencies(catalogue)
    ensure_organisation(Portal(portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"]), walidata_agency(found))
    ckan = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    [daftar] = daftar_data_of(found)
    yield {
        "slug": slug,
        "drop": drop,
        "ckan": ckan,
        "daftar": daftar,
        "year": last_month.year,
        "url": portal_env["CKAN_URL"],
    }
    purge(
        ckan,
        [
            ("dataset_purge", f"{slug}-{name}")
            for name in ("harga-pasar", f"daftar-data-{last_month.year}", "kepatuhan-opd")
        ]
        + [("organization_purge", f"disdag-{slug}"), ("organization_purge", f"walidata-{slug}")],
    )


def published_rows(ckan, package: str) -> list[dict]:
    [table] = [r for r in ckan.action.package_show(id=package)["resources"] if r["datastore_active"]]
    return ckan.action.datastore_search(resource_id=table["id"])["records"]


def forum_view(regency) -> tuple[dict, dict]:
    """The agency's scorecard row and its entry in the Daftar Data list, as the portal publishes them."""
    [row] = published_rows(regency["ckan"], f"{regency['slug']}-kepatuhan-opd")
    [entry] = published_rows(regency["ckan"], f"{regency['slug']}-daftar-data-{regency['year']}")
    return row, entry


def exported(regency, tmp_path: Path, name: str) -> dict[str, tuple]:
    """`satudata epss` as a walidata runs it: (count, of) by evidence, from the file it writes."""
    out = tmp_path / name
    subprocess.run(
        [
            str(Path(sys.executable).with_name("satudata")),
            "epss",
            "--regency",
            regency["slug"],
            "--tahun",
            str(regency["year"]),
            "--out",
            str(out),
        ],
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    frame = pd.read_excel(out) if out.suffix == ".xlsx" else pd.read_csv(out)
    return {
        evidence.split(" / ")[0]: (count, of)
        for evidence, count, of in zip(frame["Bukti / evidence"], frame["Jumlah / count"], frame["Dari / of"])
    }


def test_the_scorecard_follows_the_daftar_data_through_real_runs_and_the_epss_export_agrees(regency, tmp_path):
    with dg.DagsterInstance.ephemeral() as instance:
        # The prices arrive, pass the check and are published today: last month's release is on schedule,
        # the first days' release (due on the 3rd of last month) was missed. The pass publishes the scorecard.
        first = run_main_job(instance)
        assert first.success, [f.event_specific_data.error.message for f in first.get_step_failure_events()]
        assert [r.dagster_run.job_name for r in first.results][-2:] == ["daftar_data_job", "kepatuhan_opd_job"]
        row, entry = forum_view(regency)
        assert entry["status"] == "terbit"
        assert (
            row["kode_opd"],
            row["tahun_daftar_data"],
            row["entri_daftar_data"],
            row["entri_terbit"],
            row["entri_dikembalikan"],
            row["entri_terlambat"],
            row["entri_lolos_pertama"],
        ) == (f"disdag-{regency['slug']}", regency["year"], 1, 1, 0, 0, 1)
        assert (row["rilis_tepat_jadwal"], row["rilis_lewat_tenggat"], row["entri_tepat_jadwal"]) == (1, 1, 0)
        assert (row["jumlah_dataset"], row["dataset_terbit"], row["karantina_terbuka"]) == (1, 1, 0)
        assert (row["kunjungan"], row["unduhan"]) == (0, 0)  # the pipeline's own reads are not the public's
        assert row["metadata_lengkap"] == 1 and not row["metadata_kurang"]  # harga-pasar's standard is complete
        prices = regency["ckan"].action.package_show(id=f"{regency['slug']}-harga-pasar")
        [table] = [r for r in prices["resources"] if r.get("datastore_active")]
        assert requests.get(table["url"], timeout=60).ok  # someone downloads the table
        package = regency["ckan"].action.package_show(id=f"{regency['slug']}-kepatuhan-opd")
        assert (package["standar_data"], package["organization"]["name"], package["private"]) == (
            "kepatuhan-opd/1.1.0",
            f"walidata-{regency['slug']}",
            False,
        )

        figures = exported(regency, tmp_path, "epss.xlsx")
        assert figures[
            "Entri Daftar Data yang terbit mengikuti standar data Satu Data (standar_data, dengan kamus data)"
        ] == (1, 1)
        assert figures[next(k for k in figures if k.startswith("Entri yang terbit dengan metadata"))] == (1, 1)
        assert figures[next(k for k in figures if k.startswith("Entri yang terbit sebagai tabel terbuka"))] == (1, 1)
        assert figures[next(k for k in figures if "Kemendagri" in k)] == (1, 1)
        assert figures["Entri berstatus terbit di Daftar Data"] == (1, 1)
        assert figures["Entri terbit sesuai jadwal rilis (rekap kepatuhan OPD)"] == (row["entri_tepat_jadwal"], 1)

        # A later delivery fails the check: the entry is returned to the agency, on the list and the scorecard
        # alike, and its batch counts against first-try validity; the releases' record does not move.
        drop_out_of_regency_batch(regency["drop"])
        assert not run_main_job(instance).success
        row, entry = forum_view(regency)
        assert entry["status"] == "dikembalikan"
        assert (
            row["entri_terbit"],
            row["entri_dikembalikan"],
            row["entri_lolos_pertama"],
            row["karantina_terbuka"],
            row["rilis_tepat_jadwal"],
            row["rilis_lewat_tenggat"],
        ) == (0, 1, 0, 1, 1, 1)
        assert row["unduhan"] == 1  # the download above, as the dataset's page counts it
        figures = exported(regency, tmp_path, "epss.csv")
        assert figures["Entri berstatus terbit di Daftar Data"] == (0, 1)

    # Evidence links point at what the public sees.
    portal = Portal(regency["url"], None)  # anonymous, as an assessor reads it
    [standard_figure, *_] = epss.evidence(portal, regency["daftar"])
    assert standard_figure.urls[0] == f"{portal.url}/dataset/{regency['slug']}-harga-pasar"
    assert standard_figure.urls[1] == f"{portal.url}/satudata/standar/harga-pasar/1.0.0"
