"""The source catalogue: regencies, their agencies (OPD), datasets and sources, read from YAML files.

Each file is checked by a strict pydantic model, so a mistyped key is refused instead of silently ignored; the
models only validate, and the rest of the code reads the frozen dataclasses they build."""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError

from pipelines.settings import PROJECT_ROOT, catalogue_dir
from pipelines.standard import Frequency
from pipelines.standard.period import Period, period_of

SHARED_FILES = {"portals.yaml", "reference.yaml", "alerts.yaml", "pipeline.yaml"}
# The generic indicator standard: every dataset of it is its own indicator (its `indikator:` block), so a
# regency delivers it many times (pipelines/indicators.py).
INDICATOR_STANDARD = "indikator"


class CatalogueError(ValueError):
    """A catalogue file that cannot be used: one line per problem, `file: key.path: reason`."""

    def __init__(self, message: str, file: str = ""):
        super().__init__(message)
        self.file = file


@dataclass(frozen=True)
class Agency:
    slug: str
    name: str
    description: str = ""
    contact: str = ""
    logo: str = ""  # the address of its logo image, shown on its organisation page


@dataclass(frozen=True)
class Source:
    kind: str
    options: dict

    @property
    def complete(self) -> bool:
        """Whether each delivery holds every row of the periods it carries (a file, a full read of a table or
        an API), so a row missing from it is gone; a database read by cursor brings only what is new."""
        return not (self.kind == "database" and self.options.get("cursor_column"))


@dataclass(frozen=True)
class Dataset:
    name: str
    schema: str
    agency: Agency
    source: Source
    columns: dict[str, str] = field(default_factory=dict)
    schedule: str | None = None  # cron; default from the standard's frequency
    grace_hours: float = 6  # how long after the expected delivery an agency counts as late
    needs_approval: bool = False  # first publication of each standard version waits for a walidata
    period: Period | None = None  # reported period of files whose names state none (e.g. `2025`, `TW1 2025`)
    retry: dict = field(default_factory=dict)  # Dagster step retries: pipeline.yaml defaults, per dataset override
    indicator: dict | None = None  # `indikator:` of a dataset of the generic indicator standard


@dataclass(frozen=True)
class Regency:
    code: str
    slug: str
    name: str
    walidata: str
    portal: str
    timezone: str
    agencies: tuple[Agency, ...]
    datasets: tuple[Dataset, ...]
    walidata_contact: str = ""
    api_token_env: str = ""  # the variable holding the regency's own publishing token; "" = its portal's


@dataclass(frozen=True)
class Province:
    """A province publication target: it receives the integrated marts of its regencies as its own datasets."""

    code: str  # Kemendagri province code, e.g. "64"; its regencies are those whose code starts "64."
    slug: str
    name: str
    walidata: str
    organisation: Agency  # the CKAN organisation that owns the province's datasets
    timezone: str = "Asia/Jakarta"


@dataclass(frozen=True)
class PortalConfig:
    name: str
    url: str  # from the file, unless the variable named by `url_env` is set
    api_token_env: str
    province: Province | None = None  # a regency portal when None
    site: dict | None = None  # its public face on the portal (`site:`; see `portal_site`)


@dataclass(frozen=True)
class Catalogue:
    """Every regency file that loads, and one error per file that does not."""

    regencies: list[Regency]
    errors: list[CatalogueError]


# --- the validation layer: one strict model per file ------------------------------------------------------

Timezone = Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]  # WIB, WITA, WIT
Backoff = Literal["exponential", "linear"]


def _env_name(value: Any) -> str:
    # Never echoed: what stands here by mistake may be the token itself.
    if not (isinstance(value, str) and re.fullmatch(r"[A-Z_][A-Z0-9_]*", value)):
        raise ValueError(
            "harus nama variabel lingkungan (A-Z, 0-9, _), bukan tokennya / must be the name of an "
            "environment variable (A-Z, 0-9, _), never the token itself"
        )
    return value


EnvName = Annotated[str, BeforeValidator(_env_name)]


def _period(value: Any) -> Period:
    found = period_of(str(value))
    if found is None:
        raise ValueError(
            f"periode {value!r} tidak dikenali / {value!r} is not a period (e.g. 2026, 2026-10, TW1 2025, Oktober 2026)"
        )
    return found


class _Strict(BaseModel):
    # Numbers become text where text is expected: YAML reads `name: 2025` or a column header `2024` as numbers.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class _Agency(_Strict):
    slug: str
    name: str
    description: str = ""
    contact: str = ""
    logo: str = Field("", pattern=r"^(https?://\S+)?$")


DEFAULT_MAX_BYTES = 2 * 1024**3  # a delivery larger than this is refused unless its source allows more


class _Unpivot(_Strict):
    columns: Literal["years", "districts"]  # what a wide sheet's columns are (pipelines/parsing/unpivot.py)


class _Source(BaseModel):
    model_config = ConfigDict(extra="allow")  # each kind has its own options, checked by its connector
    kind: str
    max_bytes: int = Field(DEFAULT_MAX_BYTES, gt=0, strict=True)  # the size cap of one delivery, in bytes
    unpivot: _Unpivot | None = None  # the delivery is a wide sheet; read by the parser, not the connector


class _Retry(_Strict):
    max_retries: int = Field(ge=0)
    delay_seconds: float = Field(ge=0)
    backoff: Backoff


class _RetryOverride(_Strict):
    max_retries: int | None = Field(None, ge=0)
    delay_seconds: float | None = Field(None, ge=0)
    backoff: Backoff | None = None


class _Indicator(_Strict):
    nama: str
    satuan: str
    definisi: str
    sumber: str = ""  # when the sheet has neither a `Sumber` column nor a `Sumber:` note
    rumus: str | None = None  # BPS MS-Ind (pipelines/publish/metadata_statistik.py): how it is computed
    interpretasi: str | None = None  # and how to read it
    sektor: str = ""
    pilar: Literal["governance", "society", "branding", "environment", "economy", "living"] | None = None
    frekuensi: Frequency | None = None


class _Dataset(_Strict):
    name: str
    schema_: str = Field(alias="schema")  # `schema` would shadow a BaseModel attribute
    agency: str
    source: _Source
    columns: dict[str, str] = {}
    schedule: str | None = None
    grace_hours: float = Field(6, ge=0)
    needs_approval: bool = False
    period: Annotated[Period | None, BeforeValidator(_period)] = None
    retry: _RetryOverride = _RetryOverride()
    indikator: _Indicator | None = None


class _RegencyBlock(_Strict):
    code: str = Field(pattern=r"^\d{2}\.\d{2}$")  # Kemendagri, quoted: unquoted 64.10 would read as 64.1
    slug: str = Field(pattern=r"^[a-z0-9_]+$")  # a Dagster partition key and part of portal names
    name: str
    timezone: Timezone = "Asia/Jakarta"


class _RegencyFile(_Strict):
    regency: _RegencyBlock
    walidata: str
    walidata_contact: str = ""
    portal: str  # checked against portals.yaml by load_catalogue
    api_token_env: EnvName = ""  # the regency's own publishing token, instead of its portal's
    agencies: list[_Agency] = []
    datasets: list[_Dataset] = []


class _Province(_Strict):
    code: str
    name: str
    walidata: str
    timezone: Timezone = "Asia/Jakarta"
    organisation: _Agency


class _Bilingual(_Strict):
    id: str  # Bahasa Indonesia, what the portal shows first
    en: str


class _Colours(_Strict):
    primary: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")  # header, footer and buttons
    accent: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")  # links and highlights


class _SiteContact(_Strict):
    email: str
    phone: str = ""
    address: str = ""


class _Site(_Strict):
    title: str
    tagline: _Bilingual
    about: _Bilingual  # Markdown
    contact: _SiteContact
    colours: _Colours
    logo: str = ""  # an SVG, PNG or JPEG file, relative to the catalogue folder


class _Portal(_Strict):
    url: str
    url_env: str = ""
    api_token_env: EnvName
    province: _Province | None = None
    site: _Site | None = None


class _PersonalData(_Strict):
    raw_retention_days: int = Field(90, ge=1)


class _Pipeline(_Strict):
    retry: _Retry
    personal_data: _PersonalData = _PersonalData()


_PORTALS = TypeAdapter(dict[str, _Portal])


def _key_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def _reason(error: dict) -> str:
    kind, value = error["type"], error["input"]
    if kind == "extra_forbidden":
        return "kunci tidak dikenal / unknown key"
    if kind == "missing":
        return "wajib diisi / required"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "harus berupa pemetaan `kunci: nilai` / must be a mapping `key: value`"
    if kind == "list_type":
        return "harus berupa daftar / must be a list"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    shown = f" {value!r}" if isinstance(value, str | int | float | bool | None) else ""
    return f"nilai tidak sah / invalid value{shown}: {error['msg']}"


def _refuse(file: str, problems: list[tuple[tuple, str]]) -> CatalogueError:
    return CatalogueError(
        "\n".join(f"{file}: {_key_path(loc)}: {reason}" if loc else f"{file}: {reason}" for loc, reason in problems),
        file,
    )


def _validated(validate, doc: Any, file: str):
    try:
        return validate(doc)
    except ValidationError as invalid:
        raise _refuse(file, [(e["loc"], _reason(e)) for e in invalid.errors()]) from None


def _read_yaml(path: Path) -> dict:
    try:
        with path.open(encoding="utf-8") as handle:
            # libyaml's parser where installed: reading 514 regency files takes 0.7 s instead of 6.3 s.
            return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.YAMLError as broken:
        mark = getattr(broken, "problem_mark", None)
        where = f"baris / line {mark.line + 1}: " if mark else ""
        raise CatalogueError(
            f"{path.name}: {where}YAML tidak sah / invalid YAML: {getattr(broken, 'problem', None) or broken}",
            path.name,
        ) from None


# --- the loaders ------------------------------------------------------------------------------------------


def load_pipeline_config(directory: Path | None = None) -> dict:
    """How the pipeline runs for every regency (`pipeline.yaml`: step retries, the first month of the
    period partitions). A catalogue folder without one uses the project's."""
    path = (directory or catalogue_dir()) / "pipeline.yaml"
    path = path if path.exists() else PROJECT_ROOT / "catalogue" / "pipeline.yaml"
    return _validated(_Pipeline.model_validate, _read_yaml(path), path.name).model_dump()


def load_regency(path: Path) -> Regency:
    return _regency(path, load_pipeline_config(path.parent)["retry"])


def _regency(path: Path, retry_defaults: dict) -> Regency:
    doc = _validated(_RegencyFile.model_validate, _read_yaml(path), path.name)
    problems = []
    agencies: dict[str, Agency] = {}
    for i, a in enumerate(doc.agencies):
        if a.slug in agencies:
            problems.append((("agencies", i, "slug"), f"OPD ganda / duplicate agency {a.slug!r}"))
        agencies[a.slug] = Agency(**a.model_dump())
    names, standards = set(), set()
    for i, d in enumerate(doc.datasets):
        if d.name in names:
            problems.append((("datasets", i, "name"), f"dataset ganda / duplicate dataset {d.name!r}"))
        names.add(d.name)
        # The warehouse keeps one table per standard and regency, so one dataset delivers each standard.
        standard = d.schema_.split("/")[0]
        if (standard == INDICATOR_STANDARD) != (d.indikator is not None):
            problems.append(
                (
                    ("datasets", i, "indikator"),
                    f"wajib untuk standar {INDICATOR_STANDARD}, dan hanya untuknya / required for the "
                    f"standard {INDICATOR_STANDARD}, and only for it",
                )
            )
        if d.source.unpivot and standard != INDICATOR_STANDARD:
            problems.append(
                (
                    ("datasets", i, "source", "unpivot"),
                    f"hanya untuk standar {INDICATOR_STANDARD} / only for the standard {INDICATOR_STANDARD}",
                )
            )
        if standard == INDICATOR_STANDARD:  # each indicator has its own table: the name is its key
            standard = f"{standard}:{d.name}"
        if standard in standards:
            problems.append(
                (
                    ("datasets", i, "schema"),
                    f"standar {standard} sudah dikirim dataset lain / already delivered by another dataset",
                )
            )
        standards.add(standard)
        if d.agency not in agencies:
            problems.append(
                (("datasets", i, "agency"), f"OPD tidak ada di `agencies` / agency {d.agency!r} is not in `agencies`")
            )
    if problems:
        raise _refuse(path.name, problems)

    datasets = []
    for d in doc.datasets:
        options = {**d.source.model_extra, "max_bytes": d.source.max_bytes}
        if d.source.unpivot:
            options["unpivot"] = d.source.unpivot.model_dump()
        if "path" in options:
            options["path"] = str((PROJECT_ROOT / options["path"]).resolve())
        datasets.append(
            Dataset(
                d.name,
                d.schema_,
                agencies[d.agency],
                Source(d.source.kind, options),
                d.columns,
                d.schedule,
                d.grace_hours,
                d.needs_approval,
                d.period,
                {**retry_defaults, **d.retry.model_dump(exclude_none=True)},
                d.indikator.model_dump(exclude_none=True) if d.indikator else None,
            )
        )
    region = doc.regency
    return Regency(
        region.code,
        region.slug,
        region.name,
        doc.walidata,
        doc.portal,
        region.timezone,
        tuple(agencies.values()),
        tuple(datasets),
        doc.walidata_contact,
        doc.api_token_env,
    )


def load_catalogue(directory: Path | None = None) -> Catalogue:
    """Every regency catalogue in the folder (every YAML file except the shared ones): a broken file stops only
    its own regency. A broken pipeline.yaml, shared by all, raises."""
    directory = directory or catalogue_dir()
    retry_defaults = load_pipeline_config(directory)["retry"]
    portals = load_portals(directory)
    regencies, errors = [], []
    owners: dict[tuple[str, str], str] = {}  # (key, value) of regency.slug and regency.code -> file
    for path in sorted(directory.glob("*.yaml")):
        if path.name in SHARED_FILES:
            continue
        try:
            regency = _regency(path, retry_defaults)
            keys = [("slug", regency.slug), ("code", regency.code)]
            clashes = [
                (
                    ("regency", key),
                    f"{key} {value!r} sudah dipakai oleh {owners[key, value]} / already used by {owners[key, value]}",
                )
                for key, value in keys
                if (key, value) in owners
            ]
            if regency.portal not in portals:
                clashes.append(
                    (("portal",), f"portal {regency.portal!r} tidak ada di portals.yaml / is not in portals.yaml")
                )
            if clashes:
                raise _refuse(path.name, clashes)
        except CatalogueError as error:
            errors.append(error)
            continue
        owners.update({key: path.name for key in keys})
        regencies.append(regency)
    return Catalogue(regencies, errors)


def load_regencies(directory: Path | None = None) -> list[Regency]:
    """Every regency catalogue in the folder; the first broken file raises."""
    catalogue = load_catalogue(directory)
    if catalogue.errors:
        raise catalogue.errors[0]
    return catalogue.regencies


def load_portals(directory: Path | None = None) -> dict[str, PortalConfig]:
    portals = _validated(
        _PORTALS.validate_python, _read_yaml((directory or catalogue_dir()) / "portals.yaml"), "portals.yaml"
    )
    return {
        name: PortalConfig(
            name,
            os.environ.get(p.url_env, p.url).rstrip("/"),
            p.api_token_env,
            _province(name, p.province) if p.province else None,
            p.site.model_dump() if p.site else None,
        )
        for name, p in portals.items()
    }


LOGO_TYPES = {".svg", ".png", ".jpg", ".jpeg"}


def portal_site(name: str, directory: Path | None = None) -> dict:
    """The public face of portal `name` (its `site:` block; {} without one) for the portal extension, the logo as
    an absolute path: portal/start.sh writes it where ckanext-satudata reads it, so a typo stops the portal's
    start here, strictly, instead of being ignored by the portal."""
    directory = directory or catalogue_dir()
    portal = load_portals(directory).get(name)
    if portal is None:
        raise CatalogueError(f"portals.yaml: portal {name!r} tidak ada / is not there", "portals.yaml")
    site = dict(portal.site or {})
    if site.get("logo"):
        logo = (directory / site["logo"]).resolve()
        if not (logo.is_file() and logo.suffix.lower() in LOGO_TYPES):
            raise _refuse(
                "portals.yaml",
                [
                    (
                        (name, "site", "logo"),
                        f"berkas {site['logo']!r} tidak ada atau bukan "
                        f"SVG/PNG/JPEG / is missing or not an SVG, PNG or JPEG file",
                    )
                ],
            )
        site["logo"] = str(logo)
    return site


def _province(slug: str, p: _Province) -> Province:
    return Province(p.code, slug, p.name, p.walidata, Agency(**p.organisation.model_dump()), p.timezone)


def load_reference_config(directory: Path | None = None) -> dict:
    return _read_yaml((directory or catalogue_dir()) / "reference.yaml")
