"""Publishing against the real local portal (CKAN 2.12 with the Satu Data scheming schema and DCAT):
complete metadata, the downloads, feeds a province can harvest, no-op re-runs, only changes sent, a failed
load leaving the old version, private and never-published classifications, neutralised formulas."""

import dataclasses
import io
import uuid

import ckanapi
import openpyxl
import pandas as pd
import pytest
import requests

from pipelines.catalogue import Agency, Dataset, Regency, Source
from pipelines.metadata import PILLARS
from pipelines.publish import (ALL_DOWNLOADS, PersonalDataError, Portal, PublishError, publish, safe_csv,
                               safe_frame)
from pipelines.standard import load_standard

STANDARD = load_standard("harga-pasar/1.0.0")
DISTRICTS = {"64.09.01", "64.09.02", "64.09.03", "64.09.04"}
REQUIRED = ["produsen_data", "walidata", "sektor", "pilar", "frekuensi", "satuan", "tingkat_penyajian",
            "cakupan_wilayah", "kode_wilayah", "klasifikasi", "kontak"]
SD = "https://w3id.org/satudata/ns#"
DCAT_DATASET = "http://www.w3.org/ns/dcat#Dataset"


def market_prices(days: int = 5) -> pd.DataFrame:
    commodities = list(STANDARD.fields[4].enum[:4])
    rows = [{"tanggal": pd.Timestamp("2026-10-01") + pd.Timedelta(days=d), "kode_kecamatan": "64.09.01",
             "kode_pasar": "PNJ-01", "nama_pasar": "Pasar Induk Penajam", "komoditas": c, "satuan": "kg",
             "harga": 10_000 + 100 * d + i} for d in range(days) for i, c in enumerate(commodities)]
    rows[0]["nama_pasar"] = "=HYPERLINK(\"http://x\")"
    return pd.DataFrame(rows)


@pytest.fixture
def target(portal_env):
    slug = f"u{uuid.uuid4().hex[:6]}"
    agency = Agency(f"disdag-{slug}", f"Dinas Perdagangan Uji {slug}", "Produsen data uji", "disdag@uji.go.id")
    dataset = Dataset("harga-pasar", "harga-pasar/1.0.0", agency, Source("file_drop", {}), {})
    regency = Regency(code="64.09", slug=slug, name="Kabupaten Penajam Paser Utara", walidata="Diskominfo Uji",
                      portal="local", timezone="Asia/Makassar", agencies=(agency,), datasets=(dataset,))
    admin = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    yield {"regency": regency, "dataset": dataset, "name": f"{slug}-harga-pasar", "admin": admin,
           "anon": ckanapi.RemoteCKAN(portal_env["CKAN_URL"]), "url": portal_env["CKAN_URL"],
           "portal": lambda loader=None: Portal(portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"], loader=loader)}
    for action, name in (("dataset_purge", f"{slug}-harga-pasar"), ("organization_purge", agency.slug)):
        try:
            admin.call_action(action, {"id": name})
        except ckanapi.NotFound:
            pass


def run(target, frame, standard=STANDARD, loader=None, **kw):
    portal = target["portal"](loader)
    return publish(portal, target["regency"], target["dataset"], standard, frame, {"run_id": "run-1"}, DISTRICTS,
                   downloads=ALL_DOWNLOADS, **kw)


def table(target, resource_id) -> pd.DataFrame:
    found = target["admin"].action.datastore_search(resource_id=resource_id, limit=100_000, sort="_id")["records"]
    frame = pd.DataFrame(found).drop(columns="_id")
    return frame.sort_values(list(STANDARD.primary_key)).reset_index(drop=True)


def expected(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.assign(tanggal=frame["tanggal"].dt.strftime("%Y-%m-%d"))
    return out.sort_values(list(STANDARD.primary_key)).reset_index(drop=True)


def csv_resource(package):
    return next(r for r in package["resources"] if r["name"] == "harga-pasar.csv")


def harvest(url: str, **params) -> dict[str, dict]:
    """Read /catalog.jsonld page by page as a harvester would: dataset landing page -> its node."""
    datasets, page = {}, 1
    while True:
        nodes = requests.get(f"{url}/catalog.jsonld", params={**params, "page": page}, timeout=60).json()
        found = {n["@id"]: n for n in nodes if DCAT_DATASET in n.get("@type", [])}
        datasets.update(found)
        if not found:
            return datasets
        page += 1


def values(node: dict, predicate: str) -> list[str]:
    return [v.get("@value", v.get("@id")) for v in node.get(predicate, [])]


def test_first_publish_carries_metadata_downloads_table_and_feeds(target):
    frame = market_prices()
    since = pd.Timestamp.now("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    result = run(target, frame)
    assert result.changed and result.load_path == "satudata" and result.rows_sent == len(frame)

    package = target["anon"].action.package_show(id=target["name"])
    for name in REQUIRED:
        assert package.get(name), name
    assert (package["frekuensi"], package["klasifikasi"], package["pilar"], package["standar_data"]) == \
        ("Harian", "Terbuka", "economy", "harga-pasar/1.0.0")
    assert (package["periode_awal"], package["periode_akhir"]) == ("2026-10-01", "2026-10-05")
    assert package["satudata_run_id"] == "run-1" and package["status_validasi"] == "Lolos"
    assert package["terakhir_divalidasi"] and len(package["satudata_content_sha256"]) == 64
    assert package["organization"]["name"] == target["dataset"].agency.slug
    assert [g["name"] for g in package["groups"]] == ["economy"]
    assert set(PILLARS) <= set(target["anon"].action.group_list())
    assert sorted(r["name"] for r in package["resources"]) == \
        ["harga-pasar-kamus-data.csv", "harga-pasar.csv", "harga-pasar.xlsx"]

    resource = csv_resource(package)
    assert resource["datastore_active"]
    # The table holds what the downloads hold: CKAN offers its rows as CSV and XLSX too.
    pd.testing.assert_frame_equal(table(target, resource["id"]).astype(str),
                                  expected(safe_frame(frame, STANDARD)).astype(str))
    info = target["admin"].action.datastore_info(id=resource["id"])
    types = {f["id"]: f["type"] for f in info["fields"]}
    assert (types["kode_kecamatan"], types["kode_pasar"], types["harga"], types["tanggal"]) == \
        ("text", "text", "int8", "date")
    with pytest.raises(ckanapi.ValidationError):   # the primary key holds
        target["admin"].action.datastore_upsert(resource_id=resource["id"], method="insert", force=True,
                                                records=[{**expected(frame).iloc[0].to_dict(), "harga": 1}])

    downloaded = requests.get(resource["url"], timeout=30).content
    assert downloaded == safe_csv(frame, STANDARD)
    assert b"'=HYPERLINK" in downloaded and b'\n=' not in downloaded and b',=' not in downloaded
    xlsx = next(r for r in package["resources"] if r["format"] == "XLSX")
    sheet = openpyxl.load_workbook(io.BytesIO(requests.get(xlsx["url"], timeout=30).content)).active
    rows = list(sheet.values)
    assert len(rows) == len(frame) + 1 and rows[1][3].startswith("'=")
    dictionary = pd.read_csv(io.BytesIO(requests.get(
        next(r for r in package["resources"] if "kamus" in r["name"])["url"], timeout=30).content), dtype=str)
    assert list(dictionary["kolom"]) == STANDARD.field_names
    assert set(dictionary.loc[dictionary["kunci_utama"] == "ya", "kolom"]) == set(STANDARD.primary_key)

    # The province harvests the catalogue: every public dataset is there, ours with its Satu Data metadata.
    catalogue = harvest(target["url"])
    public = target["anon"].action.package_search(rows=1000)["results"]
    assert {f"{target['url']}/dataset/{p['id']}" for p in public} <= set(catalogue)
    node = catalogue[f"{target['url']}/dataset/{package['id']}"]
    assert values(node, SD + "standar_data") == ["harga-pasar/1.0.0"]
    assert values(node, SD + "produsen_data") == [package["produsen_data"]]
    assert values(node, SD + "kode_wilayah") == ["64.09"]
    assert values(node, "http://purl.org/dc/terms/accrualPeriodicity") == \
        ["http://publications.europa.eu/resource/authority/frequency/DAILY"]
    assert values(node, "http://purl.org/dc/terms/accessRights") == \
        ["http://publications.europa.eu/resource/authority/access-right/PUBLIC"]
    assert f"{target['url']}/dataset/{package['id']}" in harvest(target["url"], modified_since=since)
    assert not harvest(target["url"], modified_since="2999-01-01")
    for fmt in ("jsonld", "rdf", "ttl"):
        page = requests.get(f"{target['url']}/dataset/{target['name']}.{fmt}", timeout=30)
        assert page.status_code == 200 and "harga-pasar/1.0.0" in page.text, fmt
    page = requests.get(f"{target['url']}/dataset/{target['name']}", timeout=30).text
    assert "Walidata" in page and "Diskominfo Uji" in page and "Tingkat Penyajian" in page


# What carries a change to the table: the project's portal extension, or CKAN's API on other portals.
CHANGE_WRITES = {"satudata": ["satudata_datastore_load"], "api": ["datastore_upsert", "datastore_delete"]}


@pytest.mark.parametrize("loader", CHANGE_WRITES)
def test_rerun_is_a_noop_and_a_change_sends_only_the_change(target, loader):
    frame = market_prices()
    run(target, frame, loader=loader)
    package = target["admin"].action.package_show(id=target["name"])

    again = run(target, frame, loader=loader)
    assert (again.changed, again.writes) == (False, [])
    assert target["admin"].action.package_show(id=target["name"])["metadata_modified"] == \
        package["metadata_modified"]

    changed = frame.copy()
    changed.loc[[3, 7, 11], "harga"] += 500
    extra = changed.iloc[[0]].assign(tanggal=pd.Timestamp("2026-10-06"), nama_pasar="Pasar Induk Penajam")
    changed = pd.concat([changed.drop(index=[5]), extra], ignore_index=True)
    result = run(target, changed, loader=loader)
    assert result.changed and result.load_path == "diff"
    assert (result.rows_sent, result.rows_deleted) == (4, 1)
    assert [w for w in result.writes if w in sum(CHANGE_WRITES.values(), [])] == CHANGE_WRITES[loader]
    assert "package_create" not in result.writes
    after = target["admin"].action.package_show(id=target["name"])
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in package["resources"]]   # same, none doubled
    pd.testing.assert_frame_equal(table(target, csv_resource(after)["id"]).astype(str),
                                  expected(safe_frame(changed, STANDARD)).astype(str))
    assert after["periode_akhir"] == "2026-10-06"
    assert run(target, changed, loader=loader).writes == []


@pytest.mark.parametrize("loader", CHANGE_WRITES)
def test_a_load_that_fails_midway_leaves_the_previous_version(target, loader):
    frame = market_prices()
    run(target, frame, loader=loader)
    before = target["admin"].action.package_show(id=target["name"])
    resource = csv_resource(before)
    old_csv = requests.get(resource["url"], timeout=30).content

    broken = frame.copy()
    broken["harga"] = broken["harga"].astype(object)
    broken.loc[[1, 2], "harga"] += 1                     # good changes...
    broken.loc[9, "harga"] = "sepuluh ribu"              # ...and one row the DataStore's int8 rejects
    with pytest.raises(PublishError, match=CHANGE_WRITES[loader][0]) as failure:
        run(target, broken, loader=loader)
    assert "sepuluh ribu" in str(failure.value)

    after = target["admin"].action.package_show(id=target["name"])
    assert after["satudata_content_sha256"] == before["satudata_content_sha256"]
    assert requests.get(csv_resource(after)["url"], timeout=30).content == old_csv
    pd.testing.assert_frame_equal(table(target, resource["id"]).astype(str),
                                  expected(safe_frame(frame, STANDARD)).astype(str))
    assert not after["private"]


def test_whole_numbers_with_gaps_stay_whole_numbers(target):
    """CC112 leaves small counts empty; pandas then holds the column as floats, which must not reach the
    downloads or the int8 table as "7.0"."""
    frame = market_prices()
    frame.loc[[2, 5], "harga"] = None
    assert frame["harga"].dtype == "float64"
    result = run(target, frame)
    assert result.load_path == "satudata"
    resource = csv_resource(target["anon"].action.package_show(id=target["name"]))
    downloaded = pd.read_csv(io.BytesIO(requests.get(resource["url"], timeout=30).content), dtype=str)
    assert downloaded["harga"].isna().sum() == 2 and not downloaded["harga"].dropna().str.contains(r"\.").any()
    stored = table(target, resource["id"])
    assert stored["harga"].isna().sum() == 2
    assert sorted(stored["harga"].dropna().astype(int)) == sorted(frame["harga"].dropna().astype(int))


def test_terbatas_is_private_and_tertutup_is_never_sent(target):
    limited = dataclasses.replace(STANDARD, metadata={**STANDARD.metadata, "klasifikasi": "Terbatas"})
    run(target, market_prices(), standard=limited)
    package = target["admin"].action.package_show(id=target["name"])
    assert package["private"] and package["klasifikasi"] == "Terbatas"
    with pytest.raises(ckanapi.NotAuthorized):
        target["anon"].action.package_show(id=target["name"])
    assert f"{target['url']}/dataset/{package['id']}" not in harvest(target["url"])
    target["admin"].action.dataset_purge(id=target["name"])

    closed = dataclasses.replace(STANDARD, metadata={**STANDARD.metadata, "klasifikasi": "Tertutup"})
    result = run(target, market_prices(), standard=closed)
    assert (result.changed, result.writes) == (False, [])
    with pytest.raises(ckanapi.NotFound):
        target["admin"].action.package_show(id=target["name"])


def test_personal_data_found_right_before_publishing_sends_nothing(target):
    frame = market_prices()
    frame.loc[6, "nama_pasar"] = "Pasar 6409014101900001"   # a NIK (Penajam, born 1 January 1990, woman)
    portal = target["portal"]()
    with pytest.raises(PersonalDataError, match="nama_pasar") as found:
        publish(portal, target["regency"], target["dataset"], STANDARD, frame, {"run_id": "run-1"}, {"640901"})
    assert "baris/row 7" in str(found.value)    # the first row holding the value, as the table is read
    assert portal.writes == []
    with pytest.raises(ckanapi.NotFound):
        target["admin"].action.package_show(id=target["name"])
