"""A province target for real: two regencies of Kalimantan Timur (PPU 64.09 and Paser 64.01) deliver market
prices, the whole Dagster job runs (checks, DuckDB warehouse, regency portal), and the province's asset
publishes one integrated dataset holding both regencies' rows, owned by the province's organisation. In this
test the province's portal is the same local CKAN (its own organisation), as in the demo."""

import shutil
import uuid

import ckanapi
import dagster as dg
import pandas as pd
import pytest
import yaml

from pipelines.settings import PROJECT_ROOT as ROOT
from pipelines.standard import load_standard
from tests.helpers import market_price_catalogue, purge, run_main_job

STANDARD = load_standard("harga-pasar/1.0.0")
PASER_PRICES = (
    "Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan;Harga (Rp)\n"
    "01/10/2026;64.01.04;PSR-TGT-01;Pasar Induk Penyembolum;Beras Premium;kg;Rp 15.100\n"
    "01/10/2026;64.01.04;PSR-TGT-01;Pasar Induk Penyembolum;Beras Medium;kg;Rp 13.300\n"
    "02/10/2026;64.01.01;PSR-BSP-01;Pasar Batu Sopang;Beras Premium;kg;Rp 15.250\n"
)
PASER_FIRST_PRICE, PASER_CORRECTED = "Rp 15.100", "Rp 15.150"


@pytest.fixture
def province(tmp_path, monkeypatch, isolated_state, services_state, portal_env):
    tag = uuid.uuid4().hex[:6]
    ppu, paser, slug = f"a{tag}", f"b{tag}", f"kaltim{tag}"
    catalogue, _ = market_price_catalogue(tmp_path, ppu)
    # A second regency of the same province, its own agency and drop folder.
    doc = yaml.safe_load((catalogue / "ppu.yaml").read_text())
    drop = tmp_path / "drop-paser"
    drop.mkdir()
    (drop / "harga_pasar_2026-10.csv").write_text(PASER_PRICES, encoding="utf-8")
    [agency], [dataset] = doc["agencies"], doc["datasets"]
    agency.update(slug=f"disdag-{paser}", name="Dinas Perindustrian dan Perdagangan Kabupaten Paser")
    dataset.update(agency=agency["slug"], source={**dataset["source"], "path": str(drop)})
    doc.update(
        regency={**doc["regency"], "code": "64.01", "slug": paser, "name": "Kabupaten Paser"},
        walidata="Diskominfo Kabupaten Paser",
    )
    (catalogue / "paser.yaml").write_text(yaml.safe_dump(doc))
    shutil.copy(ROOT / "catalogue" / "data-induk" / "paser-pasar.csv", catalogue / "data-induk" / f"{paser}-pasar.csv")
    # The province target, as in catalogue/portals.yaml but with this test's own names.
    portals = yaml.safe_load((catalogue / "portals.yaml").read_text())
    kaltim = yaml.safe_load((ROOT / "catalogue" / "portals.yaml").read_text())["kaltim"]
    kaltim["province"]["organisation"]["slug"] = f"diskominfo-{slug}"
    kaltim["api_token_env"] = "CKAN_API_TOKEN"  # the administrator's, as the regencies here
    portals[slug] = kaltim
    (catalogue / "portals.yaml").write_text(yaml.safe_dump(portals))

    cached = services_state / "reference"
    if cached.exists():
        shutil.copytree(cached, isolated_state / "reference")
    monkeypatch.setenv("SATUDATA_CATALOGUE", str(catalogue))
    monkeypatch.setenv("SATUDATA_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    monkeypatch.setenv("CKAN_URL", portal_env["CKAN_URL"])
    monkeypatch.setenv("CKAN_API_TOKEN", portal_env["CKAN_API_TOKEN"])
    ckan = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    yield {"slug": slug, "ckan": ckan, "package": f"{slug}-harga-pasar", "regencies": (ppu, paser), "paser_drop": drop}
    actions = [("dataset_purge", f"{slug}-harga-pasar"), ("organization_purge", f"diskominfo-{slug}")]
    for regency in (ppu, paser):
        actions += [("dataset_purge", f"{regency}-harga-pasar"), ("organization_purge", f"disdag-{regency}")]
    purge(ckan, actions)


def materialized(result: dg.ExecuteInProcessResult, key: list[str]) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.path == key]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_province_dataset_holds_both_regencies_rows(province):
    ckan = province["ckan"]
    first = run_main_job()
    assert first.success, [f.event_specific_data.error.message for f in first.get_step_failure_events()]
    meta = materialized(first, ["harga_pasar", "provinsi"])
    assert meta["changed"] is True and meta["regencies"] == ["64.01", "64.09"]

    package = ckan.action.package_show(id=province["package"])
    assert package["organization"]["name"] == f"diskominfo-{province['slug']}"
    assert (package["kode_wilayah"], package["cakupan_wilayah"]) == ("64", "Provinsi Kalimantan Timur (64)")
    assert package["standar_data"] == "harga-pasar/1.0.0" and not package["private"]
    [resource] = [r for r in package["resources"] if r["name"] == "harga-pasar.csv"]
    rows = pd.DataFrame(ckan.action.datastore_search(resource_id=resource["id"], limit=10_000)["records"])

    # Every row of both regencies' own datasets, each under its regency's code and name.
    per_regency = {}
    for regency, code in zip(province["regencies"], ("64.09", "64.01")):
        [own] = [
            r
            for r in ckan.action.package_show(id=f"{regency}-harga-pasar")["resources"]
            if r["name"] == "harga-pasar.csv"
        ]
        per_regency[code] = pd.DataFrame(
            ckan.action.datastore_search(resource_id=own["id"], limit=10_000)["records"]
        ).drop(columns="_id")
    assert len(per_regency["64.01"]) == 3 and len(rows) == sum(len(f) for f in per_regency.values())
    assert dict(rows.groupby("kode_kabupaten")["nama_kabupaten"].first()) == {
        "64.01": "Kabupaten Paser",
        "64.09": "Kabupaten Penajam Paser Utara",
    }
    key = list(STANDARD.primary_key)
    for code, own in per_regency.items():
        mine = rows[rows["kode_kabupaten"] == code][own.columns].sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, own.sort_values(key).reset_index(drop=True))

    fields = {f["id"]: f["type"] for f in ckan.action.datastore_info(id=resource["id"])["fields"]}
    assert (fields["kode_kabupaten"], fields["kode_kecamatan"], fields["harga"]) == ("text", "text", "int8")

    # Nothing new from either regency: the province's step does not run at all.
    again = run_main_job()
    assert again.success
    assert not [e for e in again.get_asset_materialization_events() if e.asset_key.path[-1] == "provinsi"]

    # Paser corrects one price: the province's dataset receives that row alone, from Paser's change set.
    drop = province["paser_drop"] / "harga_pasar_2026-10.csv"
    drop.write_text(drop.read_text().replace(PASER_FIRST_PRICE, PASER_CORRECTED), encoding="utf-8")
    corrected = run_main_job()
    assert corrected.success
    meta = materialized(corrected, ["harga_pasar", "provinsi"])
    assert (meta["load_path"], meta["rows_sent"], meta["rows_deleted"]) == ("changes", 1, 0)
    rows = pd.DataFrame(ckan.action.datastore_search(resource_id=resource["id"], limit=10_000)["records"])
    assert len(rows) == sum(len(f) for f in per_regency.values())
    assert int(PASER_CORRECTED.removeprefix("Rp ").replace(".", "")) in set(rows["harga"].astype(int))
