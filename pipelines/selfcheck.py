"""The agency self-check: the same parsing, standard checks and personal-data guard a file meets in the
pipeline, run on one file on the agency's own computer, with no portal, warehouse or Dagster needed."""

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from pipelines.catalogue import load_reference_config, load_regencies
from pipelines.issues import Issue, drop_consequences
from pipelines.parsing import parse_file
from pipelines.privacy import district_codes, scan
from pipelines.raw import RawFile
from pipelines.reference import codes_within, edition_changes, explain_retired, load_regions, regency_master_lists
from pipelines.settings import catalogue_dir
from pipelines.standard import load_standard
from pipelines.validation import validate


@dataclass(frozen=True)
class SelfCheck:
    file: str
    standard: str
    rows: int
    issues: list[Issue]

    @property
    def accepted(self) -> bool:
        return not self.issues


@lru_cache(maxsize=4)
def _regions(cache: Path, edition: str):
    """A region table read once per process: checking many files must not re-read 83,000 villages each."""
    return load_regions(load_reference_config(), cache, edition)


def _master_lists(standard_ref: str, entry, regencies: list, regions) -> dict:
    folder = catalogue_dir() / "data-induk"
    if entry:
        return regency_master_lists([standard_ref], entry.slug, entry.code, regions, folder)
    found: dict[str, list] = {}
    for r in regencies:
        if any(d.schema == standard_ref for d in r.datasets):
            for name, table in regency_master_lists([standard_ref], r.slug, r.code, regions, folder).items():
                found.setdefault(name, []).append(table)
    return {name: pd.concat(tables, ignore_index=True) for name, tables in found.items()}


def check_file(path: Path, standard_ref: str, regency: str, cache: Path) -> SelfCheck:
    """Check one agency file against a standard. `regency` is a catalogue slug (ppu) or a Kemendagri code
    (64.09): region codes must lie inside it, and a catalogue entry for the standard lends its column
    names and its reported period (for file names that state none); empty accepts any code of the
    Kemendagri table and only the standard's own headers. Master data (Data Induk) is the regency's, or
    without a catalogue regency every regency's lists together."""
    standard = load_standard(standard_ref)
    regencies = load_regencies()
    entry = next((r for r in regencies if regency in (r.slug, r.code)), None)
    regency_code = entry.code if entry else regency
    dataset = next((d for d in entry.datasets if d.schema == standard_ref), None) if entry else None
    columns = dataset.columns if dataset else {}
    data = path.read_bytes()
    raw = RawFile(path.name, hashlib.sha256(data).hexdigest(), len(data), str(path), str(path),
                  datetime.now(timezone.utc).isoformat(timespec="seconds"))
    batch = parse_file(raw, standard, columns)
    config = load_reference_config()
    regions = _regions(cache, "kemendagri_regions")
    code_lists = {f.code_list: codes_within(regions, f.code_list, regency_code) for f in standard.fields if f.code_list}
    outcome = validate(batch.path, standard, code_lists, references=_master_lists(standard_ref, entry, regencies,
                                                                                  regions),
                       period=dataset.period if dataset else None)
    changes = edition_changes(_regions(cache, "kemendagri_regions_previous"), regions)
    checked = explain_retired(outcome.issues, changes, config["kemendagri_regions"]["edition"])
    issues = batch.issues + drop_consequences(batch.issues, checked) + scan(batch.path, standard,
                                                                            district_codes(regions))
    return SelfCheck(path.name, standard.ref, batch.rows, issues)


def report(result: SelfCheck, limit: int = 50) -> str:
    """Readable for agency staff, Bahasa Indonesia first."""
    if result.accepted:
        return (f"DITERIMA: {result.file} memenuhi standar {result.standard} ({result.rows} baris).\n"
                f"ACCEPTED: {result.file} meets standard {result.standard} ({result.rows} rows).")
    lines = [f"DITOLAK: {result.file} belum memenuhi standar {result.standard}: {len(result.issues)} temuan.",
             f"REJECTED: {result.file} does not meet standard {result.standard}: {len(result.issues)} findings.", ""]
    lines += [f"- {issue}" for issue in result.issues[:limit]]
    if len(result.issues) > limit:
        lines.append(f"... dan {len(result.issues) - limit} temuan lain / and {len(result.issues) - limit} more")
    return "\n".join(lines)
