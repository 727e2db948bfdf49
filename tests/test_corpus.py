"""Agency files as they really come (tests/corpus/): each goes through `satudata validate` and through the
pipeline's own steps (raw archive, parse, the standard's check, the personal-data scan, as
assets/datasets.py chains them), and both must give what tests/corpus/manifest.yaml says."""

import re
from pathlib import Path

import pytest
import yaml

from pipelines import cli
from pipelines.catalogue import load_regencies
from pipelines.findings import ERRORS, SKIPS
from pipelines.parsing import parse_file
from pipelines.raw import RawArchive
from pipelines.settings import catalogue_dir
from pipelines.standard import load_standard
from pipelines.standard.reference import regency_master_lists, region_codes_for
from pipelines.validation.check import check_batch
from pipelines.validation.privacy import district_codes
from tests.corpus.agency_files import FILES, write_all

SCHEMA = "harga-pasar/1.0.0"
MANIFEST = yaml.safe_load((Path(__file__).parent / "corpus" / "manifest.yaml").read_text(encoding="utf-8"))
EXPECTED = {entry["file"]: entry for entry in MANIFEST}
REASONS = {entry.message: code for code, entry in SKIPS.items()}


def skipped_rows(printed: str) -> list[list]:
    """The skipped rows `satudata validate` lists (findings.Skipped as printed), as the manifest writes them."""
    found = re.findall(r"baris/row (\d+)(?:-(\d+))?: dilewati, .* / skipped, (.*)$", printed, re.MULTILINE)
    return [[int(first), int(last or first), REASONS[reason]] for first, last, reason in found]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return write_all(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def pipeline(regions):
    """The standard check as the pipeline runs it for Penajam Paser Utara (assets/datasets.py `meets_standard`:
    `check_batch`, without the retired-code explanations, which no file of the corpus needs)."""
    regency = next(r for r in load_regencies() if r.slug == "ppu")
    dataset = next(d for d in regency.datasets if d.schema == SCHEMA)
    standard = load_standard(SCHEMA)
    code_lists = region_codes_for(standard, regions, regency.code)
    master = regency_master_lists([SCHEMA], regency.slug, regency.code, regions, catalogue_dir() / "data-induk")
    districts = district_codes(regions)

    def check(path: Path, folder: Path):
        raw = RawArchive(folder / "raw").store(regency.slug, dataset.name, path.name, path.read_bytes(), "test")
        batch = parse_file(raw, standard, dataset.columns, dataset.source.options, folder=folder / "staged")
        checked = check_batch(
            batch, standard, code_lists, districts, references=master, period=dataset.period, explain=lambda i: i
        )
        return batch, checked.issues

    return check


def test_the_manifest_covers_every_file_and_every_code():
    assert sorted(EXPECTED) == sorted(FILES) and len(FILES) >= 60
    named = {code for entry in MANIFEST for code in entry.get("codes", [])}
    skipped = {reason for entry in MANIFEST for *_, reason in entry.get("skipped", [])}
    # every finding the catalogue names is fed by a file, except a sheet that is not there (the catalogue's
    # `sheet:` option, which the self-check has no flag for: tests/test_parsing.py feeds it) and an indicator
    # sheet's unknown district (the corpus is market prices: tests/test_indicators.py feeds it)
    assert set(ERRORS) - named == {"sheet-not-found", "unknown-district"}
    assert skipped == set(SKIPS)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_validate_and_the_pipeline_agree_with_the_manifest(name, corpus, pipeline, tmp_path, capsys):
    expected = EXPECTED[name]
    accepted = expected["outcome"] == "accepted"
    codes = set(expected.get("codes", []))

    status = cli.main(["validate", str(corpus[name]), "--schema", SCHEMA, "--regency", "ppu"])
    printed = capsys.readouterr().out
    assert status == (0 if accepted else 1), printed
    assert printed.startswith("DITERIMA" if accepted else "DITOLAK"), printed
    assert set(re.findall(r"^- .* \[([a-z-]+)\]$", printed, re.MULTILINE)) == codes, printed
    assert skipped_rows(printed) == expected.get("skipped", []), printed

    batch, issues = pipeline(corpus[name], tmp_path)
    assert {i.code for i in issues} == codes, [str(i) for i in issues]
    assert all(i.file == name and i.pesan and i.message for i in issues)
    assert [[s.row, s.last_row, s.code] for s in batch.skipped] == expected.get("skipped", [])
