"""The dataset's resources on the portal, each found by name (never by a given id, never doubled): the
DataStore table, the files beside it (uploaded only when their content changed), links to the downloads the
portal serves, and the table's views."""

import hashlib

from pipelines.publish.client import Portal, PublishError, call
from pipelines.standard import Standard
from pipelines.standard.views import View, declared

TABLE_VIEW = View("datatables_view", "Tabel / Table", {})  # CKAN's own, after the standard's views


def upload(
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
        call(portal, "files", "resource_create", files={"upload": (name, content)}, package_id=package_id, **fields)


def link(
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
        call(portal, "files", "resource_create", package_id=package_id, name=name, **wanted)
    elif any(existing.get(k) != v for k, v in wanted.items()):
        call(portal, "files", "resource_patch", id=existing["id"], **wanted)


def table_resource(portal: Portal, package: dict, name: str, fields: list[dict], notes: str) -> dict:
    """The DataStore resource that carries the table (created with its typed, empty table; the key comes with
    the first load): its URL is the portal extension's CSV of the table, so its download is always the table."""
    existing = next((r for r in package.get("resources", []) if r.get("name") == name), None)
    if existing is not None:
        if existing.get("url_type") != "datastore":  # published before downloads came from the DataStore
            if existing.get("datastore_active"):  # the portal's copy of the old upload: typed from it, keyless
                call(portal, "load", "datastore_delete", resource_id=existing["id"], force=True)
                existing = {**existing, "datastore_active": False}
            call(
                portal,
                "load",
                "resource_patch",
                id=existing["id"],
                url_type="datastore",
                url="_datastore_only_resource",
                description=notes,
            )
        elif existing.get("description") != notes:  # e.g. the table grew past Excel's limit
            call(portal, "files", "resource_patch", id=existing["id"], description=notes)
        if not existing.get("datastore_active"):
            call(portal, "load", "datastore_create", resource_id=existing["id"], fields=fields, force=True)
        return existing
    created = call(
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


def ensure_views(portal: Portal, resource_id: str, standard: Standard) -> None:
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
            found = call(portal, "views", "resource_view_create", **fields)
        elif any(found.get(k) != v for k, v in fields.items()):
            found = call(portal, "views", "resource_view_update", id=found["id"], **fields)
        kept.append(found["id"])
    order = kept + [v["id"] for v in existing if v["id"] not in kept]
    if [v["id"] for v in existing] != order:
        call(portal, "views", "resource_view_reorder", id=resource_id, order=order)


def check_table(portal: Portal, resource_id: str, fields: list[dict], rows: int) -> None:
    info = portal.read("datastore_info", id=resource_id)
    got = {f["id"]: f["type"] for f in info["fields"] if f["id"] != "_id"}
    want = {f["id"]: f["type"] for f in fields}
    if got != want or info["meta"]["count"] != rows:
        raise PublishError(
            f"{portal.loader}: tabel tidak sesuai standar / the loaded table does not match the "
            f"standard: types {got} (expected {want}), {info['meta']['count']} rows (expected {rows})"
        )
