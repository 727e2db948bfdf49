"""Onboarding a dataset without writing code, as a walidata does it: an OPD sends a sample workbook,
`satudata describe` drafts its standard and catalogue entry, the walidata reviews them (fills in sector, pillar,
the sending agency and where it delivers), adds the entry to the year's Daftar Data, and the next run publishes
it on the real portal. No standard for this sample exists anywhere in the project or its tests."""

import shutil
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import ckanapi
import dagster as dg
import openpyxl
import pandas as pd
import pytest
import yaml

from pipelines import settings
from pipelines.catalogue import load_regencies
from pipelines.publish import Portal
from pipelines.publish.portal_setup import ensure_organisation
from pipelines.stewardship.scorecard import walidata_agency
from tests.helpers import market_price_catalogue, point_pipeline_at, purge, run_main_job

NAME = "produksi-ikan"
# What a clerk of PPU's fisheries agency (Dinas Perikanan) types: a title, units in the headers, Indonesian
# dates and numbers, a source note and a signature block.
LANDINGS = [
    ("02 Oktober 2026", "64.09.01", "Tongkol", "1.250,5", "Rp 28.000"),
    ("02 Oktober 2026", "64.09.01", "Kembung", "830", "Rp 35.000"),
    ("02 Oktober 2026", "64.09.04", "Tongkol", "410,25", "Rp 27.500"),
    ("03 Oktober 2026", "64.09.01", "Tongkol", "990", "Rp 28.500"),
    ("03 Oktober 2026", "64.09.04", "Kembung", "312", "Rp 36.000"),
]


def fisheries_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["LAPORAN PRODUKSI IKAN DI TEMPAT PENDARATAN IKAN"])
    sheet.append(["Dinas Perikanan Kabupaten Penajam Paser Utara"])
    sheet.append([])
    sheet.append(["Tanggal", "Kode Kecamatan", "Jenis Ikan", "Volume (kg)", "Harga Rata-rata (Rp)"])
    for row in LANDINGS:
        sheet.append(list(row))
    sheet.append([])
    sheet.append(["Sumber: petugas pencatat TPI"])
    sheet.append(["Penajam, 4 Oktober 2026"])
    sheet.append(["Kepala Dinas Perikanan"])
    book.save(path)
    return path


def satudata(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("satudata")), *args],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def onboarded(tmp_path, monkeypatch, isolated_state, services_state, portal_env):
    slug = f"o{uuid.uuid4().hex[:6]}"
    catalogue, _ = market_price_catalogue(tmp_path, slug)
    if (services_state / "reference").exists():
        shutil.copytree(services_state / "reference", isolated_state / "reference")
    point_pipeline_at(
        monkeypatch, catalogue, portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"], tmp_path / "warehouse.duckdb"
    )
    ckan = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    [regency] = load_regencies(catalogue)
    # The walidata's organisation publishes the Daftar Data, as the portal administrator's setup makes it.
    ensure_organisation(Portal(portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"]), walidata_agency(regency))
    yield tmp_path, catalogue, slug, ckan
    purge(
        ckan,
        [
            ("dataset_purge", f"{slug}-{NAME}"),
            ("dataset_purge", f"{slug}-harga-pasar"),
            ("dataset_purge", f"{slug}-kepatuhan-opd"),
            ("dataset_purge", f"{slug}-daftar-data-{date.today().year}"),
            ("organization_purge", f"dkp-{slug}"),
            ("organization_purge", f"disdag-{slug}"),
            ("organization_purge", f"walidata-{slug}"),
        ],
    )


def test_a_sample_becomes_a_published_dataset_without_code(onboarded, monkeypatch):
    tmp_path, catalogue, slug, ckan = onboarded
    sample = fisheries_workbook(tmp_path / "produksi_ikan_oktober_2026.xlsx")

    # 1. The draft, from the sample alone; the drafted standard accepts it.
    drafted = satudata("describe", str(sample), "--name", NAME, "--out", str(tmp_path / "draf"))
    assert drafted.returncode == 0, drafted.stdout + drafted.stderr
    assert (
        satudata(
            "validate",
            str(sample),
            "--schema",
            str(tmp_path / "draf" / "schemas" / NAME / "1.0.0.yaml"),
            "--regency",
            "64.09",
        ).returncode
        == 0
    )

    # 2. The walidata's review: sector and pillar, then the standard joins the project's standards.
    standard_path = tmp_path / "draf" / "schemas" / NAME / "1.0.0.yaml"
    standard = yaml.safe_load(standard_path.read_text())
    standard["satudata"].update(sektor="Kelautan dan Perikanan", pilar="economy")
    schemas = tmp_path / "schemas"
    shutil.copytree(settings.PROJECT_ROOT / "schemas", schemas)
    (schemas / NAME).mkdir()
    (schemas / NAME / "1.0.0.yaml").write_text(yaml.safe_dump(standard, sort_keys=False, allow_unicode=True))
    monkeypatch.setenv("SATUDATA_SCHEMAS", str(schemas))

    # 3. The drafted entry into the regency's catalogue: the sending agency and its drop folder.
    [entry] = yaml.safe_load((tmp_path / "draf" / "catalogue" / f"{NAME}.yaml").read_text())["datasets"]
    drop = tmp_path / "drop-dkp"
    drop.mkdir()
    entry.update(agency=f"dkp-{slug}", source={"kind": "file_drop", "path": str(drop)})
    regency_file = catalogue / "ppu.yaml"
    doc = yaml.safe_load(regency_file.read_text())
    doc["agencies"].append(
        {
            "slug": f"dkp-{slug}",
            "name": "Dinas Perikanan Kabupaten Penajam Paser Utara",
            "contact": "perikanan@penajamkab.go.id",
        }
    )
    doc["datasets"].append(entry)
    regency_file.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))

    # 4. ... and into this year's Daftar Data, due at the end of next month.
    year = date.today().year
    (catalogue / "daftar-data").mkdir()
    (catalogue / "daftar-data" / f"{slug}-{year}.yaml").write_text(
        yaml.safe_dump(
            {
                "regency": slug,
                "year": year,
                "agreed_on": f"{year}-01-20",
                "entries": [
                    {
                        "dataset": NAME,
                        "agency": f"dkp-{slug}",
                        "standard": f"{NAME}/1.0.0",
                        "frequency": standard["satudata"]["frekuensi"],
                        "priority": False,
                        "decision": "BA Forum Satu Data, lampiran II no. 7",
                        "release_schedule": [{"period": str(year), "due": f"{year + 1}-01-31"}],
                    }
                ],
            },
            sort_keys=False,
        )
    )

    # 5. The agency sends the workbook; the next run publishes it.
    shutil.copy(sample, drop)
    done = run_main_job(dg.DagsterInstance.ephemeral())
    assert done.success, [f.event_specific_data.error.message for f in done.get_step_failure_events()]
    package = ckan.action.package_show(id=f"{slug}-{NAME}")
    assert package["standar_data"] == f"{NAME}/1.0.0" and package["organization"]["name"] == f"dkp-{slug}"
    [table] = [r for r in package["resources"] if r.get("datastore_active")]
    rows = pd.DataFrame(ckan.action.datastore_search(id=table["id"], limit=100)["records"])
    assert len(rows) == len(LANDINGS)
    assert sorted(pd.to_numeric(rows[[c for c in rows if c.startswith("volume")][0]]).tolist()) == sorted(
        [1250.5, 830, 410.25, 990, 312]
    )

    # The Daftar Data says so.
    listing = ckan.action.package_show(id=f"{slug}-daftar-data-{year}")
    [listed] = [r for r in listing["resources"] if r.get("datastore_active")]
    [row] = ckan.action.datastore_search(id=listed["id"], filters={"kode_dataset": NAME})["records"]
    assert row["status"] == "terbit"
