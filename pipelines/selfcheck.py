"""The agency self-check: the same parsing, standard checks and personal-data guard a file meets in the
pipeline, run on one file on the agency's own computer, with no portal, warehouse or Dagster needed.

Any OPD in Indonesia can use it: the standard is a `name/version` of the schemas folder or a standard file's
path (a draft from `satudata describe`), and the regency a catalogue slug, a Kemendagri code (`35.29`, also
outside the catalogue) or none (region codes are then checked against the whole Kemendagri table)."""

import fnmatch
import hashlib
import os
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from pipelines.catalogue import Dataset, Regency, load_reference_config, load_regencies
from pipelines.findings import Skipped
from pipelines.indicators import for_dataset
from pipelines.issues import Issue
from pipelines.parsing import parse_file
from pipelines.parsing.unpivot import districts
from pipelines.raw import RawFile
from pipelines.settings import catalogue_dir
from pipelines.standard import MASTER_DATA, SchemaError, Standard, load_standard, parse_standard
from pipelines.standard.reference import (
    edition_changes,
    explain_retired,
    load_master_list,
    load_regions,
    master_list_path,
    region_codes_for,
)
from pipelines.validation.check import check_batch
from pipelines.validation.privacy import district_codes


class RegencyError(ValueError):
    """A `--regency` that is neither a catalogue slug nor a Kemendagri regency code."""


@dataclass(frozen=True)
class Scope:
    """Where the file's region codes must lie: one regency (from the catalogue or only the Kemendagri table),
    or all of Indonesia (`code` empty)."""

    code: str = ""
    name: str = "seluruh Indonesia / all of Indonesia"
    entry: Regency | None = None  # the regency's catalogue file, when it has one

    def __str__(self) -> str:
        return f"{self.name} ({self.code})" if self.code else self.name


@dataclass(frozen=True)
class SelfCheck:
    file: str
    standard: str
    rows: int
    issues: list[Issue]
    scope: Scope = Scope()
    notes: list[str] = field(default_factory=list)  # what was not checked and why; days or months missing
    skipped: list[Skipped] = field(default_factory=list)  # rows that are not data: titles, totals, notes, ...

    @property
    def accepted(self) -> bool:
        return not self.issues


@lru_cache(maxsize=4)
def _regions(cache: Path, edition: str) -> pd.DataFrame:
    """A region table read once per process: checking many files must not re-read 83,000 villages each.
    The table read from the verified npm tarball is kept beside it as Parquet, named by the tarball's
    integrity hash, so later checks start without unpacking and parsing its CSV files (0.2 s of a 1.5 s
    check)."""
    config = load_reference_config()
    source = config[edition]
    copy = cache / (
        f"{source['npm_package']}-{source['version']}-"
        f"{hashlib.sha256(source['integrity'].encode()).hexdigest()[:16]}.regions.parquet"
    )
    if copy.exists():
        table = pd.read_parquet(copy)
    else:
        table = load_regions(config, cache, edition)
        partial = copy.with_suffix(f".{os.getpid()}.partial")
        try:
            table.to_parquet(partial, index=False)
            partial.replace(copy)  # another check reading at the same time never sees half a file
        except OSError:  # a read-only cache folder: the next check reads the tarball again
            partial.unlink(missing_ok=True)
    table.attrs["edition"] = source["edition"]
    return table


def load_regions_cached(cache: Path) -> pd.DataFrame:
    """The current Kemendagri edition, read once per process."""
    return _regions(cache, "kemendagri_regions")


def load_standard_file(ref_or_path: str) -> Standard:
    """`harga-pasar/1.0.0` from the schemas folder, or a standard file's path (`.yaml`), e.g. a draft."""
    path = Path(ref_or_path)
    if path.suffix not in (".yaml", ".yml"):
        return load_standard(ref_or_path)
    if not path.is_file():
        raise SchemaError(f"berkas standar tidak ada / standard file not found: {path}")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeError) as broken:
        raise SchemaError(f"{path.name}: YAML tidak sah / invalid YAML: {broken}") from None
    if not isinstance(doc, dict):
        raise SchemaError(f"{path.name}: bukan standar Satu Data / not a Satu Data standard")
    return parse_standard(doc, path.name)


def scope_of(regency: str, regencies: list[Regency], regions: pd.DataFrame) -> Scope:
    """A catalogue slug (`ppu`), a Kemendagri regency code (`64.09`, `6409`) or empty: all of Indonesia."""
    if not regency:
        return Scope()
    entry = next((r for r in regencies if regency in (r.slug, r.code)), None)
    code = entry.code if entry else regency
    if len(code) == 4 and code.isdigit():
        code = f"{code[:2]}.{code[2:]}"
    found = regions[(regions["level"] == "kabupaten") & (regions["code"] == code)]
    if found.empty:
        slugs = ", ".join(r.slug for r in regencies)
        raise RegencyError(
            f"kabupaten/kota {regency!r} tidak dikenal: pakai slug katalog ({slugs}) atau kode "
            f"Kemendagri (mis. 64.09) / unknown regency {regency!r}: use a catalogue slug or a "
            f"Kemendagri code (e.g. 64.09)"
        )
    entry = entry or next((r for r in regencies if r.code == code), None)
    return Scope(code, found["name"].iloc[0], entry)


def _master_lists(
    standard: Standard, scope: Scope, regencies: list[Regency], regions: pd.DataFrame, notes: list[str]
) -> dict[str, pd.DataFrame] | None:
    """The master lists (Data Induk) the standard's foreign keys name: the regency's own; without a regency,
    every catalogue regency's lists together; None where the catalogue keeps none (a regency outside it: the
    check is left out, and the report says so)."""
    resources = sorted({k.resource for k in standard.foreign_keys})
    if not resources:
        return {}
    owners = (
        [scope.entry]
        if scope.entry
        else []
        if scope.code
        else [r for r in regencies if any(d.schema.split("/")[0] == standard.name for d in r.datasets)]
    )
    if not owners:
        notes.append(
            f"Data Induk ({', '.join(resources)}) tidak diperiksa: katalog tidak memuatnya untuk {scope} / "
            f"master data not checked: the catalogue keeps none for {scope}"
        )
        return None
    folder = catalogue_dir() / "data-induk"
    return {
        name: pd.concat(
            [
                load_master_list(master_list_path(folder, r.slug, name), MASTER_DATA[name], regions, r.code)
                for r in owners
            ],
            ignore_index=True,
        )
        for name in resources
    }


def _known_headers(standard: Standard, regencies: list[Regency]) -> dict[str, str]:
    """Outside a regency's own catalogue entry, the headers every catalogue entry of the standard maps (an
    agency elsewhere writes `Kode Kecamatan` as PPU's does)."""
    return {
        header: name
        for r in regencies
        for d in r.datasets
        if d.schema.split("/")[0] == standard.name
        for header, name in d.columns.items()
        if name in standard.field_names
    }


def _raw(path: Path) -> RawFile:
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return RawFile(
        path.name,
        digest,
        path.stat().st_size,
        str(path),
        str(path),
        datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def catalogue_entry(path: Path, standard: Standard, scope: Scope, name: str = "") -> Dataset | None:
    """The regency's catalogue entry the file is checked as: the one named (`--dataset`), else the one
    delivering the standard; of several (indicators), the one whose file patterns match the file's name."""
    if scope.entry is None:
        if name:
            raise RegencyError(f"--dataset {name!r} perlu --regency dari katalog / needs a catalogue --regency")
        return None
    entries = [d for d in scope.entry.datasets if d.schema == standard.ref and name in ("", d.name)]
    if name and not entries:
        raise RegencyError(
            f"{scope.entry.slug} tidak punya dataset {name!r} dengan standar {standard.ref} / has no "
            f"dataset {name!r} of standard {standard.ref}"
        )
    matching = [d for d in entries if any(fnmatch.fnmatch(path.name, p) for p in d.source.options.get("patterns", []))]
    if len(entries) > 1 and len(matching) != 1:
        raise RegencyError(
            f"{len(entries)} dataset {scope.entry.slug} memakai {standard.ref}; sebutkan salah satu "
            f"dengan --dataset / {len(entries)} datasets use it; name one with --dataset: "
            + ", ".join(d.name for d in entries)
        )
    return (matching if len(entries) > 1 else entries or [None])[0]


def check_file(path: Path, standard_ref: str, regency: str, cache: Path, dataset_name: str = "") -> SelfCheck:
    """Check one agency file against a standard (`name/version` or a standard file's path). `regency` is a
    catalogue slug (ppu), a Kemendagri code (64.09, inside the catalogue or not) or empty: region codes must
    lie inside it (empty: any code of the Kemendagri table). The regency's catalogue entry for the standard
    lends its column names and its reported period (for file names that state none); without one, the
    headers of every catalogue entry of the standard are known. An indicator's entry (`dataset_name`, or found
    by its file patterns) also lends its indicator, unit and wide-sheet shape."""
    standard = load_standard_file(standard_ref)
    regencies = load_regencies()
    regions = load_regions_cached(cache)
    scope = scope_of(regency, regencies, regions)
    dataset = catalogue_entry(path, standard, scope, dataset_name)
    standard = for_dataset(standard, dataset) if dataset else standard
    notes: list[str] = []
    references = _master_lists(standard, scope, regencies, regions, notes)
    checked_standard = standard if references is not None else replace(standard, foreign_keys=())
    batch = parse_file(
        _raw(path),
        standard,
        dataset.columns if dataset else _known_headers(standard, regencies),
        dataset.source.options if dataset else None,
        districts=districts(regions, scope.code) if scope.code else None,
    )
    checked = check_batch(
        batch,
        checked_standard,
        region_codes_for(standard, regions, scope.code),
        district_codes(regions),
        references=references,
        period=dataset.period if dataset else None,
        explain=lambda found: _explain_retired(found, cache, regions),
    )
    notes += checked.missing_periods
    return SelfCheck(path.name, standard.ref, batch.rows, checked.issues, scope, notes, batch.skipped)


def _explain_retired(issues: list[Issue], cache: Path, regions: pd.DataFrame) -> list[Issue]:
    """Unknown region codes that the previous Kemendagri edition knew are named as retired. The previous
    edition is read only when a code was refused."""
    if not any(i.rule == "expect_column_values_to_be_in_set" for i in issues):
        return issues
    changes = edition_changes(_regions(cache, "kemendagri_regions_previous"), regions)
    return explain_retired(issues, changes, load_reference_config()["kemendagri_regions"]["edition"])


def report(result: SelfCheck, limit: int = 50) -> str:
    """Readable for agency staff, Bahasa Indonesia first: the verdict, where codes were checked, the findings,
    then the rows read as not data (never left out silently)."""
    where = f"Wilayah / region: {result.scope}"
    notes = [f"Catatan / note: {n}" for n in result.notes]
    if result.accepted:
        lines = [
            f"DITERIMA: {result.file} memenuhi standar {result.standard} ({result.rows} baris).",
            f"ACCEPTED: {result.file} meets standard {result.standard} ({result.rows} rows).",
            where,
            *notes,
        ]
    else:
        lines = [
            f"DITOLAK: {result.file} belum memenuhi standar {result.standard}: {len(result.issues)} temuan.",
            f"REJECTED: {result.file} does not meet standard {result.standard}: {len(result.issues)} findings.",
            where,
            *notes,
            "",
        ]
        lines += [f"- {issue}" for issue in result.issues[:limit]]
        if len(result.issues) > limit:
            lines.append(f"... dan {len(result.issues) - limit} temuan lain / and {len(result.issues) - limit} more")
    if result.skipped:
        lines += ["", "Bukan data, dilewati / not data, skipped:"]
        lines += [f"  {rows}" for rows in result.skipped[:limit]]
    return "\n".join(lines)
