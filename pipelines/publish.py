"""Publishing a warehouse table to a CKAN portal with ckanapi: organisation, dataset with Satu Data
metadata, a CSV download and a typed DataStore table keyed by the standard's primary key.

Idempotent by content hash: the hash of everything we would send is stored on the dataset and written
last, so an unchanged table costs one read and no write, and a run that failed half way is simply
completed by the next one. Updates go through `package_revise` / `resource_patch`, which never drop
other resources."""

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import ckanapi
import pandas as pd

from pipelines.catalogue import Dataset, Regency
from pipelines.metadata import datastore_fields, package_fields
from pipelines.privacy import scan
from pipelines.standard import Standard

HASH_KEY = "satudata_content_sha256"
BATCH_ROWS = 10_000
FORMULA_START = ("=", "+", "-", "@")


@dataclass
class PublishResult:
    dataset: str
    url: str
    changed: bool
    writes: list[str] = field(default_factory=list)   # the write actions sent, in order


class PersonalDataError(RuntimeError):
    """Personal data found right before publishing: nothing is sent."""


class Portal:
    """A CKAN portal; every write action is recorded so callers can prove a no-op is a no-op."""

    def __init__(self, url: str, api_token: str | None):
        self.url = url.rstrip("/")
        self.ckan = ckanapi.RemoteCKAN(self.url, apikey=api_token, user_agent="satudata-pipeline")
        self.writes: list[str] = []

    def read(self, action: str, **data):
        return self.ckan.call_action(action, data)

    def write(self, action: str, files: dict | None = None, **data):
        self.writes.append(action)
        return self.ckan.call_action(action, data, files=files)

    def find(self, action: str, **data):
        try:
            return self.read(action, **data)
        except ckanapi.NotFound:
            return None


def safe_csv(frame: pd.DataFrame, standard: Standard) -> bytes:
    """UTF-8 CSV in which no text cell can start a spreadsheet formula."""
    out = frame.copy()
    for f in standard.public_fields:
        if f.type == "string":
            text = out[f.name].astype("str")
            out[f.name] = text.where(~text.str.startswith(FORMULA_START), "'" + text)
    return out.to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8")


def records(frame: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: dates as ISO text, missing values as null."""
    prepared = frame.copy()
    for column in prepared.columns:
        if pd.api.types.is_datetime64_any_dtype(prepared[column]):
            prepared[column] = prepared[column].dt.strftime("%Y-%m-%d")
    return json.loads(prepared.to_json(orient="records", date_format="iso"))


def content_hash(package: dict, csv: bytes, fields: list[dict], standard: Standard) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([package, fields, list(standard.primary_key)], sort_keys=True).encode())
    digest.update(csv)
    return digest.hexdigest()


def _extra(package: dict, key: str) -> str | None:
    return next((e["value"] for e in package.get("extras", []) if e["key"] == key), None)


def _ensure_organisation(portal: Portal, dataset: Dataset) -> dict:
    agency = dataset.agency
    wanted = {"title": agency.name, "description": agency.description}
    org = portal.find("organization_show", id=agency.slug)
    if org is None:
        return portal.write("organization_create", name=agency.slug, **wanted)
    if any(org.get(k) != v for k, v in wanted.items()):
        return portal.write("organization_patch", id=org["id"], **wanted)
    return org


def _upload(portal: Portal, package_id: str, existing: dict | None, name: str, csv: bytes) -> dict:
    sha = hashlib.sha256(csv).hexdigest()
    if existing and existing.get("hash") == sha:
        return existing
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(csv)
        with path.open("rb") as handle:
            fields = {"name": name, "format": "CSV", "mimetype": "text/csv", "hash": sha}
            if existing:
                return portal.write("resource_patch", files={"upload": handle}, id=existing["id"], **fields)
            return portal.write("resource_create", files={"upload": handle}, package_id=package_id, **fields)


def publish(portal: Portal, regency: Regency, dataset: Dataset, standard: Standard,
            frame: pd.DataFrame, provenance: dict[str, str], district_codes: set[str]) -> PublishResult:
    """Bring the portal's copy of the dataset up to the warehouse table. Provenance (run id, batch) is
    recorded when something is published, but does not by itself make a change. The personal-data guard
    runs again here, on exactly what would be sent."""
    found = scan(frame.assign(_source_file="warehouse", _source_row=range(1, len(frame) + 1)), standard,
                 district_codes)
    if found:
        raise PersonalDataError(f"{len(found)} temuan data pribadi, tidak diterbitkan / personal data found, "
                                f"nothing published: {found[0]}")
    package = package_fields(regency, dataset, standard, frame)
    csv = safe_csv(frame, standard)
    fields = datastore_fields(standard)
    digest = content_hash(package, csv, fields, standard)
    result = PublishResult(package["name"], f"{portal.url}/dataset/{package['name']}", changed=False,
                           writes=portal.writes)
    if standard.metadata["klasifikasi"] == "Tertutup":
        return result  # closed data is never published
    current = portal.find("package_show", id=package["name"])
    if current and _extra(current, HASH_KEY) == digest:
        return result
    result.changed = True
    org = _ensure_organisation(portal, dataset)
    extras = package.pop("extras")
    if current is None:
        current = portal.write("package_create", owner_org=org["id"], extras=extras, **package)
    else:
        kept = [e for e in current.get("extras", []) if e["key"] == HASH_KEY]  # stays until the data is in
        # package_revise merges lists by position; filtering them out first makes the update replace them.
        current = portal.write("package_revise", match={"id": current["id"]}, filter=["-extras", "-tags"],
                               update={**package, "owner_org": org["id"], "extras": extras + kept})["package"]
    name = f"{dataset.name}.csv"
    existing = next((r for r in current.get("resources", []) if r["name"] == name), None)
    resource = _upload(portal, current["id"], existing, name, csv)
    portal.write("datastore_create", resource_id=resource["id"], fields=fields,
                 primary_key=list(standard.primary_key), force=True)
    rows = records(frame)
    for start in range(0, len(rows), BATCH_ROWS):
        portal.write("datastore_upsert", resource_id=resource["id"], records=rows[start:start + BATCH_ROWS],
                     method="upsert", force=True)
    stamp = [{"key": HASH_KEY, "value": digest}] + [{"key": f"satudata_{k}", "value": v}
                                                     for k, v in sorted(provenance.items())]
    portal.write("package_revise", match={"id": current["id"]}, filter=["-extras"],
                 update={"extras": extras + stamp})
    return result
