"""Publishing against the real local portal (CKAN 2.12 with the Satu Data scheming schema and DCAT) from a
real warehouse: complete metadata, downloads that equal the table, feeds a province can harvest, no-op
re-runs, only the change set sent, deletes, a failed load leaving the old version, a portal killed between
two change sets converging, private and never-published classifications, neutralised formulas."""

import dataclasses
import hashlib
import io
import os
import signal
import threading
import time

import ckanapi
import openpyxl
import pandas as pd
import pytest
import requests

from pipelines import warehouse
from pipelines.publish import ALL_DOWNLOADS, PersonalDataError, Portal, PublishError, publish, safe_frame
from pipelines.publish.metadata import PILLARS
from pipelines.standard import load_standard
from tests.conftest import SERVICES_STATE, _run

STANDARD = load_standard("harga-pasar/1.0.0")
DISTRICTS = {"64.09.01", "64.09.02", "64.09.03", "64.09.04"}
REQUIRED = [
    "produsen_data",
    "walidata",
    "sektor",
    "pilar",
    "frekuensi",
    "satuan",
    "tingkat_penyajian",
    "cakupan_wilayah",
    "kode_wilayah",
    "klasifikasi",
    "kontak",
]
SD = "https://w3id.org/satudata/ns#"
DCAT_DATASET = "http://www.w3.org/ns/dcat#Dataset"


def market_prices(days: int = 5) -> pd.DataFrame:
    commodities = list(STANDARD.fields[4].enum[:4])
    rows = [
        {
            "tanggal": pd.Timestamp("2026-10-01") + pd.Timedelta(days=d),
            "kode_kecamatan": "64.09.01",
            "kode_pasar": "PNJ-01",
            "nama_pasar": "Pasar Induk Penajam",
            "komoditas": c,
            "satuan": "kg",
            "harga": 10_000 + 100 * d + i,
        }
        for d in range(days)
        for i, c in enumerate(commodities)
    ]
    rows[0]["nama_pasar"] = '=HYPERLINK("http://x")'
    return pd.DataFrame(rows)


def run(target, frame, standard=STANDARD, loader=None, **kw):
    """Publish a computed frame as it is (the scorecard's path: any change reloads it whole)."""
    portal = target["portal"](loader)
    return publish(
        portal,
        target["regency"],
        target["dataset"],
        standard,
        frame,
        {"run_id": "run-1"},
        DISTRICTS,
        downloads=ALL_DOWNLOADS,
        **kw,
    )


def merge(target, frame, batch: str) -> warehouse.MergeResult:
    """The rows as the agency's batch, merged into the test's own warehouse (the pipeline's path)."""
    rows = frame.assign(
        tanggal=frame["tanggal"].astype("datetime64[us]"),
        _source_file=f"{batch}.csv",
        _source_sha256="0" * 64,
        _source_row=range(2, len(frame) + 2),
    )
    return warehouse.merge(target["engine"], STANDARD, rows, "64.09", batch, "run", complete=True)


def publish_warehouse(target, loader=None, validation=None, portal=None):
    """Publish the warehouse's table: the portal step's path (only the change set travels)."""
    portal = portal or target["portal"](loader)
    return publish(
        portal,
        target["regency"],
        target["dataset"],
        STANDARD,
        warehouse.PublishedTable(target["engine"], STANDARD, "64.09"),
        {"run_id": "run-1"},
        DISTRICTS,
        downloads=ALL_DOWNLOADS,
        validation=validation,
    )


def checksums(frame: pd.DataFrame) -> dict:
    """Key -> checksum of the row's text: a DataStore table compared with the warehouse, row by row."""
    text = frame[[f.name for f in STANDARD.public_fields]].astype(str)
    return {
        tuple(r[k] for k in STANDARD.primary_key): hashlib.sha256("|".join(r.values()).encode()).hexdigest()
        for r in text.to_dict("records")
    }


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


def dump(resource: dict) -> pd.DataFrame:
    """The table's CSV download (the portal's rendering of the table's version), as text."""
    got = pd.read_csv(io.BytesIO(requests.get(resource["url"], timeout=60).content), dtype=str, keep_default_na=False)
    return got.sort_values(list(STANDARD.primary_key)).reset_index(drop=True)


def workbook(package: dict) -> pd.DataFrame:
    """The XLSX download, as text like the CSV (dates as days, whole numbers without a decimal point)."""
    xlsx = next(r for r in package["resources"] if r["format"] == "XLSX")
    response = requests.get(xlsx["url"], timeout=60)
    assert response.status_code == 200, response.text[:300]
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active.values)
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    frame["tanggal"] = pd.to_datetime(frame["tanggal"]).dt.strftime("%Y-%m-%d")
    frame["harga"] = frame["harga"].astype("Int64")
    return frame.astype(str).sort_values(list(STANDARD.primary_key)).reset_index(drop=True)


def test_first_publish_carries_metadata_downloads_table_and_feeds(target):
    frame = market_prices()
    since = pd.Timestamp.now("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    merge(target, frame, "b1")
    result = publish_warehouse(target)
    assert result.changed and result.load_path == "whole" and result.rows_sent == len(frame)
    assert result.versions == {"64.09": 1}

    package = target["anon"].action.package_show(id=target["name"])
    for name in REQUIRED:
        assert package.get(name), name
    assert (package["frekuensi"], package["klasifikasi"], package["pilar"], package["standar_data"]) == (
        "Harian",
        "Terbuka",
        "economy",
        "harga-pasar/1.0.0",
    )
    assert (package["periode_awal"], package["periode_akhir"]) == ("2026-10-01", "2026-10-05")
    assert package["satudata_run_id"] == "run-1" and package["status_validasi"] == "Lolos"
    assert package["terakhir_divalidasi"] and len(package["satudata_content_sha256"]) == 64
    assert package["satudata_versi_gudang"] == '{"64.09": 1}'
    assert package["organization"]["name"] == target["dataset"].agency.slug
    assert [g["name"] for g in package["groups"]] == ["economy"]
    assert set(PILLARS) <= set(target["anon"].action.group_list())
    assert sorted(r["name"] for r in package["resources"]) == [
        "harga-pasar-kamus-data.csv",
        "harga-pasar-metadata-statistik.json",
        "harga-pasar-metadata-statistik.xlsx",
        "harga-pasar.csv",
        "harga-pasar.xlsx",
    ]

    resource = csv_resource(package)
    assert resource["datastore_active"] and resource["url_type"] == "datastore"
    stored = table(target, resource["id"])
    pd.testing.assert_frame_equal(stored.astype(str), expected(safe_frame(frame, STANDARD)).astype(str))
    info = target["admin"].action.datastore_info(id=resource["id"])
    types = {f["id"]: f["type"] for f in info["fields"]}
    assert (types["kode_kecamatan"], types["kode_pasar"], types["harga"], types["tanggal"]) == (
        "text",
        "text",
        "int8",
        "date",
    )
    with pytest.raises(ckanapi.ValidationError):  # the primary key holds
        target["admin"].action.datastore_upsert(
            resource_id=resource["id"],
            method="insert",
            force=True,
            records=[{**expected(frame).iloc[0].to_dict(), "harga": 1}],
        )

    # Every download is the table itself; what a spreadsheet opens cannot run a formula.
    pd.testing.assert_frame_equal(dump(resource), stored.astype(str))
    pd.testing.assert_frame_equal(workbook(package), stored.astype(str))
    assert "'=HYPERLINK" in requests.get(resource["url"], timeout=30).text
    assert "standar" in resource["description"].lower() and "harga-pasar/1.0.0" in resource["description"]
    dictionary = pd.read_csv(
        io.BytesIO(
            requests.get(next(r for r in package["resources"] if "kamus" in r["name"])["url"], timeout=30).content
        ),
        dtype=str,
    )
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
    assert values(node, "http://purl.org/dc/terms/accrualPeriodicity") == [
        "http://publications.europa.eu/resource/authority/frequency/DAILY"
    ]
    assert values(node, "http://purl.org/dc/terms/accessRights") == [
        "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
    ]
    assert f"{target['url']}/dataset/{package['id']}" in harvest(target["url"], modified_since=since)
    assert not harvest(target["url"], modified_since="2999-01-01")
    for fmt in ("jsonld", "rdf", "ttl"):
        page = requests.get(f"{target['url']}/dataset/{target['name']}.{fmt}", timeout=30)
        assert page.status_code == 200 and "harga-pasar/1.0.0" in page.text, fmt
    page = requests.get(f"{target['url']}/dataset/{target['name']}", timeout=30).text
    assert "Walidata" in page and "Diskominfo Uji" in page and "Tingkat Penyajian" in page


# What carries a change set to the table: the project's portal extension, or CKAN's API on other portals.
CHANGE_WRITES = {"satudata": ["satudata_datastore_load"], "api": ["datastore_upsert", "datastore_delete"]}


@pytest.mark.parametrize("loader", CHANGE_WRITES)
def test_rerun_is_a_noop_and_a_change_sends_only_the_change_set(target, loader):
    frame = market_prices()
    merge(target, frame, "b1")
    publish_warehouse(target, loader)
    package = target["admin"].action.package_show(id=target["name"])

    again = publish_warehouse(target, loader)
    assert (again.changed, again.writes) == (False, [])
    assert target["admin"].action.package_show(id=target["name"])["metadata_modified"] == package["metadata_modified"]

    # The agency re-sends 1 to 6 October: three prices corrected, one row gone from 2 October, 6 October new.
    changed = frame.copy()
    changed.loc[[3, 7, 11], "harga"] += 500
    extra = changed.iloc[[0]].assign(tanggal=pd.Timestamp("2026-10-06"), nama_pasar="Pasar Induk Penajam")
    changed = pd.concat([changed.drop(index=[5]), extra], ignore_index=True)
    assert merge(target, changed, "b2").deleted == 1
    result = publish_warehouse(target, loader)
    assert result.changed and result.load_path == "changes" and result.versions == {"64.09": 2}
    assert (result.rows_sent, result.rows_deleted) == (4, 1)  # exactly the change set, nothing else
    sent = [w for w in result.writes if w in sum(CHANGE_WRITES.values(), [])]
    assert sent == CHANGE_WRITES[loader]  # one call (one transaction) per kind
    assert not {"package_create", "resource_create", "datastore_delete" if loader == "satudata" else ""} & set(
        result.writes
    )
    after = target["admin"].action.package_show(id=target["name"])
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in package["resources"]]  # same, none doubled
    stored = table(target, csv_resource(after)["id"])
    pd.testing.assert_frame_equal(stored.astype(str), expected(safe_frame(changed, STANDARD)).astype(str))
    # The deleted row is gone from the table and from both downloads, which equal the new table.
    pd.testing.assert_frame_equal(dump(csv_resource(after)), stored.astype(str))
    pd.testing.assert_frame_equal(workbook(after), stored.astype(str))
    assert after["periode_akhir"] == "2026-10-06" and after["satudata_versi_gudang"] == '{"64.09": 2}'
    assert publish_warehouse(target, loader).writes == []


def test_a_change_sets_validation_report_travels_in_the_revision_that_records_it(target):
    """The report of the check a change set passed replaces the published one in the same revision that
    records the change's versions: no write of its own."""

    def report(rows: int, checked_at: str) -> dict:
        return {"standard": STANDARD.ref, "checked_at": checked_at, "result": "lolos / passed", "released_by": None,
                "rows": rows, "findings": 0, "files": [], "rules": []}  # fmt: skip

    frame = market_prices()
    merge(target, frame, "b1")
    publish_warehouse(target, validation=report(len(frame), "2026-10-06T01:00:00+00:00"))
    before = target["admin"].action.package_show(id=target["name"])

    changed = frame.copy()
    changed.loc[[3, 7], "harga"] += 500
    merge(target, changed, "b2")
    second = report(len(changed), "2026-10-07T01:00:00+00:00")
    result = publish_warehouse(target, validation=second)
    assert result.writes == ["satudata_datastore_load", "package_revise"]  # the report rode with the revision
    after = target["admin"].action.package_show(id=target["name"])
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in before["resources"]]
    published = {r["name"]: r for r in after["resources"]}
    headers = {"Authorization": target["admin"].apikey}
    got = requests.get(published["harga-pasar-laporan-validasi.json"]["url"], headers=headers, timeout=60)
    assert got.json() == second
    page = requests.get(published["harga-pasar-laporan-validasi.html"]["url"], headers=headers, timeout=60).text
    assert "2026-10-07T01:00:00+00:00" in page and "2026-10-06" not in page
    assert published["harga-pasar-laporan-validasi.json"]["mimetype"] == "application/json"


class RefusedChange:
    """The warehouse table with one value in its change set that the DataStore's int8 refuses."""

    def __init__(self, target):
        self.table = warehouse.PublishedTable(target["engine"], STANDARD, "64.09")

    def changes(self, since):
        change = self.table.changes(since)
        upserts = change.upserts.astype({"harga": object})
        upserts.loc[upserts.index[-1], "harga"] = "sepuluh ribu"
        return dataclasses.replace(change, upserts=upserts)


@pytest.mark.parametrize("loader", CHANGE_WRITES)
def test_a_change_set_the_portal_refuses_leaves_the_previous_version(target, loader):
    frame = market_prices()
    merge(target, frame, "b1")
    publish_warehouse(target, loader)
    before = target["admin"].action.package_show(id=target["name"])
    resource = csv_resource(before)

    changed = frame.copy()
    changed.loc[[1, 2, 9], "harga"] += 1
    merge(target, changed, "b2")
    with pytest.raises(PublishError, match=CHANGE_WRITES[loader][0]) as failure:
        publish(
            target["portal"](loader),
            target["regency"],
            target["dataset"],
            STANDARD,
            RefusedChange(target),
            {"run_id": "run-2"},
            DISTRICTS,
            downloads=ALL_DOWNLOADS,
        )
    assert "sepuluh ribu" in str(failure.value)

    after = target["admin"].action.package_show(id=target["name"])
    assert after["satudata_versi_gudang"] == before["satudata_versi_gudang"] == '{"64.09": 1}'
    pd.testing.assert_frame_equal(
        table(target, resource["id"]).astype(str), expected(safe_frame(frame, STANDARD)).astype(str)
    )
    assert not after["private"]
    # The next run sends the change set the portal never acknowledged.
    assert publish_warehouse(target, loader).rows_sent == 3
    pd.testing.assert_frame_equal(
        table(target, resource["id"]).astype(str), expected(safe_frame(changed, STANDARD)).astype(str)
    )


def test_a_portal_killed_between_two_change_sets_converges_on_the_next_run(target):
    """The portal's process is killed (by its pid) after it took a change set and before the dataset
    recorded it: the next run sends what the portal has not acknowledged, and the table equals the
    warehouse, key by key and row by row, with nothing lost or doubled."""
    frame = market_prices(days=10)
    merge(target, frame, "b1")
    publish_warehouse(target)
    first = frame.copy()
    first.loc[::7, "harga"] += 100
    merge(target, first, "b2")

    portal = target["portal"]()
    write = portal.write

    def kill_before_recording(action, files=None, **data):
        if action == "package_revise":
            pid = int((SERVICES_STATE / "portal" / "ckan.pid").read_text())
            os.killpg(pid, signal.SIGKILL)  # the web server and its workers: the portal crashes whole
        return write(action, files=files, **data)

    portal.write = kill_before_recording
    with pytest.raises(Exception):
        publish(
            portal,
            target["regency"],
            target["dataset"],
            STANDARD,
            warehouse.PublishedTable(target["engine"], STANDARD, "64.09"),
            {"run_id": "run-2"},
            DISTRICTS,
            downloads=ALL_DOWNLOADS,
        )
    _run("bash", "portal/start.sh")

    second = first.copy()
    second.loc[::5, "harga"] += 7
    merge(target, second.drop(index=[2]), "b3")
    result = publish_warehouse(target)
    assert result.load_path == "changes" and result.versions == {"64.09": 3}
    package = target["admin"].action.package_show(id=target["name"])
    stored = table(target, csv_resource(package)["id"])
    wanted = warehouse.read_published(target["engine"], STANDARD, "64.09")
    assert len(stored) == len(wanted) == len(frame) - 1  # 0 lost, 0 doubled
    assert checksums(stored) == checksums(expected(safe_frame(wanted, STANDARD)))
    assert package["satudata_versi_gudang"] == '{"64.09": 3}'


def test_whole_numbers_with_gaps_stay_whole_numbers(target):
    """CC112 leaves small counts empty; pandas then holds the column as floats, which must not reach the
    downloads or the int8 table as "7.0"."""
    frame = market_prices()
    frame.loc[[2, 5], "harga"] = None
    assert frame["harga"].dtype == "float64"
    result = run(target, frame)
    assert result.load_path == "whole"
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
    frame.loc[6, "nama_pasar"] = "Pasar 6409014101900001"  # a NIK (Penajam, born 1 January 1990, woman)
    portal = target["portal"]()
    with pytest.raises(PersonalDataError, match="nama_pasar") as found:
        publish(portal, target["regency"], target["dataset"], STANDARD, frame, {"run_id": "run-1"}, {"640901"})
    assert "baris/row 7" in str(found.value)  # the first row holding the value, as the table is read
    assert portal.writes == []
    with pytest.raises(ckanapi.NotFound):
        target["admin"].action.package_show(id=target["name"])


def test_the_portal_token_is_checked_before_anything_is_read_or_written(target, portal_env):
    """A wrong token would read as anonymous and fail only at the first write, as a refusal: it is named at
    once instead."""
    assert target["portal"]().check_token() == "walidata"
    wrong = Portal(portal_env["CKAN_URL"], "token-yang-salah")
    with pytest.raises(PublishError, match="tidak diterima") as refused:
        publish(wrong, target["regency"], target["dataset"], STANDARD, market_prices(), {"run_id": "run-1"}, DISTRICTS)
    assert refused.value.permanent and wrong.writes == []


def test_a_table_beyond_excels_limit_gets_a_note_instead_of_a_broken_xlsx(target, monkeypatch):
    import pipelines.publish.dataset as publish_module

    frame = market_prices()
    merge(target, frame, "b1")
    publish_warehouse(target)
    assert any(r["format"] == "XLSX" for r in target["anon"].action.package_show(id=target["name"])["resources"])
    monkeypatch.setattr(publish_module, "XLSX_MAX_ROWS", len(frame) - 1)  # the table grows past the limit
    merge(target, frame.assign(harga=frame["harga"] + 1), "b2")
    publish_warehouse(target)
    package = target["anon"].action.package_show(id=target["name"])
    assert "harga-pasar.xlsx" not in [r["name"] for r in package["resources"]]
    assert "melebihi batas Excel" in csv_resource(package)["description"]
    assert "Excel's row limit" in csv_resource(package)["description"]


def test_every_download_taken_during_a_change_is_one_whole_version(target):
    """CKAN's own dump reads a table 32,000 rows per query, so a download taken while a change loads could hold
    rows of two versions. The public's downloads are each one version, whole, even mid-load."""
    frame = market_prices(days=30_000)  # 120,000 rows: four of the dump's pages
    merge(target, frame, "b1")
    publish_warehouse(target)
    resource = csv_resource(target["anon"].action.package_show(id=target["name"]))
    before = dump(resource)
    merge(target, frame.assign(harga=frame["harga"] + 7), "b2")
    loading = threading.Thread(target=publish_warehouse, args=(target,))
    loading.start()
    taken = [dump(resource)]
    while loading.is_alive() and len(taken) < 200:  # bounded: the load takes a few seconds
        taken.append(dump(resource))
    loading.join()
    after = dump(resource)
    assert not before.equals(after) and after["harga"].astype(int).sum() == before["harga"].astype(int).sum() + 7 * len(
        frame
    )
    for n, got in enumerate(taken):
        assert got.equals(before) or got.equals(after), f"download {n} of {len(taken)} mixes two versions"


def test_a_dataset_published_with_an_uploaded_csv_moves_to_downloads_from_the_table(target):
    """Datasets published before downloads came from the DataStore carry an uploaded CSV beside the table:
    the first run afterwards turns that resource into the table's own (same id), loaded whole once."""
    frame = market_prices()
    admin = target["admin"]
    org = admin.action.organization_show(id=target["dataset"].agency.slug)
    package = admin.action.package_create(name=target["name"], owner_org=org["id"], private=True)
    old = admin.call_action(
        "resource_create",
        {"package_id": package["id"], "name": "harga-pasar.csv", "format": "CSV"},
        files={"upload": ("harga-pasar.csv", b"tanggal,harga\n2026-10-01,1\n")},
    )
    for _ in range(600):  # as such datasets are: the portal's loader (a queue, slow on a busy machine) has copied
        # the upload into a table
        if admin.action.resource_show(id=old["id"]).get("datastore_active"):
            break
        time.sleep(0.5)
    assert admin.action.datastore_info(id=old["id"])["meta"]["count"] == 1
    merge(target, frame, "b1")
    result = publish_warehouse(target)
    assert result.load_path == "whole"
    after = admin.action.package_show(id=target["name"])
    resource = csv_resource(after)
    assert resource["id"] == old["id"] and resource["url_type"] == "datastore"
    assert "/satudata/unduh/" in resource["url"]
    pd.testing.assert_frame_equal(dump(resource), table(target, resource["id"]).astype(str))
    assert publish_warehouse(target).writes == []
