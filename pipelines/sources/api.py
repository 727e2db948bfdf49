"""JSON API of an agency app, read page by page; each page is archived as it came (`<name>-page-0001.json`).

Options: `url`; `name`; pagination by `page_param` (with `first_page`, `page_size_param`, `page_size`),
by `offset_param` (with `limit_param`, `limit`), or else by a next link (`next_key`, a dotted path, default
`next`); `params` sent with every request; `token_env` names the environment variable holding the API key
or token, sent in `token_header` (default `Authorization: Bearer ...`) and never in a URL, origin or log;
`min_interval` seconds between requests; `max_pages`; plus the HTTP options of `http.py`."""

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from pipelines.parsing import json_records
from pipelines.sources import http
from pipelines.sources.delivery import Delivery, SourceError


def _auth_headers(options: dict) -> dict:
    variable = options.get("token_env")
    if not variable:
        return {}
    token = os.environ.get(variable)
    if not token:
        raise SourceError(f"variabel lingkungan {variable} untuk token API kosong",
                          f"environment variable {variable} with the API token is not set")
    header = options.get("token_header", "Authorization")
    return {header: f"Bearer {token}" if header.lower() == "authorization" else token}


def _dig(document: object, path: str) -> object:
    for key in path.split("."):
        document = document.get(key) if isinstance(document, dict) else None
    return document


def _same_origin(a: str, b: str) -> bool:
    return urlsplit(a)[:2] == urlsplit(b)[:2]


def pull(options: dict, memo: Path) -> Iterator[Delivery]:
    start = options["url"]
    name = options.get("name", "api")
    params = dict(options.get("params", {}))
    page_param, offset_param = options.get("page_param"), options.get("offset_param")
    if page_param and options.get("page_size_param"):
        params[options["page_size_param"]] = options["page_size"]
    if offset_param:
        params[options.get("limit_param", "limit")] = options.get("limit", 100)
    page, offset, url = int(options.get("first_page", 1)), 0, start
    interval, last_request = float(options.get("min_interval", 0.5)), float("-inf")
    with http.session(options) as session:
        session.headers.update(_auth_headers(options))
        for number in range(1, int(options.get("max_pages", 1000)) + 1):
            if page_param:
                params[page_param] = page
            if offset_param:
                params[offset_param] = offset
            time.sleep(max(0.0, last_request + interval - time.monotonic()))  # the agency app's rate limit
            last_request = time.monotonic()
            response = http.get(session, url, options, params=params if url == start else None)
            data = http.read_limited(response, int(options.get("max_bytes", http.DEFAULT_MAX_BYTES)))
            origin = http.safe_url(response.url)
            try:
                document = json.loads(data)
            except ValueError:
                raise SourceError(f"halaman {number} bukan JSON: {origin}",
                                  f"page {number} is not JSON: {origin}") from None
            records = json_records(document)
            if records is None:
                raise SourceError(f"halaman {number} tanpa daftar data (data/results/records): {origin}",
                                  f"page {number} has no list of records (data/results/records): {origin}")
            if not records:
                return
            yield Delivery(f"{name}-page-{number:04d}.json", data, origin)
            if page_param:
                page += 1
                if options.get("page_size") and len(records) < int(options["page_size"]):
                    return
            elif offset_param:
                offset += len(records)
                if len(records) < int(options.get("limit", 100)):
                    return
            else:
                link = _dig(document, options.get("next_key", "next")) if isinstance(document, dict) else None
                if not link:
                    return
                url = urljoin(response.url, link)
                if not _same_origin(url, start):  # the token is never sent to another host
                    raise SourceError(f"tautan halaman berikut ke host lain ditolak: {http.safe_url(url)}",
                                      f"next link to another host refused: {http.safe_url(url)}")
    raise SourceError(f"lebih dari {options.get('max_pages', 1000)} halaman: {http.safe_url(start)}",
                      f"more than {options.get('max_pages', 1000)} pages: {http.safe_url(start)}")
