"""The source catalogue: regencies, their agencies (OPD), datasets and sources, read from YAML files."""

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines.period import Period, period_of
from pipelines.settings import PROJECT_ROOT, catalogue_dir


class CatalogueError(ValueError):
    pass


@dataclass(frozen=True)
class Agency:
    slug: str
    name: str
    description: str = ""
    contact: str = ""


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
    schedule: str | None = None   # cron; default from the standard's frequency
    grace_hours: float = 6        # how long after the expected delivery an agency counts as late
    needs_approval: bool = False  # first publication of each standard version waits for a walidata
    period: Period | None = None  # reported period of files whose names state none (e.g. `2025`, `TW1 2025`)
    retry: dict = field(default_factory=dict)  # Dagster step retries: pipeline.yaml defaults, per dataset override


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


@dataclass(frozen=True)
class Province:
    """A province publication target: it receives the integrated marts of its regencies as its own datasets."""
    code: str            # Kemendagri province code, e.g. "64"; its regencies are those whose code starts "64."
    slug: str
    name: str
    walidata: str
    organisation: Agency  # the CKAN organisation that owns the province's datasets
    timezone: str = "Asia/Jakarta"


@dataclass(frozen=True)
class Portal:
    name: str
    url: str             # from the file, unless the variable named by `url_env` is set
    api_token_env: str
    province: Province | None = None   # a regency portal when None


def _read_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def load_pipeline_config(directory: Path | None = None) -> dict:
    """How the pipeline runs for every regency (`pipeline.yaml`: step retries, the first month of the
    period partitions). A catalogue folder without one uses the project's."""
    path = (directory or catalogue_dir()) / "pipeline.yaml"
    return _read_yaml(path if path.exists() else PROJECT_ROOT / "catalogue" / "pipeline.yaml")


def load_regency(path: Path) -> Regency:
    doc = _read_yaml(path)
    retry_defaults = load_pipeline_config(path.parent)["retry"]
    try:
        agencies = {a["slug"]: Agency(**a) for a in doc.get("agencies", [])}
        datasets = []
        for d in doc.get("datasets", []):
            if d["agency"] not in agencies:
                raise CatalogueError(f"{path.name}: dataset {d['name']!r} names unknown agency {d['agency']!r}")
            source = dict(d["source"])
            kind = source.pop("kind")
            if "path" in source:
                source["path"] = str((PROJECT_ROOT / source["path"]).resolve())
            period = period_of(str(d["period"])) if "period" in d else None
            if "period" in d and period is None:
                raise CatalogueError(f"{path.name}: dataset {d['name']!r}: period {d['period']!r} is not a period "
                                     f"(e.g. 2026, 2026-10, TW1 2025, Oktober 2026)")
            datasets.append(Dataset(d["name"], d["schema"], agencies[d["agency"]], Source(kind, source),
                                    dict(d.get("columns", {})), d.get("schedule"), float(d.get("grace_hours", 6)),
                                    bool(d.get("needs_approval", False)), period,
                                    {**retry_defaults, **d.get("retry", {})}))
        region = doc["regency"]
        return Regency(str(region["code"]), region["slug"], region["name"], doc["walidata"], doc["portal"],
                       region.get("timezone", "Asia/Jakarta"), tuple(agencies.values()), tuple(datasets),
                       doc.get("walidata_contact", ""))
    except KeyError as missing:
        raise CatalogueError(f"{path.name}: missing key {missing}") from None


def load_regencies(directory: Path | None = None) -> list[Regency]:
    """Every regency catalogue in the folder (every YAML file except the shared ones)."""
    directory = directory or catalogue_dir()
    shared = {"portals.yaml", "reference.yaml", "alerts.yaml", "pipeline.yaml"}
    return [load_regency(p) for p in sorted(directory.glob("*.yaml")) if p.name not in shared]


def load_portals(directory: Path | None = None) -> dict[str, Portal]:
    doc = _read_yaml((directory or catalogue_dir()) / "portals.yaml")
    return {name: Portal(name, os.environ.get(cfg.get("url_env", ""), cfg["url"]).rstrip("/"), cfg["api_token_env"],
                         _province(name, cfg["province"]) if "province" in cfg else None)
            for name, cfg in doc.items()}


def _province(slug: str, cfg: dict) -> Province:
    try:
        return Province(str(cfg["code"]), slug, cfg["name"], cfg["walidata"], Agency(**cfg["organisation"]),
                        cfg.get("timezone", "Asia/Jakarta"))
    except KeyError as missing:
        raise CatalogueError(f"portals.yaml: province {slug!r} misses key {missing}") from None


def load_reference_config(directory: Path | None = None) -> dict:
    return _read_yaml((directory or catalogue_dir()) / "reference.yaml")
