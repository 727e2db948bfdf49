"""The catalogue files are read strictly: a mistyped or missing key, a wrong value or a clash is refused with the
file and the key path, and a broken regency file stops only its own regency."""

import shutil
from pathlib import Path

import pytest
import yaml

from pipelines import settings
from pipelines.catalogue import (
    CatalogueError,
    load_catalogue,
    load_pipeline_config,
    load_portals,
    load_regencies,
    load_regency,
)

PPU, PASER, LUTRA = "penajam-paser-utara.yaml", "paser.yaml", "luwu-utara.yaml"


@pytest.fixture
def folder(tmp_path) -> Path:
    """A copy of the project's catalogue files, for a test to break."""
    for path in settings.catalogue_dir().glob("*.yaml"):
        shutil.copy(path, tmp_path)
    return tmp_path


def _edit(path: Path, change) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def _load(folder: Path, file: str):
    if file == "portals.yaml":
        return load_portals(folder)
    if file == "pipeline.yaml":
        return load_pipeline_config(folder)
    return load_regency(folder / file)


def _problems(folder: Path, file: str) -> list[str]:
    with pytest.raises(CatalogueError) as raised:
        _load(folder, file)
    assert raised.value.file == file
    return str(raised.value).splitlines()


@pytest.mark.parametrize(
    "file, change, line",
    [
        (PPU, lambda d: d.update(schedul="0 6 * * *"), "schedul: kunci tidak dikenal / unknown key"),
        (
            PPU,
            lambda d: d["datasets"][0].update(grace_hour=6),
            "datasets[0].grace_hour: kunci tidak dikenal / unknown key",
        ),
        (
            PPU,
            lambda d: d["datasets"][1].update(retry={"max_retrys": 1}),
            "datasets[1].retry.max_retrys: kunci tidak dikenal / unknown key",
        ),
        (PASER, lambda d: d["regency"].update(zona="WITA"), "regency.zona: kunci tidak dikenal / unknown key"),
        (
            "portals.yaml",
            lambda d: d["local"].update(api_token="rahasia"),
            "local.api_token: kunci tidak dikenal / unknown key",
        ),
        (
            "portals.yaml",
            lambda d: d["kaltim"]["province"]["organisation"].update(email="x@kaltimprov.go.id"),
            "kaltim.province.organisation.email: kunci tidak dikenal / unknown key",
        ),
        ("pipeline.yaml", lambda d: d["retry"].update(jitter=True), "retry.jitter: kunci tidak dikenal / unknown key"),
    ],
    ids=["top-level", "dataset", "retry", "regency-block", "portal", "province-organisation", "pipeline"],
)
def test_an_unknown_key_is_refused_naming_file_and_key_path(folder, file, change, line):
    _edit(folder / file, change)
    assert _problems(folder, file) == [f"{file}: {line}"]


@pytest.mark.parametrize(
    "file, change, line",
    [
        (PASER, lambda d: d["regency"].pop("code"), "regency.code: wajib diisi / required"),
        (PASER, lambda d: d.pop("walidata"), "walidata: wajib diisi / required"),
        (LUTRA, lambda d: d["datasets"][2]["source"].pop("kind"), "datasets[2].source.kind: wajib diisi / required"),
        ("portals.yaml", lambda d: d["sulsel"].pop("api_token_env"), "sulsel.api_token_env: wajib diisi / required"),
        ("pipeline.yaml", lambda d: d["retry"].pop("backoff"), "retry.backoff: wajib diisi / required"),
    ],
)
def test_a_missing_required_key_is_named(folder, file, change, line):
    _edit(folder / file, change)
    assert _problems(folder, file) == [f"{file}: {line}"]


@pytest.mark.parametrize(
    "file, change, start",
    [
        (
            LUTRA,
            lambda d: d["regency"].update(timezone="Asia/Singapore"),
            "regency.timezone: nilai tidak sah / invalid value 'Asia/Singapore': Input should be 'Asia/Jakarta', "
            "'Asia/Makassar' or 'Asia/Jayapura'",
        ),
        (
            LUTRA,
            lambda d: d["regency"].update(slug="luwu-utara"),
            "regency.slug: nilai tidak sah / invalid value 'luwu-utara'",
        ),
        (
            LUTRA,
            lambda d: d["datasets"][0].update(retry={"backoff": "random"}),
            "datasets[0].retry.backoff: nilai tidak sah / invalid value 'random'",
        ),
        (
            LUTRA,
            lambda d: d["datasets"][1].update(name="tinggi-muka-air"),
            "datasets[1].name: dataset ganda / duplicate dataset 'tinggi-muka-air'",
        ),
        (
            LUTRA,
            lambda d: d["datasets"][1].update(agency="bpbd-luwu"),
            "datasets[1].agency: OPD tidak ada di `agencies` / agency 'bpbd-luwu' is not in `agencies`",
        ),
        (
            LUTRA,
            lambda d: d["datasets"][0].update(period="bulan lalu"),
            "datasets[0].period: periode 'bulan lalu' tidak dikenali / 'bulan lalu' is not a period",
        ),
        (
            "portals.yaml",
            lambda d: d["sulsel"]["province"].update(timezone="WITA"),
            "sulsel.province.timezone: nilai tidak sah / invalid value 'WITA'",
        ),
        (
            PASER,
            lambda d: d.update(api_token_env="paser token"),
            "api_token_env: harus nama variabel lingkungan (A-Z, 0-9, _), bukan tokennya",
        ),
    ],
)
def test_a_wrong_value_is_refused_with_the_reason(folder, file, change, start):
    _edit(folder / file, change)
    [line] = _problems(folder, file)
    assert line.startswith(f"{file}: {start}")


def test_a_token_pasted_in_place_of_its_variable_is_refused_without_showing_it(folder):
    token = "token-rahasia-paser"
    _edit(folder / PPU, lambda d: d.update(api_token_env=token))
    _edit(folder / "portals.yaml", lambda d: d["kaltim"].update(api_token_env=token))
    for file in (PPU, "portals.yaml"):
        [line] = _problems(folder, file)
        assert "never the token itself" in line and token not in line


def test_every_problem_of_a_file_comes_in_one_error_one_line_each(folder):
    def change(doc):
        doc["datasets"][0].update(grace_hours="enam", grace_hour=6)
        doc["datasets"][3]["retry"] = {"delay_seconds": -1}
        del doc["portal"]

    _edit(folder / PPU, change)
    assert _problems(folder, PPU) == [
        f"{PPU}: portal: wajib diisi / required",
        f"{PPU}: datasets[0].grace_hours: nilai tidak sah / invalid value 'enam': Input should be a valid number, "
        f"unable to parse string as a number",
        f"{PPU}: datasets[0].grace_hour: kunci tidak dikenal / unknown key",
        f"{PPU}: datasets[3].retry.delay_seconds: nilai tidak sah / invalid value -1: Input should be greater than "
        f"or equal to 0",
    ]


def test_a_broken_file_stops_only_its_own_regency(folder):
    _edit(folder / PASER, lambda d: d["datasets"][0].update(grace_hour=6))
    (folder / "kutai-barat.yaml").write_text("regency: [64.07,\n", encoding="utf-8")  # not even YAML
    catalogue = load_catalogue(folder)
    assert [r.slug for r in catalogue.regencies] == ["lutra", "ppu"]
    broken_yaml, typo = catalogue.errors
    assert broken_yaml.file == "kutai-barat.yaml"  # the parser's own words follow the line
    assert str(broken_yaml).startswith("kutai-barat.yaml: baris / line 2: YAML tidak sah / invalid YAML: ")
    assert (typo.file, str(typo)) == (PASER, f"{PASER}: datasets[0].grace_hour: kunci tidak dikenal / unknown key")
    with pytest.raises(CatalogueError, match="kutai-barat.yaml"):  # the strict loader stops at the first
        load_regencies(folder)


def test_a_later_file_with_the_same_regency_slug_or_code_is_refused(folder):
    shutil.copy(folder / LUTRA, folder / "salinan-luwu-utara.yaml")  # files load in name order
    _edit(folder / PPU, lambda d: d["regency"].update(code="64.01"))  # Paser's code
    catalogue = load_catalogue(folder)
    assert [r.slug for r in catalogue.regencies] == ["lutra", "paser"]
    assert [str(e) for e in catalogue.errors] == [
        f"{PPU}: regency.code: code '64.01' sudah dipakai oleh {PASER} / already used by {PASER}",
        "salinan-luwu-utara.yaml: regency.slug: slug 'lutra' sudah dipakai oleh luwu-utara.yaml / "
        "already used by luwu-utara.yaml\n"
        "salinan-luwu-utara.yaml: regency.code: code '73.22' sudah dipakai oleh luwu-utara.yaml / "
        "already used by luwu-utara.yaml",
    ]


def test_the_project_catalogue_loads_whole_with_its_defaults():
    catalogue = load_catalogue()
    assert not catalogue.errors and catalogue.regencies == load_regencies()
    [ppu] = [r for r in catalogue.regencies if r.slug == "ppu"]
    market = ppu.datasets[0]
    assert (ppu.timezone, market.grace_hours, market.needs_approval, market.period) == ("Asia/Makassar", 6, False, None)
    assert market.retry == {"max_retries": 3, "delay_seconds": 10, "backoff": "exponential"}
    assert market.source.options["path"] == str(settings.PROJECT_ROOT / "demo" / "drops" / "ppu" / "disdag")
    portals = load_portals()
    assert portals["kaltim"].province.timezone == "Asia/Makassar" and portals["local"].province is None


def test_a_dataset_retry_overrides_only_what_it_names_and_the_timezone_defaults_to_wib(folder, monkeypatch):
    def change(doc):
        doc["regency"].pop("timezone")
        doc["datasets"][0]["retry"] = {"max_retries": 1, "delay_seconds": 0}

    _edit(folder / PASER, change)
    regency = load_regency(folder / PASER)
    assert regency.timezone == "Asia/Jakarta"
    assert regency.datasets[0].retry == {"max_retries": 1, "delay_seconds": 0, "backoff": "exponential"}
    monkeypatch.setenv("CKAN_URL", "http://ckan.example:5000/")
    assert load_portals(folder)["local"].url == "http://ckan.example:5000"
