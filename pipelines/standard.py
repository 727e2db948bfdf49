"""The Satu Data standard of one dataset: a versioned schema file in `schemas/` (Frictionless Table
Schema fields plus Satu Data metadata), loaded and checked before any data is read."""

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from pipelines.settings import schemas_dir

FIELD_TYPES = {"string", "integer", "number", "date", "datetime", "boolean"}
# Code lists the pipeline can resolve from reference data (Kode Referensi).
CODE_LISTS = {"kemendagri-provinsi", "kemendagri-kabupaten", "kemendagri-kecamatan", "kemendagri-desa"}
FREQUENCIES = {"Harian", "Mingguan", "Bulanan", "Triwulanan", "Semesteran", "Tahunan", "Ad-hoc"}
CLASSIFICATIONS = {"Terbuka", "Terbatas", "Tertutup"}
LEVELS = {"Provinsi", "Kabupaten", "Kecamatan", "Desa/Kelurahan"}


class SchemaError(ValueError):
    """A schema file that is itself wrong: raised before any data is read."""


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    title: str
    required: bool = False
    enum: tuple | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    code_list: str | None = None
    personal: bool = False        # personal data: kept out of every publication
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Standard:
    name: str
    version: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    missing_values: tuple[str, ...]
    metadata: dict

    @property
    def ref(self) -> str:
        return f"{self.name}/{self.version}"

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def public_fields(self) -> list[Field]:
        """The fields that may be published: never those marked personal."""
        return [f for f in self.fields if not f.personal]


def _field(raw: dict, where: str) -> Field:
    name = raw.get("name")
    if not name:
        raise SchemaError(f"{where}: a field has no name")
    ftype = raw.get("type", "string")
    if ftype not in FIELD_TYPES:
        raise SchemaError(f"{where}: field {name!r} has unknown type {ftype!r} (known: {sorted(FIELD_TYPES)})")
    constraints = raw.get("constraints", {})
    extra = dict(raw.get("satudata", {}))
    code_list = extra.pop("code_list", None)
    personal = bool(extra.pop("personal", False))
    if code_list and code_list not in CODE_LISTS:
        raise SchemaError(f"{where}: field {name!r} names code list {code_list!r}, which does not exist "
                          f"(known: {sorted(CODE_LISTS)})")
    return Field(name=name, type=ftype, title=raw.get("title", name), required=bool(constraints.get("required")),
                 enum=tuple(constraints["enum"]) if "enum" in constraints else None,
                 pattern=constraints.get("pattern"), minimum=constraints.get("minimum"),
                 maximum=constraints.get("maximum"), code_list=code_list, personal=personal,
                 metadata=extra)


def _check_choice(where: str, key: str, value, allowed: set) -> None:
    if value not in allowed:
        raise SchemaError(f"{where}: satudata.{key} is {value!r}; allowed: {sorted(allowed)}")


def parse_standard(doc: dict, where: str) -> Standard:
    try:
        table = doc["schema"]
        fields = tuple(_field(f, where) for f in table["fields"])
        meta = doc["satudata"]
        _check_choice(where, "frekuensi", meta.get("frekuensi"), FREQUENCIES)
        _check_choice(where, "klasifikasi", meta.get("klasifikasi"), CLASSIFICATIONS)
        _check_choice(where, "tingkat_penyajian", meta.get("tingkat_penyajian"), LEVELS)
        names = {f.name for f in fields}
        if len(names) != len(fields):
            raise SchemaError(f"{where}: field names repeat")
        primary_key = tuple(table.get("primaryKey", ()))
        unknown = [k for k in primary_key if k not in names]
        if unknown:
            raise SchemaError(f"{where}: primary key {unknown} is not a field of the schema")
        personal_key = [f.name for f in fields if f.personal and f.name in primary_key]
        if personal_key:
            raise SchemaError(f"{where}: primary key {personal_key} is personal data and could not be published")
        return Standard(name=doc["name"], version=str(doc["version"]), title=doc["title"],
                        description=doc.get("description", ""), fields=fields, primary_key=primary_key,
                        missing_values=tuple(table.get("missingValues", [""])), metadata=meta)
    except KeyError as missing:
        raise SchemaError(f"{where}: missing key {missing}") from None


def load_standard(ref: str, directory: Path | None = None) -> Standard:
    """Load `name/version` from the schemas folder, e.g. `harga-pasar/1.0.0`."""
    path = (directory or schemas_dir()) / f"{ref}.yaml"
    if not path.exists():
        raise SchemaError(f"schema {ref!r} not found at {path}")
    with path.open(encoding="utf-8") as handle:
        standard = parse_standard(yaml.safe_load(handle), path.name)
    if standard.ref != ref:
        raise SchemaError(f"{path}: file declares {standard.ref!r} but is stored as {ref!r}")
    return standard


def all_standards(directory: Path | None = None) -> list[Standard]:
    """Every standard in the schemas folder, each version."""
    directory = directory or schemas_dir()
    return [load_standard(f"{path.parent.name}/{path.stem}", directory) for path in sorted(directory.glob("*/*.yaml"))]


def code_lists(standards: list[Standard]) -> pd.DataFrame:
    """Data Induk: every code list the standards define (commodities, waste types, incident categories,
    units, ...), one row per code, with the standard and field that define it."""
    rows = [{"standard": s.ref, "field": f.name, "title": f.title, "code": str(code)}
            for s in standards for f in s.fields if f.enum for code in f.enum]
    return pd.DataFrame(rows, columns=["standard", "field", "title", "code"])
