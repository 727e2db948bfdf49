"""Another CKAN portal (e.g. the province's): one resource's file, or its DataStore table, read with ckanapi.

Options: `url`; `resource_id`, or `dataset` and `resource_name`; `datastore: true` reads the DataStore table
(delivered as JSON records), otherwise the resource's file is downloaded; `token_env` for private data;
`page_size` for DataStore reads; plus the HTTP options of `http.py`."""

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import ckanapi

from pipelines.sources import http
from pipelines.sources.delivery import Delivery, SourceError


def _resource(portal: ckanapi.RemoteCKAN, options: dict) -> dict:
    try:
        if options.get("resource_id"):
            return portal.action.resource_show(id=options["resource_id"])
        package = portal.action.package_show(id=options["dataset"])
    except ckanapi.NotFound:
        raise SourceError(f"dataset/sumber daya tidak ada di {options['url']}",
                          f"dataset or resource not found on {options['url']}") from None
    except ckanapi.NotAuthorized:
        raise SourceError(f"tidak berhak membaca dari {options['url']} (token_env?)",
                          f"not authorised to read from {options['url']} (token_env?)") from None
    wanted = str(options["resource_name"]).strip().lower()
    for resource in package["resources"]:
        if (resource.get("name") or "").strip().lower() == wanted:
            return resource
    names = [r.get("name") for r in package["resources"]]
    raise SourceError(f"sumber daya {options['resource_name']!r} tidak ada (ada: {names})",
                      f"resource {options['resource_name']!r} not found (there are: {names})")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "sumber"


def _datastore(portal: ckanapi.RemoteCKAN, resource_id: str, page_size: int) -> dict:
    records, fields, offset = [], [], 0
    while True:  # bounded: stops at the table's total, or at an empty page
        page = portal.action.datastore_search(resource_id=resource_id, limit=page_size, offset=offset, sort="_id")
        fields = [f for f in page["fields"] if f["id"] != "_id"]
        records += [{k: v for k, v in r.items() if k != "_id"} for r in page["records"]]
        offset += len(page["records"])
        if not page["records"] or offset >= page.get("total", 0):
            return {"fields": fields, "records": records}


def pull(options: dict, memo: Path) -> Iterator[Delivery]:
    base = options["url"].rstrip("/")
    token = os.environ.get(options["token_env"]) if options.get("token_env") else None
    with http.session(options) as session:
        # get_only: reads as GET, so the session's retries on 5xx and timeouts apply to them
        portal = ckanapi.RemoteCKAN(base, apikey=token, user_agent=http.USER_AGENT, get_only=True, session=session)
        resource = _resource(portal, options)
        page_url = f"{http.safe_url(base)}/dataset/{resource['package_id']}/resource/{resource['id']}"
        if options.get("datastore"):
            try:
                table = _datastore(portal, resource["id"], int(options.get("page_size", 1000)))
            except ckanapi.NotFound:
                raise SourceError(f"sumber daya {resource['id']} tidak punya tabel DataStore",
                                  f"resource {resource['id']} has no DataStore table") from None
            data = json.dumps(table, ensure_ascii=False, default=str).encode("utf-8")
            yield Delivery(f"{_slug(resource.get('name') or resource['id'])}.json", data, page_url)
            return
        headers = {"Authorization": token} if token else {}  # CKAN asks for the token on private uploads
        response = http.get(session, resource["url"], options, headers=headers)
        data = http.read_limited(response, int(options.get("max_bytes", http.DEFAULT_MAX_BYTES)))
    name = PurePosixPath(urlsplit(resource["url"]).path).name or _slug(resource.get("name") or resource["id"])
    yield Delivery(name, data, http.safe_url(resource["url"]))
