"""The ckan connector against the local CKAN portal: a small organisation, a private dataset with an uploaded
CSV and a DataStore table, created here and purged afterwards."""

import json
import uuid
from pathlib import Path

import ckanapi
import pytest

from pipelines.catalogue import Source
from pipelines.raw import RawArchive
from pipelines.sources import Delivery, SourceError, pull, settle

CSV = "Tanggal,Komoditas,Harga (Rp)\n22/10/2026,Beras,15500\n".encode()
RECORDS = [{"tanggal": "2026-10-22", "komoditas": "Beras – Premium", "harga": 15500 + i} for i in range(7)]


@pytest.fixture
def province(portal_env, tmp_path, monkeypatch):
    """An organisation and a private dataset on the local portal with a file resource and a DataStore table."""
    monkeypatch.setenv("PROVINSI_TOKEN", portal_env["CKAN_API_TOKEN"])
    portal = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    suffix = uuid.uuid4().hex[:8]
    org = portal.action.organization_create(name=f"uji-provinsi-{suffix}", title="Uji Provinsi")
    try:
        package = portal.action.package_create(
            name=f"uji-harga-{suffix}", title="Uji Harga", owner_org=org["id"], private=True
        )
        upload = tmp_path / "harga-provinsi.csv"
        upload.write_bytes(CSV)
        with upload.open("rb") as handle:
            file_resource = portal.call_action(
                "resource_create", {"package_id": package["id"], "name": "Berkas"}, files={"upload": handle}
            )
        table = portal.action.datastore_create(
            resource={"package_id": package["id"], "name": "Tabel Harga"},
            force=True,
            fields=[
                {"id": "tanggal", "type": "date"},
                {"id": "komoditas", "type": "text"},
                {"id": "harga", "type": "int"},
            ],
            records=RECORDS,
        )
        yield {
            "url": portal_env["CKAN_URL"],
            "dataset": package["name"],
            "file": file_resource["id"],
            "table": table["resource_id"],
        }
    finally:
        for dataset in portal.action.package_search(fq=f"owner_org:{org['id']}", include_private=True)["results"]:
            portal.action.dataset_purge(id=dataset["id"])
        portal.action.organization_purge(id=org["id"])


def _pull(options: dict, tmp_path) -> list[Delivery]:
    """Each delivery archived as it comes, as the raw step does, returned with the bytes the archive kept."""
    archive, memo = RawArchive(tmp_path / "raw"), tmp_path / "memo"
    kept = [
        archive.store("ppu", "kunjungan-wisata", d.name, d.data, d.origin)
        for d in pull(Source("ckan", {"token_env": "PROVINSI_TOKEN", "timeout": 30, **options}), memo)
    ]
    settle(memo)  # merged and published: the source's position advances
    return [Delivery(f.name, Path(f.path).read_bytes(), f.source) for f in kept]


def test_datastore_table_by_resource_id_in_pages(province, tmp_path):
    [delivery] = _pull(
        {"url": province["url"], "resource_id": province["table"], "datastore": True, "page_size": 3}, tmp_path
    )
    document = json.loads(delivery.data)
    assert delivery.name == "Tabel-Harga.json" and province["table"] in delivery.origin
    assert [f["id"] for f in document["fields"]] == ["tanggal", "komoditas", "harga"]
    assert [(r["komoditas"], r["harga"]) for r in document["records"]] == [
        (r["komoditas"], r["harga"]) for r in RECORDS
    ]


def test_file_resource_by_dataset_and_name(province, tmp_path):
    [delivery] = _pull({"url": province["url"], "dataset": province["dataset"], "resource_name": "berkas"}, tmp_path)
    assert (delivery.name, delivery.data) == ("harga-provinsi.csv", CSV)


def test_private_data_needs_the_token_and_unknown_names_are_reported(province, tmp_path, monkeypatch):
    with pytest.raises(SourceError, match="Tabel Harga"):
        _pull({"url": province["url"], "dataset": province["dataset"], "resource_name": "Tidak Ada"}, tmp_path)
    monkeypatch.delenv("PROVINSI_TOKEN")
    with pytest.raises(SourceError, match="not (found|authorised)"):
        _pull({"url": province["url"], "resource_id": province["table"], "datastore": True}, tmp_path)


@pytest.mark.parametrize("datastore", [True, False], ids=["DataStore table", "file"])
def test_a_table_or_file_over_the_cap_is_refused_and_nothing_is_archived(province, tmp_path, datastore):
    options = {
        "url": province["url"],
        "resource_id": province["table" if datastore else "file"],
        "datastore": datastore,
        "page_size": 3,
        "max_bytes": 40,
    }
    with pytest.raises(SourceError, match="over this source's limit of 40 bytes") as refused:
        _pull(options, tmp_path)
    assert refused.value.permanent
    assert not any(p.is_file() for p in (tmp_path / "raw").rglob("*"))
