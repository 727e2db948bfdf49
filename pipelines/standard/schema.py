"""The Satu Data standard of one dataset: a versioned schema file in `schemas/` (Frictionless Table
Schema fields plus Satu Data metadata), loaded and checked before any data is read."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
import yaml

from pipelines.settings import schemas_dir
from pipelines.standard.types import FIELD_TYPES, NUMERIC_TYPES
from pipelines.standard.views import views

# Code lists the pipeline can resolve from reference data (Kode Referensi).
CODE_LISTS = {"kemendagri-provinsi", "kemendagri-kabupaten", "kemendagri-kecamatan", "kemendagri-desa"}
FREQUENCIES = {"Harian", "Mingguan", "Bulanan", "Triwulanan", "Semesteran", "Tahunan", "Ad-hoc"}
Frequency = Literal[tuple(sorted(FREQUENCIES))]  # the same, as a type for the catalogue's models
CLASSIFICATIONS = {"Terbuka", "Terbatas", "Tertutup"}
PRESENTATION_LEVELS = {"Provinsi", "Kabupaten", "Kecamatan", "Desa/Kelurahan"}  # tingkat_penyajian
# Master data (Data Induk) a foreign key may reference: resource -> its fields. Each regency keeps its own
# list in catalogue/data-induk/<regency>-<list>.csv (see pipelines/standard/reference.py).
MASTER_DATA = {"data-induk-pasar": ("kode_pasar", "nama_pasar", "kode_kecamatan")}
# The keys a `satudata:` block may hold; any other is a typo and refused. The last ones of each set are BPS
# metadata statistik that nothing else derives (pipelines/publish/metadata_statistik.py).
STANDARD_KEYS = {
    "sektor",
    "pilar",
    "frekuensi",
    "tingkat_penyajian",
    "klasifikasi",
    "lisensi",
    "satuan",
    "tags",
    "tampilan",
    "period_field",
    "ambang_penyamaran",
    "tujuan",
    "metode",
    "rekomendasi_statistik",
    "rumus",
    "interpretasi",
    "disagregasi",
}
FIELD_KEYS = {"code_list", "personal", "sum_of", "satuan", "aturan_validasi", "konsep", "definisi", "alias"}


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
    personal: bool = False  # personal data: kept out of every publication
    sum_of: tuple[str, ...] = ()  # a total: equals the sum of these fields in every row
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ForeignKey:
    """Frictionless `foreignKeys` entry: these fields of every row must be a row of a master list."""

    fields: tuple[str, ...]
    resource: str
    reference_fields: tuple[str, ...]


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
    foreign_keys: tuple[ForeignKey, ...] = ()
    period_field: str | None = None  # the date field the reported period of a delivery applies to
    generic: str = ""  # instantiated for one dataset (pipelines/indicators.py): the generic standard's name

    @property
    def ref(self) -> str:
        return f"{self.generic or self.name}/{self.version}"

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def public_fields(self) -> list[Field]:
        """The fields that may be published: never those marked personal."""
        return [f for f in self.fields if not f.personal]

    @property
    def coverage_field(self) -> str | None:
        """The date field whose first and last value say what period a table covers (periode_awal/akhir)."""
        return next((f.name for f in self.fields if f.type in ("date", "datetime")), None)


# What the product implements of Frictionless Table Schema: anything else (`unique`, `minLength`, a field's
# `format`, ...) is refused when the standard loads, naming the field, rather than silently not checked.
DOCUMENT_KEYS = {"name", "version", "title", "description", "satudata", "schema"}
TABLE_KEYS = {"fields", "primaryKey", "foreignKeys", "missingValues"}
FIELD_PROPERTIES = {"name", "type", "title", "description", "constraints", "satudata"}
CONSTRAINTS = {"required", "enum", "pattern", "minimum", "maximum"}


def _field(raw: dict, where: str) -> Field:
    name = raw.get("name")
    if not name:
        raise SchemaError(f"{where}: a field has no name")
    _check_keys(f"{where}: field {name!r}", raw, FIELD_PROPERTIES)
    _check_keys(f"{where}: field {name!r}: constraints", raw.get("constraints") or {}, CONSTRAINTS)
    ftype = raw.get("type", "string")
    if ftype not in FIELD_TYPES:
        raise SchemaError(f"{where}: field {name!r} has unknown type {ftype!r} (known: {sorted(FIELD_TYPES)})")
    constraints = raw.get("constraints", {})
    extra = dict(raw.get("satudata", {}))
    _check_keys(f"{where}: field {name!r}: satudata", extra, FIELD_KEYS)
    code_list = extra.pop("code_list", None)
    personal = bool(extra.pop("personal", False))
    sum_of = extra.pop("sum_of", ())
    if isinstance(sum_of, str) or not all(isinstance(n, str) for n in sum_of):
        raise SchemaError(f"{where}: field {name!r}: satudata.sum_of must be a list of field names")
    if code_list and code_list not in CODE_LISTS:
        raise SchemaError(
            f"{where}: field {name!r} names code list {code_list!r}, which does not exist (known: {sorted(CODE_LISTS)})"
        )
    return Field(
        name=name,
        type=ftype,
        title=raw.get("title", name),
        required=bool(constraints.get("required")),
        enum=tuple(constraints["enum"]) if "enum" in constraints else None,
        pattern=constraints.get("pattern"),
        minimum=constraints.get("minimum"),
        maximum=constraints.get("maximum"),
        code_list=code_list,
        personal=personal,
        sum_of=tuple(sum_of),
        metadata=extra,
    )


def _check_keys(where: str, block: dict, known: set) -> None:
    unknown = sorted(set(block) - known)
    if unknown:
        raise SchemaError(f"{where}: unknown keys {unknown} (known: {sorted(known)})")


def _check_choice(where: str, key: str, value, allowed: set) -> None:
    if value not in allowed:
        raise SchemaError(f"{where}: satudata.{key} is {value!r}; allowed: {sorted(allowed)}")


def _names(value) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value or ())


def _foreign_keys(raw: list, fields: dict[str, Field], where: str) -> tuple[ForeignKey, ...]:
    """Each foreign key must name fields of this schema and a known master list with fields it has."""
    keys = []
    for entry in raw:
        own = _names(entry.get("fields"))
        reference = entry.get("reference") or {}
        resource, theirs = reference.get("resource"), _names(reference.get("fields"))
        if resource not in MASTER_DATA:
            raise SchemaError(
                f"{where}: foreign key {list(own)} references resource {resource!r}, which does not "
                f"exist (known: {sorted(MASTER_DATA)})"
            )
        unknown = [n for n in own if n not in fields]
        if not own or unknown:
            raise SchemaError(f"{where}: foreign key names fields {unknown or own!r} that are not fields of the schema")
        if len(own) > 2:  # checked as a code and a code pair (pipelines/validation/rules.py)
            raise SchemaError(f"{where}: foreign key {list(own)}: at most two fields are supported")
        missing = [n for n in theirs if n not in MASTER_DATA[resource]]
        if missing or len(theirs) != len(own):
            raise SchemaError(
                f"{where}: foreign key {list(own)} -> {resource} {list(theirs)}: the referenced fields "
                f"must be as many as the key's and among {list(MASTER_DATA[resource])}"
            )
        keys.append(ForeignKey(own, resource, theirs))
    return tuple(keys)


def _check_sums(fields: dict[str, Field], where: str) -> None:
    for f in fields.values():
        parts = [fields.get(n) for n in f.sum_of]
        if f.sum_of and (
            f.type not in NUMERIC_TYPES
            or f.name in f.sum_of
            or any(p is None or p.type not in NUMERIC_TYPES for p in parts)
        ):
            raise SchemaError(
                f"{where}: field {f.name!r}: sum_of {list(f.sum_of)} must name other numeric fields "
                f"of the schema, and the total must be numeric"
            )


def _period_field(meta: dict, fields: dict[str, Field], primary_key: tuple[str, ...], where: str) -> str | None:
    """Named in `satudata.period_field`, else the first date field of the primary key."""
    dates = [n for n, f in fields.items() if f.type in ("date", "datetime")]
    name = meta.get("period_field") or next((k for k in primary_key if k in dates), None)
    if name is not None and name not in dates:
        raise SchemaError(f"{where}: satudata.period_field {name!r} is not a date or datetime field of the schema")
    return name


def parse_standard(doc: dict, where: str) -> Standard:
    try:
        _check_keys(where, doc, DOCUMENT_KEYS)
        table = doc["schema"]
        _check_keys(f"{where}: schema", table, TABLE_KEYS)
        fields = tuple(_field(f, where) for f in table["fields"])
        meta = doc["satudata"]
        _check_keys(f"{where}: satudata", meta, STANDARD_KEYS)
        _check_choice(where, "frekuensi", meta.get("frekuensi"), FREQUENCIES)
        _check_choice(where, "klasifikasi", meta.get("klasifikasi"), CLASSIFICATIONS)
        _check_choice(where, "tingkat_penyajian", meta.get("tingkat_penyajian"), PRESENTATION_LEVELS)
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
        by_name = {f.name: f for f in fields}
        _check_sums(by_name, where)
        try:
            views(meta.get("tampilan"), {f.name: f.type for f in fields if not f.personal})
        except ValueError as error:
            raise SchemaError(f"{where}: satudata.tampilan: {error}") from None
        return Standard(
            name=doc["name"],
            version=str(doc["version"]),
            title=doc["title"],
            description=doc.get("description", ""),
            fields=fields,
            primary_key=primary_key,
            missing_values=tuple(table.get("missingValues", [""])),
            metadata=meta,
            foreign_keys=_foreign_keys(table.get("foreignKeys", []), by_name, where),
            period_field=_period_field(meta, by_name, primary_key, where),
        )
    except KeyError as missing:
        raise SchemaError(f"{where}: missing key {missing}") from None


def load_standard(ref: str, directory: Path | None = None) -> Standard:
    """Load `name/version` from the schemas folder, e.g. `harga-pasar/1.0.0`."""
    path = (directory or schemas_dir()) / f"{ref}.yaml"
    if not path.exists():
        raise SchemaError(f"schema {ref!r} not found at {path}")
    with path.open(encoding="utf-8") as handle:
        standard = parse_standard(yaml.load(handle, Loader=yaml.CSafeLoader), path.name)  # libyaml: 10x faster
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
    rows = [
        {"standard": s.ref, "field": f.name, "title": f.title, "code": str(code)}
        for s in standards
        for f in s.fields
        if f.enum
        for code in f.enum
    ]
    return pd.DataFrame(rows, columns=["standard", "field", "title", "code"])
