"""Another CKAN portal (e.g. the province's): one resource's file, or its DataStore table, read with ckanapi.

Options: `url` (or, when set, the variable named by `url_env`); `resource_id`, or `dataset` and
`resource_name`; `datastore: true` reads the DataStore table (delivered as JSON records), otherwise the
resource's file is downloaded; `token_env` for private data; `page_size` for DataStore reads; plus the HTTP
options of `http.py`. Both are written to disk as they come, never held whole; `max_bytes` caps them."""

import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import urlsplit

import ckanapi

from pipelines.sources import http
from pipelines.sources.delivery import Delivery, SourceError, max_bytes, too_large


def _resource(portal: ckanapi.RemoteCKAN, options: dict) -> dict:
    try:
        if options.get("resource_id"):
            return portal.action.resource_show(id=options["resource_id"])
        package = portal.action.package_show(id=options["dataset"])
    except ckanapi.NotFound:
        raise SourceError(
            f"dataset/sumber daya tidak ada di {options['url']}", f"dataset or resource not found on {options['url']}"
        ) from None
    except ckanapi.NotAuthorized:
        raise SourceError(
            f"tidak berhak membaca dari {options['url']} (token_env?)",
            f"not authorised to read from {options['url']} (token_env?)",
        ) from None
    wanted = str(options["resource_name"]).strip().lower()
    for resource in package["resources"]:
        if (resource.get("name") or "").strip().lower() == wanted:
            return resource
    names = [r.get("name") for r in package["resources"]]
    raise SourceError(
        f"sumber daya {options['resource_name']!r} tidak ada (ada: {names})",
        f"resource {options['resource_name']!r} not found (there are: {names})",
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "sumber"


def _datastore(
    portal: ckanapi.RemoteCKAN, resource_id: str, page_size: int, file: BinaryIO, limit: int, origin: str
) -> None:
    """The DataStore table as JSON `{"fields": [...], "records": [...]}`, written to `file` page by page (a
    table of any size is never held whole) and refused once it passes `limit` bytes."""
    offset, size = 0, 0

    def write(text: str) -> None:
        nonlocal size
        data = text.encode("utf-8")
        size += len(data)
        if size > limit:
            raise too_large(origin, limit)
        file.write(data)

    def dumps(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, default=str)

    while True:  # bounded: stops at the table's total, or at an empty page
        page = portal.action.datastore_search(resource_id=resource_id, limit=page_size, offset=offset, sort="_id")
        if not offset:
            write('{"fields": ' + dumps([f for f in page["fields"] if f["id"] != "_id"]) + ', "records": [')
        for record in page["records"]:
            write((", " if offset else "") + dumps({k: v for k, v in record.items() if k != "_id"}))
            offset += 1
        if not page["records"] or offset >= page.get("total", 0):
            write("]}")
            return


def pull(options: dict, memo: Path) -> Iterator[Delivery]:
    # `url_env`, as for the catalogue's portals: the register's address where the deployment puts it.
    base = ((os.environ.get(options["url_env"]) if options.get("url_env") else None) or options["url"]).rstrip("/")
    options = {**options, "url": base}
    token = os.environ.get(options["token_env"]) if options.get("token_env") else None
    with http.session(options) as session:
        # get_only: reads as GET, so the session's retries on 5xx and timeouts apply to them
        portal = ckanapi.RemoteCKAN(base, apikey=token, user_agent=http.USER_AGENT, get_only=True, session=session)
        resource = _resource(portal, options)
        page_url = f"{http.safe_url(base)}/dataset/{resource['package_id']}/resource/{resource['id']}"
        if options.get("datastore"):
            # Spooled to an unnamed file beside the source's memo (the state disk, not memory or /tmp).
            with tempfile.TemporaryFile(dir=memo) as table:
                try:
                    _datastore(
                        portal, resource["id"], int(options.get("page_size", 1000)), table, max_bytes(options), page_url
                    )
                except ckanapi.NotFound:
                    raise SourceError(
                        f"sumber daya {resource['id']} tidak punya tabel DataStore",
                        f"resource {resource['id']} has no DataStore table",
                    ) from None
                table.seek(0)
                yield Delivery(f"{_slug(resource.get('name') or resource['id'])}.json", table, page_url)
            return
        headers = {"Authorization": token} if token else {}  # CKAN asks for the token on private uploads
        name = PurePosixPath(urlsplit(resource["url"]).path).name or _slug(resource.get("name") or resource["id"])
        with http.get(session, resource["url"], options, headers=headers) as response:  # streamed, as url.py
            yield Delivery(name, http.Body(response, max_bytes(options)), http.safe_url(resource["url"]))
