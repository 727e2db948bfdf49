"""Publishing a table to a CKAN portal with ckanapi: a dataset with the Satu Data metadata as top-level
scheming fields in its agency's organisation and its pillar's group, a typed DataStore table keyed by the
standard's primary key, its downloads and the data dictionary.

- Editor rights are enough. The organisations, the pillar groups and the publishing user (editor of its
  regency's organisations, member of the groups) are the portal administrator's: `satudata portal setup`
  (`pipelines/portal_setup.py`). A publication only reads them, and a missing one fails at once saying so.

- The change set is the unit of publication. The dataset records the warehouse versions its table holds
  (`satudata_versi_gudang`, written last); a run asks the table for what changed after them (the rows
  written, the keys deleted: `warehouse.changes`) and sends exactly that. Nothing reads the whole table or
  the published copy to find a difference. A run that failed or was killed after the DataStore took the
  change but before the versions were written sends the same change again next time: upserts and deletes
  by key, so nothing is applied twice.
- Idempotent: the hash of the metadata (`satudata_content_sha256`) and the versions decide; equal ones cost
  one read and no write.
- Downloads come from the DataStore, so they always equal the table: the table's resource is a DataStore
  resource, whose URL the portal extension serves (`/satudata/unduh/<id>.csv`), and the XLSX resource links
  its `.xlsx`; each is rendered by the portal once per version, from one snapshot, so a download taken during
  a load is one version whole (CKAN's own dump, for TSV, JSON and XML, reads the table in pages). Nothing is
  rendered or uploaded by the pipeline when rows change; only the data dictionary is a file.
- Fast and atomic as the public sees it: a whole table (the first publication, or a copy that cannot be
  brought up to date by a change set) and every change set go to the project's portal extension
  (`satudata_datastore_load`: COPY, index and key, or upsert and delete, in one transaction, readers keep the
  previous rows until it commits). Portals without it get API batches (`datastore_upsert`). A new dataset
  stays private until its first load completes. A refusal raises `PublishError` with the portal's reason and
  leaves the previous version published.
- Updates go through `package_revise` / `resource_patch` (matched by resource name), which never drop
  other resources and never create a second resource of the same name.
- Failures are named. A portal that does not answer within `SATUDATA_PORTAL_TIMEOUT` seconds (default 300),
  cannot be reached, or answers with an error page instead of the API's JSON raises a retryable
  `PublishError` that says so; a refusal that would come again (the token, a value the table refuses) is
  `permanent`, and the step fails at once."""

import ast
import dataclasses
import datetime as dt
import functools
import hashlib
import io
import json
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import ckanapi
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import requests

from pipelines import metadata_statistik, validation_report
from pipelines.catalogue import Dataset, Regency
from pipelines.metadata import data_dictionary, datastore_fields, package_fields, package_name, provenance_fields
from pipelines.privacy import scan
from pipelines.standard import Standard
from pipelines.views import View, declared
from pipelines.warehouse import ChangeSet

HASH_KEY = "satudata_content_sha256"
VERSION_KEY = "satudata_versi_gudang"  # the warehouse versions the DataStore table holds, as JSON
PROFILE = "satudata-publish/3"  # part of the content hash: a new publishing profile republishes once
FIRST_LOAD_BATCH = 50_000  # rows per call on an API first load (the dataset is still private)
API_WORKERS = 2  # first-load batches in flight at once: 2.4x one at a time, 3 is slower
ATOMIC_MAX_ROWS = 250_000  # API path: changed rows sent in one call (one transaction)
UPDATE_BATCH = 50_000
FORMULA_START = ("=", "+", "-", "@")
DOWNLOADS = ("csv",)  # what `publish` attaches unless told otherwise
ALL_DOWNLOADS = ("csv", "xlsx", "dictionary")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TIMEOUT_ENV = "SATUDATA_PORTAL_TIMEOUT"  # seconds to wait for one answer, for every portal of the process
DEFAULT_TIMEOUT_S = 300.0
TABLE_VIEW = View("datatables_view", "Tabel / Table", {})  # CKAN's own, after the standard's views


@dataclass
class PublishResult:
    dataset: str
    url: str
    changed: bool
    writes: list[str] = field(default_factory=list)  # the write actions sent, in order
    rows_sent: int = 0  # DataStore rows upserted or inserted
    rows_deleted: int = 0
    load_path: str = "none"  # "none", "whole" (the table loaded whole) or "changes" (a change set)
    versions: dict = field(default_factory=dict)  # what the portal's table holds afterwards
    warnings: list[str] = field(default_factory=list)


class PersonalDataError(RuntimeError):
    """Personal data found right before publishing: nothing is sent."""


class PublishError(RuntimeError):
    """The portal refused part of a publication, or did not complete it (down, failing, slower than the
    timeout); the versions the dataset records stay the previous ones, so a later try sends the change again.
    `permanent`: the same request would be refused again (no permission, a value the table refuses, a wrong
    setting), so a retry cannot help; otherwise a later try may."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Table(Protocol):
    """What `publish` needs of a table: the change set since the versions a portal holds (with the period the
    table covers). `warehouse.PublishedTable` reads the warehouse; `FrameTable` wraps a computed frame."""

    def changes(self, since: dict) -> ChangeSet: ...


class FrameTable:
    """A small computed table (e.g. the compliance scorecard): its version is its content, and any change
    reloads it whole."""

    def __init__(self, frame: pd.DataFrame, standard: Standard):
        self.frame, self.standard = frame, standard
        self.version = {"isi": hashlib.sha256(to_csv(safe_frame(frame, standard))).hexdigest()}

    def changes(self, since: dict) -> ChangeSet:
        empty = self.frame.iloc[0:0]
        field_name = self.standard.coverage_field
        period = ("", "")
        if field_name and not self.frame.empty:
            column = pd.to_datetime(self.frame[field_name])
            period = (column.min().date().isoformat(), column.max().date().isoformat())
        current = since == self.version
        return ChangeSet(
            since if current else {},
            self.version,
            empty if current else self.frame,
            empty[list(self.standard.primary_key)],
            period,
            len(self.frame),
        )


class Portal:
    """A CKAN portal; every write action is recorded so callers can prove a no-op is a no-op.

    Each request waits at most `timeout` seconds for the answer (default: `portal_timeout()`). Without a limit
    a hung portal holds the step, and the portal pool's slot, forever; with one, the step fails and is retried,
    and nothing is lost: a publication records its versions last, so the next try sends again, applied once
    by key, whatever the portal did not acknowledge, even a load it finished after the client gave up."""

    def __init__(self, url: str, api_token: str | None, loader: str | None = None, timeout: float | None = None):
        self.url = url.rstrip("/")
        self.token = api_token
        self.timeout = portal_timeout() if timeout is None else timeout
        self._local = threading.local()
        self.writes: list[str] = []
        self._loader = loader

    @functools.cached_property
    def status(self) -> dict:
        return self.read("status_show")

    @property
    def loader(self) -> str:
        """How the portal takes rows, read once from `status_show`: "satudata" (the project's portal
        extension, one transaction per load or change set) or "api" (`datastore_upsert` batches)."""
        if self._loader is None:
            self._loader = "satudata" if "satudata" in self.status.get("extensions", []) else "api"
        return self._loader

    @property
    def ckan(self) -> ckanapi.RemoteCKAN:
        """One client (one HTTP session) per thread: first-load batches are sent from several."""
        if not hasattr(self._local, "ckan"):
            self._local.ckan = ckanapi.RemoteCKAN(self.url, apikey=self.token, user_agent="satudata-pipeline")
        return self._local.ckan

    def read(self, action: str, **data):
        return self._send(action, data)

    def write(self, action: str, files: dict | None = None, **data):
        self.writes.append(action)
        return self._send(action, data, files)

    def _send(self, action: str, data: dict, files: dict | None = None):
        try:
            return self.ckan.call_action(action, data, files=files, requests_kwargs={"timeout": self.timeout})
        except requests.Timeout as error:
            raise PublishError(
                f"{action}: portal {self.url} tidak menjawab dalam {self.timeout:g} detik; percobaan berikutnya "
                f"mengirim lagi apa yang belum dicatat portal (diterapkan sekali, per kunci). Bila berulang, periksa "
                f"beban portal atau naikkan {TIMEOUT_ENV} / the portal did not answer within {self.timeout:g} s; "
                f"the next try sends again what the portal has not recorded (applied once, by key). If it keeps "
                f"happening, check the portal's load or raise {TIMEOUT_ENV}"
            ) from error
        except requests.ConnectionError as error:
            raise PublishError(
                f"{action}: portal {self.url} tidak dapat dihubungi atau memutus sambungan; percobaan berikutnya "
                f"mengirim lagi apa yang belum dicatat portal. Periksa bahwa portal berjalan dan alamatnya benar "
                f"(catalogue/portals.yaml: url, url_env) / the portal cannot be reached or dropped the connection; "
                f"the next try sends again what it has not recorded. Check that it runs and that its address is "
                f"right: {str(error)[:300]}"
            ) from error
        except ckanapi.CKANAPIError as error:
            if type(error) is not ckanapi.CKANAPIError:
                raise  # the API's own answer (not found, not authorised, invalid): the caller's to judge
            raise PublishError(
                f"{action}: portal {self.url} gagal menjawab: mati, kelebihan beban atau sedang pemeliharaan; "
                f"percobaan berikutnya mengirim lagi apa yang belum dicatat portal. Bila berulang, periksa log "
                f"portal / the portal failed to answer: down, overloaded or under maintenance; the next try sends "
                f"again what it has not recorded. If it keeps happening, check the portal's log: "
                f"{_http_status(error)}"
            ) from error

    def find(self, action: str, **data):
        try:
            return self.read(action, **data)
        except ckanapi.NotFound:
            return None

    def check_token(self) -> str:
        """The portal user the API token belongs to. A wrong, expired or revoked token is otherwise noticed
        only when something must be written (reads fall back to anonymous), and then as a refusal."""
        try:
            if self.token:
                return self.read("user_show")["name"]  # without an id: the token's own user
        except (ckanapi.NotFound, ckanapi.ValidationError, ckanapi.NotAuthorized):
            pass
        raise PublishError(
            f"token API portal {self.url} tidak diterima (kosong, salah, kedaluwarsa atau dicabut); "
            f"pasang token yang sah di variabel yang dinamai `api_token_env` berkas kabupaten atau "
            f"catalogue/portals.yaml (token baru: `satudata portal setup --new-token`) / the portal's "
            f"API token is not accepted (empty, wrong, expired or revoked); set a valid one in the "
            f"variable named by `api_token_env` in the regency's file or catalogue/portals.yaml (a "
            f"new one: `satudata portal setup --new-token`)",
            permanent=True,
        )

    def xlsx_url(self, resource_id: str) -> str:
        """On the portal's public address: the pipeline may reach it by another (an internal host, a proxy)."""
        return f"{(self.status.get('site_url') or self.url).rstrip('/')}/satudata/unduh/{resource_id}.xlsx"


def portal_timeout() -> float:
    """Seconds to wait for one answer of a portal: `SATUDATA_PORTAL_TIMEOUT`, or DEFAULT_TIMEOUT_S, long enough
    for the portal's one-transaction load of a large table (1,000,000 rows: about 20 s here)."""
    value = os.environ.get(TIMEOUT_ENV) or str(DEFAULT_TIMEOUT_S)
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):  # a setting a retry cannot fix
        raise PublishError(
            f"{TIMEOUT_ENV}={value!r}: harus jumlah detik lebih dari 0, mis. 300 / must be a "
            f"number of seconds above 0, e.g. 300",
            permanent=True,
        )
    return seconds


def _http_status(error: Exception) -> str:
    """ckanapi reports an answer it does not recognise as repr([url, status, body])."""
    try:
        _, status, body = ast.literal_eval(str(error))
        return f"HTTP {status}: {' '.join(str(body).split())[:200]}"
    except (ValueError, SyntaxError, TypeError):
        return str(error)[:300]


def safe_frame(frame: pd.DataFrame, standard: Standard) -> pd.DataFrame:
    """The standard's public fields that the frame holds (all of them, or the key of deleted rows), text cells
    that could start a spreadsheet formula prefixed with `'`. This is what the DataStore table holds, so
    every download of it is safe to open in a spreadsheet."""
    fields = [f for f in standard.public_fields if f.name in frame.columns]
    out = frame[[f.name for f in fields]].copy()
    for f in fields:
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
    """The rows as the portal's loader COPYs them: missing values empty (NULL), days as `YYYY-MM-DD`, times
    of day kept. Written by Arrow's CSV writer: a million rows in 0.2 s, where pandas' takes 4 s."""
    # A column of mixed values (a number column holding a word) goes as text: the portal's table judges it.
    mixed = [c for c in safe.columns if pd.api.types.infer_dtype(safe[c], skipna=True).startswith("mixed")]
    table = pa.Table.from_pandas(safe.astype(dict.fromkeys(mixed, "str")), preserve_index=False)
    for position, name in enumerate(table.column_names):
        moments = safe[name].dropna() if pa.types.is_timestamp(table.schema.field(position).type) else None
        if moments is not None and (moments == moments.dt.normalize()).all():  # days, not moments
            table = table.set_column(position, name, pc.cast(table.column(position), pa.date32()))
    buffer = io.BytesIO()
    pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(quoting_style="needed"))
    return buffer.getvalue()


def records(frame: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: dates as ISO text, missing values as null."""
    prepared = frame.copy()
    for column in prepared.columns:
        if pd.api.types.is_datetime64_any_dtype(prepared[column]):
            prepared[column] = prepared[column].dt.strftime("%Y-%m-%d")
    return json.loads(prepared.to_json(orient="records", date_format="iso"))


def content_hash(package: dict, fields: list[dict], standard: Standard, downloads: tuple[str, ...]) -> str:
    """The metadata's fingerprint: a change of it (a new period end, a new standard version) republishes the
    metadata even when no row changed."""
    views = [dataclasses.asdict(v) for v in declared(standard)]
    return hashlib.sha256(
        json.dumps(
            [PROFILE, package, fields, list(standard.primary_key), list(downloads), views], sort_keys=True, default=str
        ).encode()
    ).hexdigest()


SETUP_HINT = (
    "minta administrator portal menjalankan `satudata portal setup` / ask the portal's administrator to "
    "run `satudata portal setup`"
)


def _organisation(portal: Portal, dataset: Dataset) -> dict:
    """The agency's organisation, read only: the portal administrator's setup creates it and keeps its
    metadata, so the publishing token needs no more than editor rights on it."""
    org = portal.find("organization_show", id=dataset.agency.slug)
    if org is None:
        raise PublishError(
            f"organisasi {dataset.agency.slug} belum ada di portal {portal.url} / the organisation "
            f"does not exist on the portal; {SETUP_HINT}",
            permanent=True,
        )
    return org


def _check_pillar_group(portal: Portal, pillar: str) -> None:
    """The pillar's group must exist (the setup creates the six): CKAN would refuse the dataset as "not found",
    which reads like a passing fault."""
    if not portal.read("group_list", groups=[pillar]):
        raise PublishError(
            f"grup pilar {pillar} belum ada di portal {portal.url} / the pillar group does not exist "
            f"on the portal; {SETUP_HINT}",
            permanent=True,
        )


def _call(portal: Portal, what: str, action: str, files: dict | None = None, **data):
    try:
        return portal.write(action, files=files, **data)
    except ckanapi.NotAuthorized as error:
        raise PublishError(
            f"{what}: {action} ditolak portal: token API tidak berhak (salah, kedaluwarsa, atau "
            f"penggunanya bukan editor organisasi ini atau anggota grup pilarnya) / refused by the "
            f"portal: the API token is not allowed (wrong, expired, or its user is not an editor of "
            f"this organisation or a member of its pillar group: {SETUP_HINT}); the previous "
            f"version stays published: {str(error)[:500]}",
            permanent=True,
        ) from error
    except ckanapi.ValidationError as error:
        raise PublishError(
            f"{what}: {action} ditolak portal / refused by the portal; the previous version "
            f"stays published: {str(error)[:2000]}",
            permanent=True,
        ) from error
    except ckanapi.CKANAPIError as error:
        raise PublishError(
            f"{what}: {action} ditolak portal / refused by the portal; the previous version "
            f"stays published: {str(error)[:2000]}"
        ) from error


def _upload(
    portal: Portal,
    package_id: str,
    resources: list[dict],
    name: str,
    content: bytes,
    fmt: str,
    mimetype: str,
    description: str,
    replacements: dict[str, tuple[bytes, dict]],
) -> None:
    """Create (by name, never by a given id) one file resource, or put its new content in `replacements` (by
    resource id), which the publication's finishing revision sends; an unchanged file is not sent."""
    existing = next((r for r in resources if r.get("name") == name), None)
    digest = hashlib.md5(content, usedforsecurity=False).hexdigest()
    if existing and existing.get("hash") == digest:
        return
    fields = {"name": name, "format": fmt, "mimetype": mimetype, "hash": digest, "description": description}
    if existing:
        replacements[existing["id"]] = (content, fields)
    else:
        _call(portal, "files", "resource_create", files={"upload": (name, content)}, package_id=package_id, **fields)


def _link(
    portal: Portal,
    package_id: str,
    resources: list[dict],
    name: str,
    url: str,
    fmt: str,
    mimetype: str,
    description: str,
) -> None:
    """Create or correct (by name) a resource that links a download the portal serves."""
    existing = next((r for r in resources if r.get("name") == name), None)
    wanted = {"url": url, "format": fmt, "mimetype": mimetype, "description": description}
    if existing is None:
        _call(portal, "files", "resource_create", package_id=package_id, name=name, **wanted)
    elif any(existing.get(k) != v for k, v in wanted.items()):
        _call(portal, "files", "resource_patch", id=existing["id"], **wanted)


def _table_resource(portal: Portal, package: dict, name: str, fields: list[dict], notes: str) -> dict:
    """The DataStore resource that carries the table (created with its typed, empty table; the key comes with
    the first load): its URL is the portal extension's CSV of the table, so its download is always the table."""
    existing = next((r for r in package.get("resources", []) if r.get("name") == name), None)
    if existing is not None:
        if existing.get("url_type") != "datastore":  # published before downloads came from the DataStore
            if existing.get("datastore_active"):  # the portal's copy of the old upload: typed from it, keyless
                _call(portal, "load", "datastore_delete", resource_id=existing["id"], force=True)
                existing = {**existing, "datastore_active": False}
            _call(
                portal,
                "load",
                "resource_patch",
                id=existing["id"],
                url_type="datastore",
                url="_datastore_only_resource",
                description=notes,
            )
        elif existing.get("description") != notes:  # e.g. the table grew past Excel's limit
            _call(portal, "files", "resource_patch", id=existing["id"], description=notes)
        if not existing.get("datastore_active"):
            _call(portal, "load", "datastore_create", resource_id=existing["id"], fields=fields, force=True)
        return existing
    created = _call(
        portal,
        "load",
        "datastore_create",
        fields=fields,
        force=True,
        resource={
            "package_id": package["id"],
            "name": name,
            "format": "CSV",
            "mimetype": "text/csv",
            "description": notes,
        },
    )
    return {"id": created["resource_id"], "name": name}


def _ensure_views(portal: Portal, resource_id: str, standard: Standard) -> None:
    """The table's views: the charts and maps its standard declares (`satudata.tampilan`) first, so the resource
    page opens on them, then CKAN's table. Created or corrected by type, each where the portal has its plugin;
    views added by hand stay, after these."""
    available = set(portal.status.get("extensions", []))
    wanted = [v for v in (*declared(standard), TABLE_VIEW) if v.view_type in available]
    if not wanted:
        return
    existing = portal.read("resource_view_list", id=resource_id)
    kept = []
    for view in wanted:
        found = next((v for v in existing if v["view_type"] == view.view_type and v["id"] not in kept), None)
        fields = {"resource_id": resource_id, "view_type": view.view_type, "title": view.title, **view.config}
        if found is None:
            found = _call(portal, "views", "resource_view_create", **fields)
        elif any(found.get(k) != v for k, v in fields.items()):
            found = _call(portal, "views", "resource_view_update", id=found["id"], **fields)
        kept.append(found["id"])
    order = kept + [v["id"] for v in existing if v["id"] not in kept]
    if [v["id"] for v in existing] != order:
        _call(portal, "views", "resource_view_reorder", id=resource_id, order=order)


def _check_table(portal: Portal, resource_id: str, fields: list[dict], rows: int) -> None:
    info = portal.read("datastore_info", id=resource_id)
    got = {f["id"]: f["type"] for f in info["fields"] if f["id"] != "_id"}
    want = {f["id"]: f["type"] for f in fields}
    if got != want or info["meta"]["count"] != rows:
        raise PublishError(
            f"{portal.loader}: tabel tidak sesuai standar / the loaded table does not match the "
            f"standard: types {got} (expected {want}), {info['meta']['count']} rows (expected {rows})"
        )


def _load_whole(
    portal: Portal,
    resource_id: str,
    fields: list[dict],
    standard: Standard,
    safe: pd.DataFrame,
    versions: dict,
    result: PublishResult,
) -> None:
    """The whole table in place of what the DataStore table holds. With the portal extension: one
    transaction (an empty table is filled and keyed; a filled one is replaced, readers keeping the old rows
    until it commits). Otherwise API batches while the dataset is private, or after clearing the table."""
    key = list(standard.primary_key)
    result.rows_sent, result.load_path = len(safe), "whole"
    if portal.loader == "satudata":  # the extension builds the key after the rows are in, in one index build
        _call(
            portal,
            "load",
            "satudata_datastore_load",
            files={"upload": ("tabel.csv", to_csv(safe))},
            resource_id=resource_id,
            method="replace",
            primary_key=",".join(key),
            version=json.dumps(versions),
        )
        return
    # datastore_create on an existing table only adds what is new (fields' info, the key); no row is touched.
    _call(portal, "load", "datastore_create", resource_id=resource_id, fields=fields, primary_key=key, force=True)
    _call(portal, "load", "datastore_delete", resource_id=resource_id, filters={}, force=True)
    rows = records(safe)
    batches = [rows[start : start + FIRST_LOAD_BATCH] for start in range(0, len(rows), FIRST_LOAD_BATCH)]

    def insert(batch: list[dict], **count) -> None:
        _call(
            portal,
            "load",
            "datastore_upsert",
            resource_id=resource_id,
            records=batch,
            method="insert",
            force=True,
            **count,
        )

    # CKAN 2.12's upsert cancels the table's pending record-count job; two upserts doing that at once fail
    # (HTTP 500, rq InvalidJobOperation). So the batches in flight together skip it, and the last one,
    # sent alone, schedules the count as usual.
    with ThreadPoolExecutor(API_WORKERS) as pool:
        list(pool.map(lambda batch: insert(batch, calculate_record_count=False), batches[:-1]))
    if batches:
        insert(batches[-1])


def _load_changes(
    portal: Portal,
    resource_id: str,
    standard: Standard,
    upserts: pd.DataFrame,
    deletes: pd.DataFrame,
    versions: dict,
    result: PublishResult,
) -> None:
    """A change set: with the portal extension, written rows and deleted keys in one call, one transaction;
    otherwise the rows in one `datastore_upsert` when they fit one call, and one `datastore_delete` per key."""
    key = list(standard.primary_key)
    result.rows_sent, result.rows_deleted, result.load_path = len(upserts), len(deletes), "changes"
    if portal.loader == "satudata":
        _call(
            portal,
            "update",
            "satudata_datastore_load",
            resource_id=resource_id,
            method="upsert",
            primary_key=",".join(key),
            version=json.dumps(versions),
            files={"upload": ("berubah.csv", to_csv(upserts)), "delete": ("dihapus.csv", to_csv(deletes))},
        )
        return
    rows = records(upserts)
    if len(rows) > ATOMIC_MAX_ROWS:
        result.warnings.append(f"{len(rows)} changed rows sent in batches of {UPDATE_BATCH}: not one transaction")
    size = len(rows) if len(rows) <= ATOMIC_MAX_ROWS else UPDATE_BATCH
    for start in range(0, len(rows), max(size, 1)):
        _call(
            portal,
            "update",
            "datastore_upsert",
            resource_id=resource_id,
            records=rows[start : start + size],
            method="upsert",
            force=True,
        )
    for values in records(deletes):
        _call(portal, "update", "datastore_delete", resource_id=resource_id, filters=values, force=True)


def _held(package: dict | None, table: dict | None) -> dict:
    """The warehouse versions the portal's table holds: none unless a publication completed into it."""
    if not package or not package.get(HASH_KEY) or not table or not table.get("datastore_active"):
        return {}
    try:
        return json.loads(package.get(VERSION_KEY) or "{}")
    except json.JSONDecodeError:
        return {}


def publish(
    portal: Portal,
    regency: Regency,
    dataset: Dataset,
    standard: Standard,
    table: "Table | pd.DataFrame",
    provenance: dict[str, str],
    district_codes: set[str],
    downloads: tuple[str, ...] = DOWNLOADS,
    validation: dict | None = None,
) -> PublishResult:
    """Bring the portal's copy of the dataset up to the table (a `Table`, or a computed DataFrame). Provenance
    (run id, raw checksum, validation time/status) is recorded when something is published, but does not by
    itself make a change; nor does `validation`, the check's report (pipelines/validation_report.py), published
    beside the table with the change it came with. The personal-data guard runs again here, on exactly the rows
    that would be sent."""
    if isinstance(table, pd.DataFrame):
        table = FrameTable(table, standard)
    package_id = package_name(regency, dataset)
    result = PublishResult(package_id, f"{portal.url}/dataset/{package_id}", changed=False, writes=portal.writes)
    if standard.metadata["klasifikasi"] == "Tertutup":
        return result  # closed data is never published
    portal.check_token()
    current = portal.find("package_show", id=package_id)
    name = f"{dataset.name}.csv"
    resource = next((r for r in (current or {}).get("resources", []) if r.get("name") == name), None)
    held = _held(current, resource)
    change = table.changes(held)
    result.versions, total = change.versions, change.rows
    package = package_fields(regency, dataset, standard, change.period)
    fields = datastore_fields(standard)
    digest = content_hash(package, fields, standard, downloads)
    if current and current.get(HASH_KEY) == digest and change.versions == held and not change.whole:
        return result
    found = scan(
        change.upserts.assign(_source_file="warehouse", _source_row=range(1, len(change.upserts) + 1)),
        standard,
        district_codes,
    )
    if found:
        raise PersonalDataError(
            f"{len(found)} temuan data pribadi, tidak diterbitkan / personal data found, nothing published: {found[0]}"
        )
    result.changed = True
    org = _organisation(portal, dataset)
    _check_pillar_group(portal, standard.metadata["pilar"])
    if current is None:
        # Private until fully loaded: the public never sees a half-loaded first version.
        current = _call(portal, "create", "package_create", owner_org=org["id"], **{**package, "private": True})
    notes = (
        f"Standar {standard.ref}; unduhan langsung dari tabel, tiap unduhan satu versi utuh / downloads "
        f"straight from the table, each one version whole. Kolom teks berawalan =, +, -, @ diberi ' "
        f"(dinetralkan untuk spreadsheet) / text starting with =, +, -, @ is prefixed with '."
    )
    if total > XLSX_MAX_ROWS:
        notes += (
            f" Tabel {total:,} baris melebihi batas Excel ({XLSX_MAX_ROWS + 1:,} baris): tanpa XLSX, "
            f"gunakan CSV / the table exceeds Excel's row limit: no XLSX, use the CSV."
        )
    resource = _table_resource(portal, current, name, fields, notes)
    if resource.get("datastore_active") and current.get(HASH_KEY) != digest:
        # The standard's fields may have grown (a new version: wifi-publik 1.1.0's coordinates): datastore_create
        # on the filled table adds the columns it lacks and touches no row. Asked only when the metadata changed.
        held_fields = {f["id"] for f in portal.read("datastore_info", id=resource["id"])["fields"]}
        if {f["id"] for f in fields} - held_fields:
            _call(portal, "load", "datastore_create", resource_id=resource["id"], fields=fields, force=True)
    if change.versions != held or change.whole:
        if change.whole:
            safe = safe_frame(change.upserts, standard)
            change = dataclasses.replace(change, upserts=change.upserts.iloc[0:0])  # one copy of the rows, not two
            _load_whole(portal, resource["id"], fields, standard, safe, change.versions, result)
            _check_table(portal, resource["id"], fields, result.rows_sent)
        else:
            _load_changes(
                portal,
                resource["id"],
                standard,
                safe_frame(change.upserts, standard),
                safe_frame(change.deletes, standard),
                change.versions,
                result,
            )
    _ensure_views(portal, resource["id"], standard)  # on every change: one deleted by mistake returns
    # The file resources are found by name among those read at the start: nothing since created one of them.
    resources = current.get("resources", [])
    replacements: dict[str, tuple[bytes, dict]] = {}  # resource id -> new file, sent by the finishing revision
    xlsx = f"{dataset.name}.xlsx"
    if "xlsx" in downloads and total <= XLSX_MAX_ROWS:
        _link(
            portal,
            current["id"],
            resources,
            xlsx,
            portal.xlsx_url(resource["id"]),
            "XLSX",
            XLSX_MIME,
            f"Tabel yang sama sebagai XLSX / the same table as XLSX. Standar {standard.ref}.",
        )
    elif any(r.get("name") == xlsx for r in resources):  # grown past Excel's limit: the note above says so
        _call(portal, "files", "resource_delete", id=next(r["id"] for r in resources if r.get("name") == xlsx))
    if "dictionary" in downloads:
        _upload(
            portal,
            current["id"],
            resources,
            f"{dataset.name}-kamus-data.csv",
            data_dictionary(standard),
            "CSV",
            "text/csv",
            f"Kamus data (data dictionary) dari standar {standard.ref}",
            replacements,
        )
        for download in metadata_statistik.downloads(standard, dataset, regency, result.url):  # BPS MS-Keg/Var/Ind
            _upload(portal, current["id"], resources, *download, replacements)
    if validation:
        described = (
            f"Laporan validasi: diperiksa terhadap standar {validation['standard']} pada "
            f"{validation['checked_at']}, {validation['result']} / the validation report"
        )
        _upload(
            portal,
            current["id"],
            resources,
            f"{dataset.name}-laporan-validasi.html",
            validation_report.render_html(validation, f"Laporan validasi / validation report: {package_id}"),
            "HTML",
            "text/html",
            described,
            replacements,
        )
        _upload(
            portal,
            current["id"],
            resources,
            f"{dataset.name}-laporan-validasi.json",
            json.dumps(validation, indent=2, ensure_ascii=False).encode(),
            "JSON",
            "application/json",
            described,
            replacements,
        )
    stamp = {
        HASH_KEY: digest,
        VERSION_KEY: json.dumps(change.versions, sort_keys=True),
        **provenance_fields(
            {
                "validated_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "validation_status": "Lolos",
                **provenance,
            }
        ),
    }
    # Metadata, visibility, the versions and the hash last, in one revision with the files that changed (the
    # validation report of this change): a run that fails before this leaves the previous versions and
    # files, so the next run sends the same change set again.
    revision = {
        "match": {"id": current["id"]},
        "filter": ["-extras", "-tags", "-groups"],
        "update": {**package, "owner_org": org["id"], "extras": [], **stamp},
    }
    files = {}
    if replacements:  # a multipart request: every field a string, the nested ones as JSON
        revision = {key: json.dumps(value) for key, value in revision.items()}
        for resource_id, (content, fields) in replacements.items():
            files[f"update__resources__{resource_id}__upload"] = (fields["name"], content)
            revision |= {f"update__resources__{resource_id}__{key}": value for key, value in fields.items()}
    _call(portal, "finish", "package_revise", files=files or None, **revision)
    return result
