"""Publishing a table to a CKAN portal with ckanapi: a dataset with the Satu Data metadata as top-level
scheming fields in its agency's organisation and its pillar's group, a typed DataStore table keyed by the
standard's primary key, its downloads and the data dictionary.

- Editor rights are enough. The organisations, the pillar groups and the publishing user (editor of its
  regency's organisations, member of the groups) are the portal administrator's: `satudata portal setup`
  (`pipelines/publish/portal_setup.py`). A publication only reads them, and a missing one fails at once saying so.

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
  a load is one version whole (CKAN's own dump, for TSV, JSON and XML, reads the table in pages). The
  pipeline renders no download when rows change; the files beside the table (the dictionary, the metadata
  statistik, the validation report of the batch) are sent only when their content changed, in the same
  finishing `package_revise` that records the versions.
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

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from pipelines.catalogue import Dataset, Regency
from pipelines.publish import load_api, load_satudata, metadata_statistik
from pipelines.publish.client import SETUP_HINT, Portal, PublishError, call
from pipelines.publish.metadata import (
    data_dictionary,
    datastore_fields,
    package_fields,
    package_name,
    provenance_fields,
)
from pipelines.publish.resources import check_table, ensure_views, link, table_resource, upload
from pipelines.publish.rows import safe_frame, to_csv
from pipelines.standard import Standard
from pipelines.standard.views import declared
from pipelines.validation import report as validation_report
from pipelines.validation.privacy import scan
from pipelines.warehouse import ChangeSet

HASH_KEY = "satudata_content_sha256"
VERSION_KEY = "satudata_versi_gudang"  # the warehouse versions the DataStore table holds, as JSON
PROFILE = "satudata-publish/3"  # part of the content hash: a new publishing profile republishes once
DOWNLOADS = ("csv",)  # what `publish` attaches unless told otherwise
ALL_DOWNLOADS = ("csv", "xlsx", "dictionary")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def content_hash(package: dict, fields: list[dict], standard: Standard, downloads: tuple[str, ...]) -> str:
    """The metadata's fingerprint: a change of it (a new period end, a new standard version) republishes the
    metadata even when no row changed."""
    views = [dataclasses.asdict(v) for v in declared(standard)]
    return hashlib.sha256(
        json.dumps(
            [PROFILE, package, fields, list(standard.primary_key), list(downloads), views], sort_keys=True, default=str
        ).encode()
    ).hexdigest()


def _organisation(portal: Portal, dataset: Dataset, current: dict | None) -> dict:
    """The agency's organisation, read only: the portal administrator's setup creates it and keeps its
    metadata, so the publishing token needs no more than editor rights on it. A package it already owns
    carries it, and no request is made."""
    held = (current or {}).get("organization") or {}
    if held.get("name") == dataset.agency.slug:
        return held
    org = portal.find("organization_show", id=dataset.agency.slug)
    if org is None:
        raise PublishError(
            f"organisasi {dataset.agency.slug} belum ada di portal {portal.url} / the organisation "
            f"does not exist on the portal; {SETUP_HINT}",
            permanent=True,
        )
    return org


def _check_pillar_group(portal: Portal, pillar: str, current: dict | None) -> None:
    """The pillar's group must exist (the setup creates the six): CKAN would refuse the dataset as "not found",
    which reads like a passing fault. A package already in it needs no request."""
    if any(group.get("name") == pillar for group in (current or {}).get("groups", [])):
        return
    if not portal.read("group_list", groups=[pillar]):
        raise PublishError(
            f"grup pilar {pillar} belum ada di portal {portal.url} / the pillar group does not exist "
            f"on the portal; {SETUP_HINT}",
            permanent=True,
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
    """The whole table in place of what the DataStore table holds, through the portal's loader."""
    key = list(standard.primary_key)
    result.rows_sent, result.load_path = len(safe), "whole"
    if portal.loader == "satudata":
        load_satudata.load_whole(portal, resource_id, key, safe, versions)
    else:
        load_api.load_whole(portal, resource_id, fields, key, safe)


def _load_changes(
    portal: Portal,
    resource_id: str,
    standard: Standard,
    upserts: pd.DataFrame,
    deletes: pd.DataFrame,
    versions: dict,
    result: PublishResult,
) -> None:
    """A change set (written rows, deleted keys), through the portal's loader."""
    result.rows_sent, result.rows_deleted, result.load_path = len(upserts), len(deletes), "changes"
    if portal.loader == "satudata":
        load_satudata.load_changes(portal, resource_id, list(standard.primary_key), upserts, deletes, versions)
    else:
        result.warnings += load_api.load_changes(portal, resource_id, upserts, deletes)


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
    itself make a change; nor does `validation`, the check's report (pipelines/validation/report.py), published
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
    org = _organisation(portal, dataset, current)
    _check_pillar_group(portal, standard.metadata["pilar"], current)
    if current is None:
        # Private until fully loaded: the public never sees a half-loaded first version.
        current = call(portal, "create", "package_create", owner_org=org["id"], **{**package, "private": True})
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
    resource = table_resource(portal, current, name, fields, notes)
    if resource.get("datastore_active") and current.get(HASH_KEY) != digest:
        # The standard's fields may have grown (a new version: wifi-publik 1.1.0's coordinates): datastore_create
        # on the filled table adds the columns it lacks and touches no row. Asked only when the metadata changed.
        held_fields = {f["id"] for f in portal.read("datastore_info", id=resource["id"])["fields"]}
        if {f["id"] for f in fields} - held_fields:
            call(portal, "load", "datastore_create", resource_id=resource["id"], fields=fields, force=True)
    if change.versions != held or change.whole:
        if change.whole:
            safe = safe_frame(change.upserts, standard)
            change = dataclasses.replace(change, upserts=change.upserts.iloc[0:0])  # one copy of the rows, not two
            _load_whole(portal, resource["id"], fields, standard, safe, change.versions, result)
            check_table(portal, resource["id"], fields, result.rows_sent)
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
    ensure_views(portal, resource["id"], standard)  # on every change: one deleted by mistake returns
    # The file resources are found by name among those read at the start: nothing since created one of them.
    resources = current.get("resources", [])
    replacements: dict[str, tuple[bytes, dict]] = {}  # resource id -> new file, sent by the finishing revision
    xlsx = f"{dataset.name}.xlsx"
    if "xlsx" in downloads and total <= XLSX_MAX_ROWS:
        link(
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
        call(portal, "files", "resource_delete", id=next(r["id"] for r in resources if r.get("name") == xlsx))
    if "dictionary" in downloads:
        upload(
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
            upload(portal, current["id"], resources, *download, replacements)
    if validation:
        described = (
            f"Laporan validasi: diperiksa terhadap standar {validation['standard']} pada "
            f"{validation['checked_at']}, {validation['result']} / the validation report"
        )
        upload(
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
        upload(
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
    call(portal, "finish", "package_revise", files=files or None, **revision)
    return result
