"""The yearly Daftar Data: its file is checked strictly, each entry's status follows what the pipeline really did
(real runs on the local portal), the list is published on the portal, and lateness follows the release
schedule."""

import calendar
import json
import shutil
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import ckanapi
import dagster as dg
import pytest
import yaml

from assets.daftar_data import events_of
from assets.definitions import deliveries_of
from assets.resources import StateResource
from pipelines import settings, warehouse
from pipelines.catalogue import CatalogueError, load_regencies, load_regency
from pipelines.publish import Portal
from pipelines.publish.portal_setup import ensure_organisation
from pipelines.raw import RawArchive
from pipelines.stewardship.daftar_data import daftar_data_of, entry_status, files_without_regency, load_daftar_data
from pipelines.stewardship.freshness import dataset_lateness
from pipelines.stewardship.scorecard import walidata_agency
from tests.helpers import drop_out_of_regency_batch, market_price_catalogue, purge, run_main_job

ROOT = settings.PROJECT_ROOT
WITA = ZoneInfo("Asia/Makassar")


def daftar_doc(regency: str, agency: str, releases: list[dict], year: int = 2026) -> dict:
    return {
        "regency": regency,
        "year": year,
        "agreed_on": date(year, 1, 22),
        "entries": [
            {
                "dataset": "harga-pasar",
                "agency": agency,
                "standard": "harga-pasar/1.0.0",
                "frequency": "Harian",
                "priority": True,
                "decision": "BA Forum Satu Data No. 1/2026, no. 1",
                "release_schedule": releases,
            }
        ],
    }


def write(folder: Path, name: str, doc: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_the_demo_regencies_have_a_daftar_data_of_their_catalogued_datasets():
    for regency in load_regencies(ROOT / "catalogue"):
        [daftar] = daftar_data_of(regency, ROOT / "catalogue")
        assert daftar.year == 2026
        assert {e.dataset for e in daftar.entries} == {d.name for d in regency.datasets}
        assert all(e.release_schedule for e in daftar.entries)


def test_a_broken_daftar_data_is_refused_naming_file_and_key(tmp_path):
    ppu = load_regency(ROOT / "catalogue" / "penajam-paser-utara.yaml")
    folder = tmp_path / "daftar-data"
    doc = daftar_doc("ppu", "disdag-ppu", [{"period": "2026-10", "due": date(2026, 11, 5)}])
    doc["entries"][0]["release_schedul"] = []
    with pytest.raises(CatalogueError) as refused:
        load_daftar_data(write(folder, "ppu-2026.yaml", doc), ppu)
    assert str(refused.value) == "ppu-2026.yaml: entries[0].release_schedul: kunci tidak dikenal / unknown key"

    doc = daftar_doc(
        "ppu",
        "dlh-ppu",
        [
            {"period": "2025-10", "due": date(2026, 11, 5)},
            {"period": "TW4 2026", "due": date(2026, 12, 1)},
            {"period": "Bulan Ke-13", "due": date(2026, 12, 1)},
        ],
    )
    doc["entries"].append({**doc["entries"][0], "dataset": "harga-beras", "agency": "disdag-ppu"})
    doc["entries"].append(
        {
            **doc["entries"][0],
            "dataset": "bank-sampah",
            "standard": "bank-sampah/9.9.9",
            "agency": "dlh-ppu",
            "release_schedule": [],
        }
    )
    doc["entries"].append(
        {
            **doc["entries"][0],
            "dataset": "wifi-publik",
            "standard": "bank-sampah/1.0.0",
            "agency": "diskominfo-ppu",
            "release_schedule": [],
        }
    )
    doc["entries"][0]["frequency"] = "Sesekali"
    with pytest.raises(CatalogueError) as refused:
        load_daftar_data(write(folder, "ppu-2026.yaml", doc), ppu)
    message = str(refused.value)
    assert "ppu-2026.yaml: entries[0].frequency: nilai tidak sah / invalid value 'Sesekali'" in message
    assert "ppu-2026.yaml: entries[0].release_schedule[2].period: periode 'Bulan Ke-13' tidak dikenali" in message

    [wifi] = [d for d in ppu.datasets if d.name == "wifi-publik"]
    del doc["entries"][0]["release_schedule"][2]
    doc["entries"][0]["frequency"] = "Harian"
    with pytest.raises(CatalogueError) as refused:
        load_daftar_data(write(folder, "ppu-2026.yaml", doc), ppu)
    assert str(refused.value).splitlines() == [
        "ppu-2026.yaml: entries[0].agency: katalog menyebut produsen / the catalogue names the producer 'disdag-ppu'",
        "ppu-2026.yaml: entries[0].release_schedule[0].period: periode 2025-10 di luar tahun 2026 / is outside the "
        "year 2026",
        "ppu-2026.yaml: entries[0].release_schedule[1].due: tenggat sebelum periode 2026 TW4 berakhir / due before "
        "the period ends",
        "ppu-2026.yaml: entries[1].dataset: dataset 'harga-beras' tidak ada di katalog ppu / is not in ppu's catalogue",
        "ppu-2026.yaml: entries[2].standard: standar 'bank-sampah/9.9.9' tidak ada di schemas/ / is not a standard "
        "in schemas/",
        "ppu-2026.yaml: entries[3].standard: katalog mengirim standar lain / the catalogue delivers another "
        f"standard: {wifi.schema!r}",
    ]

    # The file's name says whose list and which year it is; a file of no regency is named, not left out.
    doc = daftar_doc("ppu", "disdag-ppu", [])
    with pytest.raises(CatalogueError, match=r"^ppu-2025.yaml: year: nama berkas menyebut tahun 2025"):
        load_daftar_data(write(folder, "ppu-2025.yaml", doc), ppu)
    write(folder, "bogor-2026.yaml", doc)
    assert files_without_regency([ppu], tmp_path) == ["bogor-2026.yaml"]


def test_lateness_follows_the_release_schedule_when_there_is_one(tmp_path):
    archive = RawArchive(tmp_path / "raw")
    archive.store("ppu", "bank-sampah", "setoran_2026-09.csv", b"a;b\n1;2\n", "drop")
    manifest = archive.manifest("ppu", "bank-sampah")
    record = json.loads(manifest.read_text())
    pulled = datetime(2026, 10, 15, 9, 0, tzinfo=timezone.utc)  # September's recap, delivered mid-October
    manifest.write_text(json.dumps({**record, "pulled_at": pulled.isoformat()}) + "\n")
    october = (datetime(2026, 10, 31, tzinfo=WITA), datetime(2026, 11, 11, tzinfo=WITA))  # due 10 November
    november = (datetime(2026, 11, 30, tzinfo=WITA), datetime(2026, 12, 11, tzinfo=WITA))

    # By its frequency (monthly, 240 hours of grace) it is late; by the schedule it owes October by 10 November.
    last, by_frequency = dataset_lateness(manifest, "Bulanan", 240)
    assert last == pulled and by_frequency > timedelta(0)
    _, by_schedule = dataset_lateness(manifest, "Bulanan", 240, [october, november])
    assert abs(by_schedule - (datetime.now(timezone.utc) - october[1])) < timedelta(minutes=1)
    # Before October's due date is over nothing is late, although the frequency says so.
    _, early = dataset_lateness(
        manifest,
        "Bulanan",
        240,
        [(datetime(2026, 10, 31, tzinfo=timezone.utc), datetime.now(timezone.utc) + timedelta(days=3))],
    )
    assert early < timedelta(0)


@pytest.fixture
def regency(tmp_path, monkeypatch, isolated_state, services_state, portal_env):
    """A market-price catalogue of its own (unique slug) with a Daftar Data owing this month's prices."""
    slug = f"t{uuid.uuid4().hex[:6]}"
    catalogue, drop = market_price_catalogue(tmp_path, slug)
    cached = services_state / "reference"
    if cached.exists():
        shutil.copytree(cached, isolated_state / "reference")
    today = datetime.now(WITA).date()
    month_end = date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    due = month_end + timedelta(days=5)
    write(
        catalogue / "daftar-data",
        f"{slug}-{today.year}.yaml",
        daftar_doc(slug, f"disdag-{slug}", [{"period": f"{today:%Y-%m}", "due": due}], today.year),
    )
    warehouse_url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    for name, value in {
        "SATUDATA_CATALOGUE": str(catalogue),
        "SATUDATA_WAREHOUSE_URL": warehouse_url,
        "CKAN_URL": portal_env["CKAN_URL"],
        "CKAN_API_TOKEN": portal_env["CKAN_API_TOKEN"],
    }.items():
        monkeypatch.setenv(name, value)
    [found] = load_regencies(catalogue)
    # The walidata's organisation publishes the list, as the portal administrator's setup makes it.
    ensure_organisation(Portal(portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"]), walidata_agency(found))
    ckan = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    package = f"{slug}-daftar-data-{today.year}"
    yield {
        "slug": slug,
        "drop": drop,
        "ckan": ckan,
        "package": package,
        "due": due,
        "regency": found,
        "engine": warehouse.create_engine(warehouse_url),
    }
    purge(
        ckan,
        [
            ("dataset_purge", package),
            ("dataset_purge", f"{slug}-harga-pasar"),
            ("dataset_purge", f"{slug}-kepatuhan-opd"),  # the scorecard, published by the same pass
            ("organization_purge", f"disdag-{slug}"),
            ("organization_purge", f"walidata-{slug}"),
        ],
    )


def published_rows(ckan, package: str) -> list[dict]:
    [table] = [r for r in ckan.action.package_show(id=package)["resources"] if r["datastore_active"]]
    return ckan.action.datastore_search(resource_id=table["id"])["records"]


def test_statuses_follow_real_runs_and_the_list_is_published(regency):
    [daftar] = daftar_data_of(regency["regency"])
    [entry] = daftar.entries
    [delivery] = deliveries_of([regency["regency"]])
    state = StateResource(root=str(settings.state_dir()))

    def status_at(instance, moment):
        events = events_of(instance, delivery, regency["engine"], state, moment)
        return entry_status(entry, events, moment, WITA)

    with dg.DagsterInstance.ephemeral() as instance:
        assert status_at(instance, datetime.now(timezone.utc)).status == "direncanakan"

        # The prices arrive, pass the check and are published; the same pass publishes the list.
        first = run_main_job(instance)
        assert first.success, [f.event_specific_data.error.message for f in first.get_step_failure_events()]
        [on_time] = [c for c in first.get_asset_check_evaluations() if c.check_name == "tepat_waktu"]
        assert on_time.passed and "Daftar Data" in on_time.metadata["due_by"].value
        [row] = published_rows(regency["ckan"], regency["package"])
        assert (row["kode_dataset"], row["kode_opd"], row["status"], row["status_en"], row["prioritas"]) == (
            "harga-pasar",
            f"disdag-{regency['slug']}",
            "terbit",
            "published",
            True,
        )
        assert row["jadwal_rilis"] == f"{row['periode']}: {regency['due'].isoformat()}"
        package = regency["ckan"].action.package_show(id=regency["package"])
        assert package["organization"]["name"] == f"walidata-{regency['slug']}"
        assert (package["standar_data"], package["klasifikasi"], package["private"]) == (
            "daftar-data/1.0.0",
            "Terbuka",
            False,
        )

        # This month's data was published before the month ended: once its due date is over, it is late.
        after_due = datetime.combine(regency["due"] + timedelta(days=1), datetime.min.time(), WITA)
        late = status_at(instance, after_due)
        assert late.status == "terlambat" and late.release.due == regency["due"]
        assert f"lewat tenggat {regency['due'].isoformat()} tanpa terbit" in late.reasons[0]

        # A later delivery fails the check: returned to the agency with the report's reasons.
        drop_out_of_regency_batch(regency["drop"])
        assert not run_main_job(instance).success
        returned = status_at(instance, datetime.now(timezone.utc))
        assert returned.status == "dikembalikan"
        assert returned.reasons[0].startswith("harga_pasar_susulan.csv, baris/row 2, kolom/column kode_kecamatan: ")
        [row] = published_rows(regency["ckan"], regency["package"])
        assert (row["status"], row["status_en"]) == ("dikembalikan", "returned to the agency")
        assert "harga_pasar_susulan.csv, baris/row 2, kolom/column kode_kecamatan" in row["alasan"]
        assert row["terakhir_terbit"].startswith(datetime.now(WITA).date().isoformat())
