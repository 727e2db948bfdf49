"""Publishing a warehouse table to a CKAN portal with ckanapi: organisation, the pillar's group, a
dataset with the Satu Data metadata as top-level scheming fields, downloads (CSV, optionally XLSX and the
data dictionary) and a typed DataStore table keyed by the standard's primary key.

- Idempotent by content hash: the hash of everything we would send is stored on the dataset
  (`satudata_content_sha256`) and written last, so an unchanged table costs reads and no write.
- Only changes travel: the previously published CSV is read back from the portal and compared row by
  row (by primary key) with the new one; changed and new rows are upserted, vanished keys deleted.
- Fast: a whole table (a first load, or a change too big for one transaction) goes through the quickest
  loader the portal offers (`status_show` lists its extensions): the project's portal extension
  (`satudata_datastore_load`: the CSV COPYed, indexed and keyed in one transaction), else ckanext-xloader
  (the CSV uploaded and COPYed by the portal's worker), else large API batches. The table is always created
  first with the standard's types, so no code becomes a number, and the end state is checked.
- Atomic as the public sees it: a new dataset stays private until it is fully loaded; on an update the
  changed rows and vanished keys go in one `satudata_datastore_load` call (without the extension, the
  changed rows in one `datastore_upsert`), one transaction, so a rejected row leaves the previous table
  readable; a bigger change is loaded into a new resource beside the published
  one, which replaces it only once complete. Files and the hash are written only after the table is in.
  A run that fails raises `PublishError` with the portal's reason.
- Updates go through `package_revise` / `resource_patch` (matched by resource name), which never drop
  other resources and never create a second resource of the same name."""

import datetime as dt
import hashlib
import io
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import ckanapi
import pandas as pd
import requests

from pipelines.catalogue import Dataset, Regency
from pipelines.metadata import (PILLARS, data_dictionary, datastore_fields, package_fields,
                                provenance_fields)
from pipelines.privacy import scan
from pipelines.standard import Standard

HASH_KEY = "satudata_content_sha256"
PROFILE = "satudata-publish/2"        # part of the content hash: a new publishing profile republishes once
BULK_LOADERS = ("satudata", "xloader")  # portal extensions that load a whole table, quickest first
FIRST_LOAD_BATCH = 50_000             # rows per call on a first load (the dataset is still private)
API_WORKERS = 2                       # first-load batches in flight at once: 2.4x one at a time, 3 is slower
ATOMIC_MAX_ROWS = 250_000             # changed rows sent in one call (one transaction); above, the table is
                                      # reloaded whole through a bulk loader, or sent in batches (API only)
UPDATE_BATCH = 50_000
XLOADER_MIN_ROWS = 20_000             # below this the API is as quick as a round trip through xloader's worker
XLOADER_TIMEOUT_S = 1800              # a load not finished by then fails the run
STAGING_SUFFIX = "-memuat"            # "loading": the resource a big change is loaded into before it replaces
FORMULA_START = ("=", "+", "-", "@")
DOWNLOADS = ("csv",)                  # what `publish` attaches unless told otherwise
ALL_DOWNLOADS = ("csv", "xlsx", "dictionary")
XLSX_MAX_ROWS = 1_048_575             # Excel's sheet limit, less the header row


@dataclass
class PublishResult:
    dataset: str
    url: str
    changed: bool
    writes: list[str] = field(default_factory=list)   # the write actions sent, in order
    rows_sent: int = 0                                  # DataStore rows upserted or inserted
    rows_deleted: int = 0
    load_path: str = ""        # "none", "first-load", "diff", or the bulk loader: "satudata", "xloader" (+ "-replace")
    warnings: list[str] = field(default_factory=list)


class PersonalDataError(RuntimeError):
    """Personal data found right before publishing: nothing is sent."""


class PublishError(RuntimeError):
    """The portal refused part of a publication; the previously published version stays in place."""


class Portal:
    """A CKAN portal; every write action is recorded so callers can prove a no-op is a no-op."""

    def __init__(self, url: str, api_token: str | None, load_timeout: float = XLOADER_TIMEOUT_S,
                 loader: str | None = None):
        self.url = url.rstrip("/")
        self.token = api_token
        self._local = threading.local()
        self.writes: list[str] = []
        self.load_timeout = load_timeout
        self._loader = loader

    @property
    def loader(self) -> str:
        """The quickest way the portal offers to fill a whole DataStore table, read once from `status_show`:
        "satudata" (the project's portal extension), "xloader" (ckanext-xloader) or "api"."""
        if self._loader is None:
            extensions = self.read("status_show").get("extensions", [])
            self._loader = next((name for name in BULK_LOADERS if name in extensions), "api")
        return self._loader

    @property
    def ckan(self) -> ckanapi.RemoteCKAN:
        """One client (one HTTP session) per thread: first-load batches are sent from several."""
        if not hasattr(self._local, "ckan"):
            self._local.ckan = ckanapi.RemoteCKAN(self.url, apikey=self.token, user_agent="satudata-pipeline")
        return self._local.ckan

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

    def download(self, url: str) -> bytes:
        # The token goes only to the portal itself, never to a resource URL that points elsewhere.
        headers = {"Authorization": self.token} if self.token and url.startswith(self.url + "/") else {}
        response = requests.get(url, headers=headers, timeout=300)
        response.raise_for_status()
        return response.content


def safe_frame(frame: pd.DataFrame, standard: Standard) -> pd.DataFrame:
    """Public fields only, text cells that could start a spreadsheet formula prefixed with `'`. This is what
    every copy on the portal holds, the DataStore table included: CKAN offers its rows as CSV and XLSX too."""
    out = frame[[f.name for f in standard.public_fields]].copy()
    for f in standard.public_fields:
        if f.type == "string":
            text = out[f.name].astype("str")
            # Tested on the distinct values, which long tables repeat (1,000,000 market prices: 0.4 s, not 5 s).
            risky = [v for v in text.dropna().unique() if v.startswith(FORMULA_START)]
            out[f.name] = text.where(~text.isin(risky), "'" + text) if risky else text
        elif f.type == "integer" and pd.api.types.is_float_dtype(out[f.name]):
            # Whole numbers with gaps (CC112's suppressed counts) are floats in pandas: "7.0", which the
            # table's int8 refuses in a CSV; as Int64 they are written "7".
            out[f.name] = out[f.name].astype("Int64")
    return out


def to_csv(safe: pd.DataFrame) -> bytes:
    return safe.to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8")


def safe_csv(frame: pd.DataFrame, standard: Standard) -> bytes:
    """UTF-8 CSV in which no text cell can start a spreadsheet formula."""
    return to_csv(safe_frame(frame, standard))


def safe_xlsx(frame: pd.DataFrame, standard: Standard) -> bytes:
    """The same table as XLSX (text cells neutralised as in the CSV; dates as dates, numbers as numbers)."""
    import openpyxl
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("data")
    out = safe_frame(frame, standard)
    sheet.append([f.title for f in standard.public_fields])
    dates = [f.name for f in standard.public_fields if f.type in ("date", "datetime")]
    for column in dates:
        out[column] = pd.to_datetime(out[column])
    for row in out.astype(object).where(out.notna(), None).itertuples(index=False, name=None):
        sheet.append([v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def records(frame: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: dates as ISO text, missing values as null."""
    prepared = frame.copy()
    for column in prepared.columns:
        if pd.api.types.is_datetime64_any_dtype(prepared[column]):
            prepared[column] = prepared[column].dt.strftime("%Y-%m-%d")
    return json.loads(prepared.to_json(orient="records", date_format="iso"))


def content_hash(package: dict, csv: bytes, fields: list[dict], standard: Standard,
                 downloads: tuple[str, ...] = DOWNLOADS) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([PROFILE, package, fields, list(standard.primary_key), list(downloads)],
                             sort_keys=True).encode())
    digest.update(csv)
    return digest.hexdigest()


def changed_rows(old_csv: bytes, new_csv: bytes, key: list[str]) -> tuple[pd.Series, pd.DataFrame]:
    """Compare two CSVs written by `safe_csv`, as text: (mask of new rows that are new or changed,
    keys of old rows that are gone)."""
    read = dict(dtype=str, keep_default_na=False, na_filter=False)
    old = pd.read_csv(io.BytesIO(old_csv), **read)
    new = pd.read_csv(io.BytesIO(new_csv), **read)
    if list(old.columns) != list(new.columns):
        return pd.Series(True, index=new.index), old[[k for k in key if k in old.columns]].iloc[0:0]
    old_hash = pd.Series(pd.util.hash_pandas_object(old, index=False).to_numpy(),
                         index=pd.MultiIndex.from_frame(old[key]))
    new_hash = pd.Series(pd.util.hash_pandas_object(new, index=False).to_numpy(),
                         index=pd.MultiIndex.from_frame(new[key]))
    before = old_hash.reindex(new_hash.index)
    mask = pd.Series((before.to_numpy() != new_hash.to_numpy()) | before.isna().to_numpy(), index=new.index)
    gone = old[~old_hash.index.isin(new_hash.index)][key]
    return mask, gone


def _ensure_organisation(portal: Portal, dataset: Dataset) -> dict:
    agency = dataset.agency
    wanted = {"title": agency.name, "description": agency.description}
    org = portal.find("organization_show", id=agency.slug)
    if org is None:
        return portal.write("organization_create", name=agency.slug, **wanted)
    if any(org.get(k) != v for k, v in wanted.items()):
        return portal.write("organization_patch", id=org["id"], **wanted)
    return org


def ensure_pillar_groups(portal: Portal) -> None:
    """The six smart-city pillar groups (created once; a later run only reads the list)."""
    existing = set(portal.read("group_list"))
    for name, title in PILLARS.items():
        if name not in existing:
            portal.write("group_create", name=name, title=title,
                         description=f"Pilar {title}: dataset Satu Data pada pilar ini.")


def _upload(portal: Portal, package_id: str, resources: list[dict], name: str, content: bytes, fmt: str,
            mimetype: str, description: str) -> dict:
    """Create or replace (by name, never by a given id) one file resource; unchanged files are not sent.
    The resource hash is the file's MD5, the hash xloader compares: a CSV whose rows are already in the
    DataStore (bulk-loaded or sent as a diff) is then not re-loaded by xloader."""
    existing = next((r for r in resources if r.get("name") == name), None)
    digest = hashlib.md5(content, usedforsecurity=False).hexdigest()
    if existing and existing.get("hash") == digest:
        return existing
    files = {"upload": (name, content)}
    fields = {"name": name, "format": fmt, "mimetype": mimetype, "hash": digest, "description": description}
    if existing:
        return portal.write("resource_patch", files=files, id=existing["id"], **fields)
    return portal.write("resource_create", files=files, package_id=package_id, **fields)


def _call(portal: Portal, what: str, action: str, files: dict | None = None, **data):
    try:
        return portal.write(action, files=files, **data)
    except ckanapi.CKANAPIError as error:
        raise PublishError(f"{what}: {action} ditolak portal / refused by the portal; the previous version "
                           f"stays published: {str(error)[:2000]}") from error


def _first_load(portal: Portal, resource_id: str, fields: list[dict], standard: Standard,
                frame: pd.DataFrame, result: PublishResult) -> None:
    """Whole table, in large batches sent side by side, while the dataset is still private (or the table is
    rebuilt); the first refused batch fails the run."""
    if portal.find("datastore_info", id=resource_id) is not None:
        _call(portal, "first load", "datastore_delete", resource_id=resource_id, force=True)
    rows = records(frame)
    _call(portal, "first load", "datastore_create", resource_id=resource_id, fields=fields,
          primary_key=list(standard.primary_key), records=rows[:FIRST_LOAD_BATCH], force=True)
    batches = [rows[start:start + FIRST_LOAD_BATCH] for start in range(FIRST_LOAD_BATCH, len(rows), FIRST_LOAD_BATCH)]

    def insert(batch: list[dict], **count) -> None:
        _call(portal, "first load", "datastore_upsert", resource_id=resource_id, records=batch, method="insert",
              force=True, **count)
    # CKAN 2.12's upsert cancels the table's pending record-count job; two upserts doing that at once fail
    # (HTTP 500, rq InvalidJobOperation). So the batches in flight together skip it, and the last one,
    # sent alone, schedules the count as usual.
    with ThreadPoolExecutor(API_WORKERS) as pool:
        list(pool.map(lambda batch: insert(batch, calculate_record_count=False), batches[:-1]))
    if batches:
        insert(batches[-1])
    result.rows_sent = len(rows)
    result.load_path = "first-load"


def _wait_for_xloader(portal: Portal, resource_id: str, since: dt.datetime) -> None:
    """Until the xloader job started after `since` (naive UTC, as CKAN keeps it) is complete; its error or a
    timeout fails the run."""
    deadline = time.monotonic() + portal.load_timeout
    while time.monotonic() < deadline:
        status = portal.find("xloader_status", resource_id=resource_id) or {}
        if status.get("last_updated") and dt.datetime.fromisoformat(status["last_updated"]) >= since:
            logs = [entry.get("message", "") for entry in (status.get("task_info") or {}).get("logs", [])]
            # xloader retries a failed COPY with type guessing, which mangles codes: that is a failure too.
            copy_failed = next((m for m in logs if m.startswith("Load using COPY failed")), None)
            if status.get("status") == "error" or (status.get("status") == "complete" and copy_failed):
                error = status.get("error") or {}
                reason = copy_failed or (error.get("message", error) if isinstance(error, dict) else error)
                raise PublishError(f"xloader: pemuatan tabel gagal / the table load failed: {str(reason)[:2000]}; "
                                   "versi sebelumnya tetap terbit / the previous version stays published")
            if status.get("status") == "complete":
                return
        time.sleep(0.5)
    raise PublishError(f"xloader: tabel belum selesai dimuat dalam {portal.load_timeout:.0f} detik / the table "
                       f"load did not finish within {portal.load_timeout:.0f} s (is `ckan jobs worker` running?); "
                       "versi sebelumnya tetap terbit / the previous version stays published")


def _new_table(portal: Portal, resource: dict, fields: list[dict]) -> None:
    """An empty DataStore table typed from the standard (an old one of the resource is dropped first)."""
    if portal.find("datastore_info", id=resource["id"]) is not None:
        _call(portal, "load", "datastore_delete", resource_id=resource["id"], force=True)
    _call(portal, "load", "datastore_create", resource_id=resource["id"], fields=fields, force=True)


def _check_table(portal: Portal, resource: dict, fields: list[dict], rows: int) -> None:
    info = portal.read("datastore_info", id=resource["id"])
    got = {f["id"]: f["type"] for f in info["fields"] if f["id"] != "_id"}
    want = {f["id"]: f["type"] for f in fields}
    if got != want or info["meta"]["count"] != rows:
        raise PublishError(f"{portal.loader}: tabel tidak sesuai standar / the loaded table does not match the "
                           f"standard: types {got} (expected {want}), {info['meta']['count']} rows (expected {rows})")


def _satudata_load(portal: Portal, resource: dict, fields: list[dict], standard: Standard, csv: bytes) -> None:
    """The whole CSV in one call to the portal extension's `satudata_datastore_load`: COPY, the full-text
    column, the indexes and the unique key in one transaction, so a refused row or a duplicate key leaves the
    table empty and the run fails with the portal's reason (which names the line and column)."""
    _new_table(portal, resource, fields)
    _call(portal, "load", "satudata_datastore_load", files={"upload": (resource["name"], csv)},
          resource_id=resource["id"], primary_key=",".join(standard.primary_key))


def _xloader_into(portal: Portal, resource: dict, fields: list[dict], standard: Standard, csv: bytes,
                  notes: str) -> None:
    """Load the CSV into the resource's DataStore table through xloader (PostgreSQL COPY): we create the
    table first, typed from the standard with `info.type_override` (xloader reads it and never guesses), then
    upload the file; the upload starts the load (TRUNCATE, COPY, the `_full_text` fill, the full-text index).
    The unique key is added only after the load, in one index build: kept during the load, every row of the
    COPY and of xloader's `_full_text` UPDATE also went into it (52 s instead of 37 s for that UPDATE on
    1,000,000 rows). A duplicate key then fails that last step, on a table that is still private (first
    publish) or a staging resource (replace)."""
    _new_table(portal, resource, fields)
    since = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    # An empty hash: xloader skips a file whose hash it already knows, and this one must load.
    _call(portal, "load", "resource_patch", files={"upload": (resource["name"], csv)}, id=resource["id"],
          format="CSV", mimetype="text/csv", hash="", description=notes)
    _wait_for_xloader(portal, resource["id"], since)
    _call(portal, "load", "datastore_create", resource_id=resource["id"], fields=fields,
          primary_key=list(standard.primary_key), force=True)


def _bulk_load(portal: Portal, resource: dict, fields: list[dict], standard: Standard, csv: bytes, rows: int,
               notes: str) -> None:
    """The whole table through the portal's bulk loader, then the end state checked."""
    if portal.loader == "satudata":
        _satudata_load(portal, resource, fields, standard, csv)
    else:
        _xloader_into(portal, resource, fields, standard, csv, notes)
    _check_table(portal, resource, fields, rows)


def _replace_table(portal: Portal, package_id: str, table: dict, fields: list[dict], standard: Standard,
                   csv: bytes, rows: int, notes: str, result: PublishResult) -> dict:
    """A change too big for one transaction on a published table: load a new resource beside it and let it
    take the table's name only once complete. A failed load removes the new resource; the old one was
    never touched. Returns the resource that now carries the table (a new id)."""
    staging_name = table["name"].removesuffix(".csv") + STAGING_SUFFIX + ".csv"
    package = portal.read("package_show", id=package_id)
    for stale in (r for r in package["resources"] if r["name"] == staging_name):  # left by a killed run
        _call(portal, "replace", "resource_delete", id=stale["id"])
    staging = _call(portal, "replace", "resource_create", package_id=package_id, name=staging_name,
                    format="CSV", url="")
    try:
        _bulk_load(portal, staging, fields, standard, csv, rows, notes)
    except PublishError:
        try:
            portal.write("resource_delete", id=staging["id"])
        except ckanapi.CKANAPIError:
            pass   # the reason above matters more; the next run removes the left-over resource
        raise
    _call(portal, "replace", "resource_delete", id=table["id"])
    result.load_path, result.rows_sent = f"{portal.loader}-replace", rows
    return _call(portal, "replace", "resource_patch", id=staging["id"], name=table["name"])


def _diff_load(portal: Portal, package_id: str, resource: dict, fields: list[dict], standard: Standard,
               frame: pd.DataFrame, csv: bytes, notes: str, result: PublishResult) -> None:
    """Only the rows that differ from the published CSV. With the project's portal extension the changed rows
    and the vanished keys go in one call, one transaction; otherwise the changed rows in one `datastore_upsert`
    (one transaction) when they fit, and one `datastore_delete` per vanished key. A change too big for one
    transaction goes, with a bulk loader, into a new resource that replaces the published one when complete."""
    key = list(standard.primary_key)
    mask, gone = changed_rows(portal.download(resource["url"]), csv, key)
    if int(mask.sum()) > ATOMIC_MAX_ROWS and portal.loader != "api":
        _replace_table(portal, package_id, resource, fields, standard, csv, len(frame), notes, result)
        return
    changed = frame[mask.to_numpy()]
    result.rows_sent, result.rows_deleted, result.load_path = len(changed), len(gone), "diff"
    # datastore_create on an existing table only adds what is new (fields' info); no rows are touched.
    _call(portal, "update", "datastore_create", resource_id=resource["id"], fields=fields,
          primary_key=key, force=True)
    if portal.loader == "satudata":
        if len(changed) or len(gone):
            _call(portal, "update", "satudata_datastore_load", resource_id=resource["id"], method="upsert",
                  primary_key=",".join(key), files={"upload": ("berubah.csv", to_csv(changed)),
                                                    "delete": ("dihapus.csv", to_csv(gone))})
        return
    rows = records(changed)
    if len(rows) > ATOMIC_MAX_ROWS:
        result.warnings.append(f"{len(rows)} changed rows sent in batches of {UPDATE_BATCH}: not one transaction")
    size = len(rows) if len(rows) <= ATOMIC_MAX_ROWS else UPDATE_BATCH
    for start in range(0, len(rows), max(size, 1)):
        _call(portal, "update", "datastore_upsert", resource_id=resource["id"], records=rows[start:start + size],
              method="upsert", force=True)
    for values in gone.itertuples(index=False, name=None):
        filters = dict(zip(key, values))
        _call(portal, "update", "datastore_delete", resource_id=resource["id"], filters=filters, force=True)


def publish(portal: Portal, regency: Regency, dataset: Dataset, standard: Standard,
            frame: pd.DataFrame, provenance: dict[str, str], district_codes: set[str],
            downloads: tuple[str, ...] = DOWNLOADS) -> PublishResult:
    """Bring the portal's copy of the dataset up to the warehouse table. Provenance (run id, raw checksum,
    validation time/status) is recorded when something is published, but does not by itself make a change.
    The personal-data guard runs again here, on exactly what would be sent."""
    found = scan(frame.assign(_source_file="warehouse", _source_row=range(1, len(frame) + 1)), standard,
                 district_codes)
    if found:
        raise PersonalDataError(f"{len(found)} temuan data pribadi, tidak diterbitkan / personal data found, "
                                f"nothing published: {found[0]}")
    package = package_fields(regency, dataset, standard, frame)
    public = safe_frame(frame, standard)
    csv = to_csv(public)
    fields = datastore_fields(standard)
    digest = content_hash(package, csv, fields, standard, downloads)
    result = PublishResult(package["name"], f"{portal.url}/dataset/{package['name']}", changed=False,
                           writes=portal.writes, load_path="none")
    if standard.metadata["klasifikasi"] == "Tertutup":
        return result  # closed data is never published
    current = portal.find("package_show", id=package["name"])
    if current and current.get(HASH_KEY) == digest:
        return result
    result.changed = True
    org = _ensure_organisation(portal, dataset)
    ensure_pillar_groups(portal)
    stamp = {HASH_KEY: digest, **provenance_fields(
        {"validated_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
         "validation_status": "Lolos", **provenance})}
    completed = bool(current and current.get(HASH_KEY))
    if current is None:
        # Private until fully loaded: the public never sees a half-loaded first version.
        current = _call(portal, "create", "package_create", owner_org=org["id"], **{**package, "private": True})
    elif not completed:
        _call(portal, "create", "package_patch", id=current["id"], private=True)
    name = f"{dataset.name}.csv"
    resources = current.get("resources", [])
    table = next((r for r in resources if r.get("name") == name), None)
    if table is None:
        table = _call(portal, "create", "resource_create", package_id=current["id"], name=name, format="CSV",
                      url="")
        resources = [*resources, table]
    notes = f"Standar {standard.ref}; kolom bertanda ' diawali =, +, -, @ (dinetralkan untuk spreadsheet)."
    if completed and table.get("url"):
        _diff_load(portal, current["id"], table, fields, standard, public, csv, notes, result)
    elif portal.loader == "satudata" or (portal.loader == "xloader" and len(frame) >= XLOADER_MIN_ROWS):
        # Still private: the whole table through the portal's bulk loader.
        _bulk_load(portal, table, fields, standard, csv, len(frame), notes)
        result.load_path, result.rows_sent = portal.loader, len(frame)
    else:
        _first_load(portal, table["id"], fields, standard, public, result)
    # Files after the table: a failed load above leaves the previous files and hash in place.
    resources = portal.read("package_show", id=current["id"])["resources"]   # the load may have changed them
    _upload(portal, current["id"], resources, name, csv, "CSV", "text/csv", notes)
    if "xlsx" in downloads:
        if len(frame) <= XLSX_MAX_ROWS:
            _upload(portal, current["id"], resources, f"{dataset.name}.xlsx", safe_xlsx(frame, standard), "XLSX",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", notes)
        else:
            result.warnings.append(f"{len(frame)} rows exceed an Excel sheet: no XLSX")
    if "dictionary" in downloads:
        _upload(portal, current["id"], resources, f"{dataset.name}-kamus-data.csv", data_dictionary(standard),
                "CSV", "text/csv", f"Kamus data (data dictionary) dari standar {standard.ref}")
    # Metadata, visibility and the hash last, in one revision.
    _call(portal, "finish", "package_revise", match={"id": current["id"]}, filter=["-extras", "-tags", "-groups"],
          update={**package, "owner_org": org["id"], "extras": [], **stamp})
    return result
