"""The source catalogue: regencies, their agencies (OPD), datasets and sources, read from YAML files."""

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

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


def load_regency(path: Path) -> Regency:
    doc = _read_yaml(path)
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
            datasets.append(Dataset(d["name"], d["schema"], agencies[d["agency"]], Source(kind, source),
                                    dict(d.get("columns", {})), d.get("schedule"), float(d.get("grace_hours", 6)),
                                    bool(d.get("needs_approval", False))))
        region = doc["regency"]
        return Regency(str(region["code"]), region["slug"], region["name"], doc["walidata"], doc["portal"],
                       region.get("timezone", "Asia/Jakarta"), tuple(agencies.values()), tuple(datasets),
                       doc.get("walidata_contact", ""))
    except KeyError as missing:
        raise CatalogueError(f"{path.name}: missing key {missing}") from None


def load_regencies(directory: Path | None = None) -> list[Regency]:
    """Every regency catalogue in the folder (every YAML file except the shared ones)."""
    directory = directory or catalogue_dir()
    shared = {"portals.yaml", "reference.yaml", "alerts.yaml"}
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
