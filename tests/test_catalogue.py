"""The catalogues of the three demo regencies and their demo sources: every catalogue and schema loads, every
source kind is used, and every demo dataset, pulled through its real connector (file drops from disk, URL and
API from the demo agency server on 127.0.0.1, the 112 apps' SQLite databases, the province registers on the
local CKAN portal), parses and passes its standard's checks with region codes inside its own regency."""

import re
import sqlite3
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from pipelines import settings, sources
from pipelines.catalogue import INDICATOR_STANDARD, Source, load_regencies
from pipelines.parsing import parse_files
from pipelines.raw import RawArchive
from pipelines.sources.delivery import SourceError
from pipelines.standard import load_standard
from pipelines.standard.reference import CODE_LIST_LEVEL, codes_within, regency_master_lists
from pipelines.validation import validate
from pipelines.validation.privacy import district_codes, scan

sys.path.insert(0, str(settings.PROJECT_ROOT / "demo"))
import agency_data  # noqa: E402
import agency_server  # noqa: E402
import prepare  # noqa: E402

TOKENS = {"GOPPU_API_TOKEN": "test-goppu-token", "LUTRA_EWS_API_KEY": "test-ews-key"}
REGENCIES = {r.slug: r for r in load_regencies()}
# The indicators' demo sheets are checked in tests/test_indicators.py (a handful of rows each).
# A dataset pulled from a CKAN register needs the local portal: marked so `make test-fast` leaves it out.
DATASETS = [
    pytest.param(
        r.slug, d.name, id=f"{r.slug}/{d.name}", marks=[pytest.mark.servers] if d.source.kind == "ckan" else []
    )
    for r in REGENCIES.values()
    for d in r.datasets
    if not d.indicator
]
# At least this many rows per demo dataset: realistic in size, not a handful.
MIN_ROWS = 300


def _dataset(slug: str, name: str):
    regency = REGENCIES[slug]
    return regency, next(d for d in regency.datasets if d.name == name)


def test_every_catalogue_loads_with_the_three_regencies():
    assert {r.code: r.slug for r in REGENCIES.values()} == {"64.09": "ppu", "64.01": "paser", "73.22": "lutra"}
    for regency in REGENCIES.values():
        assert re.fullmatch(r"[a-z0-9_]+", regency.slug)  # Dagster group and job names
        assert len({d.name for d in regency.datasets}) == len(regency.datasets)
    agencies = [a.slug for r in REGENCIES.values() for a in r.agencies]
    assert len(agencies) == len(set(agencies)), "agency slugs are CKAN organisations: unique across regencies"


def test_every_schema_loads_and_the_seven_seed_datasets_have_one():
    refs = sorted(f"{p.parent.name}/{p.stem}" for p in settings.schemas_dir().glob("*/*.yaml"))
    standards = [load_standard(ref) for ref in refs]
    names = {s.name for s in standards}
    assert {
        "harga-pasar",
        "bank-sampah",
        "panggilan-112",
        "kunjungan-wisata",
        "wifi-publik",
        "layanan-publik",
        "tinggi-muka-air",
    } <= names
    for standard in standards:
        assert standard.name == INDICATOR_STANDARD or any(  # an indicator's period is text: 2024, TW1 2025
            f.type in ("date", "datetime") and f.name in standard.primary_key for f in standard.fields
        ), f"{standard.ref}: the primary key has a period field"
        assert any(f.code_list for f in standard.fields), f"{standard.ref}: has a Kemendagri region code field"
        assert standard.metadata["pilar"] in {"governance", "society", "branding", "environment", "economy", "living"}
        assert "kode_kabupaten" not in standard.field_names  # the warehouse adds the regency itself


def test_catalogue_entries_name_loadable_schemas_and_real_fields():
    for regency in REGENCIES.values():
        for dataset in regency.datasets:
            standard = load_standard(dataset.schema)
            unknown = set(dataset.columns.values()) - set(standard.field_names)
            assert not unknown, f"{regency.slug}/{dataset.name}: columns map to unknown fields {unknown}"
            assert dataset.source.kind in sources.KINDS


def test_every_source_kind_is_used():
    used = {d.source.kind for r in REGENCIES.values() for d in r.datasets}
    assert used == set(sources.KINDS)


def test_112_standard_holds_aggregates_only():
    standard = load_standard("panggilan-112/1.0.0")
    assert set(standard.field_names) == {"bulan", "kode_kecamatan", "kategori", "jumlah_panggilan", "disamarkan"}
    [count] = [f for f in standard.fields if f.name == "jumlah_panggilan"]
    assert count.minimum == 5 and not count.required  # small counts are suppressed (empty), never shown


# --- the demo sources, pulled through the real connectors -----------------------------------------------


@pytest.fixture(scope="module")
def agency_server_url():
    server = agency_server.serve(0, tokens=TOKENS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def demo_databases(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    prepare.ensure_databases(folder)
    return folder


@pytest.fixture(scope="module")
def tourism_registers(portal_env):
    return prepare.ensure_registers(portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"])


@pytest.fixture
def demo_env(monkeypatch, demo_databases):
    for name, value in TOKENS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SATUDATA_DEMO_CC112_PPU_URL", f"sqlite:///{demo_databases / 'cc112-ppu.sqlite'}")
    monkeypatch.setenv("SATUDATA_DEMO_CC112_LUTRA_URL", f"sqlite:///{demo_databases / 'cc112-lutra.sqlite'}")


def _local(source: Source, server: str, portal: str | None) -> Source:
    """The catalogue's source, pointed at this test's agency server (and the portal the tests use)."""
    options = dict(source.options)
    if source.kind in ("url", "api"):
        options["url"] = re.sub(r"^http://127\.0\.0\.1:\d+", server, options["url"])
        options["min_interval"] = 0
    if source.kind == "ckan" and portal:
        options["url"] = portal
    return replace(source, options=options)


def _pull(request, slug: str, name: str, tmp_path: Path):
    regency, dataset = _dataset(slug, name)
    server = request.getfixturevalue("agency_server_url") if dataset.source.kind in ("url", "api") else ""
    portal = None
    if dataset.source.kind == "ckan":
        request.getfixturevalue("tourism_registers")
        portal_env = request.getfixturevalue("portal_env")
        portal = portal_env["CKAN_URL"]
        # The register is private (demo/prepare.py): read with the administrator's token in the regency's variable.
        request.getfixturevalue("monkeypatch").setenv(dataset.source.options["token_env"], portal_env["CKAN_API_TOKEN"])
    source = _local(dataset.source, server, portal)
    archive = RawArchive(tmp_path / "raw")
    files = [archive.store(slug, name, d.name, d.data, d.origin) for d in sources.pull(source, tmp_path / "memo")]
    return regency, dataset, source, files


@pytest.mark.parametrize("slug,name", DATASETS)
def test_demo_dataset_parses_and_meets_its_standard(request, demo_env, regions, tmp_path, slug, name):
    regency, dataset, source, files = _pull(request, slug, name, tmp_path)
    assert files, f"{slug}/{name}: the demo source delivered nothing"
    standard = load_standard(dataset.schema)
    batch = parse_files(files, standard, dataset.columns, dataset.source.options)
    assert not batch.issues, [str(i) for i in batch.issues[:10]]
    assert len(batch.frame) >= MIN_ROWS
    code_lists = {f.code_list: codes_within(regions, f.code_list, regency.code) for f in standard.fields if f.code_list}
    # with the regency's Data Induk and the reported period its file names (or the catalogue) state
    references = regency_master_lists(
        [standard.ref], regency.slug, regency.code, regions, settings.catalogue_dir() / "data-induk"
    )
    outcome = validate(batch.frame, standard, code_lists, references=references, period=dataset.period)
    assert outcome.success, [str(i) for i in outcome.issues[:10]]
    assert not scan(batch.frame, standard, district_codes(regions))

    # Every region code in the data exists in the Kemendagri table at its level and lies inside the regency.
    for field in standard.fields:
        if not field.code_list:
            continue
        level = regions[regions["level"] == CODE_LIST_LEVEL[field.code_list]]
        values = set(batch.frame[field.name].dropna())
        assert values <= set(level["code"]), values - set(level["code"])
        assert all(v.startswith(regency.code + ".") for v in values)

    # Once that delivery is merged and published, an unchanged source brings nothing new: no delivery (URL 304,
    # database cursor) or the same files (drop folder, API pages, CKAN table), recognised as such.
    memo = tmp_path / "memo"
    assert not sources.unchanged(memo, [(f.name, f.sha256) for f in files])
    sources.settle(memo)
    again = [
        RawArchive(tmp_path / "again").store(slug, name, d.name, d.data, d.origin) for d in sources.pull(source, memo)
    ]
    assert not again or sources.unchanged(memo, [(f.name, f.sha256) for f in again])
    if source.kind in ("url", "database"):
        assert again == []


def test_demo_112_databases_keep_caller_data_inside(demo_databases, regions):
    """The app's tables carry names and phone numbers; the catalogue's query reads aggregates only."""
    for regency_slug, file in (("ppu", "cc112-ppu.sqlite"), ("lutra", "cc112-lutra.sqlite")):
        regency, dataset = _dataset(regency_slug, "panggilan-112")
        with sqlite3.connect(demo_databases / file) as db:
            columns = [row[1] for row in db.execute("PRAGMA table_info(panggilan)")]
            assert {"nama_pelapor", "no_telepon", "lat", "lng"} <= set(columns)
            calls = db.execute("SELECT count(*) FROM panggilan").fetchone()[0]
            assert calls >= 10000
            codes = {row[0] for row in db.execute("SELECT kode_kemendagri FROM ref_kecamatan")}
        districts = set(regions.loc[regions["level"] == "kecamatan", "code"])
        assert codes <= districts and all(c.startswith(regency.code + ".") for c in codes)
        for personal in ("nama_pelapor", "no_telepon", "alamat_kejadian", "lat", "lng"):
            assert personal not in dataset.source.options["query"]


def test_demo_file_drops_hold_only_codes_of_their_regency(regions):
    """Every dotted Kemendagri-shaped code in the committed drop files is a real code of the folder's regency."""
    known = set(regions["code"])
    pattern = re.compile(rb"(?<![\d.])\d{2}\.\d{2}\.\d{2}(?:\.\d{4})?(?![\d.])")
    for regency in REGENCIES.values():
        for dataset in regency.datasets:
            if dataset.source.kind != "file_drop":
                continue
            for path in sources.file_drop.deliverable_files(dataset.source.options):
                if path.suffix == ".xlsx":
                    continue  # read through the parser in the test above
                found = {m.decode() for m in pattern.findall(path.read_bytes())}
                assert found, path
                assert found <= known, (path, found - known)
                assert all(c.startswith(regency.code + ".") for c in found), path


def test_demo_apis_refuse_requests_without_their_token(agency_server_url, monkeypatch, tmp_path):
    for slug, name in (("ppu", "layanan-publik"), ("lutra", "tinggi-muka-air")):
        _, dataset = _dataset(slug, name)
        source = _local(dataset.source, agency_server_url, None)
        monkeypatch.setenv(source.options["token_env"], "wrong-token")
        with pytest.raises(SourceError):
            list(sources.pull(replace(source, options={**source.options, "retries": 0}), tmp_path / name))


def test_demo_server_fails_on_request_and_recovers(tmp_path):
    """`--fail` makes one agency answer 500: its pull fails, the others still deliver."""
    server = agency_server.serve(0, fail=("/goppu",), tokens=TOKENS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        _, broken = _dataset("ppu", "layanan-publik")
        _, fine = _dataset("ppu", "wifi-publik")
        with pytest.raises(SourceError):
            list(
                sources.pull(
                    replace(
                        _local(broken.source, base, None),
                        options={**_local(broken.source, base, None).options, "retries": 0},
                    ),
                    tmp_path / "broken",
                )
            )
        assert list(sources.pull(_local(fine.source, base, None), tmp_path / "fine"))
    finally:
        server.shutdown()
        server.server_close()


def test_demo_data_is_deterministic():
    assert agency_data.river_rows() == agency_data.river_rows()
    assert agency_data.service_rows(agency_data.PPU, 1) == agency_data.service_rows(agency_data.PPU, 1)
    assert agency_data.wifi_csv(agency_data.wifi_rows(agency_data.PPU, 5, 2)) == agency_data.wifi_csv(
        agency_data.wifi_rows(agency_data.PPU, 5, 2)
    )
