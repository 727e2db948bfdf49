"""Kode Referensi as assets: the Kemendagri region table everything else checks against."""

import hashlib
import json
from pathlib import Path

import dagster as dg
import pandas as pd

from assets.keys import key
from assets.resources import StateResource, WarehouseResource
from pipelines import warehouse
from pipelines.catalogue import load_catalogue, load_reference_config
from pipelines.settings import catalogue_dir
from pipelines.standard import all_standards, code_lists, reference

REGIONS_KEY = key("reference", "kemendagri_regions")
EDITION_CHANGES_KEY = key("reference", "kemendagri_edition_changes")
DIMENSIONS_KEY = key("warehouse", "dimensions")
DATA_INDUK_KEY = key("reference", "data_induk")
# The reference steps whose output follows from files alone: the catalogue folder (reference.yaml pins the
# Kemendagri package by its integrity hash; the Data Induk lists; the regencies) and the code reading them. A
# regency's run reads their stored output unless those files changed (automation.reference_steps).
FROM_FILES = (REGIONS_KEY, EDITION_CHANGES_KEY, DATA_INDUK_KEY)


def made_from() -> str:
    """A signature of the files the FROM_FILES assets are made from (names, sizes, modification times)."""
    files = sorted(p for p in catalogue_dir().rglob("*") if p.is_file()) + [Path(__file__), Path(reference.__file__)]
    listing = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    return hashlib.sha256(json.dumps(listing).encode()).hexdigest()[:16]


@dg.asset(
    key=REGIONS_KEY,
    group_name="reference",
    description="Kode wilayah Kemendagri (provinsi, kabupaten, kecamatan, desa), edisi 2025.",
)
def kemendagri_regions(context: dg.AssetExecutionContext, state: StateResource) -> pd.DataFrame:
    table = reference.load_regions(load_reference_config(), state.reference_cache)
    counts = table["level"].value_counts().to_dict()
    context.add_output_metadata(
        {
            "made_from": made_from(),
            "edition": table.attrs["edition"],
            "rows": len(table),
            **{f"count_{level}": int(n) for level, n in counts.items()},
        }
    )
    return table


@dg.asset(
    key=EDITION_CHANGES_KEY,
    group_name="reference",
    ins={"regions": dg.AssetIn(key=REGIONS_KEY)},
    description="Kode wilayah yang dihapus atau berganti nama sejak edisi sebelumnya / region codes retired "
    "or renamed since the previous edition.",
)
def kemendagri_edition_changes(
    context: dg.AssetExecutionContext, regions: pd.DataFrame, state: StateResource
) -> pd.DataFrame:
    previous = reference.load_regions(load_reference_config(), state.reference_cache, "kemendagri_regions_previous")
    changes = reference.edition_changes(previous, regions)
    context.add_output_metadata(
        {f"{change} ({level})": int(n) for (change, level), n in changes.groupby(["change", "level"]).size().items()}
        | {"made_from": made_from()}
    )
    return changes


@dg.asset(
    key=DIMENSIONS_KEY,
    group_name="reference",
    ins={"regions": dg.AssetIn(key=REGIONS_KEY)},
    kinds={"sql"},
    description="Dimensi bersama gudang data: wilayah, waktu, OPD / conformed dimensions of the warehouse.",
)
def conformed_dimensions(regions: pd.DataFrame, warehouse_db: WarehouseResource) -> dg.MaterializeResult:
    regions.attrs["edition"] = load_reference_config()["kemendagri_regions"]["edition"]
    agencies = [(a.slug, a.name, r.code) for r in load_catalogue().regencies for a in r.agencies]
    counts = warehouse.load_dimensions(warehouse_db.engine(), regions, agencies)
    return dg.MaterializeResult(metadata={f"rows_{name}": n for name, n in counts.items()})


@dg.asset(
    key=key("reference", "daftar_kode"),
    group_name="reference",
    description="Data Induk: daftar kode setiap standar (komoditas, jenis sampah, kategori 112, satuan, ...) "
    "dan OPD per kabupaten / the code lists of every standard and the agencies per regency.",
)
def standard_code_lists(context: dg.AssetExecutionContext) -> pd.DataFrame:
    agencies = pd.DataFrame(
        [
            {"standard": "katalog", "field": "opd", "title": f"OPD {r.name}", "code": a.slug}
            for r in load_catalogue().regencies
            for a in r.agencies
        ]
    )
    table = pd.concat([code_lists(all_standards()), agencies], ignore_index=True)
    context.add_output_metadata(
        {
            "rows": len(table),
            "lists": dg.MetadataValue.json(
                table.groupby(["standard", "field"]).size().rename("codes").reset_index().to_dict("records")
            ),
        }
    )
    return table


@dg.asset(
    key=DATA_INDUK_KEY,
    group_name="reference",
    ins={"regions": dg.AssetIn(key=REGIONS_KEY)},
    description="Data Induk per kabupaten (catalogue/data-induk/): daftar pasar, ...; setiap kecamatan harus ada "
    "di wilayah Kemendagri kabupaten itu / master lists per regency, checked against the regions.",
)
def data_induk(context: dg.AssetExecutionContext, regions: pd.DataFrame) -> dict[str, dict[str, pd.DataFrame]]:
    """regency slug -> master list name -> table; a list that is wrong fails this materialization."""
    lists = {
        r.slug: reference.regency_master_lists(
            [d.schema for d in r.datasets], r.slug, r.code, regions, catalogue_dir() / "data-induk"
        )
        for r in load_catalogue().regencies
    }
    context.add_output_metadata(
        {f"{slug}/{name}": len(table) for slug, found in lists.items() for name, table in found.items()}
        | {"made_from": made_from()}
    )
    return lists


REFERENCE_ASSETS = [
    kemendagri_regions,
    kemendagri_edition_changes,
    conformed_dimensions,
    standard_code_lists,
    data_induk,
]
